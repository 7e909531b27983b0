"""The SOP automation over JSON-RPC on the real server: administrators
configure deadlines, escalation and plans in the application; bad input is
refused with the field named and nothing is written; the provider's focal
point finds the activities of their referrals and nothing else."""
import pytest

from momd_client import RPCError


def _ids(session, model, domain):
    return session.model(model, 'search', domain, 0, None, None)


def test_configuration_bad_input_writes_nothing(login):
    admin = login('administrator')
    urgent, = _ids(admin, 'momd.sla.rule', [
            ('priority', '=', 'urgent'), ('category', '=', None)])
    before = admin.model('momd.sla.rule', 'read', [urgent],
        ['acknowledgement_hours', 'completion_days'])
    for values, field in [
            ({'acknowledgement_hours': -1}, 'Acknowledge Within (hours)'),
            ({'completion_days': 0}, 'Complete Within (days)')]:
        with pytest.raises(RPCError) as error:
            admin.model('momd.sla.rule', 'write', [urgent], values)
        assert error.value.kind == 'UserError'
        assert '"%s"' % field in error.value.message
    assert admin.model('momd.sla.rule', 'read', [urgent],
        ['acknowledgement_hours', 'completion_days']) == before

    steps = admin.model('momd.escalation.step', 'search_read', [],
        0, None, None, ['role', 'delay_hours'])
    with pytest.raises(RPCError) as error:
        admin.model('momd.escalation.step', 'create', [{
                    'sequence': 99, 'role': 'caseworker',
                    'delay_hours': 500}])
    assert 'loop' in error.value.message
    assert admin.model('momd.escalation.step', 'search_read', [],
        0, None, None, ['role', 'delay_hours']) == steps

    plans = admin.model('momd.activity.plan', 'search_count', [])
    with pytest.raises(RPCError) as error:
        admin.model('momd.activity.plan', 'create', [{'name': "Nothing"}])
    assert '"When"' in error.value.message
    assert admin.model('momd.activity.plan', 'search_count', []) == plans


def test_configuration_is_the_administrators(login):
    "Field staff read the deadlines and plans but do not change them"
    caseworker = login('sinjar.caseworker')
    rules = _ids(caseworker, 'momd.sla.rule', [])
    assert len(rules) >= 3
    for model, values in [
            ('momd.sla.rule', {'acknowledgement_hours': 1}),
            ('momd.escalation.step', {'delay_hours': 1}),
            ('momd.activity.plan', {'name': "Mine"}),
            ]:
        ids = _ids(caseworker, model, [])
        with pytest.raises(RPCError) as error:
            caseworker.model(model, 'write', ids[:1], values)
        assert error.value.kind == 'UserError', model


def test_activities_by_role(login):
    "Each user sees the activities of their offices, their provider or theirs"
    admin = login('administrator')
    total = admin.model('momd.activity', 'search_count', [])
    caseworker = login('sinjar.caseworker')
    offices = caseworker.model('res.user', 'read', [caseworker.uid],
        ['offices'])[0]['offices']
    seen = caseworker.model('momd.activity', 'search_read', [],
        0, None, None, ['office', 'user'])
    assert seen and len(seen) < total
    assert all(a['office'] in offices or a['user'] == caseworker.uid
        for a in seen)
    focal = login('provider.legal.network')
    providers = _ids(focal, 'momd.provider', [])
    for activity in focal.model('momd.activity', 'search_read', [],
            0, None, None, ['provider', 'user']):
        assert (activity['provider'] in providers
            or activity['user'] == focal.uid), activity

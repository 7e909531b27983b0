"""The provider network over JSON-RPC: focal points keep to their own
organisation; caseworkers read the directory and match; bad input writes
nothing."""
import pytest

from momd_client import RPCError


def _ids(session, model, domain):
    return session.model(model, 'search', domain, 0, None, None)


def test_focal_point_sees_only_own_provider(login):
    session = login('provider.sinjar.women')
    providers = session.model('momd.provider', 'search_read', [], 0, None,
        None, ['name_en'])
    assert [p['name_en'] for p in providers] == [
        "Sinjar Women's Solidarity Association"]
    admin = login('administrator')
    shelter, = _ids(admin, 'momd.provider', [
            ('name_en', '=', 'Shelter Partners International')])
    other_services = _ids(admin, 'momd.provider.service', [
            ('provider', '=', shelter)])
    assert _ids(session, 'momd.provider.service', [
            ('provider', '=', shelter)]) == []
    for method, args in [
            ('read', (other_services, ['capacity'])),
            ('write', (other_services, {'capacity': 1})),
            ]:
        with pytest.raises(RPCError) as error:
            session.model('momd.provider.service', method, *args)
        assert error.value.kind == 'UserError', method
    with pytest.raises(RPCError):
        session.model('momd.beneficiary', 'search', [], 0, 1, None)


def test_caseworker_directory_and_matching(login):
    session = login('sinjar.caseworker', language='ar')
    services = session.model('momd.provider.service', 'search_count', [
            ('provider.state', '=', 'active')])
    assert services >= 25
    # no service of a restricted category without sensitive access
    assert _ids(session, 'momd.provider.service', [
            ('category.code', 'like', 'protection%')]) == []
    with pytest.raises(RPCError):
        session.model('momd.provider', 'write', _ids(
                session, 'momd.provider', [])[:1], {'accessibility': 'x'})


@pytest.mark.parametrize('values,field', [
        ({'age_min': 30, 'age_max': 10}, '"Maximum Age"'),
        ({'capacity': -1}, '"Capacity per Month"'),
        ({'locations': []}, '"Coverage"'),
        ])
def test_bad_service_writes_nothing(login, values, field):
    session = login('administrator')
    provider, = _ids(session, 'momd.provider', [
            ('name_en', '=', 'Hamdaniya Youth Forum')])
    category, = _ids(session, 'momd.service.category', [
            ('code', '=', 'education.catch_up')])
    mosul, = _ids(session, 'momd.location', [('name_en', '=', 'Mosul')])
    before = session.model('momd.provider.service', 'search_count', [])
    with pytest.raises(RPCError) as error:
        session.model('momd.provider.service', 'create', [{
                    'provider': provider, 'category': category,
                    'locations': [('add', [mosul])], **values}])
    assert field in error.value.message
    assert session.model(
        'momd.provider.service', 'search_count', []) == before


def test_activation_without_agreement_writes_nothing(login):
    session = login('administrator')
    party, = session.model('party.party', 'create', [{'name': 'New CSO'}])
    nineveh, = _ids(session, 'momd.location', [('pcode', '=', 'IQG15')])
    category, = _ids(session, 'momd.service.category', [
            ('code', '=', 'health.care')])
    provider, = session.model('momd.provider', 'create', [{
                'name_ar': 'منظمة جديدة', 'name_en': 'New CSO',
                'party': party, 'type': 'local_cso',
                'services': [('create', [{
                                'category': category,
                                'locations': [('add', [nineveh])]}])]}])
    with pytest.raises(RPCError) as error:
        session.model('momd.provider', 'verify', [provider])
    assert '"Agreement Date"' in error.value.message
    state, = session.model('momd.provider', 'read', [provider], ['state'])
    assert state['state'] == 'draft'


def test_demo_every_provider_can_answer(login):
    """In the demo every provider has focal points or an intake address
    its referrals' answer links go to; some services are full with a
    waiting list; people rated the services"""
    admin = login('admin')
    # the demo's, not those the tests add
    providers = admin.model('momd.provider', 'search_read', [
            ('agreement_reference', 'like', 'MoMD-NIN-MOU-%')], 0, None,
        None, ['name_en', 'focal_points', 'intake_email', 'language'])
    assert len(providers) >= 24
    unreachable = [p['name_en'] for p in providers
        if not p['focal_points'] and not p['intake_email']]
    assert unreachable == []
    assert {p['language'] for p in providers} >= {'ar', 'en'}
    assert _ids(admin, 'momd.referral', [('state', '=', 'waiting')])
    assert admin.model('momd.referral', 'search_count', [
            ('rating', '!=', None)]) > 0

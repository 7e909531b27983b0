"""Merging two records of one person over real HTTP, as the web client does
it: the wizard's window, its refusals (no reason, a caseworker, another
office's record) with nothing written, the merge, and what the merged
record is afterwards."""
import pytest

from momd_client import RPCError

WIZARD = 'wizard.momd.beneficiary.merge'


def _register(session, **values):
    "A Sinjar returnee registered by the caseworker"
    values = {
        'first_name': 'زينب', 'father_name': 'جاسم',
        'grandfather_name': 'حمد', 'family_name': 'الشمري',
        'sex': 'female', 'estimated_age': 34,
        'displacement_status': 'returnee_abroad',
        'duplicate_reason': "Registered twice, to be merged",
        **values}
    office, = session.model('momd.office', 'search', [('code', '=', 'SNJ')],
        0, None, None)
    values['office'] = office
    ids = session.model('momd.beneficiary', 'create', [values])
    code, = session.model('momd.beneficiary', 'read', ids, ['code'])
    return ids[0], code['code']


def _merge(session, ids, reason, model='momd.beneficiary'):
    "The wizard from a list with ids selected: its window, then Merge"
    context = {'active_model': model, 'active_ids': ids,
        'active_id': ids[0], 'language': session.language}
    session_id, _, _ = session.call('%s.create' % WIZARD, context)
    try:
        view = session.call('%s.execute' % WIZARD, session_id, {}, 'start',
            context)
        shown = view['view']['defaults']
        data = {
            'kept': shown['kept'], 'other': shown['other'],
            'values': [
                {k: v for k, v in value.items() if k != 'id'}
                for value in shown['values']],
            'reason': reason}
        session.call('%s.execute' % WIZARD, session_id, {'start': data},
            'merge', context)
        return shown
    finally:
        session.call('%s.delete' % WIZARD, session_id, context)


def test_merge_over_rpc(login):
    """The Sinjar supervisor merges two records of one woman; without a
    reason, or by a caseworker, it is refused and nothing changes; the
    merged record is archived, unchangeable, and found by its number"""
    caseworker = login('sinjar.caseworker')
    supervisor = login('sinjar.supervisor')
    kept, kept_code = _register(caseworker)
    other, other_code = _register(caseworker,
        first_name_latin='Zainab', family_name_latin='Al-Shammari')

    with pytest.raises(RPCError) as error:
        _merge(caseworker, [kept, other], "Same person")
    assert error.value.kind == 'UserError'
    with pytest.raises(RPCError) as error:
        _merge(supervisor, [kept, other], "  ")
    assert '"Reason"' in error.value.message
    assert other_code in error.value.message
    row, = supervisor.model('momd.beneficiary', 'read', [other], ['active'])
    assert row['active']

    shown = _merge(supervisor, [other, kept],
        "Same passport shown at both registrations")
    assert (shown['kept'], shown['other']) == (kept, other)

    row, = supervisor.model('momd.beneficiary', 'read', [kept],
        ['first_name_latin', 'family_name_latin', 'active'])
    assert row['first_name_latin'] == 'Zainab' and row['active']
    row, = supervisor.model('momd.beneficiary', 'read', [other],
        ['active', 'merged_into', 'merged_by'])
    assert not row['active'] and row['merged_into'] == kept
    assert row['merged_by'] == supervisor.uid
    for domain in [
            [('rec_name', 'ilike', '%' + other_code + '%')],
            [('code', '=', other_code)]]:
        assert caseworker.model('momd.beneficiary', 'search', domain,
            0, None, None) == [kept], domain
    # the merged record is not changed, nor merged again
    with pytest.raises(RPCError) as error:
        supervisor.model('momd.beneficiary', 'write', [other],
            {'notes': "Changed"})
    assert kept_code in error.value.message
    with pytest.raises(RPCError) as error:
        _merge(supervisor, [kept, other], "Again")
    assert 'already merged' in error.value.message
    # the trail has the merge, with both numbers and the reason
    lines = supervisor.model('momd.access.log', 'search_read',
        [('action', '=', 'merge'), ('record', '=', kept)], 0, None, None,
        ['reason', 'model'])
    assert len(lines) == 1
    assert other_code in lines[0]['reason'] and kept_code in lines[0]['reason']


def test_merge_other_office_refused_over_rpc(login):
    """A Mosul record and a Sinjar one: the Sinjar supervisor may not merge
    them (he does not read the Mosul one); a manager may"""
    sinjar, _ = _register(login('sinjar.caseworker'))
    mosul_caseworker = login('mosul.caseworker')
    office, = mosul_caseworker.model('momd.office', 'search',
        [('code', '=', 'MSL')], 0, None, None)
    mosul, = mosul_caseworker.model('momd.beneficiary', 'create', [{
                'first_name': 'زينب', 'father_name': 'جاسم',
                'sex': 'female', 'estimated_age': 34, 'office': office,
                'displacement_status': 'returnee_abroad',
                'duplicate_reason': "Registered in Sinjar too"}])
    with pytest.raises(RPCError):
        _merge(login('sinjar.supervisor'), [sinjar, mosul], "Same person")
    manager = login('manager')
    _merge(manager, [sinjar, mosul], "Same person, one ID card")
    row, = manager.model('momd.beneficiary', 'read', [mosul],
        ['merged_into'])
    assert row['merged_into'] == sinjar

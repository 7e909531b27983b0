"""The registry over JSON-RPC, as the web client and API clients reach it:
each office sees only its own people, by every path; bad input writes
nothing."""
import pytest

from momd_client import RPCError


def _ids(session, model, domain):
    return session.model(model, 'search', domain, 0, None, None)


@pytest.fixture
def mosul_records(login):
    "A Mosul beneficiary and case, found by a manager (who reads all)"
    manager = login('manager')
    beneficiary = _ids(manager, 'momd.beneficiary', [
            ('office.code', '=', 'MSL')])[0]
    case = _ids(manager, 'momd.case', [('office.code', '=', 'MSL')])[0]
    return beneficiary, case


def test_demo_registry_is_there(login):
    manager = login('manager')
    assert manager.model('momd.beneficiary', 'search_count', []) >= 200
    for code in ['MSL', 'HMD', 'SNJ', 'TLF']:
        assert manager.model('momd.case', 'search_count', [
                ('office.code', '=', code)])


def test_sinjar_caseworker_sees_only_sinjar(login, mosul_records):
    session = login('sinjar.caseworker', language='ar')
    beneficiary, case = mosul_records
    offices = session.model('momd.beneficiary', 'search_read', [], 0, None,
        None, ['office.code'])
    assert offices and {o['office.']['code'] for o in offices} == {'SNJ'}
    assert session.model('momd.beneficiary', 'search_count', []) == len(
        offices)
    assert _ids(session, 'momd.beneficiary', [('id', '=', beneficiary)]) == []
    assert _ids(session, 'momd.case', [('beneficiary', '=', beneficiary)]) \
        == []
    assert _ids(session, 'momd.case', [
            ('beneficiary.office.code', '=', 'MSL')]) == []
    assert _ids(session, 'momd.need', [('case', '=', case)]) == []
    assert _ids(session, 'momd.beneficiary.phone', [
            ('beneficiary', '=', beneficiary)]) == []
    for model, record in [
            ('momd.beneficiary', beneficiary), ('momd.case', case)]:
        for method, args in [
                ('read', ([record], ['rec_name'])),
                ('export_data', ([record], ['rec_name'])),
                ('write', ([record], {'notes' if model == 'momd.beneficiary'
                            else 'summary': 'x'})),
                ]:
            with pytest.raises(RPCError) as error:
                session.model(model, method, *args)
            assert error.value.kind == 'UserError', (model, method)


def test_reading_is_logged(login):
    session = login('hamdaniya.caseworker')
    beneficiary = _ids(session, 'momd.beneficiary', [])[0]
    session.model('momd.beneficiary', 'read', [beneficiary], ['full_name'])
    admin = login('administrator')
    logs = admin.model('momd.access.log', 'search_read', [
            ('user', '=', session.uid),
            ('model', '=', 'momd.beneficiary'),
            ('record', '=', beneficiary)], 0, None, None, ['date'])
    assert logs


def _register(session, **values):
    office, = _ids(session, 'momd.office', [('code', '=', 'TLF')])
    return session.model('momd.beneficiary', 'create', [{
                'office': office, 'first_name': 'حسين',
                'father_name': 'عباس', 'sex': 'male',
                'estimated_age': 40,
                'displacement_status': 'returned_idp',
                'duplicate_reason': "Another man of this name", **values}],
        context={})


@pytest.mark.parametrize('values,field', [
        ({'phones': [('create', [{'number': '0770 123'}])]},
            '"الرقم"'),
        ({'estimated_age': None}, '"العمر التقديري"'),
        ({'identifiers': [('create', [{'type': 'national_id',
                                'number': '123'}])]}, '"الرقم"'),
        ])
def test_bad_registration_writes_nothing(login, values, field):
    session = login('talafar.caseworker', language='ar')
    before = session.model('momd.beneficiary', 'search_count', [])
    with pytest.raises(RPCError) as error:
        _register(session, **values)
    assert error.value.kind == 'UserError'
    assert field in error.value.message
    assert session.model('momd.beneficiary', 'search_count', []) == before


def test_duplicate_identity_document_refused(login):
    session = login('talafar.caseworker', language='ar')
    _register(session, identifiers=[('create', [{
                        'type': 'passport', 'number': 'A1234567'}])])
    before = session.model('momd.beneficiary', 'search_count', [])
    with pytest.raises(RPCError) as error:
        _register(session, first_name='جاسم', identifiers=[('create', [{
                            'type': 'passport', 'number': 'a1234567'}])])
    assert 'وثيقة' in error.value.message or 'document' in error.value.message
    assert session.model('momd.beneficiary', 'search_count', []) == before


def test_consent_mistakes_write_nothing(login):
    session = login('sinjar.caseworker', language='ar')
    children = session.model('momd.beneficiary', 'search', [
            ('age', '<', 15)], 0, 1, None)
    assert children
    child = children[0]
    consent, = session.model('momd.consent', 'create', [{
                'beneficiary': child, 'purpose': 'Referral',
                'information_groups': ['identity']}])
    with pytest.raises(RPCError) as error:
        session.model('momd.consent', 'activate', [consent])
    assert '"مانح الموافقة"' in error.value.message
    state, = session.model('momd.consent', 'read', [consent], ['state'])
    assert state['state'] == 'draft'

    with pytest.raises(RPCError) as error:
        session.model('momd.consent', 'write', [consent],
            {'revoked_on': '2000-01-01', 'purpose': 'Changed'})
    assert '"تاريخ السحب"' in error.value.message
    after, = session.model('momd.consent', 'read', [consent],
        ['revoked_on', 'purpose'])
    assert after['revoked_on'] is None and after['purpose'] == 'Referral'


def test_provider_focal_point_sees_no_registry(login):
    admin = login('administrator')
    group, = admin.model('res.group', 'search', [
            ('name', '=', 'Provider Focal Point')], 0, None, None)
    user, = admin.model('res.user', 'create', [{
                'login': 'focal.point.probe', 'name': 'Focal Point',
                'groups': [('add', [group])],
                'password': 'a-long-Provider-passw0rd'}])
    session = login('focal.point.probe', password='a-long-Provider-passw0rd')
    for model in ['momd.beneficiary', 'momd.case', 'momd.need',
            'momd.consent', 'momd.household', 'momd.beneficiary.phone']:
        with pytest.raises(RPCError) as error:
            session.model(model, 'search_count', [])
        assert error.value.kind == 'UserError', model

"""A provider's answer recorded by ministry staff, over JSON-RPC on the real
server as the web client runs the wizard, and the intake queue."""
import datetime as dt

import pytest

from momd_client import RPCError
# the fixtures of a referral sent to a provider with two focal points
from test_referral_rpc import focal_points, sent_referral  # noqa: F401

WIZARD = 'wizard.momd.referral.answer.record'
PASSWORD = 'Focal-point-2026!'


def _record_answer(session, referral, values):
    """Run Record Provider's Answer on referral as the client does, the form
    filled with its defaults and values"""
    context = {'active_model': 'momd.referral', 'active_id': referral,
        'active_ids': [referral], 'language': session.language}
    session_id, _, _ = session.call(WIZARD + '.create', context)
    try:
        view = session.call(WIZARD + '.execute', session_id, {}, 'start',
            context)
        # the values of the form's fields, as the client sends them
        start = {**{k: v for k, v in view['view']['defaults'].items()
                if '.' not in k}, **values}
        session.call(WIZARD + '.execute', session_id, {'start': start},
            'save', context)
    finally:
        session.call(WIZARD + '.delete', session_id, context)


def _moment(date):
    return {'__class__': 'datetime', 'year': date.year, 'month': date.month,
        'day': date.day, 'hour': date.hour, 'minute': date.minute,
        'second': date.second, 'microsecond': 0}


def _answers(session, referral):
    return session.model('momd.referral.answer', 'search_read',
        [('referral', '=', referral)], 0, None, None,
        ['step', 'via', 'channel', 'contact_name', 'contact_role'])


def test_answer_recorded_by_caseworker(login, focal_points, sent_referral):
    "Accepted on the phone, recorded by the Sinjar caseworker, shown so"
    caseworker = login('sinjar.caseworker')
    focal = login(focal_points[0], password=PASSWORD)
    # refused to the provider's focal point and to another office
    for session in [focal, login('mosul.caseworker')]:
        with pytest.raises(RPCError):
            _record_answer(session, sent_referral, {
                    'step': 'accept', 'channel': 'phone',
                    'contact_name': 'Hana Saleh'})
    # a time in the future: refused, naming the field, nothing written
    future = dt.datetime.utcnow() + dt.timedelta(days=1)
    with pytest.raises(RPCError) as refused:
        _record_answer(caseworker, sent_referral, {
                'step': 'accept', 'channel': 'phone',
                'contact_name': 'Hana Saleh',
                'reported_date': _moment(future)})
    assert '"Said On"' in refused.value.message
    assert _answers(caseworker, sent_referral) == []
    _record_answer(caseworker, sent_referral, {
            'step': 'accept', 'channel': 'phone',
            'contact_name': 'Hana Saleh', 'contact_role': 'Intake officer'})
    referral, = caseworker.model('momd.referral', 'read', [sent_referral],
        ['state', 'answered_by_staff'])
    assert (referral['state'], referral['answered_by_staff']) == (
        'accepted', True)
    answer, = _answers(focal, sent_referral)
    assert {k: answer[k] for k in ['step', 'via', 'channel',
            'contact_name', 'contact_role']} == {
        'step': 'accept', 'via': 'staff', 'channel': 'phone',
        'contact_name': 'Hana Saleh', 'contact_role': 'Intake officer'}
    # nobody changes the log
    for session in [focal, caseworker]:
        with pytest.raises(RPCError):
            session.model('momd.referral.answer', 'write', [answer['id']],
                {'contact_name': 'Someone else'})
        with pytest.raises(RPCError):
            session.model('momd.referral.answer', 'delete', [answer['id']])
    assert _answers(caseworker, sent_referral) == [answer]


def test_intake_queue_take(login, focal_points, sent_referral):
    "One focal point takes the referral; the other is told who did"
    one, two = (login(name, password=PASSWORD) for name in focal_points)
    queue = one.model('momd.referral', 'search',
        [('state', 'in', ['sent', 'accepted']), ('taken_by', '=', None)],
        0, None, [('priority', 'ASC'), ('sent_date', 'ASC')])
    assert sent_referral in queue
    one.model('momd.referral', 'take', [sent_referral])
    with pytest.raises(RPCError) as refused:
        two.model('momd.referral', 'take', [sent_referral])
    assert focal_points[0] in refused.value.message
    referral, = two.model('momd.referral', 'read', [sent_referral],
        ['taken_by', 'since_sent'])
    assert referral['taken_by'] == one.uid
    assert referral['since_sent'] is not None


def test_demo_answers(login):
    """The demo shows the answers of providers without an account recorded
    by the caseworkers, and those of the focal points"""
    manager = login('manager')
    answers = manager.model('momd.referral.answer', 'search_read', [],
        0, None, None, ['via', 'channel', 'contact_name', 'recorded_by'])
    by_via = {a['via'] for a in answers}
    assert {'staff', 'focal_point'} <= by_via, by_via
    # recorded for a provider that answered by phone, paper...: the
    # channel, who said it, who recorded it (the tests' administrators
    # pressing a provider's button directly leave no channel)
    recorded = [a for a in answers if a['via'] == 'staff' and a['channel']]
    assert recorded
    assert all(a['contact_name'] and a['recorded_by'] for a in recorded)
    staff, = manager.model('momd.referral', 'search',
        [('answered_by_staff', '=', True)], 0, 1, None)

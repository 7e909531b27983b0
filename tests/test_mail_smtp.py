"""E-mails of the real server, received by a real SMTP server on the
loopback (tests/conftest.py smtp): the notifications of the referral steps
and the escalation of an unanswered referral to the provider's escalation
contact, each in its recipient's language, with nothing about the person
beyond the referral's number and the link."""
import datetime as dt
import itertools
import re
import sqlite3
import time

from momd_client import RPCError

_RUN = itertools.count(1)


def _ids(session, model, domain, limit=None):
    return session.model(model, 'search', domain, 0, limit, None)


def text(msg):
    "The readable text of an e-mail: its subject and every text part"
    parts = [msg['Subject']]
    for part in msg.walk():
        if part.get_content_maintype() == 'text':
            parts.append(part.get_content())
    return '\n'.join(parts)


def languages(msg):
    "The languages an e-mail says its parts are written in"
    return sorted({part['Content-Language'] for part in msg.walk()
            if part['Content-Language']})


def age(database, referral, hours):
    "Move the referral's deadline to answer hours into the past"
    when = dt.datetime.now() - dt.timedelta(hours=hours)
    if isinstance(database, sqlite3.Connection):
        database.execute(
            'UPDATE momd_referral SET acknowledge_before = ? WHERE id = ?',
            (str(when), referral))
    else:
        database.execute(
            'UPDATE momd_referral SET acknowledge_before = %s WHERE id = %s',
            (when, referral))
    database.commit()


def personal_data(admin, needs):
    "What the registry holds about the people of the needs' cases"
    cases = admin.model('momd.case', 'read',
        list({n['case'] for n in needs}), ['beneficiary'])
    private = []
    for beneficiary in admin.model('momd.beneficiary', 'read',
            [c['beneficiary'] for c in cases], [
                'first_name', 'father_name', 'grandfather_name',
                'family_name', 'first_name_latin', 'family_name_latin',
                'phones', 'identifiers']):
        private += [beneficiary[f] for f in [
                'first_name', 'father_name', 'grandfather_name',
                'family_name', 'first_name_latin', 'family_name_latin']
            if beneficiary[f]]
        private += [p['number'] for p in admin.model(
                'momd.beneficiary.phone', 'read', beneficiary['phones'],
                ['number'])]
        private += [i['number'] for i in admin.model(
                'momd.beneficiary.identifier', 'read',
                beneficiary['identifiers'], ['number'])]
    assert private
    return private


def test_notifications_and_escalation_by_smtp(login, smtp, database):
    """The focal point (English) is told of a new referral in English, the
    caseworker (Arabic) of its acceptance and of a late one in Arabic; an
    unanswered referral reaches the escalation contact of an Arabic
    provider in Arabic and of an English one in English, once per level,
    naming no person and no restricted category"""
    run = next(_RUN)
    admin = login('administrator')
    caseworker = login('sinjar.caseworker', language='ar')
    today = dt.date.today()

    # the Sinjar caseworker (Arabic) and a new focal point (English) have
    # e-mail addresses
    group, = _ids(admin, 'res.group', [('name', '=', 'Provider Focal Point')])
    english, = _ids(admin, 'ir.lang', [('code', '=', 'en')])
    focal_point, = admin.model('res.user', 'create', [{
                'login': 'mail%d.focal' % run, 'name': 'Focal Point',
                'groups': [('add', [group])], 'language': english,
                'email': 'focal%d@provider.example' % run,
                'password': 'Focal-point-2026!'}])
    cw_email = 'caseworker%d@momd.example' % run
    admin.model('res.user', 'write', [caseworker.uid], {'email': cw_email})

    needs = caseworker.model('momd.need', 'search_read', [
            ('status', '=', 'identified'),
            ('category.restricted', '=', False),
            ('case.beneficiary.consents.state', '=', 'active')],
        0, 3, None, ['case', 'category'])
    assert len(needs) == 3
    nineveh, = _ids(admin, 'momd.location', [('pcode', '=', 'IQG15')])

    def provider(name, language, contact, focal_points=()):
        party, = admin.model('party.party', 'create', [{'name': name}])
        provider, = admin.model('momd.provider', 'create', [{
                    'name_ar': 'منظمة %s' % name, 'name_en': name,
                    'party': party, 'type': 'local_cso',
                    'agreement_date': str(today - dt.timedelta(days=30)),
                    'language': language,
                    'escalation_name': 'Head of %s' % name,
                    'escalation_email': contact,
                    'focal_points': [('add', list(focal_points))],
                    'services': [('create', [{
                                    'category': c,
                                    'locations': [('add', [nineveh])]}
                                for c in {n['category'] for n in needs}])]}])
        admin.model('momd.provider', 'verify', [provider])
        admin.model('momd.provider', 'activate', [provider])
        return provider
    head_ar = 'head-ar%d@provider.example' % run
    head_en = 'head-en%d@provider.example' % run
    arabic_provider = provider(
        'Mail CSO %d' % run, 'ar', head_ar, [focal_point])
    english_provider = provider('Mail INGO %d' % run, 'en', head_en)

    def send(need, provider):
        service, = _ids(admin, 'momd.provider.service', [
                ('provider', '=', provider),
                ('category', '=', need['category'])])
        referral, = caseworker.model('momd.referral', 'create', [{
                    'case': need['case'], 'need': need['id'],
                    'provider_service': service,
                    'reason': 'Mail test %d' % run,
                    'disclosed_groups': ['identity']}])
        caseworker.model('momd.referral', 'send', [referral])
        code, = caseworker.model('momd.referral', 'read', [referral],
            ['code'])
        return referral, code['code']
    answered, answered_code = send(needs[0], arabic_provider)
    late_ar, late_ar_code = send(needs[1], arabic_provider)
    late_en, late_en_code = send(needs[2], english_provider)
    private = personal_data(admin, needs) + ['Mail test %d' % run]

    def clean(msg, *codes):
        body = text(msg)
        for value in private:
            # as a word: a name may be part of another word (علي, عليها)
            assert not re.search(
                r'(?<!\w)%s(?!\w)' % re.escape(value), body), value
        assert any(c in body for c in codes)

    # a new referral: the focal point reads it in English
    received = smtp.wait('focal%d@' % run, 2)
    assert sorted(m['Subject'] for m in received) == sorted(
        'New referral %s' % c for c in [answered_code, late_ar_code])
    for msg in received:
        assert languages(msg) == ['en']
        assert 'A new referral was sent to your organisation' in text(msg)
        assert '/model/momd.referral/' in text(msg)
        clean(msg, answered_code, late_ar_code)

    # accepted: the caseworker reads it in Arabic
    fp = login('mail%d.focal' % run, password='Focal-point-2026!')
    fp.model('momd.referral', 'accept', [answered])
    accepted, = smtp.wait(cw_email)
    assert accepted['Subject'] == 'الإحالة %s: مقبولة' % answered_code
    assert languages(accepted) == ['ar']
    assert 'قبلت جهة تقديم الخدمة الإحالة.' in text(accepted)
    assert '/model/momd.referral/%d' % answered in text(accepted)
    clean(accepted, answered_code)

    # the two others stay unanswered 3 hours past their deadline; the
    # hourly escalation runs
    for referral in [late_ar, late_en]:
        age(database, referral, 3)
    cron, = _ids(admin, 'ir.cron', [
            ('method', '=', 'momd.referral|escalate')])
    admin.model('ir.cron', 'run_once', [cron])

    # the Arabic provider's contact in Arabic, the English one's in English
    to_ar, = smtp.wait(head_ar)
    assert to_ar['Subject'] == 'الإحالة %s متأخرة بمقدار 3 ساعة' % (
        late_ar_code)
    assert to_ar['To'] == 'Head of Mail CSO %d <%s>' % (run, head_ar)
    assert languages(to_ar) == ['ar']
    assert 'المرسلة إلى منظمة Mail CSO %d' % run in text(to_ar)
    assert '/model/momd.referral/%d' % late_ar in text(to_ar)
    clean(to_ar, late_ar_code)
    to_en, = smtp.wait(head_en)
    assert to_en['Subject'] == 'Referral %s is overdue by 3 hours' % (
        late_en_code)
    assert languages(to_en) == ['en']
    assert 'Dear Head of Mail INGO %d,' % run in text(to_en)
    assert '/model/momd.referral/%d' % late_en in text(to_en)
    clean(to_en, late_en_code)
    # the caseworker, first of the ministry's chain, in Arabic
    overdue = smtp.wait(cw_email, 3)[1:]
    assert sorted(m['Subject'] for m in overdue) == sorted(
        'إحالة متأخرة %s' % c for c in [late_ar_code, late_en_code])
    for msg in overdue:
        assert languages(msg) == ['ar']
        clean(msg, late_ar_code, late_en_code)
    # nobody is written to about the accepted one
    assert not [m for _, m in smtp.received if answered_code in text(m)
        and m not in received + [accepted]]

    # the next run at the same level writes to nobody
    admin.model('ir.cron', 'run_once', [cron])
    time.sleep(3)
    assert len(smtp.to(head_ar)) == 1
    assert len(smtp.to(head_en)) == 1
    assert len(smtp.to(cw_email)) == 3


def test_escalation_contact_bad_input_writes_nothing(login):
    """A contact address or phone no message could reach is refused in the
    user's language, naming the field, and nothing is written"""
    run = next(_RUN)
    for language, email_label, phone_label in [
            ('en', '"Escalation E-mail"', '"Escalation Phone"'),
            ('ar', '"البريد الإلكتروني للتصعيد"', '"هاتف التصعيد"'),
            ]:
        admin = login('administrator', language=language)
        provider, = _ids(admin, 'momd.provider', [
                ('name_en', '=', 'Nineveh Legal Aid Network')])
        before = admin.model('momd.provider', 'read', [provider], [
                'escalation_email', 'escalation_phone', 'escalation_name'])
        for field, value, label in [
                ('escalation_email', 'head at provider %d' % run,
                    email_label),
                ('escalation_phone', '0770 12%d' % run, phone_label)]:
            try:
                admin.model('momd.provider', 'write', [provider], {
                        'escalation_name': 'Someone %d' % run,
                        field: value})
            except RPCError as error:
                assert label in error.message, error.message
                assert value in error.message, error.message
            else:
                raise AssertionError('%s accepted' % value)
            assert admin.model('momd.provider', 'read', [provider], [
                    'escalation_email', 'escalation_phone',
                    'escalation_name']) == before

"""A provider without an account answers a referral through the link its
intake address received, in real headless Chromium, on the real server.

The caseworker sends two referrals over JSON-RPC to a provider that has no
focal point, only an intake e-mail address and Arabic as its language; a
real SMTP server on the loopback receives the links. Whoever reads that
mailbox opens the first link, accepts the referral in Arabic, then
completes it with an outcome; the caseworker sees each state; the link
then stops working. The second link stops working when the consent behind
its referral is revoked. A forged and an expired token get the clear page
of the three languages and nothing of a referral.
"""
import datetime as dt
import itertools
import re

import pytest

playwright_api = pytest.importorskip('playwright.sync_api')
expect = playwright_api.expect

from webclient import (  # noqa: E402
    CHROMIUM, CHROMIUM_ARGS, TIMEOUT, label)

LINK = re.compile(r'https?://\S+/momd/answer/\S+')
_RUN = itertools.count(1)


def message(xml_id, language='ar'):
    return label('model:ir.message,text:%s' % xml_id, language)


def _ids(session, model, domain, limit=None):
    return session.model(model, 'search', domain, 0, limit, None)


@pytest.fixture
def intake_referrals(login):
    """(intake address, [referral ids]): two referrals sent to a provider
    that takes them only at its intake address, in Arabic"""
    run = next(_RUN)
    intake = 'intake%d@link-cso.example' % run
    admin = login('administrator')
    caseworker = login('sinjar.caseworker')
    needs = caseworker.model('momd.need', 'search_read', [
            ('status', '=', 'identified'),
            ('case.beneficiary.consents.state', '=', 'active')],
        0, 2, None, ['case', 'category'])
    assert len(needs) == 2, needs
    nineveh, = _ids(admin, 'momd.location', [('pcode', '=', 'IQG15')])
    party, = admin.model('party.party', 'create', [{'name': 'Link CSO'}])
    provider, = admin.model('momd.provider', 'create', [{
                'name_ar': 'منظمة الرابط %d' % run,
                'name_en': 'Link CSO %d' % run,
                'party': party, 'type': 'local_cso',
                'agreement_date': '2026-01-01',
                'intake_email': intake, 'language': 'ar',
                'services': [('create', [{
                                'category': category,
                                'locations': [('add', [nineveh])]}
                            for category in sorted(
                                {n['category'] for n in needs})])]}])
    admin.model('momd.provider', 'verify', [provider])
    admin.model('momd.provider', 'activate', [provider])
    services = {s['category']: s['id'] for s in admin.model(
            'momd.provider.service', 'search_read',
            [('provider', '=', provider)], 0, None, None, ['category'])}
    referrals = caseworker.model('momd.referral', 'create', [{
                'case': need['case'], 'need': need['id'],
                'provider_service': services[need['category']],
                'reason': 'Needs the civil ID renewed',
                'disclosed_groups': ['identity']} for need in needs])
    caseworker.model('momd.referral', 'send', referrals)
    return intake, referrals


def link_of(mail, code):
    "The answer link of the referral numbered code in an e-mail"
    assert code in mail['Subject'], mail['Subject']
    body = mail.get_body(('plain',)).get_content()
    return LINK.search(body).group(0)


def assert_dead(page, url, status, codes):
    "The clear page of a link that does not work, and no referral on it"
    response = page.goto(url)
    assert response.status == status
    for language in ['ar', 'en', 'kmr']:
        expect(page.locator('section[lang="%s"] h1' % language)).to_have_text(
            message('msg_answer_page_dead_title', language)
            if language != 'en' else "This link does not work")
    text = page.content()
    for code in codes:
        assert code not in text
    assert 'name="nonce"' not in text


def test_answer_link_in_arabic(
        login, smtp, database, intake_referrals, artifacts):
    intake, referrals = intake_referrals
    caseworker = login('sinjar.caseworker')
    # read gives the rows in the referrals' order of listing, not in the
    # order of the ids asked: keep them by id
    rows = {r['id']: r for r in caseworker.model('momd.referral', 'read',
            referrals, ['code', 'consent', 'beneficiary_name'])}
    rows = [rows[i] for i in referrals]
    codes = [r['code'] for r in rows]
    mails = smtp.wait(intake, 2)
    links = {}
    for mail in mails:
        code, = [c for c in codes if c in mail['Subject']]
        links[code] = link_of(mail, code)
        # in the provider's language, nothing but the number and the link
        assert mail['Content-Language'] == 'ar'
        assert mail['Subject'] == message(
            'msg_answer_link_email_subject') % {'referral': code}
        body = mail.get_body(('plain',)).get_content()
        people = caseworker.model('momd.referral', 'read', referrals,
            ['case.beneficiary.rec_name'])
        for person in people:
            name = person['case.']['beneficiary.']['rec_name']
            assert name not in body
        assert re.sub(re.escape(links[code]), '', body).count('http') == 0
    first, second = codes

    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        page.set_default_timeout(TIMEOUT)
        try:
            # the provider opens the link: Arabic, right to left
            response = page.goto(links[first])
            assert response.status == 200
            expect(page.locator('html')).to_have_attribute('dir', 'rtl')
            expect(page.locator('h1')).to_have_text(message(
                    'msg_answer_page_title') % {'referral': first})
            page.get_by_role('button', name=message(
                    'msg_answer_page_accept'), exact=True).click()
            states = dict(caseworker.model('momd.referral', 'fields_get',
                    ['state'], context={'language': 'ar'})['state'][
                    'selection'])
            expect(page.get_by_role('status')).to_have_text(message(
                    'msg_answer_page_done') % {'state': states['accepted']})
            state, = caseworker.model('momd.referral', 'read',
                [referrals[0]], ['state', 'answered_through_link'])
            assert (state['state'], state['answered_through_link']) == (
                'accepted', True)

            # then completes it, with the outcome and a word on it
            complete = page.locator('section#complete')
            outcomes = complete.locator('select[name="outcome"]')
            outcomes.select_option('provided')
            complete.locator('textarea[name="outcome_feedback"]').fill(
                'صدرت البطاقة الوطنية')
            complete.get_by_role('button', name=message(
                    'msg_answer_page_complete'), exact=True).click()
            expect(page.locator('body')).to_contain_text(
                message('msg_answer_page_ended'))
            state, = caseworker.model('momd.referral', 'read',
                [referrals[0]], ['state', 'outcome', 'outcome_feedback'])
            assert (state['state'], state['outcome'],
                state['outcome_feedback']) == (
                'completed', 'provided', 'صدرت البطاقة الوطنية')

            # the link stops working after completion
            assert_dead(page, links[first], 410, codes)

            # the second link: it works until it expires...
            response = page.goto(links[second])
            assert response.status == 200
            expect(page.locator('h1')).to_have_text(message(
                    'msg_answer_page_title') % {'referral': second})
            expire(database, referrals[1], days=-1)
            assert_dead(page, links[second], 410, codes)
            # (given back its time, it works again)
            expire(database, referrals[1], days=10)
            response = page.goto(links[second])
            assert response.status == 200
            # ...or until the consent behind the referral is revoked
            consent = rows[1]['consent']
            caseworker.model('momd.consent', 'write', [consent],
                {'revocation_reason': 'Withdrew her consent'})
            caseworker.model('momd.consent', 'revoke', [consent])
            assert_dead(page, links[second], 410, codes)
            link_state, = caseworker.model('momd.referral.link',
                'search_read', [('referral', '=', referrals[1])], 0, None,
                None, ['state'])
            assert link_state['state'] == 'ended'

            # a forged token
            base, token = links[second].rsplit('/', 1)
            nonce, signature = token.split('.')
            forged = '%s/%s.%s' % (base, nonce, ''.join(sorted(signature)))
            assert forged != links[second]
            assert_dead(page, forged, 404, codes)

            # every open and answer is in the trail, with the recipient
            cursor = database.cursor()
            cursor.execute(
                'SELECT action, operation, recipient, ip_address '
                'FROM momd_access_log WHERE record = %s AND model = %s '
                'AND recipient IS NOT NULL ORDER BY id' % (
                    (_param(database),) * 2),
                (referrals[0], 'momd.referral'))
            trail = cursor.fetchall()
            assert [(a, o) for a, o, _, _ in trail] == [
                ('read', None), ('write', 'accept'), ('write', 'complete'),
                ('denied', 'answer_link')], trail
            assert {(r, ip) for _, _, r, ip in trail} == {
                (intake, '127.0.0.1')}
        except Exception:
            page.screenshot(path=str(artifacts / 'answer-link-failed.png'))
            raise
        finally:
            browser.close()


def expire(database, referral, days):
    """Move the expiry of the referral's link days from now, and make it
    work again if it ended: what no user can do"""
    mark = _param(database)
    cursor = database.cursor()
    cursor.execute(
        'UPDATE momd_referral_link SET state = %s, expiry = %s '
        'WHERE referral = %s' % (mark, mark, mark),
        ('active', dt.datetime.now() + dt.timedelta(days=days), referral))
    database.commit()


def _param(connection):
    "The parameter mark of the database connection"
    return '?' if type(connection).__module__.startswith('sqlite') else '%s'

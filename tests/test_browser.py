"""The web client in real headless Chromium: a caseworker working in Arabic
logs in, gets a right-to-left page and opens the offices, their activities;
records a child's consent given by a parent; a manager opens the
governorate dashboard."""
import re

import pytest

playwright_api = pytest.importorskip('playwright.sync_api')

from webclient import TIMEOUT, label  # noqa: E402


def test_caseworker_arabic_offices(web, artifacts):
    page = web('sinjar.caseworker', 'ar').page

    playwright_api.expect(page.locator('html')).to_have_attribute(
        'dir', 'rtl')
    menu = page.locator('#menu')
    menu.get_by_text('نظام الإحالة', exact=True).click()
    menu.get_by_text('البيانات المرجعية', exact=True).click()
    menu.get_by_text('المكاتب', exact=True).click()

    table = page.locator('.tab-content table').first
    playwright_api.expect(table).to_contain_text('مكتب سنجار')
    playwright_api.expect(table).to_contain_text('Sinjar Office')
    playwright_api.expect(table).to_contain_text('SNJ')
    # the column labels and the client's own labels are Arabic too
    playwright_api.expect(table).to_contain_text(re.compile('الرمز'))
    playwright_api.expect(
        page.locator('.tab-content').get_by_placeholder('بحث')).to_be_visible()
    playwright_api.expect(page.locator('.tab-content')).to_contain_text(
        'عوامل التصفية')
    page.screenshot(path=str(artifacts / 'offices-ar.png'), full_page=True)


IRAQI_MONTHS = [
    'كانون الثاني', 'شباط', 'آذار', 'نيسان', 'أيار', 'حزيران', 'تموز', 'آب',
    'أيلول', 'تشرين الأول', 'تشرين الثاني', 'كانون الأول']
# the names moment's Arabic gives them (Egypt, the Gulf)
OTHER_MONTHS = [
    'يناير', 'فبراير', 'مارس', 'أبريل', 'مايو', 'يونيو', 'يوليو',
    'أغسطس', 'سبتمبر', 'أكتوبر', 'نوفمبر', 'ديسمبر']


def test_caseworker_arabic_activities(web, artifacts):
    "My Activities in Arabic: the list with its counters, and the calendar"
    client = web('sinjar.caseworker', 'ar')
    page = client.page
    menu = page.locator('#menu')
    menu.get_by_text('نظام الإحالة', exact=True).click()
    menu.get_by_text('الأنشطة', exact=True).click()
    menu.get_by_text('أنشطتي', exact=True).click()

    content = page.locator('#tabcontent')
    table = content.locator('table').first
    playwright_api.expect(table).to_contain_text('موعد الاستحقاق')
    # the demo's follow-up calls and reviews, titled in Arabic
    playwright_api.expect(table).to_contain_text(re.compile(
            'الاتصال بالمستفيد|مراجعة الحالة'))
    # the tabs of the list, with the number of open activities
    tabs = content.locator('.tab-domain')
    playwright_api.expect(tabs).to_contain_text('المفتوحة')
    playwright_api.expect(tabs).to_contain_text(re.compile(r'\d'))
    page.screenshot(path=str(artifacts / 'activities-ar.png'), full_page=True)

    # opening one shows it, loaded, in the form
    client.open_row(client.list_rows().first)
    page.wait_for_function(
        '() => [...document.querySelectorAll("#tabcontent input")]'
        '.some(e => /الاتصال بالمستفيد|مراجعة الحالة/.test(e.value))',
        timeout=TIMEOUT)

    # the calendar of the week names the month as Iraq does
    # (the views: list, form, calendar)
    client.toolbar('switch_')
    title = client.tab.locator('.fc-toolbar h2')
    playwright_api.expect(title).to_contain_text(
        re.compile('|'.join(IRAQI_MONTHS)))
    text = title.inner_text()
    assert not [m for m in OTHER_MONTHS if m in text], text
    # the week's first day first, in the reading order
    first = page.evaluate('() => jQuery("#tabcontent .fc")'
        '.fullCalendar("getView").start.format("D")')
    assert text.split()[0] == first, (text, first)
    page.screenshot(path=str(artifacts / 'activities-calendar-ar.png'))


def test_manager_arabic_dashboard(web, artifacts):
    "The governorate dashboard in Arabic: every panel, graphs drawn"
    client = web('manager', 'ar')
    page = client.page
    page.set_viewport_size({'width': 1366, 'height': 2200})
    menu = page.locator('#menu')
    menu.get_by_text('نظام الإحالة', exact=True).click()
    menu.get_by_text('لوحة متابعة المحافظة', exact=True).click()

    panels = page.locator('.board-action')
    playwright_api.expect(panels).to_have_count(8)
    titles = page.locator('.board-action .panel-heading')
    for title in ['الإحالات حسب الشهر', 'الإحالات حسب المكتب',
            'أسباب الرفض', 'الإحالات المتأخرة']:
        playwright_api.expect(titles.filter(has_text=title)).to_have_count(1)
    # the graphs are drawn from the demo's referrals
    playwright_api.expect(
        page.locator('.board-action svg').first).to_be_visible()
    page.wait_for_function(
        '() => document.querySelectorAll(".board-action svg").length >= 5',
        timeout=TIMEOUT)
    # the indicators list has rows, labelled in Arabic
    indicators = panels.filter(has_text='المؤشرات حسب الشهر')
    playwright_api.expect(indicators.locator('table').first).to_contain_text(
        'نسبة القبول')
    playwright_api.expect(
        indicators.locator('tbody tr').first).to_be_visible()
    playwright_api.expect(page.locator('.modal-dialog:visible')).to_have_count(
        0)
    failed = [e for e in client.errors if e.startswith('HTTP')]
    assert not failed, failed
    page.screenshot(path=str(artifacts / 'dashboard-ar.png'), full_page=True)


KURMANJI_PASSWORD = 'Sinjar-Kurmanci-2026!'


def test_kurmanji_caseworker(web, login, artifacts):
    """A caseworker working in Kurmanji reads the web client's own labels
    in Kurmanji too, and its dates in Kurmanji (not in Khmer, whose code
    begins as Kurmanji's)"""
    import polib
    from conftest import ROOT
    admin = login('admin')
    found = admin.model('res.user', 'search', [
            ('login', '=', 'sinjar.kurmanji')], 0, None, None)
    if not found:
        group, = admin.model('res.group', 'search', [
                ('name', '=', 'Caseworker')], 0, None, None)
        office, = admin.model('momd.office', 'search', [
                ('code', '=', 'SNJ')], 0, None, None)
        language, = admin.model('ir.lang', 'search', [
                ('code', '=', 'kmr')], 0, None, None)
        user, = admin.model('res.user', 'create', [{
                    'login': 'sinjar.kurmanji', 'name': 'Nadia Xelef',
                    'password': KURMANJI_PASSWORD, 'language': language,
                    'groups': [('add', [group])],
                    'offices': [('add', [office])]}])
        admin.model('momd.activity', 'create', [{
                    'name': 'Serdana malbatê', 'role': 'caseworker',
                    'user': user, 'office': office}])
    client = web('sinjar.kurmanji', 'kmr', password=KURMANJI_PASSWORD)
    page = client.page
    sao_kmr = {e.msgid: e.msgstr
        for e in polib.pofile(str(ROOT / 'sao' / 'locale' / 'kmr.po'))
        if not e.msgctxt}
    client.open_tab('menu_momd', 'menu_activity', 'menu_activity_mine')
    # the search box of the list, one of sao's own labels
    search = client.tab.get_by_placeholder(sao_kmr['Search'])
    playwright_api.expect(search).to_be_visible()
    assert sao_kmr['Search'] != 'Search'
    assert client.sao_text('Preferences...') == sao_kmr['Preferences...']
    locale, months = page.evaluate(
        '() => [moment.locale(), moment.months()]')
    assert locale == 'ku-kmr', locale
    # the months by the names the server writes (Kanûna Paşîn...)
    core = {e.msgctxt: e.msgstr for e in polib.pofile(str(
                ROOT / 'momd_referral' / 'locale' / 'core' / 'kmr' / 'ir.po'))}
    assert months == [core['model:ir.calendar.month,name:%s' % m]
        for m in ['January', 'February', 'March', 'April', 'May', 'June',
            'July', 'August', 'September', 'October', 'November',
            'December']], months
    page.screenshot(path=str(artifacts / 'activities-kmr.png'))

    # the calendar, which knows no Kurmanji, speaks it too
    client.open_row(client.list_rows().first)
    client.toolbar('switch_')
    toolbar = client.tab.locator('.fc-toolbar')
    playwright_api.expect(toolbar).to_be_visible()
    playwright_api.expect(toolbar.locator('.fc-today-button')).to_have_text(
        sao_kmr['Today'])
    playwright_api.expect(client.tab.locator('.fc-axis').filter(
            has_text=sao_kmr['All day'])).to_have_count(1)
    text = toolbar.inner_text().lower()
    assert not [w for w in ['today', 'month', 'week', 'day'] if w in text], \
        text
    page.screenshot(path=str(artifacts / 'activities-calendar-kmr.png'))


def test_child_consent_given_by_guardian(web, login, artifacts):
    """A child's consent recorded as given by the child is not activated;
    once Given By says a parent or guardian, the guardian's name and
    relationship are asked for at once, and the consent is activated"""
    expect = playwright_api.expect
    rpc = login('mosul.caseworker', language='ar')
    child = next(b for b in rpc.model('momd.beneficiary', 'search_read', [
                ('office.code', '=', 'MSL'), ('relationship', '=', 'child'),
                ], 0, None, [('id', 'ASC')], ['code', 'age', 'rec_name'])
        if b['age'] is not None and 1 <= b['age'] < 18)
    guardian_name = 'مصطفى محمود الجبوري'
    client = web('mosul.caseworker', 'ar')
    client.open_tab('menu_momd', 'menu_beneficiary_form', 'menu_consent_form')
    client.toolbar('new_')
    client.choose('beneficiary', child['code'])
    client.write('purpose', 'الإحالة إلى خدمات التسجيل في المدرسة')
    client.select('information_groups', 'identity', 'needs')
    client.expect_value('given_by', 'beneficiary')
    labels = {name: client.tab.locator('label', has_text=label(
                'field:momd.consent,%s:' % name))
        for name in ['guardian_name', 'guardian_relationship']}
    for name, text in labels.items():
        expect(client.tab.locator('[name="%s"]:visible' % name)
            ).to_have_count(0)
        expect(text).to_be_hidden()

    # Activate: refused, a child's consent is a parent's or guardian's
    client.settle()
    client.tab.locator('button[name="activate"]:visible').click()
    message = client.popup()
    refusal = label('model:ir.message,text:msg_consent_child_guardian') % {
        'beneficiary': child['rec_name'], 'age': child['age']}
    expect(message).to_contain_text(refusal)
    message.locator('.modal-footer button').last.click()
    client.settle()
    client.expect_no_dialog()
    client.expect_value('state', 'draft')
    client.screenshot('consent-child-refused')

    # Given By a parent or guardian: the guardian's fields show at once
    client.select('given_by', 'guardian')
    for name, text in labels.items():
        expect(client.field(name)).to_be_visible()
        expect(text).to_be_visible()
    client.write('guardian_name', guardian_name)
    client.write('guardian_relationship', 'الأب')
    client.screenshot('consent-child-guardian')
    client.press('activate')
    client.expect_value('state', 'active')
    client.expect_no_dialog()
    # and still shown, read-only, once active
    expect(client.field('guardian_name')).to_have_value(guardian_name)
    expect(client.field('guardian_name')).not_to_be_editable()
    expect(client.field('guardian_relationship')).to_have_value('الأب')
    client.screenshot('consent-child-active')

    consent, = rpc.model('momd.consent', 'search_read', [
            ('beneficiary', '=', child['id']), ('state', '=', 'active'),
            ('guardian_name', '=', guardian_name)], 0, None, None,
        ['given_by', 'guardian_relationship'])
    assert (consent['given_by'], consent['guardian_relationship']) == (
        'guardian', 'الأب'), consent

"""The referral path end to end in real headless Chromium.

A caseworker of the Mosul office, working in Arabic, registers a returnee
from abroad with his household, records his consent, opens a case with a
civil documentation need, asks the provider matching who can help and refers
him to the Nineveh Legal Aid Network; the network's focal point, in English,
accepts, starts and completes the service; the caseworker closes the
referral; the Mosul supervisor's office dashboard counts it and the manager
downloads the monthly report of the month.

Every action is a click or key press in sao; JSON-RPC only reads, at the
end, what the screens showed was stored (the user in the browser:
tests/webclient.py).
"""
import datetime as dt
import json
import re

import pytest
from openpyxl import load_workbook

playwright_api = pytest.importorskip('playwright.sync_api')
expect = playwright_api.expect

from demo_providers import FOCAL_POINTS, PROVIDERS  # noqa: E402
from webclient import (  # noqa: E402
    COMPLETION, TIMEOUT, as_typed, digits, has_class, label)

# The focal point who answers: the Nineveh Legal Aid Network serves civil
# documentation in the whole governorate (scripts/demo_providers.py), next
# to the Civil Documentation Unit of Mosul which has no focal point.
FOCAL_POINT = 'provider.legal.network'
ARABIC_NAMES = {en: ar for _, en, ar, _ in PROVIDERS}
PROVIDER_AR = ARABIC_NAMES[FOCAL_POINTS[FOCAL_POINT]]
OTHER_PROVIDER_AR = ARABIC_NAMES["Civil Documentation Unit — Mosul"]

# The returnee: Arabic and Latin names, an estimated age
PERSON = {
    'first_name': 'سلوان', 'father_name': 'كامل',
    'grandfather_name': 'جبار', 'family_name': 'العبيدي',
    'first_name_latin': 'Salwan', 'father_name_latin': 'Kamil',
    'grandfather_name_latin': 'Jabbar', 'family_name_latin': 'Al-Obaidi',
    }
AGE = 41


def office_dashboard_figures(client, month, cells=None):
    """Open the office dashboard and read the month's sent and completed
    referrals from its indicators list (0 when the month has no row);
    cells: a list given the text of every sent and completed cell"""
    client.open_tab('menu_momd', 'menu_dashboard_supervisor')
    panel = client.page.locator('.board-action').filter(
        has_text=label('model:ir.action,name:board_kpi_list'))
    expect(panel).to_have_count(1)
    # the list is there once its rows are (the demo has referrals)
    expect(panel.locator('tbody tr').first).to_be_visible(timeout=TIMEOUT)
    client.settle()
    panel.scroll_into_view_if_needed()
    titles = {
        name: label('field:momd.referral.kpi,%s:' % name)
        for name in ['month', 'sent', 'completed']}
    figures = client.page.evaluate('''([panel, titles, month]) => {
        const columns = {};
        for (const th of panel.querySelectorAll('thead th')) {
            for (const [name, title] of Object.entries(titles)) {
                if (th.textContent.trim() === title) columns[name] = th.id;
            }
        }
        const cell = (row, name) => {
            const td = row.querySelector(
                'td[headers="' + columns[name] + '"]');
            return td ? td.textContent.trim() : null;
        };
        const all = [];
        let found = {sent: '0', completed: '0'};
        for (const row of panel.querySelectorAll('tbody tr')) {
            all.push(cell(row, 'sent'), cell(row, 'completed'));
            if (cell(row, 'month') === month) {
                found = {sent: cell(row, 'sent'),
                    completed: cell(row, 'completed')};
            }
        }
        return {found: found, all: all};
    }''', [panel.element_handle(), titles, month])
    if cells is not None:
        cells.extend(figures['all'])
    return {k: int(digits(v) or 0) for k, v in figures['found'].items()}


def test_returnee_referred_served_and_counted(web, login, artifacts):
    """The whole referral path through the screens, each step checking what
    the screen shows: states, records in lists, no error dialog; the
    supervisor's figures and the manager's report count the referral."""
    month = dt.date.today().strftime('%Y-%m')
    admin = login('administrator')
    threshold, = admin.model('momd.configuration', 'read', [1],
        ['small_cell_threshold'])
    threshold = threshold['small_cell_threshold']
    assert threshold == 5

    # The office dashboard shows no count of 1 to 4 (hidden, empty: the
    # demo's months have some)
    supervisor = web('mosul.supervisor', 'ar')
    cells = []
    office_dashboard_figures(supervisor, month, cells)
    supervisor.close()
    shown = [re.sub(r'\D', '', digits(c or '')) for c in cells]
    assert cells and all(not n or int(n) == 0 or int(n) >= 5
        for n in shown), cells
    assert '' in shown, cells
    # every count shown, to see the referral counted
    admin.model('momd.configuration', 'write', [1],
        {'small_cell_threshold': 1})
    try:
        _referred_served_and_counted(web, login, artifacts, month)
    finally:
        admin.model('momd.configuration', 'write', [1],
            {'small_cell_threshold': threshold})


def _referred_served_and_counted(web, login, artifacts, month):
    # Before: what the office dashboard counts this month
    supervisor = web('mosul.supervisor', 'ar')
    before = office_dashboard_figures(supervisor, month)
    supervisor.expect_no_dialog()
    supervisor.screenshot('0-office-dashboard-before')
    supervisor.close()

    # 1. The caseworker registers the returnee, in Arabic
    caseworker = web('mosul.caseworker', 'ar')
    caseworker.open_tab('menu_momd', 'menu_beneficiary_form')
    caseworker.toolbar('new_')
    # the new person belongs to the caseworker's office
    expect(caseworker.field('office')).to_have_value(
        re.compile('الموصل'), timeout=TIMEOUT)
    for name, value in PERSON.items():
        caseworker.write(name, value)
    caseworker.select('sex', 'male')
    caseworker.write('estimated_age', str(AGE))
    caseworker.expect_value('displacement_status', 'returnee_abroad')
    caseworker.choose('current_location', 'مركز الموصل')
    caseworker.choose('returned_from', 'ألمانيا')

    # a new household, created from the person's form
    household = caseworker.field('household')
    household.fill('أسرة')
    household.locator(COMPLETION).locator('li.action-create').click()
    popup = caseworker.popup()
    expect(caseworker.field('office', popup)).to_have_value(
        re.compile('الموصل'), timeout=TIMEOUT)
    caseworker.write('declared_size', '4', popup)
    caseworker.choose('location', 'مركز الموصل', scope=popup)
    caseworker.write('address', 'حي الزهور، شارع 12، الموصل', popup)
    caseworker.save_popup(popup)
    caseworker.select('relationship', 'head')
    caseworker.toolbar('save')
    code = caseworker.field('code')
    expect(code).to_have_value(re.compile(r'^MSL-BEN-'), timeout=TIMEOUT)
    beneficiary_code = code.input_value()
    caseworker.expect_no_dialog()

    # the person heads the household: opened from the field, head chosen
    household = caseworker.field('household')
    household.locator('xpath=..').locator('.icon-primary button').click()
    popup = caseworker.popup()
    caseworker.choose('head', beneficiary_code, scope=popup)
    caseworker.save_popup(popup)
    expect(caseworker.field('household')).to_have_value(
        re.compile(PERSON['first_name']), timeout=TIMEOUT)
    caseworker.expect_value('relationship', 'head')
    caseworker.expect_no_dialog()
    caseworker.screenshot('1a-beneficiary-registered')

    # consent: identity, contact and needs, for civil documentation
    caseworker.open_tab('menu_momd', 'menu_beneficiary_form',
        'menu_consent_form')
    caseworker.toolbar('new_')
    caseworker.choose('beneficiary', beneficiary_code)
    caseworker.write(
        'purpose', 'الإحالة إلى جهات تقديم خدمات الوثائق المدنية')
    caseworker.select(
        'information_groups', 'identity', 'contact', 'needs')
    categories = caseworker.choose('categories', 'الوثائق المدنية')
    expect(categories.locator(
            'xpath=ancestor::div[%s][1]' % has_class('form-many2many'))
        .locator('tbody tr')).to_have_count(1, timeout=TIMEOUT)
    caseworker.toolbar('save')
    caseworker.expect_value('state', 'draft')
    caseworker.press('activate')
    caseworker.expect_value('state', 'active')
    caseworker.expect_no_dialog()
    caseworker.screenshot('1b-consent-active')

    # the case, with the need assessed
    caseworker.open_tab('menu_momd', 'menu_case_form')
    caseworker.toolbar('new_')
    caseworker.choose('beneficiary', beneficiary_code)
    # the household comes with the person
    expect(caseworker.field('household')).to_have_value(
        re.compile(PERSON['first_name']), timeout=TIMEOUT)
    needs = caseworker.tab.locator('.form-one2many').first
    needs.locator('.form-one2many-toolbar button[title="%s"]'
        % caseworker.sao_text('New')).click()
    popup = caseworker.popup()
    caseworker.choose('category', 'الوثائق المدنية', scope=popup)
    caseworker.write('description', 'فقد البطاقة الوطنية الموحدة وشهادة '
        'الجنسية في الخارج ويحتاج إلى استخراج بدل ضائع', popup)
    caseworker.save_popup(popup)
    expect(needs.locator('tbody tr')).to_have_count(1, timeout=TIMEOUT)
    expect(needs.locator('tbody tr')).to_contain_text('الوثائق المدنية')
    caseworker.toolbar('save')
    code = caseworker.field('code')
    expect(code).to_have_value(re.compile(r'^MSL-CASE-'), timeout=TIMEOUT)
    case_code = code.input_value()
    caseworker.press('activate')
    caseworker.expect_value('state', 'active')
    caseworker.expect_no_dialog()
    caseworker.screenshot('1c-case-active')

    # the need, found in the needs by its case, and the provider matching
    caseworker.open_tab('menu_momd', 'menu_case_form', 'menu_need_form')
    search = caseworker.tab.get_by_placeholder(caseworker.sao_text('Search'))
    search.fill('%s: %s' % (label('field:momd.need,case:'), case_code))
    search.press('Enter')
    caseworker.settle()
    rows = caseworker.tab.locator('table.tree tbody tr')
    expect(rows).to_have_count(1, timeout=TIMEOUT)
    expect(rows).to_contain_text(case_code)
    caseworker.open_row(rows.first)
    expect(caseworker.field('category')).to_have_value(
        'الوثائق المدنية', timeout=TIMEOUT)
    caseworker.toolbar('action')
    caseworker.tab.locator('ul[aria-labelledby="action"]').get_by_text(
        label('model:ir.action,name:wizard_provider_match')).click()
    wizard = caseworker.popup()
    # the wizard starts from the need and the person
    expect(caseworker.field('category', wizard)).to_have_value(
        'الوثائق المدنية', timeout=TIMEOUT)
    expect(caseworker.field('location', wizard)).to_have_value('مركز الموصل')
    caseworker.expect_value('sex', 'male', wizard)
    caseworker.expect_value('displacement_status', 'returnee_abroad', wizard)
    expect(caseworker.field('age', wizard)).to_have_value(as_typed(str(AGE)))
    wizard.locator('.modal-footer button[type="submit"]').click()
    caseworker.settle()
    services = wizard.locator('tbody tr')
    expect(services.filter(has_text=PROVIDER_AR)).to_have_count(
        1, timeout=TIMEOUT)
    expect(services.filter(has_text=OTHER_PROVIDER_AR)).to_have_count(1)
    expect(services.filter(has_text=PROVIDER_AR)).to_contain_text(
        'الوثائق المدنية')
    # each with why it ranks there, in Arabic
    expect(services.filter(has_text=PROVIDER_AR)).to_contain_text(
        'من 100')
    # the network's civil documentation service is picked from the list
    # (its legal aid service is not for this need), with the reason
    service = caseworker.field('service', wizard)
    service.fill(PROVIDER_AR)
    completion = service.locator(COMPLETION).locator('li.completion')
    expect(completion.filter(has_text='%s — الوثائق المدنية' % PROVIDER_AR)
        ).to_have_count(1, timeout=TIMEOUT)
    expect(completion.filter(
        has_text='%s — المساعدة القانونية' % PROVIDER_AR)).to_have_count(0)
    caseworker.choose('service', PROVIDER_AR,
        '%s — الوثائق المدنية' % PROVIDER_AR, scope=wizard)
    caseworker.write('reason', 'عائد من ألمانيا فقد وثائقه المدنية، '
        'يحتاج إلى مساعدة قانونية لاستخراج البطاقة الوطنية الموحدة', wizard)
    caseworker.screenshot('1d-provider-matching')
    # Create Referral: the draft opens in a tab of its own
    tabs = caseworker.page.locator('#tablist > li')
    count = tabs.count()
    wizard.locator('.modal-footer button[type="submit"]').click()
    caseworker.settle()
    caseworker.expect_no_dialog()
    expect(tabs).to_have_count(count + 1, timeout=TIMEOUT)
    caseworker.settle()
    expect(caseworker.field('need')).to_have_value(
        re.compile('الوثائق المدنية'), timeout=TIMEOUT)
    expect(caseworker.field('provider_service')).to_have_value(
        '%s — الوثائق المدنية' % PROVIDER_AR)
    expect(caseworker.field('provider')).to_have_value(PROVIDER_AR)
    expect(caseworker.field('disclosed_groups')).to_have_values(
        [json.dumps(g) for g in ['identity', 'contact', 'needs']])
    code = caseworker.field('code')
    expect(code).to_have_value(re.compile(r'^NIN-REF-'), timeout=TIMEOUT)
    referral_code = code.input_value()
    # and stored so
    expect(caseworker.field('provider')).to_have_value(
        PROVIDER_AR, timeout=TIMEOUT)
    caseworker.expect_value('state', 'draft')
    caseworker.press('send')
    caseworker.expect_value('state', 'sent')
    # the consent recorded above covers the sending
    expect(caseworker.field('consent')).to_have_value(
        re.compile(beneficiary_code), timeout=TIMEOUT)
    caseworker.expect_no_dialog()
    caseworker.screenshot('1e-referral-sent')
    caseworker.close()

    # 2. The provider's focal point answers, in English
    focal_point = web(FOCAL_POINT, 'en')
    focal_point.open_tab('menu_momd', 'menu_referral_inbox')
    rows = focal_point.tab.locator('table.tree tbody tr')
    row = rows.filter(has_text=referral_code)
    expect(row).to_have_count(1, timeout=TIMEOUT)
    expect(row).to_contain_text('Civil Documentation')
    focal_point.expect_no_dialog()
    focal_point.screenshot('2a-provider-inbox')
    focal_point.open_row(row)
    expect(focal_point.field('code')).to_have_value(
        referral_code, timeout=TIMEOUT)
    focal_point.expect_value('state', 'sent')
    # what the consent disclosed of the person
    expect(focal_point.field('beneficiary_name')).to_have_value(
        re.compile(PERSON['first_name']), timeout=TIMEOUT)
    focal_point.press('accept')
    focal_point.expect_value('state', 'accepted')
    focal_point.press('start')
    focal_point.expect_value('state', 'in_progress')
    focal_point.select('outcome', 'provided')
    focal_point.write('outcome_feedback',
        'The national ID card was issued on the first visit.')
    focal_point.press('complete')
    focal_point.expect_value('state', 'completed')
    expect(focal_point.field('steps')).to_have_value(
        re.compile('Completed'), timeout=TIMEOUT)
    focal_point.expect_no_dialog()
    focal_point.screenshot('2b-referral-completed')
    focal_point.close()

    # 3. The caseworker closes the referral, found in those to close
    caseworker = web('mosul.caseworker', 'ar')
    caseworker.open_tab('menu_momd', 'menu_referral_form')
    caseworker.tab.locator('.tab-domain').get_by_text(label(
            'model:ir.action.act_window.domain,name:'
            'act_referral_form_domain_5')).click()
    caseworker.settle()
    row = caseworker.tab.locator('table.tree tbody tr').filter(
        has_text=referral_code)
    expect(row).to_have_count(1, timeout=TIMEOUT)
    caseworker.open_row(row)
    expect(caseworker.field('code')).to_have_value(
        referral_code, timeout=TIMEOUT)
    caseworker.expect_value('state', 'completed')
    caseworker.expect_value('outcome', 'provided')
    caseworker.press('close')
    caseworker.expect_value('state', 'closed')
    caseworker.expect_no_dialog()
    caseworker.screenshot('3-referral-closed')
    caseworker.close()

    # 4. The supervisor's office dashboard counts it
    supervisor = web('mosul.supervisor', 'ar')
    after = office_dashboard_figures(supervisor, month)
    supervisor.expect_no_dialog()
    supervisor.screenshot('4-office-dashboard-after')
    supervisor.close()
    assert after == {
        'sent': before['sent'] + 1,
        'completed': before['completed'] + 1}, (before, after)

    # 5. The manager downloads the monthly report of the month
    manager = web('manager', 'ar')
    manager.open_menu('menu_momd', 'menu_statistics', 'menu_monthly_report')
    wizard = manager.popup()
    date_format = manager.page.evaluate('Sao.i18n.locale.date')
    manager.write('month', dt.date.today().replace(day=1).strftime(
            date_format), wizard)
    manager.screenshot('5-monthly-report')
    with manager.page.expect_download(timeout=TIMEOUT) as download:
        wizard.locator('.modal-footer button[type="submit"]').click()
    download = download.value
    assert download.failure() is None
    assert download.suggested_filename.endswith('%s.xlsx' % month), (
        download.suggested_filename)
    report = artifacts / 'e2e-5-monthly-report.xlsx'
    download.save_as(report)
    # sao's download dialog closes once the file is taken: no error after
    manager.expect_no_dialog()
    manager.close()

    book = load_workbook(report, read_only=True)
    assert len(book.worksheets) == 7
    by_office = list(book.worksheets[0].iter_rows(values_only=True))
    assert month in by_office[1][0], by_office[1]
    assert any(row[0] == 'مكتب الموصل' for row in by_office), by_office

    # What the screens showed is what was stored
    rpc = login('mosul.caseworker', language='ar')
    beneficiary, = rpc.model('momd.beneficiary', 'search_read',
        [('code', '=', beneficiary_code)], 0, None, None,
        ['household', 'relationship', 'displacement_status', 'estimated_age',
            'sex'] + list(PERSON))
    assert {k: beneficiary[k] for k in PERSON} == PERSON
    assert (beneficiary['sex'], beneficiary['estimated_age'],
        beneficiary['displacement_status'], beneficiary['relationship']) == (
        'male', AGE, 'returnee_abroad', 'head')
    household, = rpc.model('momd.household', 'read',
        [beneficiary['household']], ['head', 'declared_size'])
    assert (household['head'], household['declared_size']) == (
        beneficiary['id'], 4)
    consent, = rpc.model('momd.consent', 'search_read',
        [('beneficiary', '=', beneficiary['id'])], 0, None, None,
        ['state', 'information_groups'])
    assert consent['state'] == 'active'
    assert set(consent['information_groups']) == {
        'identity', 'contact', 'needs'}
    referral, = rpc.model('momd.referral', 'search_read',
        [('code', '=', referral_code)], 0, None, None,
        ['state', 'outcome', 'provider.name_en', 'need.status',
            'case.code', 'consent'])
    assert referral['state'] == 'closed'
    assert referral['outcome'] == 'provided'
    assert referral['provider.']['name_en'] == FOCAL_POINTS[FOCAL_POINT]
    assert referral['need.']['status'] == 'met'
    assert referral['case.']['code'] == case_code
    assert referral['consent'] == consent['id']

"""The web client in real headless Chromium: a caseworker working in Arabic
logs in, gets a right-to-left page and opens the offices, their activities;
a manager opens the governorate dashboard."""
import os
import re

import pytest

playwright_api = pytest.importorskip('playwright.sync_api')

from webclient import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


@pytest.fixture(scope='module')
def browser():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request, artifacts):
    context = browser.new_context(
        viewport={'width': 1366, 'height': 800}, locale='ar')
    page = context.new_page()
    page.set_default_timeout(30000)
    yield page
    if getattr(request.node, 'failed', False):
        page.screenshot(path=str(
                artifacts / ('%s-failed.png' % request.node.name)))
    context.close()


def sao_login(page, server, db, login, password):
    "Log in through sao's two steps: user name, then password"
    page.goto('%s/#%s' % (server, db))
    dialog = page.locator('.login-dialog')
    # sao fills the database from the address once it has listed them
    playwright_api.expect(
        dialog.locator('[name="database"]:visible')).to_have_value(db)
    dialog.locator('#login').fill(login)
    dialog.locator('button[type="submit"]').click()
    password_input = page.locator('input[type="password"]:visible')
    password_input.fill(password)
    password_input.press('Enter')
    # the menu is there once logged in
    page.locator('#menu').wait_for()


def test_caseworker_arabic_offices(page, server, artifacts):
    from conftest import DB
    sao_login(page, server, DB, 'sinjar.caseworker', os.environ.get(
            'MOMD_DEMO_PASSWORD', 'demo'))

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


def test_caseworker_arabic_activities(page, server, artifacts):
    "My Activities in Arabic: the list with its counters, and the calendar"
    from conftest import DB
    sao_login(page, server, DB, 'sinjar.caseworker', os.environ.get(
            'MOMD_DEMO_PASSWORD', 'demo'))
    menu = page.locator('#menu')
    menu.get_by_text('نظام الإحالة', exact=True).click()
    menu.get_by_text('الأنشطة', exact=True).click()
    menu.get_by_text('أنشطتي', exact=True).click()

    content = page.locator('#tabcontent')
    table = content.locator('table').first
    playwright_api.expect(table).to_contain_text('موعد الاستحقاق')
    # the demo's follow-up calls and reviews, titled in Arabic
    playwright_api.expect(table).to_contain_text(re.compile(
            'الاتصال بالمستفيد|مراجعة الحالة'), timeout=20000)
    # the tabs of the list, with the number of open activities
    tabs = content.locator('.tab-domain')
    playwright_api.expect(tabs).to_contain_text('المفتوحة')
    playwright_api.expect(tabs).to_contain_text(
        re.compile(r'\d'), timeout=20000)
    page.screenshot(path=str(artifacts / 'activities-ar.png'), full_page=True)

    # opening one shows it, loaded, in the form
    table.locator('tbody tr').first.dblclick()
    page.wait_for_function(
        '() => [...document.querySelectorAll("#tabcontent input")]'
        '.some(e => /الاتصال بالمستفيد|مراجعة الحالة/.test(e.value))',
        timeout=20000)


def test_manager_arabic_dashboard(page, server, artifacts):
    "The governorate dashboard in Arabic: every panel, graphs drawn"
    from conftest import DB
    page.set_viewport_size({'width': 1366, 'height': 2200})
    sao_login(page, server, DB, 'manager', os.environ.get(
            'MOMD_DEMO_PASSWORD', 'demo'))
    errors = []
    page.on('response', lambda r: errors.append(r.url)
        if r.status >= 500 else None)
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
        page.locator('.board-action svg').first).to_be_visible(
        timeout=30000)
    page.wait_for_function(
        '() => document.querySelectorAll(".board-action svg").length >= 5',
        timeout=30000)
    # the indicators list has rows, labelled in Arabic
    indicators = panels.filter(has_text='المؤشرات حسب الشهر')
    playwright_api.expect(indicators.locator('table').first).to_contain_text(
        'نسبة القبول')
    playwright_api.expect(
        indicators.locator('tbody tr').first).to_be_visible(timeout=30000)
    playwright_api.expect(page.locator('.modal-dialog:visible')).to_have_count(
        0)
    assert not errors, errors
    page.screenshot(path=str(artifacts / 'dashboard-ar.png'), full_page=True)

"""In real headless Chromium: a caseworker records in Arabic the answer a
provider gave on the phone, and the referral shows it was recorded by
ministry staff; the provider's focal point finds it in the intake queue."""
from playwright.sync_api import expect

# a referral from Sinjar, sent to a provider (created over JSON-RPC)
from test_referral_rpc import focal_points, sent_referral  # noqa: F401
from webclient import TIMEOUT, label


def test_answer_recorded_in_arabic(web, login, focal_points,  # noqa: F811
        sent_referral):  # noqa: F811
    code, = [r['code'] for r in login('sinjar.caseworker').model(
            'momd.referral', 'read', [sent_referral], ['code'])]
    caseworker = web('sinjar.caseworker', 'ar')
    caseworker.open_tab('menu_momd', 'menu_referral_form')
    # among those waiting for the provider
    caseworker.tab.locator('.tab-domain').get_by_text(label(
            'model:ir.action.act_window.domain,name:'
            'act_referral_form_domain_3')).click()
    caseworker.settle()
    search = caseworker.tab.get_by_placeholder(caseworker.sao_text('Search'))
    search.fill(code)
    search.press('Enter')
    rows = caseworker.list_rows()
    expect(rows).to_have_count(1, timeout=TIMEOUT)
    caseworker.open_row(rows.first)
    caseworker.expect_value('state', 'sent')

    # the provider said on the phone that it accepts
    caseworker.settle()
    caseworker.tab.locator('button[name="record_answer"]:visible').click()
    popup = caseworker.popup()
    caseworker.expect_value('step', 'accept', popup)
    caseworker.select('channel', 'phone', scope=popup)
    caseworker.write('contact_name', 'هناء صالح', popup)
    caseworker.write('contact_role', 'مسؤولة الاستقبال', popup)
    caseworker.screenshot('onbehalf-1-record-answer')
    popup.locator('.modal-footer button', has_text=label(
            'wizard_button:momd.referral.answer.record,start,save:')).click()
    caseworker.settle()
    caseworker.expect_no_dialog()

    # the referral moved, marked as recorded by ministry staff
    caseworker.expect_value('state', 'accepted')
    expect(caseworker.field('answered_by_staff')).to_be_checked(
        timeout=TIMEOUT)
    # the tab "Answer and Outcome" lists who said it and how (the list
    # shows its rows once scrolled to)
    caseworker.tab.get_by_role('tab', name='الرد والنتيجة').click()
    caseworker.settle()
    answers = caseworker.tab.locator('.form-one2many').filter(
        has_text=label('field:momd.referral,answers:')).last
    answers.scroll_into_view_if_needed()
    caseworker.settle()
    expect(answers).to_contain_text('هناء صالح', timeout=TIMEOUT)
    # through: "Recorded by Ministry Staff"
    expect(answers).to_contain_text('سجّله موظفو الوزارة')
    caseworker.screenshot('onbehalf-2-recorded-by-staff')
    caseworker.expect_no_dialog()

    caseworker.close()

    # the provider's focal point: in its intake queue, with who took it
    focal = web(focal_points[0], 'en', password='Focal-point-2026!')
    focal.open_tab('menu_momd', 'menu_referral_queue')
    focal.tab.locator('.tab-domain').get_by_text(label(
            'model:ir.action.act_window.domain,name:'
            'act_referral_queue_domain_3', 'en')).click()
    focal.settle()
    row = focal.list_rows().filter(has_text=code)
    expect(row).to_have_count(1, timeout=TIMEOUT)
    focal.open_row(row)
    focal.press('take')
    expect(focal.field('taken_by')).to_have_value(
        focal_points[0], timeout=TIMEOUT)
    focal.screenshot('onbehalf-3-taken')
    focal.expect_no_dialog()

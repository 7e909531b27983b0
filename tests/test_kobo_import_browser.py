"""KoboToolbox import in the web client: the Sinjar caseworker, working in
Arabic, uploads an export with Arabic headers and presses Import; while the
import runs its progress moves (read as it is committed, by another session
of the same caseworker); at its end the form shows the full progress bar and
the counts."""
import time

import pytest

playwright_api = pytest.importorskip('playwright.sync_api')

from webclient import TIMEOUT  # noqa: E402

ROWS = 300


def test_kobo_import_progress(web, login, tmp_path):
    from momd_referral.tests.kobo_import_tests import (
        kobo_xlsx, submissions)
    rows = submissions(ROWS, bad={5, 50, 150})
    for index, row in enumerate(rows):
        row['_uuid'] = 'browser-%05d' % index
    path = tmp_path / 'kobo-sinjar.xlsx'
    path.write_bytes(kobo_xlsx(rows))

    client = web('sinjar.caseworker', 'ar')
    client.open_tab('menu_momd', 'menu_kobo_import_form')
    client.toolbar('new_')
    client.tab.locator('input[type="file"]').first.set_input_files(str(path))
    client.settle()
    playwright_api.expect(client.field('file_name')).to_have_value(
        'kobo-sinjar.xlsx')
    client.toolbar('save')

    session = login('sinjar.caseworker')
    batch, = session.model('momd.kobo.import', 'search', [
            ('file_name', '=', 'kobo-sinjar.xlsx')], 0, None, None)
    client.settle()
    client.tab.locator('button[name="run"]:visible').click()
    seen = []
    deadline = time.monotonic() + TIMEOUT / 1000 * 5
    while time.monotonic() < deadline:
        record, = session.model('momd.kobo.import', 'read', [batch],
            ['state', 'progress', 'rows_done'])
        seen.append((record['state'], record['progress']))
        if record['state'] in {'done', 'failed'}:
            break
        time.sleep(0.2)
    assert seen[-1][0] == 'done', seen
    running = {p for s, p in seen if s == 'running'}
    assert any(0 < p < 1 for p in running), seen
    client.settle()
    client.expect_no_dialog()

    # the form shows the record as the import left it
    bar = client.tab.locator('.progress-bar').first
    playwright_api.expect(bar).to_have_attribute('aria-valuenow', '100')
    playwright_api.expect(client.field('state')).to_have_value('"done"')
    record, = session.model('momd.kobo.import', 'read', [batch],
        ['created', 'errors', 'held', 'rows_total'])
    assert record['rows_total'] == ROWS
    assert record['errors'] == 3
    assert record['created'] + record['held'] == ROWS - 3
    for name in ['created', 'errors', 'held']:
        playwright_api.expect(client.field(name)).to_have_value(
            str(record[name]))
    rows_list = client.tab.locator('.treeview tbody tr:visible')
    playwright_api.expect(rows_list.first).to_be_visible()

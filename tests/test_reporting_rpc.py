"""Reporting over JSON-RPC on the real server: each role's statistics,
spreadsheet exports through the wizard as the client runs it, the monthly
report, the referral form PDF, and the refusals (a month in the future, a
model the user may not read, a provider's export of personal data)."""
import base64
import datetime as dt
import io
import subprocess
import tempfile

import openpyxl
import pytest

from momd_client import RPCError


def _content(value):
    "Bytes as JSON-RPC sends them"
    if isinstance(value, dict) and value.get('__class__') == 'bytes':
        return base64.b64decode(value['base64'])
    return value.encode() if isinstance(value, str) else value


def _sheets(content):
    book = openpyxl.load_workbook(io.BytesIO(content))
    return {sheet.title: [list(r) for r in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets}


def _offices(session):
    return {o['id']: o['code'] for o in session.model(
            'momd.office', 'search_read', [], 0, None, None, ['code'])}


def _last_month():
    return (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(
        day=1)


def test_statistics_by_role(login):
    "A Sinjar supervisor counts Sinjar only; the manager every office"
    manager = login('manager')
    codes = _offices(manager)
    everywhere = manager.model('momd.referral.kpi', 'search_read', [],
        0, None, None, ['office', 'sent'], context={'kpi_by': 'office'})
    assert len({r['office'] for r in everywhere}) > 1
    supervisor = login('sinjar.supervisor')
    for model, context in [
            ('momd.referral.kpi', {'kpi_by': 'office'}),
            ('momd.referral.statistic', {}),
            ('momd.beneficiary.statistic', {}),
            ('momd.outreach.statistic', {})]:
        rows = supervisor.model(model, 'search_read', [], 0, None, None,
            ['office'], context=context)
        assert rows, model
        assert {codes[r['office']] for r in rows} == {'SNJ'}, model
    sinjar = [r for r in everywhere if codes[r['office']] == 'SNJ']
    assert supervisor.model('momd.referral.kpi', 'search_read', [],
        0, None, None, ['office', 'sent'],
        context={'kpi_by': 'office'}) == sinjar


def _export(session, model, start, ids=()):
    "Run Export to Spreadsheet as the client does; the file's content"
    context = {'active_model': model, 'active_ids': list(ids),
        'active_id': ids[0] if ids else None}
    session_id, _, _ = session.call(
        'wizard.momd.export.create', {'language': session.language})
    view = session.call('wizard.momd.export.execute', session_id, {},
        'start', {**context, 'language': session.language})
    values = {**view['view']['defaults'], **start}
    result = session.call('wizard.momd.export.execute', session_id,
        {'start': values}, 'export', {**context, 'language': session.language})
    (action, data), = result['actions']
    ext, content, _, name = session.call(
        'report.%s.execute' % action['report_name'], data['ids'] or [], data,
        {**context, 'language': session.language})
    session.call('wizard.momd.export.delete', session_id,
        {'language': session.language})
    return ext, _content(content), name


def test_export_wizard(login):
    "Statistics export as XLSX, in the user's scope, small counts hidden"
    supervisor = login('sinjar.supervisor', language='en')
    ext, content, _ = _export(supervisor, 'momd.beneficiary.statistic',
        {'format': 'xlsx', 'records': 'all'})
    assert ext == 'xlsx'
    sheet, = _sheets(content).values()
    header, rows = sheet[0], sheet[1:]
    office, registered = header.index('Office'), header.index('Registered')
    assert rows
    assert len({r[office] for r in rows}) == 1
    assert 'Sinjar' in rows[0][office]
    for row in rows:
        assert row[registered] == '<5' or row[registered] >= 5, row

    ext, content, _ = _export(supervisor, 'momd.beneficiary.statistic',
        {'format': 'csv', 'records': 'all'})
    assert ext == 'csv' and content.startswith(b'\xef\xbb\xbf')
    assert len(content.decode('utf-8-sig').strip().splitlines()) == (
        len(rows) + 1)


def test_export_refusals(login):
    "A provider exports no personal data and no registry"
    focal = login('provider.legal.network')
    referrals = focal.model('momd.referral', 'search', [], 0, 5, None)
    assert referrals
    ext, content, _ = _export(focal, 'momd.referral',
        {'format': 'csv', 'records': 'selected'}, ids=referrals)
    assert len(content.decode('utf-8-sig').strip().splitlines()) == 6
    for model, columns, message in [
            ('momd.referral', ['code', 'beneficiary_name'], '"Name"'),
            ('momd.beneficiary', ['full_name'], 'Beneficiary'),
            ('momd.beneficiary.statistic', ['registered'], 'Statistics'),
            ]:
        with pytest.raises(RPCError) as error:
            focal.call('report.momd.spreadsheet.execute', [], {
                    'model': model, 'ids': None, 'columns': columns,
                    'format': 'csv', 'name': 'x'}, {'language': 'en'})
        assert error.value.kind == 'UserError', model
        assert message in error.value.message, error.value.message


def test_monthly_report(login):
    "The manager's monthly report; a month in the future is refused"
    manager = login('manager', language='ar')
    month = _last_month()
    session_id, _, _ = manager.call(
        'wizard.momd.monthly.report.create', {'language': 'ar'})
    result = manager.call('wizard.momd.monthly.report.execute', session_id,
        {'start': {'month': {'__class__': 'date', 'year': month.year,
                    'month': month.month, 'day': 1}, 'office': None}},
        'print_', {'language': 'ar'})
    (action, data), = result['actions']
    ext, content, _, name = manager.call(
        'report.momd.monthly.report.file.execute', [], data,
        {'language': 'ar'})
    assert ext == 'xlsx' and month.strftime('%Y-%m') in name
    book = openpyxl.load_workbook(io.BytesIO(_content(content)))
    assert len(book.worksheets) == 7
    assert all(s.sheet_view.rightToLeft for s in book.worksheets)
    assert 'المؤشرات حسب المكتب' in book.sheetnames

    future = (dt.date.today().replace(day=1) + dt.timedelta(days=32)
        ).replace(day=1)
    with pytest.raises(RPCError) as error:
        manager.call('report.momd.monthly.report.file.execute', [],
            {'month': future.isoformat(), 'office': None},
            {'language': 'ar'})
    assert error.value.kind == 'UserError'
    assert future.isoformat() in error.value.message
    assert 'المستقبل' in error.value.message

    caseworker = login('sinjar.caseworker')
    with pytest.raises(RPCError) as error:
        caseworker.call('report.momd.monthly.report.file.execute', [],
            {'month': month.isoformat(), 'office': None}, {'language': 'ar'})
    assert error.value.kind == 'UserError'


def test_referral_form_pdf(login):
    "The focal point prints the form of a referral they received"
    focal = login('provider.legal.network')
    referral, = focal.model('momd.referral', 'search_read', [
            ('state', 'in', ['sent', 'accepted', 'in_progress'])],
        0, 1, None, ['code'])
    ext, content, _, _ = focal.call('report.momd.referral.form.execute',
        [referral['id']], {'model': 'momd.referral', 'id': referral['id'],
            'ids': [referral['id']]}, {'language': 'en'})
    content = _content(content)
    assert ext == 'pdf' and content.startswith(b'%PDF')
    with tempfile.NamedTemporaryFile(suffix='.pdf') as pdf:
        pdf.write(content)
        pdf.flush()
        text = subprocess.run(['pdftotext', '-layout', pdf.name, '-'],
            check=True, stdout=subprocess.PIPE, text=True).stdout
    assert referral['code'] in text
    assert 'Nineveh Legal Aid Network' in text

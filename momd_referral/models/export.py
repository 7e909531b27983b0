"""Spreadsheets for managers: lists and statistics exported as Excel or CSV
files under the user's access, and the monthly report."""
import csv
import datetime as dt
import io
import json
import re

from lxml import etree
from openpyxl import Workbook
from openpyxl.styles import Font
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.report import Report
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateReport, StateView, Wizard

from .sensitivity import check_export_permission, exportable
from .statistics import CONTEXT_KEYS

FORMATS = [
    ('xlsx', "Excel (XLSX)"),
    ('csv', "CSV"),
    ]
SHEET_TITLE = re.compile(r'[\[\]:*?/\\]')


def right_to_left():
    "Whether the user reads from right to left"
    Lang = Pool().get('ir.lang')
    code = Transaction().language
    return Lang.get(code).direction == 'rtl' if code else False


def xlsx(sheets):
    """The XLSX file of sheets: (title, heading lines, rows), the first row
    of rows being the column names"""
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    rtl = right_to_left()
    for title, heading, rows in sheets:
        sheet = book.create_sheet(SHEET_TITLE.sub(' ', title)[:31])
        sheet.sheet_view.rightToLeft = rtl
        for number, line in enumerate(heading, 1):
            sheet.append([line])
            sheet.cell(number, 1).font = bold
        first = len(heading) + 2 if heading else 1
        if heading:
            sheet.append([])
        widths = {}
        for row in rows:
            sheet.append([_cell(v) for v in row])
            for i, value in enumerate(row):
                widths[i] = max(widths.get(i, 0), len(str(value or '')))
        for cell in sheet[first] if rows else ():
            cell.font = bold
        sheet.freeze_panes = sheet.cell(first + 1, 1)
        for i, width in widths.items():
            letter = sheet.cell(1, i + 1).column_letter
            sheet.column_dimensions[letter].width = min(max(width, 6), 50) + 2
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def _cell(value):
    if isinstance(value, dt.datetime) and value.tzinfo:
        return value.replace(tzinfo=None)
    if isinstance(value, (list, tuple)):
        return ', '.join(map(str, value))
    return value


def csv_file(rows):
    "A CSV file Excel opens in UTF-8, Arabic included"
    data = io.StringIO()
    writer = csv.writer(data)
    for row in rows:
        writer.writerow(['' if v is None else v for v in row])
    return data.getvalue().encode('utf-8-sig')


def export(Model, records, columns):
    """The rows of records for columns, under the user's access, headed by
    the columns' labels (a selection by its label, named as the field)"""
    rows = Model.export_data(records, columns)
    header = Model._convert_field_names(
        [c.replace('.translated', '').split('/') for c in columns])
    return [header] + rows


def check_report_access(report, model, ids):
    "Refuse the report to a user outside its groups or not reading model"
    ActionReport = Pool().get('ir.action.report')
    with without_check_access():
        action, = ActionReport.search([('report_name', '=', report.__name__)])
    report.check_access(action, model, ids)


def list_fields(Model):
    "The columns of the model's list, selections by their labels"
    view = Model.fields_view_get(view_type='tree')
    names = []
    for node in etree.fromstring(view['arch']).iter('field'):
        name = node.get('name')
        field = Model._fields.get(name)
        if not field or name in names:
            continue
        if field._type in {'selection', 'multiselection'}:
            name += '.translated'
        names.append(name)
    names = Model.export_columns(names) if hasattr(
        Model, 'export_columns') else names
    # without the columns of a class the user may not export
    return exportable(Model, names)


class SavedExport(metaclass=PoolMeta):
    "Saved exports named in each language, as the donor tables are"
    __name__ = 'ir.export'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.name.translate = True


class ExportStart(ModelView):
    "Export to a spreadsheet"
    __name__ = 'momd.export.start'
    __string__ = "Export to Spreadsheet"

    model = fields.Char("Model", readonly=True)
    columns = fields.Selection(
        'get_columns', "Columns",
        help="The columns of the list, or a saved export of them.")
    format = fields.Selection(FORMATS, "Format", required=True)
    records = fields.Selection([
            ('selected', "Selected Records"),
            ('all', "All Records"),
            ], "Records", required=True,
        help="All: every record you may see, in the period and place "
        "chosen above the list.")

    @fields.depends('model')
    def get_columns(self):
        pool = Pool()
        Export = pool.get('ir.export')
        columns = [('', gettext('momd_referral.msg_export_list_columns'))]
        if self.model:
            columns += [(str(e['id']), e['name'])
                for e in Export.get(self.model, ['name'])]
        return columns


class Export(Wizard):
    "Export to a spreadsheet"
    __name__ = 'momd.export'

    start = StateView('momd.export.start',
        'momd_referral.export_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Export", 'export', 'tryton-save', default=True),
            ])
    export = StateReport('momd.spreadsheet')

    def default_start(self, fields):
        return {
            'model': self.model.__name__,
            'columns': '',
            'format': 'xlsx',
            'records': 'selected' if len(self.records) > 1 else 'all',
            }

    def do_export(self, action):
        pool = Pool()
        ExportModel = pool.get('ir.export')
        if self.start.columns:
            export, = ExportModel.browse([int(self.start.columns)])
            columns = [line.name for line in export.export_fields]
            name = export.name
        else:
            columns = list_fields(self.model)
            name = self.model.__names__()['model']
        ids = (list(map(int, self.records))
            if self.start.records == 'selected' else None)
        return action, {
            'model': self.model.__name__,
            'ids': ids,
            'columns': columns,
            'format': self.start.format,
            'name': name,
            }


class Spreadsheet(Report):
    "A list exported under the user's access"
    __name__ = 'momd.spreadsheet'

    @classmethod
    def execute(cls, ids, data):
        Model = Pool().get(data['model'])
        records = (Model.browse(data['ids']) if data.get('ids') is not None
            else None)
        # said before the report's groups, which say less
        check_export_permission()
        check_report_access(cls, Model.__name__,
            list(map(int, records)) if records else [])
        filters = None
        if records is None:
            # every record the user may see, in the period and place chosen
            # above the list (its context): the trail keeps both
            records = Model.search([])
            filters = json.dumps({'domain': [], 'context': {
                        k: v for k, v in Transaction().context.items()
                        if k in Model._fields or k in CONTEXT_KEYS}},
                ensure_ascii=False, default=str)
        with Transaction().set_context(_momd_export_filters=filters):
            rows = export(Model, records, data['columns'])
        if data.get('format') == 'csv':
            return 'csv', csv_file(rows), False, data['name']
        return 'xlsx', xlsx([(data['name'], [], rows)]), False, data['name']


class MonthlyReportStart(ModelView):
    "Monthly referral report"
    __name__ = 'momd.monthly.report.start'
    __string__ = "Monthly Report"

    month = fields.Date(
        "Month", required=True,
        help="Any day of the month to report on.")
    office = fields.Many2One(
        'momd.office', "Office",
        help="Empty for every office you may see: the governorate.")

    @classmethod
    def default_month(cls):
        today = Pool().get('ir.date').today()
        return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


class MonthlyReport(Wizard):
    "Monthly referral report"
    __name__ = 'momd.monthly.report'

    start = StateView('momd.monthly.report.start',
        'momd_referral.monthly_report_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Print", 'print_', 'tryton-print', default=True),
            ])
    print_ = StateReport('momd.monthly.report.file')

    def do_print_(self, action):
        return action, {
            'month': self.start.month.replace(day=1).isoformat(),
            'office': self.start.office.id if self.start.office else None,
            }


class MonthlyReportFile(Report):
    "The monthly report: indicators, reasons, people, outreach"
    __name__ = 'momd.monthly.report.file'

    # (sheet title message, model, context, columns)
    SHEETS = [
        ('msg_monthly_by_office', 'momd.referral.kpi', {'kpi_by': 'office'},
            ['office', 'sent', 'accepted', 'declined', 'completed',
                'completed_in_time', 'overdue', 'acceptance_rate',
                'in_time_rate', 'acknowledgement_median',
                'acknowledgement_p90', 'completion_median', 'completion_p90']),
        ('msg_monthly_by_category', 'momd.referral.kpi',
            {'kpi_by': 'category'},
            ['category', 'sent', 'accepted', 'declined', 'completed',
                'completed_in_time', 'acceptance_rate', 'in_time_rate',
                'acknowledgement_median', 'completion_median']),
        ('msg_monthly_by_provider', 'momd.referral.kpi',
            {'kpi_by': 'provider,provider_type'},
            ['provider', 'provider_type.translated', 'sent', 'accepted',
                'declined', 'completed', 'overdue', 'open', 'acceptance_rate',
                'acknowledgement_median', 'completion_median']),
        ('msg_monthly_decline_reasons', 'momd.referral.statistic', {},
            ['office', 'category', 'provider', 'decline_reason.translated',
                'referrals']),
        ('msg_monthly_beneficiaries', 'momd.beneficiary.statistic', {},
            ['office', 'district', 'displacement_status.translated',
                'sex.translated', 'age_group.translated', 'registered',
                'referred', 'reached']),
        ('msg_monthly_outreach', 'momd.outreach.statistic', {},
            ['office', 'district', 'kind.translated', 'events',
                'female_0_5', 'male_0_5', 'female_6_17', 'male_6_17',
                'female_18_59', 'male_18_59', 'female_60', 'male_60',
                'people', 'beneficiaries', 'needs']),
        ]

    @classmethod
    def execute(cls, ids, data):
        pool = Pool()
        Office = pool.get('momd.office')
        check_report_access(cls, None, [])
        # a month in the future is refused by the statistics' period
        first = dt.date.fromisoformat(data['month']).replace(day=1)
        last = ((first + dt.timedelta(days=32)).replace(day=1)
            - dt.timedelta(days=1))
        office = Office(data['office']) if data.get('office') else None
        if office:
            # the office must be one the user may read
            Office.read([office.id], ['rec_name'])
        place = office.rec_name if office else gettext(
            'momd_referral.msg_monthly_all_offices')
        month = first.strftime('%Y-%m')
        heading = [
            gettext('momd_referral.msg_monthly_title'),
            gettext('momd_referral.msg_monthly_period',
                month=month, place=place),
            gettext('momd_referral.msg_monthly_confidential'),
            ]
        sheets = []
        for title, model, context, columns in cls.SHEETS:
            Model = pool.get(model)
            with Transaction().set_context(
                    from_date=first, to_date=last,
                    office=office.id if office else None, **context):
                domain = ([('state', '=', 'declined')]
                    if title == 'msg_monthly_decline_reasons' else [])
                rows = export(Model, Model.search(domain), columns)
            sheets.append((gettext('momd_referral.' + title), heading, rows))
        name = '%s-%s' % (gettext('momd_referral.msg_monthly_file'), month)
        return 'xlsx', xlsx(sheets), False, name

"""Erasure, subject access and retention: a person's data anonymised in the
records and their history, everything held about a person in one file, and
the people whose cases closed longer ago than the retention period."""
import datetime as dt

from dateutil.relativedelta import relativedelta
from sql import Column, Literal, Null
from sql.aggregate import Max, Sum
from sql.conditionals import Case as When

from trytond.filestore import filestore
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, Id
from trytond.report import Report
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from ..exceptions import ErasureError
from .export import check_report_access, export, list_fields, xlsx
from .mixins import notify
from .rule import is_admin, user_roles

# What stands in for a required name once erased
ERASED = '***'

# For each model holding something of the person: the column that leads to
# the person (their beneficiary, or one of their cases) and the personal
# columns, emptied in the records and in their history (a required text
# becomes ERASED)
SCRUB = [
    ('momd.beneficiary', 'id', [
            'first_name', 'father_name', 'grandfather_name', 'family_name',
            'first_name_latin', 'father_name_latin',
            'grandfather_name_latin', 'family_name_latin', 'name_key',
            'match_key', 'duplicate_reason', 'birth_date', 'estimated_age', 'estimated_age_date', 'notes',
            'household', 'relationship', 'email']),
    # a decision on possible duplicates may say why, of either side
    ('momd.beneficiary.duplicate', 'beneficiary', ['reason']),
    ('momd.beneficiary.duplicate', 'match', ['reason']),
    ('momd.consent', 'beneficiary', [
            'guardian_name', 'guardian_relationship', 'purpose',
            'revocation_reason']),
    ('momd.case', 'beneficiary', [
            'summary', 'closure_reason', 'reopen_reason']),
    ('momd.need', 'case', ['description']),
    ('momd.referral', 'case', [
            'reason', 'exception_reason', 'override_reason', 'decline_note',
            'outcome_feedback', 'provider_note', 'follow_up',
            'cancel_reason']),
    ]
# Lines that are nothing but personal data: removed with their history
REMOVE = [
    ('momd.beneficiary.identifier', 'beneficiary'),
    ('momd.beneficiary.phone', 'beneficiary'),
    ('momd.outbox.message', 'beneficiary'),
    ]

RETENTION_ACTIONS = [
    ('list', "List Them"),
    ('anonymise', "Anonymise Them"),
    ]


def _tables(Model):
    "The table of Model and, if it keeps one, its history table"
    tables = [Model.__table__()]
    if Model._history:
        tables.append(Model.__table_history__())
    return tables


def _ids_where(table, column, ids):
    return fields.SQL_OPERATORS['in'](getattr(table, column), list(ids))


class Configuration(metaclass=PoolMeta):
    __name__ = 'momd.configuration'

    retention_months = fields.Integer(
        "Keep Closed Cases For (months)",
        domain=['OR',
            ('retention_months', '=', None),
            ('retention_months', '>', 0),
            ],
        help="How long a person's data is kept once all their cases are "
        "closed. Empty: kept until someone anonymises it.")
    retention_action = fields.Selection(
        RETENTION_ACTIONS, "When the Period Ends", required=True,
        help="List: administrators are told and find the people under "
        "Data Protection › Past Retention Period. Anonymise: the daily task "
        "anonymises them.")

    @classmethod
    def default_retention_action(cls):
        return 'list'


class Beneficiary(metaclass=PoolMeta):
    __name__ = 'momd.beneficiary'

    anonymised = fields.Date("Anonymised On", readonly=True)
    retention_expired = fields.Function(
        fields.Boolean("Past Retention Period"),
        'get_retention_expired', searcher='search_retention_expired')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'anonymise_wizard': {
                    # shown to the roles that may use it only
                    'invisible': Bool(Eval('anonymised')) | ~(
                        Id('momd_referral', 'group_supervisor').in_(
                            Eval('context', {}).get('groups', []))
                        | Id('momd_referral', 'group_admin').in_(
                            Eval('context', {}).get('groups', []))),
                    'depends': ['anonymised'],
                    },
                })

    @classmethod
    def _retention_query(cls):
        "SELECT the beneficiaries whose last case closed before the period"
        pool = Pool()
        Configuration = pool.get('momd.configuration')
        Case = pool.get('momd.case')
        Date = pool.get('ir.date')
        months = Configuration(1).retention_months
        beneficiary = cls.__table__()
        case = Case.__table__()
        if not months:
            return beneficiary.select(beneficiary.id, where=Literal(False))
        limit = Date.today() - relativedelta(months=months)
        return case.join(beneficiary,
            condition=case.beneficiary == beneficiary.id
            ).select(case.beneficiary,
                where=beneficiary.anonymised == Null,
                group_by=case.beneficiary,
                having=(Sum(When((case.state != 'closed', 1), else_=0)) == 0)
                & (Max(case.closed_date) <= limit))

    @classmethod
    def get_retention_expired(cls, beneficiaries, name):
        cursor = Transaction().connection.cursor()
        cursor.execute(*cls._retention_query())
        expired = {i for i, in cursor}
        return {b.id: b.id in expired for b in beneficiaries}

    @classmethod
    def search_retention_expired(cls, name, clause):
        _, operator, value = clause
        expired = (operator == '=') == bool(value)
        return [('id', 'in' if expired else 'not in', cls._retention_query())]

    @classmethod
    @ModelView.button_action('momd_referral.wizard_anonymise')
    def anonymise_wizard(cls, beneficiaries):
        pass

    def check_anonymisable(self):
        "Refuse a person already anonymised, or with a case still open"
        if self.anonymised:
            raise ErasureError(gettext(
                    'momd_referral.msg_anonymise_done',
                    beneficiary=self.rec_name))
        open_cases = [c for c in self.cases if c.state != 'closed']
        if open_cases:
            raise ErasureError(gettext(
                    'momd_referral.msg_anonymise_open_case',
                    beneficiary=self.rec_name, case=open_cases[0].rec_name))

    @classmethod
    def anonymise(cls, beneficiaries, reason):
        """Erase the names, documents, phones and free text of beneficiaries
        from their records and the records' history; what the statistics
        count (office, sex, age group, status, places, dates of the steps)
        stays"""
        pool = Pool()
        Case = pool.get('momd.case')
        AccessLog = pool.get('momd.access.log')
        for beneficiary in beneficiaries:
            beneficiary.check_anonymisable()
        ids = [b.id for b in beneficiaries]
        if not ids:
            return
        cursor = Transaction().connection.cursor()
        case_ids = set()
        for table in _tables(Case):
            cursor.execute(*table.select(
                    table.id, where=_ids_where(table, 'beneficiary', ids)))
            case_ids.update(i for i, in cursor)
        leads = {
            'id': ids, 'beneficiary': ids, 'match': ids, 'case': case_ids}
        cls._release_households(ids)
        cls._coarsen_ages(ids)
        for model, column, names in SCRUB:
            Model = pool.get(model)
            if not leads[column]:
                continue
            values = [ERASED if Model._fields[n].required else None
                for n in names]
            for table in _tables(Model):
                cursor.execute(*table.update(
                        [getattr(table, n) for n in names], values,
                        where=_ids_where(table, column, leads[column])))
        for model, column in REMOVE:
            for table in _tables(pool.get(model)):
                cursor.execute(*table.delete(
                        where=_ids_where(table, column, ids)))
        table = cls.__table__()
        cursor.execute(*table.update(
                [table.anonymised], [pool.get('ir.date').today()],
                where=_ids_where(table, 'id', ids)))
        references = cls._records_of(ids, case_ids)
        files = cls._remove_attachments(references)
        cls._scrub_activities(references)
        for cache in Transaction().cache.values():
            cache.clear()
        for beneficiary_id in ids:
            AccessLog.log_anonymisation(cls.__name__, beneficiary_id, reason)
        # last, as nothing brings them back: the bytes of the files
        cls._remove_files(files)

    @classmethod
    def _coarsen_ages(cls, ids):
        """Keep of the date of birth only its year (as 1 July), so that the
        statistics still count the person in an age group"""
        cursor = Transaction().connection.cursor()
        for i, table in enumerate(_tables(cls)):
            # the rows of the history are told apart by their own key
            key = Column(table, '__id') if i else table.id
            cursor.execute(*table.select(key, table.age_reference,
                    where=_ids_where(table, 'id', ids)
                    & (table.age_reference != Null)))
            for row_id, reference in list(cursor):
                if isinstance(reference, str):
                    reference = dt.date.fromisoformat(reference[:10])
                cursor.execute(*table.update([table.age_reference],
                        [reference.replace(month=7, day=1)],
                        where=key == row_id))

    @classmethod
    def _release_households(cls, ids):
        "Take the people out of their households; an emptied one loses its address"
        pool = Pool()
        Household = pool.get('momd.household')
        cursor = Transaction().connection.cursor()
        households = {b.household.id for b in cls.browse(ids) if b.household}
        for table in _tables(Household):
            cursor.execute(*table.update([table.head], [None],
                    where=_ids_where(table, 'head', ids)))
        beneficiary = cls.__table__()
        cursor.execute(*beneficiary.select(beneficiary.household,
                where=_ids_where(beneficiary, 'household', households)
                & ~_ids_where(beneficiary, 'id', ids),
                group_by=beneficiary.household))
        emptied = households - {h for h, in cursor}
        if emptied:
            for table in _tables(Household):
                cursor.execute(*table.update([table.address], [None],
                        where=_ids_where(table, 'id', emptied)))

    @classmethod
    def _records_of(cls, ids, case_ids):
        "The 'model,id' references of everything about the people"
        pool = Pool()
        references = ['momd.beneficiary,%s' % i for i in ids]
        references += ['momd.case,%s' % i for i in case_ids]
        for model, column in [
                ('momd.consent', 'beneficiary'), ('momd.need', 'case'),
                ('momd.referral', 'case')]:
            Model = pool.get(model)
            leads = ids if column == 'beneficiary' else case_ids
            if not leads:
                continue
            table = Model.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.select(
                    table.id, where=_ids_where(table, column, leads)))
            references += ['%s,%s' % (model, i) for i, in cursor]
        return references

    @classmethod
    def _remove_attachments(cls, references):
        """Notes and files attached to the person's records go; the ids of
        the attachments' files in the store"""
        pool = Pool()
        files = set()
        for model in ['ir.attachment', 'ir.note']:
            Model = pool.get(model)
            with without_check_access():
                records = Model.search([('resource', 'in', references)])
                if model == 'ir.attachment':
                    files.update(r.file_id for r in records if r.file_id)
                Model.delete(records)
        return files

    @classmethod
    def _remove_files(cls, file_ids):
        """Remove from the store at once the files of file_ids that no
        attachment holds any more (Tryton keeps a deleted attachment's file
        for [attachment] retention_days)"""
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        Queue = pool.get('ir.filestore.queue')
        field = Attachment._fields['data']
        if not field.file_id or not file_ids:
            return
        transaction = Transaction()
        table = Attachment.__table__()
        queue = Queue.__table__()
        cursor = transaction.connection.cursor()
        file_ids = sorted(file_ids)
        cursor.execute(*table.select(Column(table, field.file_id),
                where=Column(table, field.file_id).in_(file_ids)))
        gone = sorted(set(file_ids) - {i for i, in cursor})
        if not gone:
            return
        cursor.execute(*queue.delete(where=queue.file_id.in_(gone)))
        prefix = field.store_prefix
        if prefix is None:
            prefix = transaction.database.name
        filestore.delete_many(gone, prefix=prefix)

    @classmethod
    def _scrub_activities(cls, references):
        "Activities about the person keep their dates, not their words"
        Activity = Pool().get('momd.activity')
        table = Activity.__table__()
        cursor = Transaction().connection.cursor()
        for sub in range(0, len(references), 1000):
            cursor.execute(*table.update([table.name, table.note],
                    [ERASED, None],
                    where=_ids_where(table, 'resource',
                        references[sub:sub + 1000])))

    @classmethod
    def apply_retention(cls):
        "The daily task: list or anonymise the people past retention"
        pool = Pool()
        Configuration = pool.get('momd.configuration')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        AccessLog = pool.get('momd.access.log')
        config = Configuration(1)
        expired = cls.search([('retention_expired', '=', True)])
        # every run is in the trail, with whom it found, listed only too
        AccessLog.log_retention(
            sorted(b.id for b in expired), config.retention_action)
        if not expired:
            return
        if config.retention_action == 'anonymise':
            cls.anonymise(expired, gettext(
                    'momd_referral.msg_retention_reason',
                    months=config.retention_months))
            return
        admins = User.search([('groups', '=',
                    ModelData.get_id('momd_referral', 'group_admin'))])
        notify(expired, admins, 'momd_referral.msg_retention_due',
            count=len(expired))


class AnonymiseStart(ModelView):
    "Anonymise a beneficiary"
    __name__ = 'momd.beneficiary.anonymise.start'
    __string__ = "Anonymise a Beneficiary"

    beneficiary = fields.Many2One(
        'momd.beneficiary', "Beneficiary", readonly=True)
    reason = fields.Text(
        "Reason", required=True,
        help="Why the data is erased (the person's request, the end of the "
        "retention period...). Do not write the person's name here.")


class Anonymise(Wizard):
    "Anonymise a beneficiary"
    __name__ = 'momd.beneficiary.anonymise'

    start = StateView('momd.beneficiary.anonymise.start',
        'momd_referral.anonymise_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Anonymise", 'anonymise', 'tryton-ok', default=True),
            ])
    anonymise = StateTransition()

    def default_start(self, fields):
        if self.record:
            # refused before the reason is typed
            self.record.check_anonymisable()
        return {'beneficiary': self.record.id if self.record else None}

    def transition_anonymise(self):
        if not {'supervisor'} & set(user_roles()) and not is_admin():
            raise AccessError(gettext('momd_referral.msg_anonymise_role'))
        Beneficiary = Pool().get('momd.beneficiary')
        # the record rules apply: a supervisor erases in their offices only
        beneficiary, = Beneficiary.browse([self.record.id])
        Beneficiary.read([beneficiary.id], ['id'])
        with without_check_access():
            Beneficiary.anonymise(
                Beneficiary.browse([beneficiary.id]), self.start.reason)
        return 'end'

    def end(self):
        return 'reload'


class PersonalData(Report):
    "Everything held about a person, for their subject access request"
    __name__ = 'momd.beneficiary.personal_data'

    # the person's own fields, in the order of the form
    PERSON = [
        'code', 'office', 'first_name', 'father_name', 'grandfather_name',
        'family_name', 'first_name_latin', 'father_name_latin',
        'grandfather_name_latin', 'family_name_latin', 'sex.translated',
        'birth_date', 'estimated_age', 'nationality',
        'displacement_status.translated', 'origin_location',
        'current_location', 'movement_date', 'returned_from',
        'vulnerabilities.translated', 'preferred_language.translated',
        'contact_method.translated', 'household', 'relationship.translated',
        'notes', 'create_date', 'anonymised',
        ]

    @classmethod
    def execute(cls, ids, data):
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        AccessLog = pool.get('momd.access.log')
        check_report_access(cls, Beneficiary.__name__, ids)
        if len(ids) != 1:
            raise ErasureError(gettext('momd_referral.msg_personal_data_one'))
        beneficiary, = Beneficiary.browse(ids)
        # made for the person: every class of their data
        with Transaction().set_context(_momd_subject_access=True):
            sheets = [cls._person(beneficiary)]
            for model, records, *title in cls._related(beneficiary):
                Model = pool.get(model)
                sheets.append((
                        title[0] if title else Model.__names__()['model'], [],
                        export(Model, records, list_fields(Model))))
            sheets.append(cls._trail(beneficiary))
        AccessLog.log(Beneficiary.__name__, ids, action='print')
        name = gettext('momd_referral.msg_personal_data_file',
            code=beneficiary.code or beneficiary.id)
        return 'xlsx', xlsx(sheets), False, name

    @classmethod
    def _person(cls, beneficiary):
        Beneficiary = beneficiary.__class__
        row, = Beneficiary.export_data([beneficiary], cls.PERSON)
        labels = Beneficiary._convert_field_names(
            [c.replace('.translated', '').split('/') for c in cls.PERSON])
        title = Beneficiary.__names__()['model']
        return (title, [beneficiary.rec_name],
            [[gettext('momd_referral.msg_personal_data_field'),
                    gettext('momd_referral.msg_personal_data_value')]]
            + [[label, value] for label, value in zip(labels, row)])

    @classmethod
    def _related(cls, beneficiary):
        cases = list(beneficiary.cases)
        return [
            ('momd.beneficiary.identifier', list(beneficiary.identifiers)),
            ('momd.beneficiary.phone', list(beneficiary.phones)),
            ('momd.consent', list(beneficiary.consents)),
            ('momd.case', cases),
            ('momd.need', [n for c in cases for n in c.needs]),
            ('momd.referral', [r for c in cases for r in c.referrals]),
            ]

    @classmethod
    def _trail(cls, beneficiary):
        "Who opened, changed or printed the person's records"
        pool = Pool()
        AccessLog = pool.get('momd.access.log')
        Beneficiary = pool.get('momd.beneficiary')
        references = Beneficiary._records_of(
            [beneficiary.id], [c.id for c in beneficiary.cases])
        domain = ['OR'] + [
            [('model', '=', model), ('record', '=', int(i))]
            for model, i in (r.split(',') for r in references)]
        with without_check_access():
            lines = AccessLog.search(domain, order=[('date', 'ASC')])
            # and the exports that held one of them
            lines = sorted(lines + AccessLog.exports_of(references),
                key=lambda l: (l.date, l.id))
            rows = export(AccessLog, lines, [
                    'date', 'user', 'action.translated', 'model', 'record',
                    'shown_labels', 'record_count'])
        return (AccessLog.__names__()['model'], [], rows)

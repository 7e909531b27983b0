"""The rows of a KoboToolbox import: one per submission, with what became
of it, and the registry records it creates or updates."""
import json

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from ..tools import normalize_identifier, normalize_phone
from .kobo_import import IMPORTED, ROW_STATUS, _RowRefused
from . import bulk
from .kobo_mapping import BENEFICIARY_TARGETS, Reader
from .mixins import OfficeThroughMixin


class ImportRow(OfficeThroughMixin, ModelSQL, ModelView):
    "A submission of a KoboToolbox import and what became of it"
    __name__ = 'momd.kobo.import.row'
    __string__ = "KoboToolbox Import Row"
    _office_through = 'batch'

    batch = fields.Many2One(
        'momd.kobo.import', "Import", required=True, readonly=True,
        ondelete='CASCADE')
    number = fields.Integer(
        "Row", readonly=True, help="The row's line in the file.")
    uuid = fields.Char(
        "Submission UUID", readonly=True,
        help="The _uuid KoboToolbox gives the submission: a submission "
        "imported again is recognised by it.")
    submission_id = fields.Char("Submission ID", readonly=True)
    submission_time = fields.Timestamp("Submitted On", readonly=True)
    status = fields.Selection(
        ROW_STATUS, "Status", required=True, readonly=True, sort=False)
    status_string = status.translated('status')
    errors = fields.Text("Errors", readonly=True)
    beneficiary = fields.Many2One(
        'momd.beneficiary', "Beneficiary", readonly=True,
        ondelete='SET NULL')
    values = fields.Text(
        "Submitted Values", readonly=True,
        help="The values of the mapped columns, as submitted.")
    values_hash = fields.Char(
        "Values Hash", readonly=True,
        help="The SHA-256 of the submitted values: an edited submission "
        "has another.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.uuid, Index.Equality())),
                Index(t, (t.batch, Index.Range())),
                })
        cls._order = [('batch', 'DESC'), ('number', 'ASC'), ('id', 'ASC')]

    def get_rec_name(self, name):
        return '%s #%s' % (self.batch.rec_name, self.number)

    @classmethod
    def previous_many(cls, uuids):
        """{uuid: the last row that brought the submission into the
        registry} of the submissions uuids"""
        found = {}
        for start in range(0, len(uuids), 500):
            for row in cls.search([
                        ('uuid', 'in', uuids[start:start + 500]),
                        ('beneficiary', '!=', None),
                        ('status', 'in', IMPORTED),
                        ('batch.dry_run', '=', False),
                        ], order=[('id', 'ASC')]):
                found[row.uuid] = row
        return found

    @classmethod
    def held_open_many(cls, uuids):
        "The submissions of uuids of which a row waits for a review"
        Duplicate = Pool().get('momd.beneficiary.duplicate')
        held = set()
        for start in range(0, len(uuids), 500):
            held |= {d.import_row.uuid for d in Duplicate.search([
                        ('import_row.uuid', 'in', uuids[start:start + 500]),
                        ('import_row.batch.dry_run', '=', False),
                        ('state', '=', 'open'),
                        ])}
        return held

    def hold(self, candidates):
        "Put the row with each of the candidates in the review queue"
        Duplicate = Pool().get('momd.beneficiary.duplicate')
        lines = Duplicate.propose([(None, c) for c in candidates], 'import')
        if lines:
            # decided by the supervisors of the import's office too
            Duplicate.write(lines, {
                    'import_row': self.id,
                    'office': self.batch.office.id,
                    })

    def submitted(self):
        "The row's values read again through its batch's mapping"
        raw = json.loads(self.values or '{}')
        reader = Reader(self.batch.mapping, list(raw))
        converted, errors = reader.read(raw)
        if errors:
            raise UserError('\n'.join(errors))
        return converted

    @classmethod
    def new_beneficiary(cls, office, converted):
        "The person of the row, not saved, as the duplicate check takes it"
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Phone = pool.get('momd.beneficiary.phone')
        Identifier = pool.get('momd.beneficiary.identifier')
        beneficiary = Beneficiary(office=office, **{
                t: converted.get(t) for t in BENEFICIARY_TARGETS})
        beneficiary.phones = [Phone(number=normalize_phone(n) or n)
            for n in _unique_phones(converted)]
        beneficiary.identifiers = [
            Identifier(type=t, number=normalize_identifier(n))
            for t, n in converted['identifiers']]
        return beneficiary

    def create_beneficiary(self, converted):
        "Register the row's person in its batch's office"
        beneficiary, = self.create_beneficiaries(
            self.batch.office, [converted])
        return beneficiary

    @classmethod
    def create_beneficiaries(cls, office, vlist, checked=False, orm=False):
        """Register the people of the rows' values in the office, with
        household, phones, documents and a case of the needs; _RowRefused
        with the translated error when the registry refuses a value;
        checked: their likely duplicates are known (held for review);
        orm: through each model's create (for a row the database refused
        among others, to say why), else written together (bulk.insert)"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Household = pool.get('momd.household')
        Office = pool.get('momd.office')
        with without_check_access():
            try:
                households = {}
                wanted = [i for i, c in enumerate(vlist)
                    if cls._household_values(c)]
                if wanted:
                    households = dict(zip(wanted, _create(Household, [
                                    {**cls._household_values(vlist[i]),
                                        'office': office.id}
                                    for i in wanted], orm, wanted)))
                people = Office.number([{
                            **{t: v for t, v in c.items()
                                if t in BENEFICIARY_TARGETS},
                            'office': office.id,
                            'duplicate_reason': (gettext(
                                    'momd_referral.msg_kobo_row_held_reason')
                                if checked else None),
                            'household': (households[i].id
                                if i in households else None),
                            } for i, c in enumerate(vlist)],
                    'beneficiary_sequence')
                lines = [{
                        'phones': [{'number': n} for n in _unique_phones(c)],
                        'identifiers': [{'type': t, 'number': n}
                            for t, n in c['identifiers']],
                        } for c in vlist]
                beneficiaries = _create_with_lines(
                    Beneficiary, people, lines, orm, range(len(vlist)))
                heads = []
                for i, household in households.items():
                    if vlist[i].get('relationship') == 'head':
                        heads.extend(([household], {
                                    'head': beneficiaries[i].id}))
                if heads:
                    Household.write(*heads)
                cls._new_cases(beneficiaries, households, vlist, orm)
            except UserError as error:
                raise _RowRefused(error.message, getattr(error, 'row', None)
                    ) from error
        return beneficiaries

    @classmethod
    def _household_values(cls, converted):
        values = {}
        if converted.get('household_size') is not None:
            values['declared_size'] = converted['household_size']
        if converted.get('household_address'):
            values['address'] = converted['household_address']
        if not values and converted.get('relationship'):
            values['declared_size'] = None
        return values

    @classmethod
    def _new_cases(cls, beneficiaries, households, vlist, orm=False):
        """Open a case of the needs of each new person who has some (orm:
        through Case.create, see create_beneficiaries)"""
        pool = Pool()
        Case = pool.get('momd.case')
        Plan = pool.get('momd.activity.plan')
        wanted = [i for i, b in enumerate(beneficiaries)
            if vlist[i].get('needs')]
        cases = _create_with_lines(Case, pool.get('momd.office').number([{
                        'beneficiary': beneficiaries[i].id,
                        'office': beneficiaries[i].office.id,
                        'household': (households[i].id
                            if i in households else None),
                        } for i in wanted], 'case_sequence'),
            [{'needs': [{'category': c, 'priority': 'normal'}
                        for c in vlist[i]['needs']]} for i in wanted], orm,
            wanted)
        if cases and not orm:
            # what Case.create does once the cases and their needs are in
            Plan.fire('case_opened', cases)

    def _household(self, converted, office, household=None):
        """The household of the row's values: the given one brought up to
        date, or a new one"""
        Household = Pool().get('momd.household')
        values = self._household_values(converted)
        if household:
            values = {k: v for k, v in values.items() if v is not None}
            if values:
                Household.write([household], values)
            return household
        if values:
            values['office'] = office.id
            household, = Household.create([values])
            return household

    def _needs(self, beneficiary, converted):
        "Open a case of the row's needs, or add the new ones to it"
        pool = Pool()
        Case = pool.get('momd.case')
        Need = pool.get('momd.need')
        categories = converted.get('needs') or []
        if not categories:
            return
        cases = Case.search([
                ('beneficiary', '=', beneficiary.id),
                ('state', 'in', ['open', 'active']),
                ], order=[('id', 'DESC')], limit=1)
        if cases:
            case, = cases
            known = {n.category.id for n in case.needs}
            Need.create([{
                        'case': case.id, 'category': c,
                        'priority': 'normal',
                        } for c in categories if c not in known])
        else:
            Case.create([{
                        'beneficiary': beneficiary.id,
                        'office': beneficiary.office.id,
                        'household': (beneficiary.household.id
                            if beneficiary.household else None),
                        'needs': [('create', [{
                                        'category': c, 'priority': 'normal',
                                        } for c in categories])],
                        }])

    def update_beneficiary(self, converted):
        """Bring the row's beneficiary to the edited submission: its fields,
        the phones and documents it lacks, its household and new needs"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        beneficiary = self.beneficiary
        with without_check_access():
            try:
                beneficiary = Beneficiary(beneficiary.id)
                values = {}
                for target in BENEFICIARY_TARGETS:
                    if target not in converted:
                        continue
                    value = converted[target]
                    current = getattr(beneficiary, target)
                    current = getattr(current, 'id', current)
                    if target == 'vulnerabilities':
                        current = sorted(current or [])
                    if current != value:
                        values[target] = value
                if values:
                    Beneficiary.write([beneficiary], values)
                self.add_lines(beneficiary, converted)
                household = self._household(
                    converted, beneficiary.office, beneficiary.household)
                if household and not beneficiary.household:
                    Beneficiary.write([beneficiary], {
                            'household': household.id})
                self._needs(beneficiary, converted)
            except UserError as error:
                raise _RowRefused(error.message) from error

    @classmethod
    def add_lines(cls, beneficiary, converted):
        "Add to the beneficiary the phones and documents it does not have"
        pool = Pool()
        Phone = pool.get('momd.beneficiary.phone')
        Identifier = pool.get('momd.beneficiary.identifier')
        numbers = {p.number for p in beneficiary.phones}
        Phone.create([{'beneficiary': beneficiary.id, 'number': n}
                for n in _unique_phones(converted)
                if (normalize_phone(n) or n) not in numbers])
        documents = {(i.type, i.number) for i in beneficiary.identifiers}
        Identifier.create([{
                    'beneficiary': beneficiary.id, 'type': t, 'number': n}
                for t, n in converted['identifiers']
                if (t, normalize_identifier(n)) not in documents])


def _create(Model, vlist, orm, rows):
    """The records of vlist, created by Model.create if orm, else together;
    rows: the row of each, the row the error of a refused one names (as
    row)"""
    if orm:
        return Model.create(vlist)
    try:
        return bulk.insert(Model, vlist)
    except UserError as error:
        index = getattr(error, 'index', None)
        if index is not None and getattr(error, 'row', None) is None:
            error.row = rows[index]
        raise


def _create_with_lines(Model, vlist, lines, orm, rows):
    """The records of vlist with the lines of each, {field: [values]}, as
    Model.create creates them (orm), else together; rows: as _create"""
    if orm:
        return Model.create([{**values, **{
                        name: [('create', records)]
                        for name, records in more.items()}}
                for values, more in zip(vlist, lines)])
    records = _create(Model, vlist, orm, rows)
    for name in sorted(set().union(*lines)):
        field = Model._fields[name]
        owned = [(row, {**values, field.field: r.id})
            for r, row, more in zip(records, rows, lines)
            for values in more.get(name, [])]
        _create(field.get_target(), [v for _, v in owned], orm,
            [row for row, _ in owned])
    return records


def _unique_phones(converted):
    seen, numbers = set(), []
    for number in converted['phone']:
        key = normalize_phone(number) or number
        if key not in seen:
            seen.add(key)
            numbers.append(number)
    return numbers



class Beneficiary(metaclass=PoolMeta):
    __name__ = 'momd.beneficiary'

    @classmethod
    def anonymise(cls, beneficiaries, reason):
        """The submitted values and errors of the import rows of the
        people are erased with them"""
        super().anonymise(beneficiaries, reason)
        Row = Pool().get('momd.kobo.import.row')
        table = Row.__table__()
        ids = [b.id for b in beneficiaries]
        if ids:
            Transaction().connection.cursor().execute(*table.update(
                    [table.values, table.errors], [None, None],
                    where=table.beneficiary.in_(ids)))


class PersonalData(metaclass=PoolMeta):
    __name__ = 'momd.beneficiary.personal_data'

    @classmethod
    def _related(cls, beneficiary):
        """The import rows that brought or updated the person are held too
        (for those who came by an import)"""
        Row = Pool().get('momd.kobo.import.row')
        with without_check_access():
            rows = Row.search([('beneficiary', '=', beneficiary.id)])
        related = super()._related(beneficiary)
        if rows:
            related.append(('momd.kobo.import.row', rows))
        return related

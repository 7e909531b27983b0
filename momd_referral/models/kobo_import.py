"""Import of beneficiaries from KoboToolbox exports (XLSX or CSV).

A caseworker or a supervisor gives the file of an office; a dry run lists
every row's errors without writing to the registry; the import creates each
row's beneficiary (with household, phones, documents and needs), updates the
one an edited submission created, leaves an unchanged submission alone and
holds a likely duplicate for a supervisor's review. Both run in the
background (trytond-worker) and commit their progress as they go.
"""
import contextlib
import datetime as dt
import hashlib
import json

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from ..exceptions import KoboImportError
from ..kobo_form import (
    SUBMISSION_ID, SUBMISSION_TIME, UUID, VERSION, KoboFileError,
    Submissions)
from .audit import AuditMixin
from .bulk import BulkRefused
from .content import ContentMixin
from .duplicate import checked_before
from .kobo_mapping import Reader
from .mixins import OfficeScopedMixin, RoleButtonsMixin

STATES = [
    ('draft', "Draft"),
    ('running', "Running"),
    ('checked', "Dry Run Done"),
    ('done', "Done"),
    ('failed', "Failed"),
    ]
ROW_STATUS = [
    ('to_create', "Would Be Created"),
    ('to_update', "Would Be Updated"),
    ('created', "Created"),
    ('updated', "Updated"),
    ('unchanged', "Unchanged"),
    ('held', "Held for Review"),
    ('linked', "Linked to Existing Person"),
    ('error', "Error"),
    ]
# the rows between two commits of the progress
PROGRESS_ROWS = 100
# the new people registered in one go (again in halves if one is refused)
CREATE_ROWS = 25
# the statuses of a row whose submission is in the registry
IMPORTED = ('created', 'updated', 'unchanged', 'linked')


class _RowRefused(Exception):
    """The row's values are refused: its savepoint is rolled back; row:
    the refused row's place among those registered together, when known"""

    def __init__(self, message, row=None):
        super().__init__(message)
        self.row = row


@contextlib.contextmanager
def savepoint(keep=True):
    """Run the block all-or-nothing: what it wrote stays when keep and
    nothing was raised, else it is undone (the rest of the transaction
    stays)"""
    transaction = Transaction()
    connection = transaction.connection
    cursor = connection.cursor()
    if getattr(connection, 'in_transaction', True) is False:
        # SQLite: a savepoint outside a transaction would commit on release
        cursor.execute('BEGIN IMMEDIATE')
    cursor.execute('SAVEPOINT momd_kobo_row')
    try:
        yield
    except BaseException:
        _rollback_savepoint(transaction, cursor)
        raise
    if keep:
        cursor.execute('RELEASE SAVEPOINT momd_kobo_row')
    else:
        _rollback_savepoint(transaction, cursor)


def _rollback_savepoint(transaction, cursor):
    cursor.execute('ROLLBACK TO SAVEPOINT momd_kobo_row')
    cursor.execute('RELEASE SAVEPOINT momd_kobo_row')
    # the records read or written inside are gone
    for cache in transaction.cache.values():
        cache.clear()
    transaction.counter += 1


def _hash(converted):
    "The hash of the registry values of a row, whatever the file's format"
    return hashlib.sha256(json.dumps(
            converted, sort_keys=True, ensure_ascii=False,
            default=str).encode()).hexdigest()


class ImportBatch(
        AuditMixin, OfficeScopedMixin, RoleButtonsMixin, ContentMixin,
        ModelSQL, ModelView):
    "A KoboToolbox export imported into an office's registry"
    __name__ = 'momd.kobo.import'
    __string__ = "KoboToolbox Import"
    # an import of no file is nothing (a finished one keeps the checksum)
    _content_fields = ('file', 'file_checksum')

    _draft = {'readonly': Eval('state') != 'draft'}
    office = fields.Many2One(
        'momd.office', "Office", required=True, ondelete='RESTRICT',
        states=_draft,
        help="The office the imported people are registered in.")
    file = fields.Binary(
        "File", filename='file_name', states=_draft,
        help="The XLSX or CSV export of the submissions from KoboToolbox.")
    file_name = fields.Char("File Name", states=_draft)
    mapping = fields.Many2One(
        'momd.kobo.mapping', "Mapping", ondelete='RESTRICT', states=_draft,
        help="How the columns fill the registry; empty: the mapping of the "
        "file's form version.")
    del _draft
    file_checksum = fields.Char(
        "File Checksum", readonly=True,
        help="The SHA-256 of the file imported.")
    form_version = fields.Char("Form Version", readonly=True)
    user = fields.Many2One(
        'res.user', "Imported By", readonly=True, ondelete='RESTRICT')
    language = fields.Char("Language", readonly=True)
    started = fields.Timestamp("Started On", readonly=True)
    finished = fields.Timestamp("Finished On", readonly=True)
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    dry_run = fields.Boolean(
        "Dry Run", readonly=True,
        help="The last run only checked the rows: the registry is "
        "unchanged.")
    rows_total = fields.Integer("Rows", readonly=True)
    rows_done = fields.Integer("Rows Done", readonly=True)
    progress = fields.Float("Progress", readonly=True, digits=(1, 4))
    created = fields.Integer("Created", readonly=True)
    updated = fields.Integer("Updated", readonly=True)
    unchanged = fields.Integer("Unchanged", readonly=True)
    errors = fields.Integer("Errors", readonly=True)
    held = fields.Integer(
        "Held Duplicates", readonly=True,
        help="Rows held for a supervisor's review as likely the same "
        "person as one already registered.")
    failure = fields.Text("Failure", readonly=True)
    rows = fields.One2Many(
        'momd.kobo.import.row', 'batch', "Rows", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.office, Index.Range())))
        cls._order = [('id', 'DESC')]
        runnable = ~Eval('state').in_(['draft', 'checked', 'failed'])
        cls._buttons.update({
                'check': {'invisible': runnable, 'depends': ['state']},
                'run': {'invisible': runnable, 'depends': ['state']},
                })

    @staticmethod
    def default_state():
        return 'draft'

    def get_rec_name(self, name):
        return self.file_name or str(self.id)

    @classmethod
    @ModelView.button
    def check(cls, batches):
        "Check every row in the background, writing nothing to the registry"
        cls._start(batches, dry_run=True)

    @classmethod
    @ModelView.button
    def run(cls, batches):
        "Import the rows in the background"
        cls._start(batches, dry_run=False)

    @classmethod
    def _start(cls, batches, dry_run):
        Row = Pool().get('momd.kobo.import.row')
        transaction = Transaction()
        with without_check_access():
            for batch in batches:
                submissions, reader = batch.open_file()
                if batch.dry_run:
                    # the rows of the last check give way to the new run's
                    Row.delete(Row.search([('batch', '=', batch.id)]))
                version = batch.form_version
                batch.file_checksum = hashlib.sha256(batch.file).hexdigest()
                batch.user = transaction.user
                batch.language = transaction.language
                batch.state = 'running'
                batch.dry_run = dry_run
                batch.progress = 0
                batch.rows_done = 0
                batch.failure = None
                batch.form_version = version
            cls.save(batches)
        with transaction.set_context(momd_kobo_commit=True):
            cls.__queue__.process(batches)

    def open_file(self):
        """The submissions of the file and their reader; refuses, naming
        what is wrong, a file that is no KoboToolbox export, without the
        submission ids or without the columns of a person"""
        Mapping = Pool().get('momd.kobo.mapping')
        name = self.file_name or self.rec_name
        if not self.file:
            raise KoboImportError(gettext(
                    'momd_referral.msg_kobo_file_required', batch=name))
        try:
            submissions = Submissions(bytes(self.file), name)
        except KoboFileError:
            raise KoboImportError(gettext(
                    'momd_referral.msg_kobo_file_format', file=name))
        if UUID not in submissions.header:
            raise KoboImportError(gettext(
                    'momd_referral.msg_kobo_column_missing',
                    file=name, column=UUID))
        first = next(iter(submissions), None)
        if first is None:
            raise KoboImportError(gettext(
                    'momd_referral.msg_kobo_file_empty', file=name))
        version = first.get(VERSION)
        self.form_version = str(version) if version not in (None, '') else None
        mapping = self.mapping or Mapping.for_version(self.form_version)
        if not mapping:
            raise KoboImportError(gettext(
                    'momd_referral.msg_kobo_no_mapping',
                    version=self.form_version or '', batch=name))
        self.mapping = mapping
        reader = Reader(mapping, submissions.header)
        missing = reader.missing()
        if missing:
            raise KoboImportError(gettext(
                    'momd_referral.msg_kobo_columns_missing', file=name,
                    fields=', '.join(reader.strings[t] for t in missing)))
        return submissions, reader

    @classmethod
    def process(cls, batches):
        """Check or import the rows of the batches, each row all-or-nothing;
        the progress is committed every PROGRESS_ROWS rows when run in the
        background"""
        transaction = Transaction()
        commit = transaction.context.get('momd_kobo_commit')
        for batch in batches:
            with transaction.set_context(
                    language=batch.language, momd_kobo_commit=None):
                try:
                    batch._process(commit)
                except Exception as exception:
                    if not commit:
                        raise
                    transaction.rollback()
                    batch = cls(batch.id)
                    batch.state = 'failed'
                    batch.failure = str(getattr(
                            exception, 'message', exception))
                    batch.save()
                    transaction.commit()

    def _process(self, commit):
        pool = Pool()
        Row = pool.get('momd.kobo.import.row')
        submissions, reader = self.open_file()
        # rows already imported by a failed run stay and are not imported
        # again
        Row.delete(Row.search([
                    ('batch', '=', self.id),
                    ('status', 'not in', IMPORTED + ('held',)),
                    ]))
        done = {r.uuid for r in Row.search([('batch', '=', self.id)])}
        self.started = dt.datetime.now()
        self.rows_total = len(submissions)
        for name in ['created', 'updated', 'unchanged', 'errors', 'held']:
            setattr(self, name, 0)
        self.rows_done = 0
        self._save_progress(commit)
        seen, fates, partners = {}, {}, {}
        chunk = []
        for number, values in enumerate(submissions, 2):
            uuid = str(values.get(UUID) or '').strip()
            if uuid and uuid in done:
                self.unchanged += 1
                self.rows_done += 1
            else:
                chunk.append((number, uuid, values))
                if uuid:
                    seen.setdefault(uuid, number)
            if len(chunk) >= PROGRESS_ROWS:
                chunk = self._chunk(reader, chunk, seen, fates, partners)
                self._save_progress(commit)
        while chunk:
            chunk = self._chunk(reader, chunk, seen, fates, partners)
        self.state = 'checked' if self.dry_run else 'done'
        self.finished = dt.datetime.now()
        if not self.dry_run:
            # the people are in the registry and the rows keep each one's
            # values: the file of everyone's is not kept (its checksum is)
            self.file = None
        self._save_progress(commit)

    def _chunk(self, reader, chunk, seen, fates, partners):
        """Check or import the submissions of chunk, [(number, uuid,
        values)]; those to check again after the others (a row likely of
        the same person as an earlier row of the chunk) are returned;
        fates: the status of each row done, partners: the earlier row of
        each row that waited"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Row = pool.get('momd.kobo.import.row')
        uuids = [u for _, u, _ in chunk if u]
        previous = Row.previous_many(uuids)
        held_open = Row.held_open_many(uuids)
        rows, new = [], []
        for number, uuid, values in chunk:
            row, converted = self._row(reader, number, uuid, values, seen,
                previous.get(uuid), uuid in held_open)
            rows.append(row)
            if row.status is None:
                new.append((row, converted))
        # a person twice among the new rows: the second waits until the
        # first is in the registry, to be held with it
        people = [Row.new_beneficiary(self.office, c) for _, c in new]
        later = {}
        for i, j in Beneficiary.duplicates_among(people):
            later.setdefault(new[j][0].number, new[i][0].number)
        for row, _ in new:
            first = partners.get(row.number)
            if (self.dry_run and first is not None
                    and row.number not in later
                    and fates.get(first) in {'to_create', 'held'}):
                # a dry run creates nothing: the earlier row's person is
                # not in the registry to be found
                row.status = 'held'
                row.errors = gettext(
                    'momd_referral.msg_kobo_row_held_in_file', row=first)
        partners.update(later)
        held = self._create_rows([(r, c, p) for (r, c), p in zip(new, people)
                if r.status is None and r.number not in later])
        rows = [r for r in rows if r.number not in later]
        Row.save(rows)
        for row, candidates in held:
            if not self.dry_run:
                row.hold(candidates)
        for row in rows:
            fates[row.number] = row.status
            self._count(row.status)
        self.rows_done += len(rows)
        return [item for item in chunk if item[0] in later]

    def _save_progress(self, commit):
        self.progress = (round(self.rows_done / self.rows_total, 4)
            if self.rows_total else 1)
        self.save()
        if commit:
            Transaction().commit()

    def _count(self, status):
        name = {
            'to_create': 'created', 'created': 'created',
            'to_update': 'updated', 'updated': 'updated',
            'unchanged': 'unchanged', 'linked': 'unchanged',
            'held': 'held', 'error': 'errors',
            }[status]
        setattr(self, name, getattr(self, name) + 1)

    def _row(self, reader, number, uuid, values, seen, previous, held):
        """The row of one submission, checked or imported, and its values;
        a row to create is left without status; previous: the last row
        that imported the submission, held: whether one waits for a
        review"""
        pool = Pool()
        Row = pool.get('momd.kobo.import.row')
        raw = reader.raw(values)
        row = Row(batch=self, number=number, uuid=uuid or None,
            submission_id=str(values.get(SUBMISSION_ID) or '') or None,
            submission_time=_timestamp(values.get(SUBMISSION_TIME)),
            values=json.dumps(raw, ensure_ascii=False), status=None)
        converted, errors = reader.read(values)
        row.values_hash = _hash(converted)
        if not uuid:
            errors.insert(0, gettext(
                    'momd_referral.msg_kobo_uuid_empty', column=UUID))
        elif seen.get(uuid, number) != number:
            errors.insert(0, gettext(
                    'momd_referral.msg_kobo_uuid_repeated', uuid=uuid,
                    first=seen[uuid]))
        if errors:
            row.status = 'error'
            row.errors = '\n'.join(errors)
            return row, converted
        if previous and previous.values_hash == row.values_hash:
            row.status = 'unchanged'
            row.beneficiary = previous.beneficiary
        elif previous:
            row.beneficiary = previous.beneficiary
            try:
                with savepoint(keep=not self.dry_run):
                    row.update_beneficiary(converted)
                row.status = 'to_update' if self.dry_run else 'updated'
            except _RowRefused as refused:
                row.status, row.errors = 'error', str(refused)
        elif held:
            row.status = 'held'
            row.errors = gettext('momd_referral.msg_kobo_row_held_before')
        return row, converted

    def _create_rows(self, items):
        """Create the beneficiaries of the rows, [(row, values, person not
        saved)], each row all-or-nothing, or hold a row whose person is
        likely registered; the held rows and their candidates"""
        Beneficiary = Pool().get('momd.beneficiary')
        likely, ready = {}, []
        with without_check_access():
            found = Beneficiary.duplicate_candidates_many(
                [p for _, _, p in items])
        for (row, converted, _), candidates in zip(items, found):
            if candidates:
                likely[row.number] = candidates
            else:
                ready.append((row, converted))
        # a row the registry refuses is an error, held or not: the held
        # rows are registered, then undone
        held = []
        for row, _ in self._register(
                [(r, c) for r, c, _ in items if r.number in likely],
                keep=False, checked=True):
            candidates = likely[row.number]
            row.status = 'held'
            row.errors = gettext('momd_referral.msg_kobo_row_held',
                matches=gettext('momd_referral.msg_list_separator').join(
                    gettext('momd_referral.msg_kobo_row_match',
                        code=Beneficiary(c.beneficiary).code,
                        score=round(c.score))
                    for c in candidates))
            held.append((row, candidates))
        # the registry was searched for their likely duplicates and the
        # chunk too
        for row, beneficiary in self._register(
                ready, keep=not self.dry_run):
            row.status = 'to_create' if self.dry_run else 'created'
            row.beneficiary = None if self.dry_run else beneficiary
        return held

    def _register(self, items, keep, checked=False):
        """Register the people of the rows, [(row, values)], each row
        all-or-nothing: together while none is refused, else without the
        refused row when the refusal names it, or in halves; a refused row
        is an error. The rows registered and their people (undone unless
        keep); checked: held for review"""
        Row = Pool().get('momd.kobo.import.row')
        registered = []
        # (whether through each model's create, the rows)
        groups = [(False, items[i:i + CREATE_ROWS])
            for i in range(0, len(items), CREATE_ROWS)]
        while groups:
            orm, group = groups.pop(0)
            try:
                with savepoint(keep=keep), checked_before():
                    people = Row.create_beneficiaries(
                        self.office, [c for _, c in group], checked=checked,
                        orm=orm)
            except (_RowRefused, BulkRefused) as refused:
                at = getattr(refused, 'row', None)
                if len(group) > 1 and at is not None:
                    # the refused row known: the others again without it
                    group[at][0].status = 'error'
                    group[at][0].errors = str(refused)
                    groups.insert(0, (orm, group[:at] + group[at + 1:]))
                elif len(group) > 1:
                    # the halves again, until the refused rows are alone
                    half = len(group) // 2
                    groups[:0] = [(orm, group[:half]), (orm, group[half:])]
                elif isinstance(refused, BulkRefused):
                    # refused by the database: Model.create says why
                    groups.insert(0, (True, group))
                else:
                    group[0][0].status = 'error'
                    group[0][0].errors = str(refused)
                continue
            registered.extend(zip((r for r, _ in group), people))
        return registered


def _timestamp(value):
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if value:
        try:
            return dt.datetime.fromisoformat(
                str(value).strip().replace('Z', '+00:00')).replace(
                    tzinfo=None)
        except ValueError:
            return None

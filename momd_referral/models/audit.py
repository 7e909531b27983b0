"""The audit trail: who opened, created, changed or deleted which
confidential record, when and from which session; the attempts the
application refused; the sessions it refused."""
import datetime as dt
import hashlib
import weakref

from sql import Column

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .mixins import (
    ReferencesInScopeMixin, RevisionsInScopeMixin, UserScopeSearchMixin,
    written_by_system)
from .sensitivity import CLASS_ORDER, class_label, shown_classes

ACTIONS = [
    ('read', "Opened"),
    ('print', "Printed"),
    ('create', "Created"),
    ('write', "Changed"),
    ('delete', "Deleted"),
    ('anonymise', "Anonymised"),
    ('denied', "Refused"),
    ('session', "Session Refused"),
    ('export', "Exported"),
    ('retention', "Retention Period Applied"),
    ]

# what each transaction has already logged as read, with the data classes
# shown: a record read five times while one button is pressed is one line,
# unless a later read shows a class more
_logged = weakref.WeakKeyDictionary()
# the models each transaction is creating or changing records of: the
# values computed right after a creation or a change are part of its line
_busy = weakref.WeakKeyDictionary()


def request_origin():
    "The session digest and the address the current request came from"
    request = Transaction().context.get('_request') or {}
    return request.get('momd_session'), request.get('remote_addr')


def line_records(record, records):
    """The ids of the records a line of the trail is about: its record, and
    the records of an export or a retention run (their ids, comma
    separated)"""
    ids = [record] if record is not None else []
    return ids + [int(i) for i in (records or '').split(',') if i]


def session_digest(key):
    "A short, one-way name for a session: lines of one session share it"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class AccessLog(ModelSQL, ModelView):
    "Who did what to which confidential record, and when"
    __name__ = 'momd.access.log'
    __string__ = "Audit Trail"

    user = fields.Many2One('res.user', "User", readonly=True)
    action = fields.Selection(ACTIONS, "Action", readonly=True)
    model = fields.Char("Model", readonly=True)
    record = fields.Integer("Record", readonly=True)
    office = fields.Many2One('momd.office', "Office", readonly=True,
        help="The office the record belongs to.")
    changed_fields = fields.Char("Changed Fields", readonly=True)
    shown_classes = fields.Char("Data Classes Shown", readonly=True,
        help="Of a record opened: the classes of the fields read (personal, "
        "sensitive, restricted...).")
    operation = fields.Char("Refused Operation", readonly=True)
    reason = fields.Text("Reason", readonly=True)
    record_count = fields.Integer("Records Exported", readonly=True)
    records = fields.Text("Records", readonly=True,
        help="The ids of the records exported, in the order of the file.")
    exported_fields = fields.Text("Columns Exported", readonly=True)
    filters = fields.Text("Filters", readonly=True,
        help="The search the records exported were found by, if any.")
    session = fields.Char("Session", readonly=True,
        help="The same value on the lines of one login session.")
    ip_address = fields.Char("IP Address", readonly=True)
    date = fields.DateTime("Date", readonly=True)
    model_name = fields.Function(
        fields.Char("Record Type"), 'get_model_name')
    changed_labels = fields.Function(
        fields.Char("Changed Fields"), 'get_changed_labels')
    shown_labels = fields.Function(
        fields.Char("Data Classes Shown"), 'get_shown_labels')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.user, Index.Range()), (t.date, Index.Range())),
                Index(t, (t.model, Index.Equality()),
                    (t.record, Index.Range())),
                Index(t, (t.office, Index.Range()), (t.date, Index.Range())),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        # the trail is written by the system only
        written_by_system(cls)

    @classmethod
    def __register__(cls, module):
        table = cls.__table__()
        handler = cls.__table_handler__(module)
        filled = handler.column_exist('action')
        super().__register__(module)
        if not filled:
            # the lines written before the trail knew actions were reads
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update([table.action], ['read']))

    @classmethod
    def get_model_name(cls, lines, name):
        "The kind of record, in the user's language"
        pool = Pool()
        names = {}
        for model in {l.model for l in lines if l.model}:
            try:
                names[model] = pool.get(model).__names__()['model']
            except KeyError:
                names[model] = model
        return {l.id: names.get(l.model) for l in lines}

    @classmethod
    def get_changed_labels(cls, lines, name):
        "The labels of the changed fields, in the user's language"
        pool = Pool()
        strings = {}
        result = {}
        for line in lines:
            labels = []
            if line.changed_fields and line.model:
                if line.model not in strings:
                    try:
                        Model = pool.get(line.model)
                        strings[line.model] = {
                            n: d['string'] for n, d in Model.fields_get(
                                level=0).items()}
                    except KeyError:
                        strings[line.model] = {}
                labels = [strings[line.model].get(f, f)
                    for f in line.changed_fields.split(',')]
            result[line.id] = ', '.join(labels) or None
        return result

    def get_shown_labels(self, name):
        "The classes shown, in the user's language"
        if self.shown_classes:
            return ', '.join(
                class_label(c) for c in self.shown_classes.split(','))

    @classmethod
    def write(cls, *args):
        raise AccessError(gettext('momd_referral.msg_audit_readonly'))

    @classmethod
    def delete(cls, records):
        raise AccessError(gettext('momd_referral.msg_audit_readonly'))

    @classmethod
    def log(cls, model, ids, action='read', fields_names=None):
        """Write one line per record read (once per transaction, and again
        if a later read shows a data class more) or printed; a read line
        says the classes of fields_names (all the model's if None)"""
        transaction = Transaction()
        ids = set(map(int, ids))
        shown = None
        if action == 'read':
            classes = shown_classes(model, fields_names)
            seen = _logged.setdefault(transaction, {})
            ids = {i for i in ids
                if not classes <= seen.get((model, i), set())}
            for i in ids:
                seen[(model, i)] = seen.get((model, i), set()) | classes
            shown = ','.join(sorted(classes, key=CLASS_ORDER.index))
        if not ids:
            return
        cls._write(cls._insert, model, ids, action, shown=shown)

    @classmethod
    def _write(cls, insert, *args, **kwargs):
        """Call insert(*args, **kwargs), in a transaction of its own when
        the current one is read-only (reads and exports run in read-only
        transactions)"""
        transaction = Transaction()
        if transaction.readonly:
            with transaction.new_transaction() as log_transaction:
                insert(*args, **kwargs)
                log_transaction.commit()
        else:
            insert(*args, **kwargs)

    @classmethod
    def log_export(cls, model, ids, fields_names, filters=None):
        """One line for an export of the records ids of model: the columns,
        the filters, how many records and which"""
        cls._write(cls._insert_export, model, ids, fields_names, filters)

    @classmethod
    def _insert_export(cls, model, ids, fields_names, filters):
        "Insert the line of an export; return its id"
        return cls._insert_line(action='export', model=model,
            record_count=len(ids), records=','.join(map(str, ids)),
            exported_fields=','.join(fields_names), filters=filters)

    @classmethod
    def log_retention(cls, ids, operation, model='momd.beneficiary'):
        """The line of a run of the retention task: the records of model
        (people, or a record type of a period of its own) past the period,
        listed or anonymised (operation)"""
        cls._insert_line(action='retention', model=model,
            operation=operation, record_count=len(ids),
            records=','.join(map(str, ids)))

    @classmethod
    def _insert_line(cls, **values):
        """One line of the columns of values, by the current user, now, from
        the request's session and address; return its id"""
        transaction = Transaction()
        database = transaction.database
        table = cls.__table__()
        now = dt.datetime.now()
        session, address = request_origin()
        values = {'create_uid': transaction.user, 'create_date': now,
            'user': transaction.user, 'session': session,
            'ip_address': address, 'date': now, **values}
        cursor = transaction.connection.cursor()
        insert = table.insert(
            [Column(table, n) for n in values], [list(values.values())])
        if database.has_returning():
            insert.returning = [table.id]
            cursor.execute(*insert)
            return cursor.fetchone()[0]
        cursor.execute(*insert)
        return database.lastid(cursor)

    @classmethod
    def _insert(cls, model, ids, action, changed=None, operation=None,
            user=None, offices=None, reason=None, shown=None):
        """One insert for the lines of ids, with the office of each record;
        user: the current one if None, nobody if False"""
        transaction = Transaction()
        table = cls.__table__()
        now = dt.datetime.now()
        if user is None:
            user = transaction.user
        elif user is False:
            user = None
        if offices is None:
            offices = cls.offices_of(model, ids)
        session, address = request_origin()
        changed = ','.join(sorted(changed)) if changed else None
        cursor = transaction.connection.cursor()
        cursor.execute(*table.insert(
                [table.create_uid, table.create_date, table.user,
                    table.action, table.model, table.record, table.office,
                    table.changed_fields, table.shown_classes,
                    table.operation, table.reason,
                    table.session, table.ip_address, table.date],
                [[user, now, user, action, model, i, offices.get(i),
                        changed, shown, operation, reason, session, address,
                        now]
                    for i in sorted(ids, key=lambda i: (i is None, i))]))

    @classmethod
    def offices_of(cls, model, ids):
        "The office of each record of model that has one"
        Model = Pool().get(model) if model else None
        query = getattr(Model, '_audit_office_query', None)
        offices = {}
        if query is None:
            return offices
        cursor = Transaction().connection.cursor()
        for sub_ids in grouped_slice([i for i in ids if i], 1000):
            cursor.execute(*query(list(sub_ids)))
            offices.update(cursor)
        return offices

    @classmethod
    def log_refusal(cls, model, ids, operation):
        """Keep a line for each record an operation was refused on, written
        once the refused request's transaction has ended (it is rolled back
        and would take the line with it)"""
        transaction = Transaction()
        request = transaction.context.get('_request')
        if not transaction.user or not isinstance(request, dict):
            # only requests from outside: the module's own checks are not
            # attempts
            return
        database = transaction.database.name
        user = transaction.user
        context = {'_request': request}
        ids = sorted({int(i) for i in ids if i is not None and int(i) >= 0})

        def write():
            with Transaction(new=True).start(
                    database, 0, context=context) as log_transaction:
                Log = Pool(database).get(cls.__name__)
                # a line without record when the request named none
                Log._insert(model, ids or [None], 'denied',
                    operation=operation, user=user)
                log_transaction.commit()
        transaction.atexit(write)

    @classmethod
    def log_anonymisation(cls, model, record, reason):
        "The line of a record anonymised, with the reason given"
        cls._insert(model, [record], 'anonymise', reason=reason)

    @classmethod
    def log_session(cls, user, reason):
        "A request refused because its session expired or is unknown"
        User = Pool().get('res.user')
        users = User.__table__()
        cursor = Transaction().connection.cursor()
        # the user comes from the request: it may name no one
        cursor.execute(*users.select(users.id, where=users.id == user))
        if not cursor.fetchone():
            user = None
        cls._insert(None, [None], 'session', operation=reason, user=user,
            offices={})


class AuditMixin(
        UserScopeSearchMixin, ReferencesInScopeMixin, RevisionsInScopeMixin):
    """Every read of a record through the application, every creation,
    change and deletion, and every refused attempt, in the audit trail"""
    __slots__ = ()

    # the field leading to the record that holds the office, if not this one
    _audit_office_through = None

    @classmethod
    def _audit_office_query(cls, ids):
        "SELECT id, office of the records: their office in the trail"
        table = cls.__table__()
        through = (cls._audit_office_through
            or getattr(cls, '_office_through', None))
        if not through:
            return table.select(table.id, table.office,
                where=fields.SQL_OPERATORS['in'](table.id, ids))
        holder = getattr(cls, through).get_target().__table__()
        return table.join(holder,
            condition=getattr(table, through) == holder.id
            ).select(table.id, holder.office,
                where=fields.SQL_OPERATORS['in'](table.id, ids))

    @classmethod
    def _audit_log(cls):
        return Pool().get('momd.access.log')

    @classmethod
    def read(cls, ids, fields_names):
        transaction = Transaction()
        try:
            result = super().read(ids, fields_names)
        except AccessError:
            cls._audit_log().log_refusal(cls.__name__, ids, 'read')
            raise
        # reading only the ids (as the button checks do) shows nothing
        if (ids and transaction.user and transaction.check_access
                and set(fields_names or ()) != {'id'}):
            cls._audit_log().log(cls.__name__, ids,
                fields_names=fields_names)
        return result

    @classmethod
    def create(cls, vlist):
        busy = _busy.setdefault(Transaction(), [])
        busy.append(cls.__name__)
        try:
            records = super().create(vlist)
        finally:
            busy.pop()
        cls._audit_log()._insert(
            cls.__name__, [r.id for r in records], 'create')
        return records

    @classmethod
    def write(cls, *args):
        busy = _busy.setdefault(Transaction(), [])
        nested = cls.__name__ in busy
        busy.append(cls.__name__)
        try:
            super().write(*args)
        except AccessError:
            ids = [r.id for records in args[::2] for r in records]
            cls._audit_log().log_refusal(cls.__name__, ids, 'write')
            raise
        finally:
            busy.pop()
        if nested:
            return
        actions = iter(args)
        for records, values in zip(actions, actions):
            if records:
                cls._audit_log()._insert(cls.__name__,
                    [r.id for r in records], 'write', changed=values)

    @classmethod
    def delete(cls, records):
        Log = cls._audit_log()
        ids = [r.id for r in records]
        offices = Log.offices_of(cls.__name__, ids)
        try:
            super().delete(records)
        except AccessError:
            Log.log_refusal(cls.__name__, ids, 'delete')
            raise
        if ids:
            Log._insert(cls.__name__, ids, 'delete', offices=offices)


class Session(metaclass=PoolMeta):
    __name__ = 'ir.session'

    @classmethod
    def check(cls, user, key, domain=None):
        found = super().check(user, key, domain=domain)
        request = Transaction().context.get('_request')
        if found:
            if isinstance(request, dict):
                # the lines this request writes in the trail name the session
                request['momd_session'] = session_digest(key)
        elif domain is None:
            AccessLog = Pool().get('momd.access.log')
            AccessLog.log_session(
                user, 'expired' if found is False else 'unknown')
        return found

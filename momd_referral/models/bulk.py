"""Many new records of a model written at once: how an import brings its
rows into the registry.

Model.create inserts the records, reads them back to validate them, then
writes their computed fields again (an UPDATE and a second history row);
for an import of thousands of rows that was most of its time. insert()
does what create does, once per group:

- the values prepared as create prepares them (_before_create, with its
  checks and preprocess_values; the defaults) and the computed fields
  (compute_fields) given to the INSERT itself;
- one INSERT of the rows (multi-row on PostgreSQL), the history rows; a row
  the database refuses gets the error create gives (the field required,
  the constraint's message);
- the model's own validation (_validate: required fields, sizes,
  selections, domains, constraints, validate_fields) on records that hold
  the values written instead of reading them back;
- what follows a creation: check_modification, on_modification, the
  triggers, the audit line.

A refused group is undone by the caller's savepoint. What a model's own
create adds (the office's numbers, the activities of a new case) is done
by the caller. It is the system's path, for records the server itself
creates, never with a client's access checks on. tests/bulk_tests.py
compares, table by table, what it writes with what create writes, and
fails when a model written here gains a hook of creation it does not know.
"""
from sql import Column
from sql.functions import CurrentTimestamp

from trytond import backend
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import Exclude, Unique, fields
from trytond.model.exceptions import RequiredValidationError
from trytond.model.modelstorage import local_cache
from trytond.model.modelsql import SQLConstraintError
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .audit import AuditMixin

# the columns the ORM fills itself
_MAGIC = {'id', 'create_uid', 'create_date', 'write_uid', 'write_date'}


class BulkRefused(Exception):
    "The database refused a record of the group (a unique document...)"


def stored(field):
    "Whether the field is a column the INSERT fills"
    return (not isinstance(field, fields.Function)
        and not hasattr(field, 'set') and bool(field.sql_type()))


def insert(Model, vlist):
    """Create the records of vlist, values of stored fields only, as
    Model.create would; BulkRefused when the database refuses one"""
    transaction = Transaction()
    if transaction.check_access:
        raise RuntimeError('bulk.insert is the system\'s path')
    if not vlist:
        return []
    vlist = Model._before_create([dict(v) for v in vlist])
    _add_defaults(Model, vlist)
    # a new record has none of the records of its lists
    lists = {n: [] for n, f in Model._fields.items()
        if f._type in {'one2many', 'many2many'}}
    records = [Model(**lists, **values) for values in vlist]
    for record, values in zip(records, vlist):
        # the computed values go with the INSERT (create writes them after)
        computed = record.compute_fields()
        values.update(computed)
        for name, value in computed.items():
            setattr(record, name, value)
    ids = _insert_rows(Model, vlist)
    Model._insert_history(ids)
    # validated as create validates, on the records written (for the
    # constraints and domains searched), holding the values written instead
    # of reading them again; what they do not hold (the computed fields) is
    # read for all at once, as for records browsed together. Refused, the
    # caller's savepoint undoes the rows
    cache = local_cache(Model)
    for record, id_ in zip(records, ids):
        # the record of the values becomes the record written
        record._id, record._ids, record._local_cache = id_, ids, cache
    _validate(Model, records)
    records = Model.browse(ids)
    _after_create(Model, records)
    return records


def _validate(Model, records):
    """Model._validate of the records; the error says which one is refused
    (its index, as index) when only one is refused on its own (records
    refused together, as two of one document, are not told apart)"""
    try:
        Model._validate(records)
    except UserError as error:
        refused = []
        for index, record in enumerate(records):
            try:
                Model._validate([record])
            except UserError:
                refused.append(index)
        if len(refused) == 1:
            error.index, = refused
        raise


def _add_defaults(Model, vlist):
    "Fill each values with the defaults of the columns it lacks"
    defaults = {}
    columns = [n for n, f in Model._fields.items()
        if n not in _MAGIC and stored(f)]
    for values in vlist:
        missing = [n for n in columns if n not in values]
        wanted = [n for n in missing if n not in defaults]
        if wanted:
            defaults.update({n: None for n in wanted})
            defaults.update(Model._clean_defaults(
                    Model.default_get(wanted, with_rec_name=False)))
        for name in missing:
            values[name] = defaults[name]


def _insert_rows(Model, vlist):
    "INSERT the rows of vlist; their ids in order"
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    table = Model.__table__()
    names = sorted(set().union(*vlist))
    for name in names:
        if not stored(Model._fields[name]):
            raise ValueError('%s.%s is not a column' % (Model.__name__, name))
    columns = [table.create_uid, table.create_date] + [
        Column(table, n) for n in names]
    rows = [[transaction.user] + [
            Model._fields[n].sql_format(values.get(n)) for n in names]
        for values in vlist]
    # the refused INSERT undone alone: the transaction goes on to say why
    cursor.execute('SAVEPOINT momd_bulk_insert')
    try:
        ids = _insert(Model, table, columns, rows)
    except backend.DatabaseIntegrityError as error:
        cursor.execute('ROLLBACK TO SAVEPOINT momd_bulk_insert')
        raise _refusal(Model, error, vlist) from error
    cursor.execute('RELEASE SAVEPOINT momd_bulk_insert')
    return ids


def _insert(Model, table, columns, rows):
    transaction = Transaction()
    database = transaction.database
    cursor = transaction.connection.cursor()
    ids = database.nextid(transaction.connection, Model._table,
        count=len(rows))
    if ids is not None:
        ids = ids if isinstance(ids, list) else [ids]
        size = backend.MAX_QUERY_PARAMS // (len(columns) + 1)
        for group in grouped_slice(list(zip(rows, ids)), size):
            cursor.execute(*table.insert(columns + [table.id], [
                        [r[0], CurrentTimestamp(), *r[1:], i]
                        for r, i in group]))
        return ids
    # SQLite: one statement, composed once, each row its id
    query, params = table.insert(columns, [
            [rows[0][0], CurrentTimestamp(), *rows[0][1:]]])
    if len(params) != len(rows[0]):
        raise ValueError('a value of %s is no parameter' % Model.__name__)
    ids = []
    for row in rows:
        cursor.execute(query, row)
        ids.append(database.lastid(cursor))
    return ids


def _refusal(Model, error, vlist):
    """The error create gives for the database's refusal of vlist: a
    required field left empty, the message of the model's constraint
    refused, else BulkRefused"""
    for name, field in Model._fields.items():
        empty = [i for i, v in enumerate(vlist) if v.get(name) is None]
        if (field.required and stored(field) and name not in _MAGIC
                and empty):
            refusal = RequiredValidationError(gettext(
                    'ir.msg_required_validation', **Model.__names__(name)))
            if len(empty) == 1:
                refusal.index, = empty
            return refusal
    text = str(error)
    for name, constraint, message in Model._sql_constraints:
        named = backend.TableHandler.convert_name(
            '%s_%s' % (Model._table, name))
        columns = getattr(constraint, 'columns', None) or []
        if named in text or (
                isinstance(constraint, (Unique, Exclude)) and all(
                    isinstance(c, Column) and c.name in text
                    for c in columns)):
            return SQLConstraintError(gettext(message))
    return BulkRefused(Model.__name__)


def _after_create(Model, records):
    "What create does once the records are written and validated"
    pool = Pool()
    Trigger = pool.get('ir.trigger')
    transaction = Transaction()
    ids = [r.id for r in records]
    transaction.counter += 1
    Model.check_modification('create', records, external=False)
    Model.on_modification('create', records)
    for trigger in Trigger.get_triggers(Model.__name__, 'create'):
        trigger.queue_trigger_action(records)
    transaction.create_records[Model.__name__].extend(ids)
    if issubclass(Model, AuditMixin):
        Model._audit_log()._insert(Model.__name__, ids, 'create')

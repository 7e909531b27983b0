"The access log: who opened which confidential record, and when."
import datetime as dt
import weakref

from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.transaction import Transaction

# what each transaction has already logged: a record read five times while
# one button is pressed is one line
_logged = weakref.WeakKeyDictionary()


class AccessLog(ModelSQL, ModelView):
    "Who opened which beneficiary, household, consent or case, and when"
    __name__ = 'momd.access.log'
    __string__ = "Access Log"

    user = fields.Many2One('res.user', "User", readonly=True)
    model = fields.Char("Model", readonly=True)
    record = fields.Integer("Record", readonly=True)
    date = fields.Timestamp("Date", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.user, Index.Range()), (t.date, Index.Range())),
                Index(t, (t.model, Index.Equality()),
                    (t.record, Index.Range())),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def log(cls, model, ids):
        "Write one row per record read, with one insert"
        transaction = Transaction()
        seen = _logged.setdefault(transaction, set())
        ids = {i for i in map(int, ids) if (model, i) not in seen}
        if not ids:
            return
        seen.update((model, i) for i in ids)
        if transaction.readonly:
            # reads run in read-only transactions: the log has its own
            with transaction.new_transaction() as log_transaction:
                cls._insert(log_transaction, model, ids)
                log_transaction.commit()
        else:
            cls._insert(transaction, model, ids)

    @classmethod
    def _insert(cls, transaction, model, ids):
        table = cls.__table__()
        now = dt.datetime.now()
        user = Transaction().user
        cursor = transaction.connection.cursor()
        cursor.execute(*table.insert(
                [table.create_uid, table.create_date, table.user,
                    table.model, table.record, table.date],
                [[user, now, user, model, i, now]
                    for i in sorted(ids)]))

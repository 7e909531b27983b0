"""Small cells of the statistics hidden wherever a user reads them.

A count of people below the configured size (momd.configuration's small
cell threshold, 5 by default) could point to a person: in the lists,
graphs and dashboards it is empty, and in a spreadsheet "<5"; a rate or a
time is left out when its row counts too few people, or when it would give
away a hidden count. What the server answers a user is the gate, not the
screen:

- a read gives them empty (the records' own code, the exports, read the
  counts as they are);
- a search whose condition on a count would tell two small counts apart
  (registered = 3, referred < 4...) is refused, naming the field, and so is
  a condition on a rate or a time;
- the rows ordered by a count are ordered as if the small counts were 0,
  and by a rate or a time as if those of small rows were empty.
"""
from sql import Column, Literal, Null
from sql.conditionals import Case

from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.transaction import Transaction

from .owned_fields import from_client

# the operators whose test a small count could be told apart by
OPERATORS = {
    '=': lambda a, b: a == b,
    '!=': lambda a, b: a != b,
    '<': lambda a, b: b is not None and a < b,
    '<=': lambda a, b: b is not None and a <= b,
    '>': lambda a, b: b is not None and a > b,
    '>=': lambda a, b: b is not None and a >= b,
    'in': lambda a, b: a in (b or []),
    'not in': lambda a, b: a not in (b or []),
    }


def _hiding():
    "Whether the counts read now are hidden (a user's request)"
    return (from_client()
        and not Transaction().context.get('_momd_small_cells_raw'))


def small_count(value, threshold):
    "Whether the count is one to hide: above 0, below the threshold"
    return 0 < (value or 0) < threshold


class SmallCellMixin:
    "The counts of people of a statistics model, small ones hidden"
    __slots__ = ()
    # counts of people: hidden below the configured size
    _people_fields = ()
    # the count of a row below which the derived fields are hidden
    _sample_field = None
    _sample_derived = ()
    # the counts each rate would give away, were it shown beside them:
    # {field: function of a record giving the counts}
    _rate_counts = {}

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # the order by a count or a derived column, as hidden (a computed
        # rate or time is not ordered by)
        for name in cls._people_fields + tuple(cls._sample_derived):
            if isinstance(getattr(cls, name, None), fields.Function):
                continue
            if not hasattr(cls, 'order_' + name):
                setattr(cls, 'order_' + name,
                    classmethod(lambda c, tables, n=name: c._order_hidden(
                            tables, n)))

    @classmethod
    def small_cell_threshold(cls):
        "Counts of people below it are shown as \"<N\" (0: all shown)"
        Configuration = Pool().get('momd.configuration')
        return Configuration(1).small_cell_threshold or 0

    @classmethod
    def read(cls, ids, fields_names):
        rows = super().read(ids, fields_names)
        if not _hiding() or not rows:
            return rows
        threshold = cls.small_cell_threshold()
        if not threshold:
            return rows
        names = set(fields_names)
        if not names & (set(cls._people_fields) | set(cls._sample_derived)
                | set(cls._rate_counts)):
            return rows
        if not ((cls._sample_field and names & set(cls._sample_derived))
                or names & set(cls._rate_counts)):
            # only counts read: each hidden on its own (a statistic of
            # years has hundreds of thousands of rows)
            counts = [n for n in cls._people_fields if n in names]
            for row in rows:
                for name in counts:
                    if small_count(row[name], threshold):
                        row[name] = None
            return rows
        # the counts as they are, to know what they would give away
        with Transaction().set_context(_momd_small_cells_raw=True):
            records = {r.id: r for r in cls.browse([r['id'] for r in rows])}
            for row in rows:
                for name in cls._hidden_cells(
                        records[row['id']], row, names, threshold):
                    row[name] = None
        return rows

    @classmethod
    def _hidden_cells(cls, record, values, names, threshold):
        """The fields of names whose cell is hidden on the row of record: a
        count of people below threshold (values: the counts of the row),
        every derived field of a row of too few people, and a rate that
        would give a hidden count away (from the record, read as it is)"""
        def small(value):
            return small_count(value, threshold)
        hidden = {n for n in names
            if n in cls._people_fields and small(values.get(n))}
        derived = [n for n in names if n in cls._sample_derived]
        if derived and cls._sample_field and (
                getattr(record, cls._sample_field) or 0) < threshold:
            hidden.update(derived)
        hidden.update(n for n in names if n in cls._rate_counts
            and any(small(c) for c in cls._rate_counts[n](record)))
        return hidden

    @classmethod
    def search(cls, domain, offset=0, limit=None, order=None, count=False,
            query=False):
        if _hiding():
            cls._check_small_cells(domain)
        return super().search(domain, offset=offset, limit=limit,
            order=order, count=count, query=query)

    @classmethod
    def _check_small_cells(cls, domain):
        """Refuse a condition of domain on a count that tells small counts
        apart, or on a rate or a time"""
        threshold = cls.small_cell_threshold()
        if not threshold or not isinstance(domain, (list, tuple)):
            return
        for clause in domain:
            if not isinstance(clause, (list, tuple)) or not clause:
                continue
            if not isinstance(clause[0], str) or len(clause) < 3:
                cls._check_small_cells(clause)
                continue
            name, operator, value = clause[0].split('.')[0], clause[1], (
                clause[2])
            derived = (set(cls._sample_derived) | set(cls._rate_counts))
            if name in cls._people_fields:
                test = OPERATORS.get(operator)
                try:
                    answers = {test(n, value) for n in range(1, threshold)}
                except TypeError:
                    answers = {None, True}
                if test is not None and len(answers) <= 1:
                    continue
                message = 'momd_referral.msg_small_cells_search'
            elif name in derived:
                message = 'momd_referral.msg_small_cells_search_derived'
            else:
                continue
            raise AccessError(gettext(message,
                    field=cls.__names__(name)['field'],
                    threshold=threshold))

    @classmethod
    def _order_hidden(cls, tables, name):
        "The order by the column name as a user reads it"
        table, _ = tables[None]
        column = Column(table, name)
        if not _hiding():
            return [column]
        threshold = cls.small_cell_threshold()
        if name in cls._people_fields:
            return [Case(((column > 0) & (column < threshold), Literal(0)),
                    else_=column)]
        sample = Column(table, cls._sample_field)
        return [Case((sample < threshold, Null), else_=column)]

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        # the counts as they are, shown as "<N" below
        with Transaction().set_context(_momd_small_cells_raw=True):
            records = cls.browse([r.id for r in records])
            data = super().export_data(records, fields_names, header=header)
        threshold = cls.small_cell_threshold()
        # a small count shown as "<N"; a rate or a time of too few people,
        # or telling a count so hidden, left out
        for record, row in zip(records, data[1 if header else 0:]):
            hidden = cls._hidden_cells(record, dict(zip(fields_names, row)),
                fields_names, threshold)
            for i, name in enumerate(fields_names):
                if name in hidden:
                    row[i] = ('<%s' % threshold
                        if name in cls._people_fields else '')
        return data

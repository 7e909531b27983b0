"""Statistics for managers, supervisors and providers: counts computed by the
database, read-only, over the records the user may read (the record rules
of the counted model are applied to the rows before they are grouped)."""
import datetime as dt
import statistics
from collections import defaultdict
from weakref import WeakKeyDictionary

from sql import Cast, Column, Literal, Null
from sql.aggregate import Count, Max, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import CurrentTimestamp, Substring
from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.model.modelsql import convert_from
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.tools import cursor_dict
from trytond.transaction import Transaction, inactive_records

from ..exceptions import StatisticsError
from . import referral as referral_module
from .beneficiary import DISPLACEMENT_STATUS, SEX, _shift_years
from .case import PRIORITIES
from .mixins import sees_restricted, written_by_system
from .outreach import AGE_GROUPS, COUNTS
from .provider import PROVIDER_TYPES
from .replica import reporting_cursor
from .small_cells import SmallCellMixin
from .referral import DECLINE_REASONS, STATES

# the outreach age groups, with keys sorted as the ages
STATISTIC_AGE_GROUPS = [
    ('00_05', AGE_GROUPS[0][1]), ('06_17', AGE_GROUPS[1][1]),
    ('18_59', AGE_GROUPS[2][1]), ('60', AGE_GROUPS[3][1]),
    ('unknown', "Unknown")]
# The dimensions the referral KPIs may be grouped by, in column order
KPI_DIMENSIONS = [
    'month', 'office', 'district', 'category', 'provider', 'provider_type']


# The context keys the statistics depend on
CONTEXT_KEYS = {'kpi_by', 'from_date', 'to_date', 'office', 'district'}
# Each transaction's last statistics searched, by model, user and context
_memo = WeakKeyDictionary()
# The transactions whose next statistics search gives ids (search_read)
_ids_only = WeakKeyDictionary()
# Records of a context are not those of another
Transaction.cache_keys.update(CONTEXT_KEYS)


def readable(model_name, table):
    """The table joined to what the model's record rules need, and the
    condition keeping the rows the user may read (as search does)"""
    pool = Pool()
    Rule = pool.get('ir.rule')
    Model = pool.get(model_name)
    if not Transaction().user:
        return table, Literal(True)
    # the same rows whether the user or the system reads them for the
    # user (a function field): their ids are the groups' own
    with Transaction().set_context(_check_access=True):
        domain = Rule.domain_get(model_name, mode='read')
    if not domain:
        return table, Literal(True)
    with Transaction().set_user(0, set_context=True), inactive_records():
        tables, condition = Model.search_domain(
            domain, active_test=False, tables={None: (table, None)})
    return convert_from(None, tables), condition


def unrestricted(table):
    """The condition leaving out the rows of restricted categories for a
    user who may not know of them (they are counted by no one else)"""
    with Transaction().set_context(_check_access=True):
        if sees_restricted():
            return Literal(True)
    return table.restricted == Literal(False)


def district_of(from_, location):
    """Join the location's ancestors to from_; return it with the district:
    the location itself or one of the two levels above it"""
    Location = Pool().get('momd.location')
    levels = [Location.__table__() for _ in range(3)]
    from_ = from_.join(levels[0], 'LEFT', condition=location == levels[0].id)
    for child, parent in zip(levels, levels[1:]):
        from_ = from_.join(
            parent, 'LEFT', condition=child.parent == parent.id)
    district = Case(
        *((l.level == 'district', l.id) for l in levels), else_=Null)
    return from_, district


def label_of(Model, name, column):
    "The label of the selection field's value, in the user's language"
    selection = Model.fields_get([name])[name]['selection']
    return Case(*((column == key, label) for key, label in selection
            if key is not None), else_=Null)


def month_of(column):
    "YYYY-MM of a date or timestamp, as both databases write them"
    return Substring(Cast(column, 'VARCHAR'), 1, 7)


def period():
    """The dates the user chose (statistics context), checked: the first
    day and the day after the last, as timestamps"""
    pool = Pool()
    Date = pool.get('ir.date')
    context = Transaction().context
    from_date, to_date = context.get('from_date'), context.get('to_date')
    today = Date.today()
    if from_date and from_date > today:
        raise StatisticsError(gettext(
                'momd_referral.msg_statistics_future', date=from_date))
    if from_date and to_date and to_date < from_date:
        raise StatisticsError(gettext(
                'momd_referral.msg_statistics_period',
                from_date=from_date, to_date=to_date))
    start = dt.datetime.combine(from_date, dt.time()) if from_date else None
    end = (dt.datetime.combine(to_date + dt.timedelta(days=1), dt.time())
        if to_date else None)
    return start, end


def in_period(column, start, end, as_date=False):
    if as_date:
        start = start.date() if start else None
        end = end.date() if end else None
    condition = Literal(True)
    if start:
        condition &= column >= start
    if end:
        condition &= column < end
    return condition


def chosen(column, name):
    "Keep the rows of the office, district... chosen in the context"
    value = Transaction().context.get(name)
    return column == value if value else Literal(True)


class StatisticMixin:
    "A read-only table of counts grouped by the database"
    __slots__ = ()

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('month', 'DESC'), ('id', 'ASC')]
        # computed from the records: no client changes them
        written_by_system(cls)

    def get_rec_name(self, name):
        # a row is named by its month, as the dialogs opened on it show
        return self.month or ''

    @classmethod
    def _memo_key(cls):
        context = Transaction().context
        return (cls.__name__, Transaction().user, tuple(
                (k, repr(context.get(k))) for k in sorted(CONTEXT_KEYS)))

    @classmethod
    def search(cls, domain, offset=0, limit=None, order=None, count=False,
            query=False):
        # the rows are computed once: the search keeps them for the read
        # that follows it in the transaction (search_read, the reports)
        if count or query:
            return super().search(domain, offset=offset, limit=limit,
                order=order, count=count, query=query)
        select = super().search(
            domain, offset=offset, limit=limit, order=order, query=True)
        table = select.columns[0].expression.table
        columns = [table.id.as_('id')]
        for name in cls._memo_fields():
            column = Column(table, name).as_(name)
            if backend.name == 'sqlite':
                column.output_name += ' [%s]' % (
                    cls._fields[name].sql_type().base)
            columns.append(column)
        select.columns = columns
        with reporting_cursor() as cursor:
            cursor.execute(*select)
            rows = list(cursor_dict(cursor, 1000))
        _memo.setdefault(Transaction(), {})[cls._memo_key()] = {
            r['id']: r for r in rows}
        ids = [r['id'] for r in rows]
        if _ids_only.pop(Transaction(), False):
            return ids
        return cls.browse(ids)

    @classmethod
    def search_read(cls, domain, offset=0, limit=None, order=None,
            fields_names=None):
        # as Tryton's, without a record made for each row found (years of
        # statistics are hundreds of thousands of rows)
        _ids_only[Transaction()] = True
        try:
            ids = list(map(int, cls.search(
                        domain, offset=offset, limit=limit, order=order)))
        finally:
            _ids_only.pop(Transaction(), None)
        fields_names = list(fields_names or ['id'])
        if 'id' not in fields_names:
            fields_names.append('id')
        rows = cls.read(ids, fields_names)
        index = {i: n for n, i in enumerate(ids)}
        rows.sort(key=lambda r: index[r['id']])
        return rows

    @classmethod
    def _memo_fields(cls):
        return [n for n, f in cls._fields.items()
            if not isinstance(f, fields.Function) and f.sql_type()
            and n not in {'id', 'create_uid', 'create_date', 'write_uid',
                'write_date'}]

    @classmethod
    def read(cls, ids, fields_names):
        computed = [n for n in fields_names
            if isinstance(cls._fields.get(n), fields.Function)]
        stored = set(fields_names) - set(computed) - {'id'}
        if not stored <= set(cls._memo_fields()):
            return super().read(ids, fields_names)
        memo = _memo.get(Transaction(), {}).get(cls._memo_key())
        if memo is None or not all(i in memo for i in ids):
            # read in a request of its own (the web client searches, then
            # reads): the rows computed again, once
            cls.search([])
            memo = _memo[Transaction()][cls._memo_key()]
        ids, fields_names = cls._before_read(ids, fields_names)
        # a row is named by the first referral of its group: when a change
        # meanwhile (a step, a new referral) has moved that referral to
        # another group, the row is read empty; the list shows it again
        # when searched
        present = [i for i in ids if i in memo]
        rows = [{'id': i, **{n: memo[i][n] for n in stored}}
            for i in present]
        by_id = {r['id']: r for r in rows}
        getters = defaultdict(list)
        for name in computed:
            getters[cls._fields[name].getter].append(name)
        for names in getters.values():
            field = cls._fields[names[0]]
            if field.getter_multiple(getattr(cls, field.getter)):
                values = field.get(present, cls, names, values=rows)
            else:
                values = {n: cls._fields[n].get(present, cls, n, values=rows)
                    for n in names}
            for name in names:
                for id_, value in values[name].items():
                    by_id[id_][name] = value
        gone = dict.fromkeys(set(fields_names) - {'id'})
        rows = [by_id.get(i) or {'id': i, **gone} for i in ids]
        return cls._after_read(rows)

    @classmethod
    def grouped(cls, rows, groups, *counts):
        "Group rows (a sub-query with an id) by groups, with the counts"
        return rows.select(
            Min(rows.id).as_('id'),
            Cast(Literal(0), 'INTEGER').as_('create_uid'),
            CurrentTimestamp().as_('create_date'),
            Cast(Null, 'INTEGER').as_('write_uid'),
            Cast(Null, 'TIMESTAMP').as_('write_date'),
            *groups, *counts,
            group_by=groups)


class StatisticContext(ModelView):
    "The period and place the statistics are computed for"
    __name__ = 'momd.statistic.context'
    __string__ = "Statistics Filter"

    from_date = fields.Date(
        "From Date",
        domain=[If(Eval('from_date') & Eval('to_date'),
                ('from_date', '<=', Eval('to_date')), ())])
    to_date = fields.Date(
        "To Date",
        domain=[If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')), ())])
    office = fields.Many2One('momd.office', "Office")
    district = fields.Many2One(
        'momd.location', "District", domain=[('level', '=', 'district')])


class ReferralStatistic(
        SmallCellMixin, StatisticMixin, ModelSQL, ModelView):
    "Referrals counted by month, office, district, category, provider, "
    "state and priority"
    __name__ = 'momd.referral.statistic'
    __string__ = "Referral Statistics"
    _people_fields = ('referrals',)

    month = fields.Char("Month", help="Of sending, or of creation for drafts.")
    office = fields.Many2One('momd.office', "Office")
    district = fields.Many2One('momd.location', "District")
    category = fields.Many2One('momd.service.category', "Service Category")
    provider = fields.Many2One('momd.provider', "Provider")
    provider_type = fields.Selection(PROVIDER_TYPES, "Provider Type")
    state = fields.Selection(STATES, "State")
    priority = fields.Selection(PRIORITIES, "Priority")
    decline_reason = fields.Selection(DECLINE_REASONS, "Decline Reason")
    # the labels, for the graphs
    state_label = fields.Char("State")
    decline_reason_label = fields.Char("Decline Reason")
    referrals = fields.Integer("Referrals")

    @classmethod
    def table_query(cls):
        pool = Pool()
        referral = pool.get('momd.referral').__table__()
        need = pool.get('momd.need').__table__()
        provider = pool.get('momd.provider').__table__()
        start, end = period()
        date = Coalesce(referral.sent_date, referral.create_date)
        # one row per referral first: PostgreSQL groups by the columns of
        # a sub-query, not by an expression passed twice with parameters
        from_, allowed = readable('momd.referral', referral)
        rows = (from_
            .join(need, condition=referral.need == need.id)
            .join(provider, condition=referral.provider == provider.id)
            .select(
                referral.id.as_('id'),
                month_of(date).as_('month'),
                referral.office.as_('office'),
                referral.district.as_('district'),
                need.category.as_('category'),
                referral.provider.as_('provider'),
                provider.type.as_('provider_type'),
                referral.state.as_('state'),
                referral.priority.as_('priority'),
                referral.decline_reason.as_('decline_reason'),
                where=allowed
                & in_period(date, start, end)
                & chosen(referral.office, 'office')
                & chosen(referral.district, 'district')))
        groups = [rows.month, rows.office, rows.district, rows.category,
            rows.provider, rows.provider_type, rows.state, rows.priority,
            rows.decline_reason]
        return cls.grouped(rows, groups,
            Count(rows.id).as_('referrals'),
            # labelled once grouped, not for each row
            label_of(cls, 'state', rows.state).as_('state_label'),
            label_of(cls, 'decline_reason', rows.decline_reason).as_(
                'decline_reason_label'))


class BeneficiaryStatistic(
        SmallCellMixin, StatisticMixin, ModelSQL, ModelView):
    "Beneficiaries registered, referred and reached by month, office, "
    "district, displacement status, sex and age group"
    __name__ = 'momd.beneficiary.statistic'
    __string__ = "Beneficiary Statistics"
    _people_fields = ('registered', 'referred', 'reached')

    month = fields.Char("Month", help="Of registration.")
    office = fields.Many2One('momd.office', "Office")
    district = fields.Many2One(
        'momd.location', "District", help="Where the beneficiary lives.")
    displacement_status = fields.Selection(
        DISPLACEMENT_STATUS, "Displacement Status")
    sex = fields.Selection(SEX, "Sex")
    age_group = fields.Selection(
        STATISTIC_AGE_GROUPS, "Age Group", sort=False,
        help="Age today, from the date of birth or the estimated age.")
    # the labels, for the graphs
    displacement_status_label = fields.Char("Displacement Status")
    sex_label = fields.Char("Sex")
    age_group_label = fields.Char("Age Group")
    registered = fields.Integer("Registered")
    referred = fields.Integer(
        "Referred", help="With at least one referral sent to a provider.")
    reached = fields.Integer(
        "Reached",
        help="With at least one service provided, fully or in part.")

    @classmethod
    def table_query(cls):
        pool = Pool()
        Date = pool.get('ir.date')
        beneficiary = pool.get('momd.beneficiary').__table__()
        case = pool.get('momd.case').__table__()
        referral = pool.get('momd.referral').__table__()
        start, end = period()

        flag = lambda condition: Max(Case((condition, 1), else_=0))
        reach = (referral
            .join(case, condition=referral.case == case.id)
            .select(
                case.beneficiary.as_('beneficiary'),
                flag(referral.sent_date != Null).as_('referred'),
                flag(referral.outcome.in_(['provided', 'partly'])).as_(
                    'reached'),
                where=unrestricted(referral),
                group_by=[case.beneficiary]))

        today = Date.today()
        born = beneficiary.age_reference
        age_group = Case(
            (born == Null, 'unknown'),
            (born > _shift_years(today, -6), '00_05'),
            (born > _shift_years(today, -18), '06_17'),
            (born > _shift_years(today, -60), '18_59'),
            else_='60')
        from_, allowed = readable('momd.beneficiary', beneficiary)
        from_, district = district_of(
            from_.join(reach, 'LEFT',
                condition=reach.beneficiary == beneficiary.id),
            beneficiary.current_location)
        rows = from_.select(
            beneficiary.id.as_('id'),
            month_of(beneficiary.create_date).as_('month'),
            beneficiary.office.as_('office'),
            district.as_('district'),
            beneficiary.displacement_status.as_('displacement_status'),
            beneficiary.sex.as_('sex'),
            age_group.as_('age_group'),
            Coalesce(reach.referred, 0).as_('referred'),
            Coalesce(reach.reached, 0).as_('reached'),
            where=(beneficiary.active == Literal(True)) & allowed
            & in_period(beneficiary.create_date, start, end)
            & chosen(beneficiary.office, 'office'))
        if Transaction().context.get('district'):
            rows = rows.select(*(getattr(rows, c) for c in [
                        'id', 'month', 'office', 'district',
                        'displacement_status', 'sex', 'age_group',
                        'referred', 'reached']),
                where=chosen(rows.district, 'district'))
        groups = [rows.month, rows.office, rows.district,
            rows.displacement_status, rows.sex, rows.age_group]
        return cls.grouped(rows, groups,
            Count(rows.id).as_('registered'),
            Sum(rows.referred).as_('referred'),
            Sum(rows.reached).as_('reached'),
            *(label_of(cls, name, getattr(rows, name)).as_(name + '_label')
                for name in ['displacement_status', 'sex', 'age_group']))


class OutreachStatistic(
        SmallCellMixin, StatisticMixin, ModelSQL, ModelView):
    "People reached by the outreach events done, by month, office, district "
    "and kind"
    __name__ = 'momd.outreach.statistic'
    __string__ = "Outreach Statistics"
    _people_fields = tuple(COUNTS) + ('people', 'beneficiaries')

    month = fields.Char("Month")
    office = fields.Many2One('momd.office', "Office")
    district = fields.Many2One('momd.location', "District")
    kind = fields.Selection([
            ('open_day', "Open Day"),
            ('field_visit', "Field Visit"),
            ], "Kind")
    events = fields.Integer("Events")
    people = fields.Integer("People Reached")
    beneficiaries = fields.Integer(
        "Beneficiaries Registered", help="Registered at the events.")
    needs = fields.Integer("Needs Recorded")

    female_0_5 = fields.Integer("Girls 0-5")
    male_0_5 = fields.Integer("Boys 0-5")
    female_6_17 = fields.Integer("Girls 6-17")
    male_6_17 = fields.Integer("Boys 6-17")
    female_18_59 = fields.Integer("Women 18-59")
    male_18_59 = fields.Integer("Men 18-59")
    female_60 = fields.Integer("Women 60+")
    male_60 = fields.Integer("Men 60+")

    @classmethod
    def table_query(cls):
        pool = Pool()
        event = pool.get('momd.outreach.event').__table__()
        beneficiary = pool.get('momd.beneficiary').__table__()
        need = pool.get('momd.need').__table__()
        start, end = period()

        def per_event(table, where=Literal(True)):
            return table.select(
                table.outreach_event.as_('event'),
                Count(table.id).as_('number'),
                where=(table.outreach_event != Null) & where,
                group_by=[table.outreach_event])
        registered = per_event(beneficiary)
        recorded = per_event(need, unrestricted(need))
        from_, allowed = readable('momd.outreach.event', event)
        from_, district = district_of(
            from_
            .join(registered, 'LEFT', condition=registered.event == event.id)
            .join(recorded, 'LEFT', condition=recorded.event == event.id),
            event.location)
        counts = [Coalesce(getattr(event, c), 0) for c in COUNTS]
        rows = from_.select(
            event.id.as_('id'),
            month_of(event.date).as_('month'),
            event.office.as_('office'),
            district.as_('district'),
            event.kind.as_('kind'),
            *(c.as_(n) for c, n in zip(counts, COUNTS)),
            Coalesce(registered.number, 0).as_('beneficiaries'),
            Coalesce(recorded.number, 0).as_('needs'),
            where=(event.state == 'done') & allowed
            & in_period(event.date, start, end, as_date=True)
            & chosen(event.office, 'office'))
        groups = [rows.month, rows.office, rows.district, rows.kind]
        people = sum((getattr(rows, c) for c in COUNTS[1:]),
            getattr(rows, COUNTS[0]))
        return cls.grouped(rows, groups,
            Count(rows.id).as_('events'),
            *(Sum(getattr(rows, c)).as_(c) for c in COUNTS),
            Sum(people).as_('people'),
            Sum(rows.beneficiaries).as_('beneficiaries'),
            Sum(rows.needs).as_('needs'))


class ReferralKPI(
        SmallCellMixin, StatisticMixin, ModelSQL, ModelView):
    "Referral indicators: how many were answered and served, how fast"
    __name__ = 'momd.referral.kpi'
    __string__ = "Referral Indicators"
    _people_fields = (
        'sent', 'accepted', 'declined', 'completed', 'completed_in_time',
        'overdue', 'open')
    _sample_field = 'sent'
    _sample_derived = (
        'acceptance_rate', 'in_time_rate', 'acknowledgement_median',
        'acknowledgement_p90', 'completion_median', 'completion_p90')

    month = fields.Char("Month", help="Of sending.")
    office = fields.Many2One('momd.office', "Office")
    district = fields.Many2One('momd.location', "District")
    category = fields.Many2One('momd.service.category', "Service Category")
    provider = fields.Many2One('momd.provider', "Provider")
    provider_type = fields.Selection(PROVIDER_TYPES, "Provider Type")
    sent = fields.Integer("Sent")
    accepted = fields.Integer("Accepted")
    declined = fields.Integer("Declined")
    completed = fields.Integer("Completed")
    completed_in_time = fields.Integer(
        "Completed in Time", help="Before the completion deadline.")
    overdue = fields.Integer(
        "Overdue", help="Open now and past a deadline.")
    open = fields.Integer(
        "Open", help="Sent, accepted or in progress now.")
    acceptance_rate = fields.Function(fields.Float(
            "Acceptance Rate (%)", digits=(16, 1),
            help="Accepted out of the referrals answered."), 'get_rates')
    in_time_rate = fields.Function(fields.Float(
            "Completed in Time (%)", digits=(16, 1),
            help="Completed before the deadline out of those completed."),
        'get_rates')
    acknowledgement_median = fields.Function(fields.Float(
            "Answer Time, Median (hours)", digits=(16, 1),
            help="From sending to acceptance or decline."), 'get_times')
    acknowledgement_p90 = fields.Function(fields.Float(
            "Answer Time, 90% Within (hours)", digits=(16, 1)), 'get_times')
    completion_median = fields.Function(fields.Float(
            "Completion Time, Median (days)", digits=(16, 1),
            help="From sending to completion."), 'get_times')
    completion_p90 = fields.Function(fields.Float(
            "Completion Time, 90% Within (days)", digits=(16, 1)),
        'get_times')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('month', 'DESC'), ('sent', 'DESC'), ('id', 'ASC')]

    @classmethod
    def view_attributes(cls):
        # the columns of the dimensions not grouped by are empty
        return super().view_attributes() + [
            ('/tree/field[@name="%s"]' % d, 'tree_invisible',
                Eval('kpi_by', 'month') != d)
            for d in KPI_DIMENSIONS]

    def get_rec_name(self, name):
        values = (getattr(self, d) for d in self.dimensions()
            if d != 'provider_type')
        return ' — '.join(
            getattr(v, 'rec_name', v) for v in values if v) or ''

    @classmethod
    def export_columns(cls, names):
        "The list's columns but the dimensions not grouped by"
        dropped = set(KPI_DIMENSIONS) - set(cls.dimensions())
        return [n for n in names if n.split('.')[0] not in dropped]

    @classmethod
    def dimensions(cls):
        """The columns the indicators are grouped by: context kpi_by, one
        name or names joined by commas"""
        by = (Transaction().context.get('kpi_by') or 'month').split(',')
        return [d for d in KPI_DIMENSIONS if d in by] or ['month']

    @classmethod
    def referral_rows(cls):
        """One row per referral sent, with its dates, state and the
        dimensions grouped by (joining only the tables they need)"""
        pool = Pool()
        referral = pool.get('momd.referral').__table__()
        need = pool.get('momd.need').__table__()
        provider = pool.get('momd.provider').__table__()
        dimensions = cls.dimensions()
        start, end = period()
        from_, allowed = readable('momd.referral', referral)
        columns = {
            'month': month_of(referral.sent_date),
            'district': referral.district,
            'provider': referral.provider,
            }
        if 'office' in dimensions:
            columns['office'] = referral.office
        allowed &= chosen(referral.office, 'office')
        if 'category' in dimensions:
            from_ = from_.join(need, condition=referral.need == need.id)
            columns['category'] = need.category
        if 'provider_type' in dimensions:
            from_ = from_.join(
                provider, condition=referral.provider == provider.id)
            columns['provider_type'] = provider.type
        return from_.select(
            referral.id.as_('id'),
            *(columns[d].as_(d) for d in dimensions),
            referral.state.as_('state'),
            referral.decline_reason.as_('decline_reason'),
            referral.sent_date.as_('sent_date'),
            referral.answered_date.as_('answered_date'),
            referral.completed_date.as_('completed_date'),
            referral.acknowledge_before.as_('acknowledge_before'),
            referral.complete_before.as_('complete_before'),
            where=(referral.sent_date != Null) & allowed
            & in_period(referral.sent_date, start, end)
            & chosen(referral.district, 'district'))

    @classmethod
    def table_query(cls):
        rows = cls.referral_rows()
        date = referral_module.now()
        count = lambda condition: Sum(Case((condition, 1), else_=0))
        accepted = (rows.answered_date != Null) & (rows.decline_reason == Null)
        late = (((rows.state == 'sent') & (rows.acknowledge_before < date))
            | (rows.state.in_(['accepted', 'in_progress'])
                & (rows.complete_before < date)))
        groups = [getattr(rows, d) for d in cls.dimensions()]
        nulls = [cls._fields[d].sql_cast(Null).as_(d)
            for d in KPI_DIMENSIONS if d not in cls.dimensions()]
        return cls.grouped(rows, groups,
            *nulls,
            Count(rows.id).as_('sent'),
            count(accepted).as_('accepted'),
            count(rows.decline_reason != Null).as_('declined'),
            count(rows.completed_date != Null).as_('completed'),
            count((rows.completed_date != Null)
                & (rows.completed_date <= rows.complete_before)).as_(
                'completed_in_time'),
            count(late).as_('overdue'),
            count(rows.state.in_(['sent', 'accepted', 'in_progress'])).as_(
                'open'))

    # the counts each rate would give away, were it exported beside them
    _rate_counts = {
        'acceptance_rate': lambda k: [k.accepted, k.declined],
        'in_time_rate': lambda k: [
            k.completed_in_time,
            (k.completed or 0) - (k.completed_in_time or 0)],
        }

    def get_rates(self, name):
        part, whole = {
            'acceptance_rate': (
                self.accepted, (self.accepted or 0) + (self.declined or 0)),
            'in_time_rate': (self.completed_in_time, self.completed),
            }[name]
        if whole:
            return round(100 * (part or 0) / whole, 1)

    @classmethod
    def get_times(cls, kpis, names):
        "Median and 90th percentile of the answer and completion times"
        dimensions = cls.dimensions()

        def key(record):
            return tuple(
                getattr(v, 'id', v) for v in (getattr(record, d)
                    for d in dimensions))
        wanted = {key(k) for k in kpis}
        rows = cls.referral_rows()
        with reporting_cursor() as cursor:
            cursor.execute(*rows.select(
                    *(getattr(rows, d) for d in dimensions),
                    rows.sent_date, rows.answered_date, rows.completed_date,
                    where=(rows.answered_date != Null)
                    | (rows.completed_date != Null)))
            fetched = cursor.fetchall()
        answers, completions = defaultdict(list), defaultdict(list)
        for row in fetched:
            group = tuple(row[:len(dimensions)])
            if group not in wanted:
                continue
            sent, answered, completed = map(_timestamp, row[-3:])
            if answered:
                answers[group].append(
                    (answered - sent).total_seconds() / 3600)
            if completed:
                completions[group].append(
                    (completed - sent).total_seconds() / 86400)
        result = {n: {} for n in names}
        for kpi in kpis:
            group = key(kpi)
            for name, values in [
                    ('acknowledgement', answers[group]),
                    ('completion', completions[group])]:
                median, p90 = _median_p90(values)
                if name + '_median' in result:
                    result[name + '_median'][kpi.id] = median
                if name + '_p90' in result:
                    result[name + '_p90'][kpi.id] = p90
        return result


def _timestamp(value):
    "A timestamp as the backend returns it from a sub-query"
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def _median_p90(values):
    if not values:
        return None, None
    if len(values) == 1:
        return round(values[0], 1), round(values[0], 1)
    return (round(statistics.median(values), 1),
        round(statistics.quantiles(values, n=10, method='inclusive')[-1], 1))

"""Provider scorecards: for each provider and each of its services, month by
month, how many referrals it received, how it answered them, how fast, how
many it completed and in time, and how the beneficiaries rated the service.
Read by managers, office supervisors (the referrals of their offices) and
the provider's own focal points (their provider's rows only)."""
import datetime as dt
from collections import defaultdict

from sql import Null
from sql.aggregate import Avg, Count, Sum
from sql.conditionals import Case
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .referral import DECLINE_REASONS
from .small_cells import SmallCellMixin
from .statistics import (
    StatisticMixin, _median_p90, _timestamp, chosen, in_period, month_of,
    period, readable)

# The decline reasons, each counted in its own column
REASONS = [key for key, _ in DECLINE_REASONS if key]
# The times computed in Python, by the getter of the rows read
TIMES = ['accept_median', 'accept_p90', 'answer_median', 'answer_p90']
# Beyond this many services read at once, their times are read by months
MAX_SERVICES = 500


def month_bounds(month):
    "The first moment of the month YYYY-MM and that of the month after"
    start = dt.datetime.strptime(month, '%Y-%m')
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start, end


def _count(condition):
    return Sum(Case((condition, 1), else_=0))


class ProviderScorecard(
        SmallCellMixin, StatisticMixin, ModelSQL, ModelView):
    """How a provider's service answered and served the referrals it
    received, month by month.

    A table computed at each read (table_query, as the other statistics),
    not a stored monthly table refreshed by a cron: the rows are counted
    over the referrals the reader may read (the record rules of referrals:
    a supervisor's offices, a focal point's provider, restricted categories
    only for who may know of them), and a median or a 90th percentile of a
    union of scopes cannot be put together from stored ones: a stored table
    would need one row per combination of offices, provider and restriction
    and would lag behind the referrals. The counts are one GROUP BY the
    database does on the referrals of the period chosen; the times to
    answer, whose percentiles SQLite cannot compute and PostgreSQL computes
    with its own functions, are read in one query for the rows being shown
    only (their services and months, through the index of referrals by
    service and sent date): the work in Python grows with the page read,
    not with the millions of referrals of the history."""
    __name__ = 'momd.provider.scorecard'
    __string__ = "Provider Scorecard"
    _people_fields = (
        'received', 'accepted', 'declined', 'completed', 'answered_on_time',
        'completed_on_time', 'ratings') + tuple(
        'declined_' + r for r in REASONS)
    _sample_field = 'received'
    _sample_derived = (
        'completion_rate', 'answer_on_time_rate', 'completion_on_time_rate',
        'rating') + tuple(TIMES)
    # a rate or a time is not exported beside a count hidden as "<N"
    _rate_counts = {
        'completion_rate': lambda s: [
            s.completed, (s.accepted or 0) - (s.completed or 0)],
        'answer_on_time_rate': lambda s: [
            s.answered_on_time,
            (s.accepted or 0) + (s.declined or 0)
            - (s.answered_on_time or 0)],
        'completion_on_time_rate': lambda s: [
            s.completed_on_time,
            (s.completed or 0) - (s.completed_on_time or 0)],
        'rating': lambda s: [s.ratings],
        'accept_median': lambda s: [s.accepted],
        'accept_p90': lambda s: [s.accepted],
        'answer_median': lambda s: [s.accepted, s.declined],
        'answer_p90': lambda s: [s.accepted, s.declined],
        }

    month = fields.Char("Month", help="Of sending.")
    provider = fields.Many2One('momd.provider', "Provider")
    service = fields.Many2One('momd.provider.service', "Service")
    category = fields.Many2One('momd.service.category', "Service Category")
    received = fields.Integer(
        "Received", help="Referrals sent to the service in the month.")
    accepted = fields.Integer("Accepted")
    declined = fields.Integer("Declined")
    declined_no_capacity = fields.Integer("Declined: No Capacity")
    declined_not_eligible = fields.Integer("Declined: Not Eligible")
    declined_out_of_coverage = fields.Integer("Declined: Outside Coverage")
    declined_service_unavailable = fields.Integer(
        "Declined: Service Not Available")
    declined_unreachable = fields.Integer(
        "Declined: Beneficiary Unreachable")
    declined_other = fields.Integer("Declined: Other")
    completed = fields.Integer("Completed")
    answered_on_time = fields.Integer(
        "Answered on Time", help="Accepted or declined before the "
        "acknowledgement deadline.")
    completed_on_time = fields.Integer(
        "Completed on Time", help="Before the completion deadline.")
    ratings = fields.Integer(
        "Ratings", help="Referrals the beneficiary rated.")
    rating = fields.Float(
        "Rating", digits=(16, 2),
        help="The beneficiaries' mean rating of the service, 1 to 5.")
    completion_rate = fields.Function(fields.Float(
            "Completion Rate (%)", digits=(16, 1),
            help="Completed out of the referrals accepted."), 'get_rates')
    answer_on_time_rate = fields.Function(fields.Float(
            "Answered on Time (%)", digits=(16, 1),
            help="Answered before the deadline out of those answered."),
        'get_rates')
    completion_on_time_rate = fields.Function(fields.Float(
            "Completed on Time (%)", digits=(16, 1),
            help="Completed before the deadline out of those completed."),
        'get_rates')
    accept_median = fields.Function(fields.Float(
            "Time to Accept, Median (hours)", digits=(16, 1),
            help="From sending to acceptance."), 'get_times')
    accept_p90 = fields.Function(fields.Float(
            "Time to Accept, 90% Within (hours)", digits=(16, 1)),
        'get_times')
    answer_median = fields.Function(fields.Float(
            "Time to Answer, Median (hours)", digits=(16, 1),
            help="From sending to acceptance or decline."), 'get_times')
    answer_p90 = fields.Function(fields.Float(
            "Time to Answer, 90% Within (hours)", digits=(16, 1)),
        'get_times')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('month', 'DESC'), ('received', 'DESC'), ('id', 'ASC')]

    def get_rec_name(self, name):
        return ' — '.join(filter(None, [
                    self.month, self.service.rec_name if self.service
                    else None]))

    @classmethod
    def referral_rows(cls, where=None):
        """One row per referral sent in the period the reader may read, with
        its service, dates, decline reason and rating"""
        pool = Pool()
        referral = pool.get('momd.referral').__table__()
        service = pool.get('momd.provider.service').__table__()
        start, end = period()
        from_, allowed = readable('momd.referral', referral)
        from_ = from_.join(
            service, condition=referral.provider_service == service.id)
        allowed &= chosen(referral.office, 'office')
        condition = ((referral.sent_date != Null) & allowed
            & in_period(referral.sent_date, start, end)
            & chosen(referral.district, 'district'))
        if where is not None:
            condition &= where(referral)
        return from_.select(
            referral.id.as_('id'),
            month_of(referral.sent_date).as_('month'),
            referral.provider.as_('provider'),
            referral.provider_service.as_('service'),
            service.category.as_('category'),
            referral.decline_reason.as_('decline_reason'),
            referral.sent_date.as_('sent_date'),
            referral.answered_date.as_('answered_date'),
            referral.completed_date.as_('completed_date'),
            referral.acknowledge_before.as_('acknowledge_before'),
            referral.complete_before.as_('complete_before'),
            referral.rating.as_('rating'),
            where=condition)

    @classmethod
    def table_query(cls):
        rows = cls.referral_rows()
        answered = rows.answered_date != Null
        groups = [rows.month, rows.provider, rows.service, rows.category]
        return cls.grouped(rows, groups,
            Count(rows.id).as_('received'),
            _count(answered & (rows.decline_reason == Null)).as_('accepted'),
            _count(rows.decline_reason != Null).as_('declined'),
            *(_count(rows.decline_reason == r).as_('declined_' + r)
                for r in REASONS),
            _count(rows.completed_date != Null).as_('completed'),
            _count(answered
                & (rows.answered_date <= rows.acknowledge_before)).as_(
                'answered_on_time'),
            _count((rows.completed_date != Null)
                & (rows.completed_date <= rows.complete_before)).as_(
                'completed_on_time'),
            Count(rows.rating).as_('ratings'),
            cls.rating.sql_cast(Avg(rows.rating)).as_('rating'))

    def get_rates(self, name):
        part, whole = {
            'completion_rate': (self.completed, self.accepted),
            'answer_on_time_rate': (
                self.answered_on_time,
                (self.accepted or 0) + (self.declined or 0)),
            'completion_on_time_rate': (
                self.completed_on_time, self.completed),
            }[name]
        if whole:
            return round(100 * (part or 0) / whole, 1)

    @classmethod
    def get_times(cls, scorecards, names):
        """Median and 90th percentile of the hours from sending to the
        answer (accepted, or accepted or declined), of the rows read"""
        groups = {(s.month, s.service.id if s.service else None)
            for s in scorecards if s.month}
        result = {n: {s.id: None for s in scorecards} for n in names}
        if not groups:
            return result
        months = sorted({m for m, _ in groups})
        first, _ = month_bounds(months[0])
        _, last = month_bounds(months[-1])
        services = sorted({s for _, s in groups if s is not None})

        def where(referral):
            condition = ((referral.answered_date != Null)
                & (referral.sent_date >= first) & (referral.sent_date < last))
            # a page of rows names its services; a whole export, the months
            if len(services) <= MAX_SERVICES:
                condition &= referral.provider_service.in_(services or [-1])
            return condition
        rows = cls.referral_rows(where)
        cursor = Transaction().connection.cursor()
        cursor.execute(*rows.select(
                rows.month, rows.service, rows.decline_reason,
                rows.sent_date, rows.answered_date))
        accepts, answers = defaultdict(list), defaultdict(list)
        for month, service, reason, sent, answered in cursor:
            group = (month, service)
            if group not in groups:
                continue
            hours = (_timestamp(answered) - _timestamp(sent)
                ).total_seconds() / 3600
            answers[group].append(hours)
            if not reason:
                accepts[group].append(hours)
        for scorecard in scorecards:
            group = (scorecard.month,
                scorecard.service.id if scorecard.service else None)
            for prefix, values in [
                    ('accept', accepts[group]), ('answer', answers[group])]:
                median, p90 = _median_p90(values)
                if prefix + '_median' in result:
                    result[prefix + '_median'][scorecard.id] = median
                if prefix + '_p90' in result:
                    result[prefix + '_p90'][scorecard.id] = p90
        return result


class MonthlyReportFile(metaclass=PoolMeta):
    "The monthly report has the scorecards of the month's providers"
    __name__ = 'momd.monthly.report.file'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.SHEETS = cls.SHEETS + [
            ('msg_monthly_scorecards', 'momd.provider.scorecard', {},
                ['provider', 'category', 'received', 'accepted', 'declined',
                    *('declined_' + r for r in REASONS),
                    'completed', 'completion_rate', 'answer_on_time_rate',
                    'completion_on_time_rate', 'accept_median', 'accept_p90',
                    'answer_median', 'answer_p90', 'ratings', 'rating']),
            ]

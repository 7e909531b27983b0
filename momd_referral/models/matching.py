"""Find Providers: the services that can take a person, ranked by how near
they are, how full this month, and how they answered their referrals."""
import datetime as dt
import json
import statistics
from collections import defaultdict

from sql import Literal
from sql.aggregate import Count, Max
from sql.conditionals import Case

from trytond import backend
from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import Index, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateAction, StateView, Wizard

from .beneficiary import DISPLACEMENT_STATUS, SEX
from .provider import person_profile

# The referrals a service has taken and not finished: they fill its month
LOAD_STATES = ('sent', 'accepted', 'in_progress')
# How each factor weighs in the performance score (out of 1)
WEIGHTS = {
    'acceptance': 0.35, 'completion': 0.25, 'rating': 0.2, 'speed': 0.2}
# What an unmeasured factor counts for: neither a reward nor a penalty
NEUTRAL = 0.5


def in_max():
    "How many ids one IN of the database takes, beside the other params"
    return backend.MAX_QUERY_PARAMS - 10


def month_bounds(date):
    "The first instant of the month of date and of the month after"
    start = dt.datetime(date.year, date.month, 1)
    if date.month == 12:
        return start, dt.datetime(date.year + 1, 1, 1)
    return start, dt.datetime(date.year, date.month + 1, 1)


class Performance:
    """What a service did with its referrals: this month's load, and over
    the last days of the configuration how many it answered, accepted,
    completed, how fast and how the people rated it"""
    __slots__ = ('load', 'waiting', 'answered', 'accepted',
        'response_hours', 'ended', 'completed', 'ratings', 'minimum')

    def __init__(self, minimum):
        self.minimum = minimum
        self.load = self.waiting = self.answered = self.accepted = 0
        self.ended = self.completed = 0
        self.response_hours = []
        self.ratings = []

    def add(self, state, sent, answered, completed, rating, month):
        "Count one referral of the service (its state and dates)"
        if state == 'waiting':
            self.waiting += 1
            return
        if state in LOAD_STATES and month[0] <= sent < month[1]:
            self.load += 1
        if answered:
            self.answered += 1
            self.response_hours.append(
                (answered - sent).total_seconds() / 3600)
            if state != 'declined':
                self.accepted += 1
                if state not in {'accepted', 'in_progress'}:
                    self.ended += 1
                    if completed:
                        self.completed += 1
        if rating:
            self.ratings.append(rating)

    @property
    def taken(self):
        "The places of the month held: the load and the waiting list"
        return self.load + self.waiting

    def full(self, capacity):
        "Whether the places of the month are all held"
        return capacity is not None and self.taken >= capacity

    def _measured(self, count):
        return count >= self.minimum

    @property
    def acceptance_rate(self):
        "Share of the answered referrals accepted; None below the minimum"
        if self._measured(self.answered):
            return self.accepted / self.answered

    @property
    def median_response_hours(self):
        "Median hours from sending to the answer; None below the minimum"
        if self._measured(len(self.response_hours)):
            return statistics.median(self.response_hours)

    @property
    def completion_rate(self):
        """Share of the accepted referrals that ended delivered; None below
        the minimum"""
        if self._measured(self.ended):
            return self.completed / self.ended

    @property
    def rating(self):
        "Mean rating (1–5) by the people; None below the minimum"
        if self._measured(len(self.ratings)):
            return statistics.fmean(self.ratings)

    def score(self, commitment_hours):
        """0–100: acceptance, completion, rating and speed (the answer
        within the service's commitment scores 1) weighed, each unmeasured
        one counting as neutral"""
        median = self.median_response_hours
        factors = {
            'acceptance': self.acceptance_rate,
            'completion': self.completion_rate,
            'rating': (self.rating - 1) / 4 if self.rating else None,
            'speed': (min(1, commitment_hours / median) if median
                else (1 if median is not None else None)),
            }
        return 100 * sum(WEIGHTS[k] * (NEUTRAL if v is None else v)
            for k, v in factors.items())


class Configuration(metaclass=PoolMeta):
    __name__ = 'momd.configuration'

    performance_days = fields.Integer(
        "Performance Over (days)", required=True,
        domain=[('performance_days', '>', 0)],
        help="Find Providers ranks the services by how they answered and "
        "delivered the referrals sent to them over these last days.")
    performance_minimum = fields.Integer(
        "Referrals Before Performance Counts", required=True,
        domain=[('performance_minimum', '>', 0)],
        help="A rate (acceptance, completion, rating, answer time) counts "
        "in the ranking once the service has had this many referrals for "
        "it; before, it counts as average.")

    @classmethod
    def default_performance_days(cls):
        return 90

    @classmethod
    def default_performance_minimum(cls):
        return 5


class ServiceCategory(metaclass=PoolMeta):
    __name__ = 'momd.service.category'
    _family_cache = Cache('momd_referral.category_family', context=False)

    @classmethod
    def family(cls, category):
        """Ids of the category, its ancestors and its active descendants:
        the categories whose services can help with a need of category
        (the same for every user: the services' record rules hide what the
        user may not know of)"""
        ids = cls._family_cache.get(category.id)
        if ids is None:
            with without_check_access():
                category = cls(category.id)
                ids = [category.id] + [
                    c.id for c in category.ancestors()] + [
                    c.id for c in cls.search([
                            ('parent', 'child_of', [category.id]),
                            ('id', '!=', category.id)], order=[])]
            cls._family_cache.set(category.id, ids)
        return ids

    @classmethod
    def on_modification(cls, mode, categories, field_names=None):
        super().on_modification(mode, categories, field_names=field_names)
        cls._family_cache.clear()


class ProviderService(metaclass=PoolMeta):
    __name__ = 'momd.provider.service'

    @classmethod
    def loads(cls, services, date=None):
        """{service id: referrals it took in the month of date and has not
        finished} — a service is full when they reach its capacity"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        date = date or pool.get('ir.date').today()
        start, end = month_bounds(date)
        referral = Referral.__table__()
        cursor = Transaction().connection.cursor()
        loads = {s.id: 0 for s in services}
        for sub_ids in grouped_slice(list(loads), in_max()):
            cursor.execute(*referral.select(
                    referral.provider_service, Count(Literal(1)),
                    where=referral.provider_service.in_(list(sub_ids))
                    & referral.state.in_(list(LOAD_STATES))
                    & (referral.sent_date >= start)
                    & (referral.sent_date < end),
                    group_by=[referral.provider_service]))
            loads.update(cursor)
        return loads

    def load(self, date=None):
        "Referrals this service took in the month of date, not finished"
        return self.loads([self], date)[self.id]

    def full(self, date=None):
        """Whether the service's places of the month of date are all held
        (taken, or held by its waiting list)"""
        left = self.places_left([self], date)[self.id]
        return left is not None and left <= 0

    @classmethod
    def performance_window(cls, date=None):
        "(since, month, minimum): what the performance is measured over"
        pool = Pool()
        config = pool.get('momd.configuration')(1)
        date = date or pool.get('ir.date').today()
        month = month_bounds(date)
        since = min(month[0], dt.datetime.combine(date, dt.time())
            - dt.timedelta(days=config.performance_days))
        return since, month, config.performance_minimum

    @classmethod
    def performances(cls, services, date=None):
        "{service id: Performance} of the services, one query"
        Referral = Pool().get('momd.referral')
        since, month, minimum = cls.performance_window(date)
        referral = Referral.__table__()
        result = {s.id: Performance(minimum) for s in services}
        cursor = Transaction().connection.cursor()
        for sub_ids in grouped_slice(list(result), in_max()):
            cursor.execute(*cls._performance_rows(
                    referral, referral.provider_service.in_(list(sub_ids)),
                    since))
            for service_id, *row in cursor:
                result[service_id].add(*row, month=month)
        return result

    @classmethod
    def _performance_rows(cls, referral, where, since):
        "The referrals a performance is computed from, as a SELECT"
        return referral.select(
            referral.provider_service, referral.state, referral.sent_date,
            referral.answered_date, referral.completed_date,
            referral.rating,
            where=where & (referral.sent_date >= since))

    @classmethod
    def rank(cls, category, location, sex=None, age=None,
            displacement_status=None, date=None):
        """The services that can take a referral for category at location
        for a person of this profile, best first, each as (service,
        performance, place it covers the location by).

        Eligible: an active service of an active provider, of the category
        or one of its ancestors or descendants, covering location (or a
        place above it), open to the person's sex, age and displacement
        status. Ranked first the services with places left this month,
        then by how specifically they cover the location, their
        performance score, and how full they are. One SQL query finds the
        candidates with their referrals of the performance period; the
        user's record rules then apply to the candidates."""
        pool = Pool()
        Category = pool.get('momd.service.category')
        Provider = pool.get('momd.provider')
        Coverage = pool.get('momd.provider.service-momd.location')
        Referral = pool.get('momd.referral')
        date = date or pool.get('ir.date').today()
        since, month, minimum = cls.performance_window(date)

        places = [location] + list(location.ancestors())
        depth = {p.id: len(places) - i for i, p in enumerate(places)}
        categories = Category.family(category)

        service = cls.__table__()
        provider = Provider.__table__()
        coverage = Coverage.__table__()
        referral = Referral.__table__()
        where = service.category.in_(categories)
        for criterion in cls._match_criteria(service, provider, coverage,
                depth, sex=sex, age=age, date=date).values():
            where &= criterion
        specificity = Max(Case(
                *((coverage.location == p, d) for p, d in depth.items()),
                else_=0))
        candidates = (service
            .join(provider, condition=provider.id == service.provider)
            .join(coverage, condition=coverage.service == service.id)
            .select(service.id.as_('id'), specificity.as_('specificity'),
                service.capacity.as_('capacity'),
                service.acknowledgement_hours.as_('hours'),
                service.displacement_statuses.as_('statuses'),
                where=where, group_by=[service.id]))
        rows = referral.select(
            referral.provider_service, referral.state, referral.sent_date,
            referral.answered_date, referral.completed_date,
            referral.rating, where=(referral.sent_date >= since)
            # the waiting list holds places too
            | (referral.state == 'waiting'))
        query = candidates.join(rows, 'LEFT',
            condition=rows.provider_service == candidates.id).select(
            candidates.id, candidates.specificity, candidates.capacity,
            candidates.hours, candidates.statuses, rows.state,
            rows.sent_date, rows.answered_date, rows.completed_date,
            rows.rating)
        cursor = Transaction().connection.cursor()
        cursor.execute(*query)
        found, performances = {}, defaultdict(lambda: Performance(minimum))
        for service_id, specific, capacity, hours, statuses, *row in cursor:
            if service_id not in found:
                if isinstance(statuses, str):
                    statuses = json.loads(statuses)
                found[service_id] = (specific, capacity, hours) if (
                    not displacement_status or not statuses
                    or displacement_status in statuses) else None
            if found[service_id] and row[0] is not None:
                performances[service_id].add(*row, month=month)
        # the user's record rules (restricted categories...) still apply
        found = {s.id: found[s.id] for s in cls.search([
                    ('id', 'in', [i for i, f in found.items() if f])],
                order=[])}
        by_depth = {d: p for p, d in zip(places, depth.values())}

        def key(service_id):
            specific, capacity, hours = found[service_id]
            performance = performances[service_id]
            return (
                performance.full(capacity),
                -specific,
                -round(performance.score(hours), 6),
                performance.taken / capacity if capacity else 0,
                service_id)
        return [(service, performances[service.id],
                by_depth.get(found[service.id][0]))
            for service in cls.browse(sorted(found, key=key))]

    @classmethod
    def match(cls, category, location, sex=None, age=None,
            displacement_status=None, date=None):
        "The services that can take the person, best first (see rank)"
        return [s for s, _, _ in cls.rank(category, location, sex=sex,
                age=age, displacement_status=displacement_status, date=date)]


class Referral(metaclass=PoolMeta):
    __name__ = 'momd.referral'

    rating = fields.Integer(
        "Beneficiary Rating", readonly=True,
        domain=['OR', ('rating', '=', None),
            [('rating', '>=', 1), ('rating', '<=', 5)]],
        help="How the person rated the service, from 1 (bad) to 5 "
        "(very good), when asked after completion.")
    rating_date = fields.Timestamp("Rated On", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # a service's referrals of the performance period, for the ranking
        cls._sql_indexes.add(Index(t,
                (t.provider_service, Index.Range()),
                (t.sent_date, Index.Range())))

    @classmethod
    def copy(cls, referrals, default=None):
        default = default.copy() if default else {}
        default.setdefault('rating', None)
        default.setdefault('rating_date', None)
        return super().copy(referrals, default=default)


class MatchStart(ModelView):
    "What the person needs, where, and who they are"
    __name__ = 'momd.provider.match.start'
    __string__ = "Find Providers"

    category = fields.Many2One(
        'momd.service.category', "Service Category", required=True)
    location = fields.Many2One(
        'momd.location', "Location", required=True,
        help="Where the person lives now.")
    sex = fields.Selection([(None, "")] + SEX[:], "Sex")
    age = fields.Integer(
        "Age", domain=['OR', ('age', '=', None), ('age', '>=', 0)])
    displacement_status = fields.Selection(
        [(None, "")] + DISPLACEMENT_STATUS, "Displacement Status",
        sort=False)


class MatchLine(ModelView):
    "A service found, with what ranks it"
    __name__ = 'momd.provider.match.line'
    __string__ = "Matching Service"

    rank = fields.Integer("Rank", readonly=True)
    service = fields.Many2One(
        'momd.provider.service', "Service", readonly=True)
    place = fields.Many2One(
        'momd.location', "Covers", readonly=True,
        help="The place of the person's location the service covers, the "
        "most local first.")
    load = fields.Integer(
        "Taken This Month", readonly=True,
        help="Referrals the service took this month and has not finished.")
    waiting = fields.Integer(
        "Waiting", readonly=True,
        help="Referrals on the service's waiting list: they hold places "
        "of the month too.")
    capacity = fields.Integer(
        "Capacity per Month", readonly=True, help="Empty: not limited.")
    full = fields.Boolean(
        "Full", readonly=True,
        help="The service has taken its capacity for the month.")
    answered = fields.Integer(
        "Referrals Answered", readonly=True,
        help="Referrals the service accepted or declined over the "
        "performance period of the configuration.")
    acceptance_rate = fields.Float(
        "Accepted (%)", digits=(3, 0), readonly=True,
        help="Empty: too few referrals yet to count.")
    response_hours = fields.Float(
        "Median Answer Time (hours)", digits=(6, 1), readonly=True,
        help="Empty: too few referrals yet to count.")
    completion_rate = fields.Float(
        "Delivered (%)", digits=(3, 0), readonly=True,
        help="Of the accepted referrals that ended, the share delivered. "
        "Empty: too few yet to count.")
    rating = fields.Float(
        "Beneficiary Rating", digits=(1, 1), readonly=True,
        help="Mean of the people's ratings, 1 to 5. Empty: too few yet.")
    score = fields.Float(
        "Performance Score", digits=(3, 0), readonly=True,
        help="Out of 100: acceptance, delivery, rating and answer time "
        "weighed; what is not yet measured counts as average.")
    why = fields.Char("Why This Rank", readonly=True)

    @classmethod
    def from_rank(cls, rank, service, performance, place):
        "The line of a ranked service, with the reasons of its rank"
        percent = (lambda rate: None if rate is None
            else round(100 * rate))
        full = performance.full(service.capacity)
        reasons = []
        if place:
            reasons.append(gettext('momd_referral.msg_match_why_place',
                    place=place.rec_name))
        if full:
            reasons.append(gettext('momd_referral.msg_match_why_full'))
        elif service.capacity is not None:
            reasons.append(gettext('momd_referral.msg_match_why_left',
                    left=service.capacity - performance.taken,
                    capacity=service.capacity))
        if performance.acceptance_rate is None:
            reasons.append(gettext('momd_referral.msg_match_why_new',
                    minimum=performance.minimum))
        score = performance.score(service.acknowledgement_hours)
        reasons.append(gettext('momd_referral.msg_match_why_score',
                score=round(score)))
        return {
            'rank': rank,
            'service': service.id,
            'place': place.id if place else None,
            'load': performance.load,
            'waiting': performance.waiting,
            'capacity': service.capacity,
            'full': full,
            'answered': performance.answered,
            'acceptance_rate': percent(performance.acceptance_rate),
            'response_hours': performance.median_response_hours,
            'completion_rate': percent(performance.completion_rate),
            'rating': performance.rating,
            'score': round(score),
            'why': ' · '.join(reasons),
            }


class MatchResult(ModelView):
    "The services that can help, best first"
    __name__ = 'momd.provider.match.result'
    __string__ = "Matching Services"

    lines = fields.One2Many(
        'momd.provider.match.line', None, "Services", readonly=True)
    services = fields.Many2Many(
        'momd.provider.service', None, None, "Services", readonly=True)
    need = fields.Many2One('momd.need', "Need", readonly=True)
    service = fields.Many2One(
        'momd.provider.service', "Refer To",
        domain=[('id', 'in', Eval('services', []))],
        states={
            'invisible': ~Eval('need'),
            'required': Bool(Eval('need')),
            },
        help="One of the services found, for a draft referral of the need.")
    reason = fields.Text(
        "Reason for Referral",
        states={
            'invisible': ~Eval('need'),
            'required': Bool(Eval('need')),
            },
        help="What the provider needs to know, within what is disclosed.")


class Match(Wizard):
    "Find the providers that can help with a need"
    __name__ = 'momd.provider.match'

    start = StateView(
        'momd.provider.match.start',
        'momd_referral.provider_match_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Find", 'result', 'tryton-search', default=True),
            ])
    result = StateView(
        'momd.provider.match.result',
        'momd_referral.provider_match_result_view_form', [
            Button("Back", 'start', 'tryton-back'),
            Button("Close", 'end', 'tryton-close'),
            Button("Create Referral", 'refer', 'tryton-forward',
                default=True, states={'invisible': ~Eval('need')}),
            ])
    refer = StateAction('momd_referral.act_referral_form')

    def default_start(self, fields):
        "From a need: its category and the person's profile"
        values = {}
        if self.model and self.model.__name__ == 'momd.need' and self.record:
            need = self.record
            person = person_profile(need.case.beneficiary)
            values['category'] = need.category.id
            if person['location']:
                values['location'] = person['location'].id
            values['sex'] = person['sex']
            values['age'] = person['age']
            values['displacement_status'] = person['displacement_status']
        return values

    def default_result(self, fields):
        pool = Pool()
        Service = pool.get('momd.provider.service')
        Referral = pool.get('momd.referral')
        Line = pool.get('momd.provider.match.line')
        ranked = Service.rank(
            self.start.category, self.start.location, sex=self.start.sex,
            age=self.start.age,
            displacement_status=self.start.displacement_status)
        values = {}
        if self.need:
            values['need'] = self.need.id
            # not again to a provider that declined the need
            declined = Referral.decliners(self.need)
            ranked = [r for r in ranked if r[0].provider not in declined]
        values['services'] = [s.id for s, _, _ in ranked]
        values['lines'] = [Line.from_rank(i, *r)
            for i, r in enumerate(ranked, 1)]
        return values

    @property
    def need(self):
        "The need the wizard was started from, if it still asks for one"
        if (self.model and self.model.__name__ == 'momd.need'
                and self.record
                and self.record.category == self.start.category):
            return self.record

    def do_refer(self, action):
        "A draft referral of the need to the service, opened in its form"
        Referral = Pool().get('momd.referral')
        need = self.need
        referral, = Referral.create([{
                    'case': need.case.id,
                    'need': need.id,
                    'provider_service': self.result.service.id,
                    'priority': need.priority,
                    'reason': self.result.reason,
                    }])
        action['res_id'] = [referral.id]
        action['views'].sort(key=lambda v: v[1] != 'form')
        return action, {}

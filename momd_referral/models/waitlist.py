"""The monthly capacity of a service, and the waiting list of a full one.

A service with a "Capacity per Month" is full once the referrals it took
this month and has not finished (its load) and those already waiting for it
fill that capacity. Sending (or approving) a referral to a full service is
refused: the caseworker is told the place it would take on the waiting list
and the estimated wait, and either presses "Join Waiting List" (the checks of
sending apply: consent, agreement, coverage and eligibility) or chooses
another provider with Find Providers. A referral that waits for a
supervisor's approval joins the list when an office supervisor presses the
button.

When places free up — a new month, a referral of the service declined,
cancelled or completed, a larger capacity — the first waiting referrals, as
many as there are places, are sent the way Send sends them (deadlines,
notifications of the provider's focal points), and their caseworkers are
told. One that can no longer be sent (consent revoked, provider suspended)
keeps its place and its caseworker is told why, once; the others go on.

An emergency goes first only when an office supervisor approves the
caseworker's request: it takes the first place, it never exceeds the
capacity. The provider never sees a waiting referral."""
import calendar
import datetime as dt
import math
from collections import defaultdict

from sql import Literal, Null
from sql.aggregate import Count
from sql.conditionals import Case, Coalesce

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from ..exceptions import ReferralCapacityError
from .matching import in_max
from .mixins import notify
from .referral import expects, now

# How far back the finished referrals of a service measure its pace
THROUGHPUT_DAYS = 90


def add_waiting(selection):
    "The states of a referral with the waiting list, after To Approve"
    if 'waiting' not in dict(selection):
        selection.insert(
            [s for s, _ in selection].index('to_approve') + 1,
            ('waiting', "Waiting List"))


class ProviderService(metaclass=PoolMeta):
    __name__ = 'momd.provider.service'

    @classmethod
    def waiting_lists(cls, services):
        """{service id: [referral id]}: the referrals waiting for each
        service, in the order they will be sent: those whose priority a
        supervisor approved first (by the approval's date), then by the
        date they joined"""
        referral = Pool().get('momd.referral').__table__()
        result = {s.id: [] for s in services}
        if not result:
            return result
        cursor = Transaction().connection.cursor()
        for sub_ids in grouped_slice(list(result), in_max()):
            cursor.execute(*referral.select(
                    referral.provider_service, referral.id,
                    where=(referral.state == 'waiting')
                    & referral.provider_service.in_(list(sub_ids)),
                    order_by=[
                        Case((referral.priority_approved_date == Null, 1),
                            else_=0),
                        referral.priority_approved_date,
                        referral.waitlist_date, referral.id]))
            for service, referral_id in cursor:
                result[service].append(referral_id)
        return result

    @classmethod
    def places_left(cls, services, date=None):
        """{service id: places this month no one holds}: the capacity less
        the load and the waiting list; None for a service without a
        capacity"""
        loads = cls.loads(services, date)
        lists = cls.waiting_lists(services)
        return {s.id: (None if s.capacity is None
                else s.capacity - loads[s.id] - len(lists[s.id]))
            for s in services}

    @classmethod
    def throughputs(cls, services, date=None):
        """{service id: referrals a day}: the referrals the service finished
        (completed, declined, or cancelled after it received them) over
        the last 90 days, a day; without any, its capacity per month a
        day of the month; None when neither tells"""
        pool = Pool()
        referral = pool.get('momd.referral').__table__()
        date = date or now()
        since = date - dt.timedelta(days=THROUGHPUT_DAYS)
        ids = [s.id for s in services]
        counts = {}
        if ids:
            cancelled = Coalesce(referral.write_date, referral.create_date)
            finished = (
                (referral.state.in_(['completed', 'closed'])
                    & (referral.completed_date >= since))
                | ((referral.state == 'declined')
                    & (referral.answered_date >= since))
                | ((referral.state == 'cancelled')
                    & (referral.sent_date != Null) & (cancelled >= since)))
            cursor = Transaction().connection.cursor()
            for sub_ids in grouped_slice(ids, in_max()):
                cursor.execute(*referral.select(
                        referral.provider_service, Count(Literal(1)),
                        where=referral.provider_service.in_(list(sub_ids))
                        & finished,
                        group_by=[referral.provider_service]))
                counts.update(cursor)
        days = calendar.monthrange(date.year, date.month)[1]
        result = {}
        for service in services:
            if counts.get(service.id):
                result[service.id] = counts[service.id] / THROUGHPUT_DAYS
            elif service.capacity:
                result[service.id] = service.capacity / days
            else:
                result[service.id] = None
        return result

    @classmethod
    def estimated_waits(cls, positions, date=None):
        """{(service id, position): days}: how long a referral at position
        on a service's waiting list should wait, from the service's pace;
        None when it cannot be told. positions: [(service, position)]"""
        services = list({s for s, _ in positions})
        rates = cls.throughputs(services, date)
        return {(s.id, p): (math.ceil(p / rates[s.id])
                if rates[s.id] else None)
            for s, p in positions}

    @classmethod
    def on_modification(cls, mode, services, field_names=None):
        super().on_modification(mode, services, field_names=field_names)
        if mode == 'write' and 'capacity' in (field_names or ()):
            # more places (or no limit): the waiting list goes first
            Pool().get('momd.referral').release_waitlist(services)


class Referral(metaclass=PoolMeta):
    __name__ = 'momd.referral'

    waitlist_date = fields.Timestamp(
        "Joined Waiting List On", readonly=True,
        states={'invisible': ~Eval('waitlist_date')})
    waitlist_position = fields.Function(fields.Integer(
            "Position on Waiting List",
            states={'invisible': Eval('state') != 'waiting'},
            help="1 is the next referral the service takes."),
        'get_waitlist')
    estimated_wait_days = fields.Function(fields.Integer(
            "Estimated Wait (days)",
            states={'invisible': Eval('state') != 'waiting'},
            help="From how many referrals the service finished over the "
            "last 90 days, or its capacity per month when it has no "
            "history."),
        'get_waitlist')
    waitlist_note = fields.Text(
        "Why It Still Waits", readonly=True,
        states={'invisible': (Eval('state') != 'waiting')
            | ~Eval('waitlist_note')},
        help="A place freed up but the referral could not be sent.")
    priority_requested = fields.Boolean(
        "Priority Requested", readonly=True,
        states={'invisible': ~Eval('priority_requested')},
        help="The caseworker asks that this emergency go first on the "
        "waiting list; an office supervisor approves it.")
    priority_approved_by = fields.Many2One(
        'res.user', "Priority Approved By", readonly=True,
        ondelete='RESTRICT',
        states={'invisible': ~Eval('priority_approved_by')})
    priority_approved_date = fields.Timestamp(
        "Priority Approved On", readonly=True,
        states={'invisible': ~Eval('priority_approved_by')})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        add_waiting(cls.state.selection)
        cls._transitions |= {
            ('draft', 'waiting'),
            ('to_approve', 'waiting'),
            ('waiting', 'sent'),
            ('waiting', 'cancelled'),
            }
        cls._buttons.update({
                'join_waitlist': {
                    'invisible': ~Eval('state').in_(['draft', 'to_approve']),
                    'icon': 'tryton-forward', 'depends': ['state']},
                'request_priority': {
                    'invisible': ((Eval('state') != 'waiting')
                        | (Eval('priority') != 'emergency')
                        | Bool(Eval('priority_requested'))),
                    'icon': 'tryton-launch',
                    'depends': ['state', 'priority', 'priority_requested']},
                'approve_priority': {
                    'invisible': ((Eval('state') != 'waiting')
                        | ~Eval('priority_requested')
                        | Bool(Eval('priority_approved_by'))),
                    'icon': 'tryton-ok',
                    'depends': [
                        'state', 'priority_requested',
                        'priority_approved_by']},
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/form//page[@id="waitlist"]', 'states',
                {'invisible': ~Eval('waitlist_date')}, ['waitlist_date']),
            ]

    @classmethod
    def get_waitlist(cls, referrals, names):
        Service = Pool().get('momd.provider.service')
        result = {n: {r.id: None for r in referrals} for n in names}
        waiting = [r for r in referrals
            if r.state == 'waiting' and r.provider_service]
        if not waiting:
            return result
        with without_check_access():
            services = list({r.provider_service for r in waiting})
            ranks = {i: n
                for ids in Service.waiting_lists(services).values()
                for n, i in enumerate(ids, 1)}
            positions = {r: ranks[r.id] for r in waiting}
            waits = Service.estimated_waits(
                [(r.provider_service, p) for r, p in positions.items()])
        for referral, position in positions.items():
            if 'waitlist_position' in result:
                result['waitlist_position'][referral.id] = position
            if 'estimated_wait_days' in result:
                result['estimated_wait_days'][referral.id] = waits[
                    referral.provider_service.id, position]
        return result

    def steps_path(self):
        path = super().steps_path()
        if self.waitlist_date or self.state == 'waiting':
            # after the approval when there is one
            path.insert(1 + ('to_approve' in path), 'waiting')
        return path

    @classmethod
    def copy(cls, referrals, default=None):
        default = dict(default or {})
        for name in ['waitlist_date', 'waitlist_note',
                'priority_approved_by', 'priority_approved_date']:
            default.setdefault(name, None)
        default.setdefault('priority_requested', False)
        return super().copy(referrals, default=default)

    @classmethod
    def default_priority_requested(cls):
        return False

    @classmethod
    def check_places(cls, referrals):
        """Refuse the referrals whose service is full this month: naming
        the place each would take on its waiting list, the estimated wait,
        and what the caseworker may do; nothing is written"""
        Service = Pool().get('momd.provider.service')
        services = list({r.provider_service for r in referrals
                if r.provider_service and r.provider_service.capacity
                is not None})
        if not services:
            return
        with without_check_access():
            places = Service.places_left(services)
            lists = Service.waiting_lists(services)
        taken = defaultdict(int)
        for referral in referrals:
            service = referral.provider_service
            if service not in services:
                continue
            taken[service] += 1
            left = places[service.id]
            if left - taken[service] >= 0:
                continue
            position = len(lists[service.id]) + taken[service] - max(left, 0)
            with without_check_access():
                days = Service.estimated_waits([(service, position)])[
                    service.id, position]
            raise ReferralCapacityError(gettext(
                    'momd_referral.msg_referral_service_full',
                    referral=referral.rec_name, service=service.rec_name,
                    capacity=service.capacity, position=position,
                    wait=(gettext('momd_referral.msg_waitlist_wait_days',
                            days=days) if days is not None
                        else gettext(
                            'momd_referral.msg_waitlist_wait_unknown'))))

    @classmethod
    def _send(cls, referrals, values=None):
        # a waiting referral holds its place: the places of the others
        # are counted
        new = [r for r in referrals if r.state != 'waiting']
        if new:
            # what no place changes is said first
            cls.check_fit(new)
            cls.check_places(new)
        super()._send(referrals, values)

    @classmethod
    @expects('draft', 'to_approve')
    @ModelView.button
    def join_waitlist(cls, referrals):
        """Put the referrals at the end of their full service's waiting
        list, checked as sending checks them; one waiting for approval
        joins only by an office supervisor, who approves it so"""
        pool = Pool()
        Button = pool.get('ir.model.button')
        User = pool.get('res.user')
        Service = pool.get('momd.provider.service')
        user = Transaction().user
        for referral in referrals:
            if referral.state == 'draft' and referral.needs_approval():
                raise ReferralCapacityError(gettext(
                        'momd_referral.msg_referral_waitlist_approval',
                        referral=referral.rec_name))
            if referral.state == 'to_approve' and user and not (
                    set(User.get_groups())
                    & Button.get_groups(cls.__name__, 'approve')):
                raise ReferralCapacityError(gettext(
                        'momd_referral.msg_referral_waitlist_supervisor',
                        referral=referral.rec_name))
        cls.check_fit(referrals)
        services = list({r.provider_service for r in referrals})
        places = Service.places_left(services)
        for referral in referrals:
            left = places[referral.provider_service.id]
            if left is None or left > 0:
                raise ReferralCapacityError(gettext(
                        'momd_referral.msg_referral_waitlist_not_full',
                        referral=referral.rec_name,
                        service=referral.provider_service.rec_name))
        each = cls.check_sending(referrals)
        date = now()
        for referral in referrals:
            if referral.state == 'to_approve':
                each[referral]['approved_by'] = user
                if referral.override_reason:
                    each[referral].update(
                        overridden_by=user, overridden_date=date)
        cls._move(referrals, 'waiting', each=each,
            date_field='waitlist_date', date=date)

    @classmethod
    @expects('waiting')
    @ModelView.button
    def request_priority(cls, referrals):
        """Ask an office supervisor to put the emergencies first (the
        button is there for an emergency only)"""
        cls.write(referrals, {'priority_requested': True})
        for referral in referrals:
            notify([referral], referral.recipients('supervisors'),
                'momd_referral.msg_referral_priority_requested_label',
                icon='tryton-notification', referral=referral.rec_name)

    @classmethod
    @expects('waiting')
    @ModelView.button
    def approve_priority(cls, referrals):
        """Put the referrals first on their waiting list, once asked: by a
        supervisor of the referral's office (or an administrator), who is
        recorded with the date"""
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        user = Transaction().user
        admin = ModelData.get_id('momd_referral', 'group_admin') in set(
            User.get_groups())
        for referral in referrals:
            office = referral.case.office
            if user and user not in {u.id for u in office.supervisors} \
                    and not admin:
                raise ReferralCapacityError(gettext(
                        'momd_referral.msg_referral_priority_supervisor',
                        referral=referral.rec_name, office=office.rec_name))
        cls.write(referrals, {
                'priority_approved_by': user,
                'priority_approved_date': now(),
                })
        for referral in referrals:
            notify([referral], referral.recipients('caseworker'),
                'momd_referral.msg_referral_priority_approved_label',
                icon='tryton-ok', referral=referral.rec_name)

    @classmethod
    def after_step(cls, referrals, state, date):
        super().after_step(referrals, state, date)
        if state in {'declined', 'cancelled', 'completed'}:
            cls.release_waitlist(list({r.provider_service for r in referrals
                        if r.provider_service
                        and r.provider_service.capacity is not None}))

    @classmethod
    def release_waitlist(cls, services=None, date=None):
        """Send the first waiting referrals of the services (of all, by the
        cron) as places free up, as many as there are; tell their
        caseworkers. One that cannot be sent keeps its place, its
        caseworker told why; nothing here fails for it."""
        pool = Pool()
        Service = pool.get('momd.provider.service')
        # as the system: who frees a place is told like anyone else
        with Transaction().set_user(0), without_check_access():
            if services is None:
                services = list({r.provider_service for r in cls.search([
                                ('state', '=', 'waiting')], order=[])})
            services = Service.browse(list(map(int, services)))
            lists = Service.waiting_lists(services)
            loads = Service.loads(services, date)

            def places(service):
                "(a service whose capacity was lifted takes them all)"
                if service.capacity is None:
                    return len(lists[service.id])
                return service.capacity - loads[service.id]
            services = [s for s in services
                if lists[s.id] and places(s) > 0]
            if not services:
                return []
            # of two steps freeing places at once, one sends each referral
            cls.lock(cls.browse(sum((lists[s.id] for s in services), [])))
            lists = Service.waiting_lists(services)
            sent, blocked = [], {}
            for service in services:
                places_left = places(service)
                for referral in cls.browse(lists[service.id]):
                    if places_left <= 0:
                        break
                    reason = referral.unsendable()
                    if reason:
                        blocked[referral] = reason
                    else:
                        sent.append(referral)
                        places_left -= 1
            if sent:
                cls._send(sent, {'waitlist_note': None})
                for referral in sent:
                    notify([referral], referral.recipients('caseworker'),
                        'momd_referral.msg_referral_waitlist_sent_label',
                        icon='tryton-forward', description=referral.category,
                        referral=referral.rec_name,
                        provider=referral.provider)
            told = {r: reason for r, reason in blocked.items()
                if r.waitlist_note != reason}
            if told:
                cls._write_values({r: {'waitlist_note': reason}
                        for r, reason in told.items()})
                for referral, reason in told.items():
                    notify([referral], referral.recipients('caseworker'),
                        'momd_referral.msg_referral_waitlist_blocked_label',
                        icon='tryton-warning', description=reason,
                        referral=referral.rec_name)
        return sent

    def unsendable(self):
        """Why the referral cannot be sent now, in its caseworker's
        language; None when it can"""
        language = self.caseworker.language
        with Transaction().set_context(
                language=language.code if language else None):
            try:
                self.check_fit([self])
                self.check_sending([self])
            except UserError as error:
                return error.message


class ReferralStatistic(metaclass=PoolMeta):
    __name__ = 'momd.referral.statistic'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        add_waiting(cls.state.selection)

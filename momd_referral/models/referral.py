"Referrals: from a need to a delivered service, the SOP steps as states."
import datetime as dt
import functools
from collections import defaultdict
from itertools import chain

from sql import For, Null
from sql.conditionals import Case as SQLCase, Coalesce
from sql.functions import CurrentTimestamp
from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import AccessError
from trytond.model.modelstorage import is_leaf
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.report import Report
from trytond.tools import grouped_slice
from trytond.transaction import (
    Transaction, inactive_records, without_check_access)

from ..exceptions import ReferralValidationError
from .case import PRIORITIES
from .consent import INFORMATION_GROUPS
from .audit import AuditMixin
from .mixins import (
    OverdueListMixin, RestrictedFlagMixin, RoleButtonsMixin, may_know,
    notify, require)
from .rule import provider_only
from .search_scope import single_values
from .sla import ESCALATION_ROLES

STATES = [
    ('draft', "Draft"),
    ('to_approve', "To Approve"),
    ('sent', "Sent"),
    ('accepted', "Accepted"),
    ('declined', "Declined"),
    ('in_progress', "In Progress"),
    ('completed', "Completed"),
    ('closed', "Closed"),
    ('cancelled', "Cancelled"),
    ]
# (waiting: on a full service's waiting list, models/waitlist.py)
OPEN_STATES = [
    'draft', 'to_approve', 'waiting', 'sent', 'accepted', 'in_progress']


class _ServiceMany2One(fields.Many2One):
    """The referral's service: checked against the need's category when the
    service or the need changes, not at every write of the referral (send,
    accept...) as Tryton does for a domain that names a computed field"""
    __slots__ = ()

    @property
    def validation_depends(self):
        return {'need'}
LEGAL_BASES = [
    ('consent', "Consent"),
    ('sop_exception', "SOP Exception (life-threatening, child at risk)"),
    ]
DECLINE_REASONS = [
    (None, ""),
    ('no_capacity', "No Capacity"),
    ('not_eligible', "Not Eligible"),
    ('out_of_coverage', "Outside Coverage"),
    ('service_unavailable', "Service Not Available"),
    ('unreachable', "Beneficiary Unreachable"),
    ('other', "Other"),
    ]
OUTCOMES = [
    (None, ""),
    ('provided', "Provided"),
    ('partly', "Partly Provided"),
    ('not_provided', "Not Provided"),
    ]
# What a provider reads of the people referred, and never searches nor
# exports
PERSONAL_FIELDS = {
    'case', 'need', 'beneficiary', 'consent', 'beneficiary_name',
    'beneficiary_sex', 'beneficiary_age', 'beneficiary_phones',
    'beneficiary_location', 'need_description', 'beneficiary_documents',
    'beneficiary_vulnerabilities', 'reason', 'exception_reason',
    'override_reason'}
# The fields of the person a referral shows, each with the information
# group (of the consent) that must be disclosed for a provider to read it
DISCLOSED_GROUPS = {
    'beneficiary_name': 'identity', 'beneficiary_sex': 'identity',
    'beneficiary_age': 'identity',
    'beneficiary_phones': 'contact',
    'beneficiary_location': 'contact',
    'need_description': 'needs',
    'beneficiary_documents': 'documents',
    'beneficiary_vulnerabilities': 'vulnerabilities',
    }
# Free text about the person: a provider reads it only while the
# disclosure is in force (and, as every personal field, never searches it)
PROVIDER_WITHHELD = {'reason', 'exception_reason', 'override_reason'}
# What the provider writes; everything else is the ministry's
PROVIDER_FIELDS = [
    'decline_reason', 'decline_note', 'outcome', 'outcome_feedback',
    'provider_note']


def now():
    return dt.datetime.now()


def _tested(domain, names=None):
    "The fields a search domain tests (the first field of each path)"
    names = set() if names is None else names
    if isinstance(domain, (list, tuple)):
        if domain and isinstance(domain[0], str) and len(domain) >= 3:
            names.add(domain[0].split('.', 1)[0])
        for item in domain:
            if isinstance(item, (list, tuple)):
                _tested(item, names)
    return names


def _providers_resolved(domain):
    """The domain with each condition on the referral's provider through
    the provider's own fields (the inbox's "provider.focal_points = me", as
    the search scope leaves it: provider where [...]) given as the ids of
    the providers it finds, found as the database would in its subquery
    (with the user's rules, inactive ones too). The providers are a few
    hundred: PostgreSQL then reads a provider's referrals in the order of
    the list from the index, instead of all of them to sort (a focal
    point's inbox at 1M people: ~30 ms to ~0.3 ms)."""
    if is_leaf(domain):
        name, operator, value = domain[:3]
        first, _, rest = name.partition('.')
        if first != 'provider' or len(domain) > 3:
            return domain
        if rest:
            found = [(rest, operator, value)]
        elif operator == 'where':
            found = value
        else:
            return domain
        pool = Pool()
        Provider = pool.get('momd.provider')
        with inactive_records():
            ids = [p.id for p in Provider.search(found, order=[])]
        # one provider compared as a value, for its index's order
        return single_values(
            pool.get('momd.referral'), ('provider', 'in', ids))
    if isinstance(domain, (list, tuple)):
        return [_providers_resolved(d) for d in domain]
    return domain


def expects(*states):
    """Lock the referrals, then refuse if someone else moved them on first:
    of two focal points pressing at once, one acts, the other is told."""
    def decorator(func):
        @functools.wraps(func)
        def wrapper(cls, referrals, *args, **kwargs):
            pool = Pool()
            table = cls.__table__()
            cursor = Transaction().connection.cursor()
            ids = [r.id for r in referrals]
            if ids and backend.name == 'postgresql':
                # wait for whoever holds them, rather than give up at once
                # (however long their step takes on a loaded server): when
                # they commit, the database has this request start again,
                # and it then sees their step
                cursor.execute(*table.select(table.id,
                        where=table.id.in_(ids), for_=For('UPDATE')))
            elif ids:
                # no row locks there: take the database's write lock now so
                # that the state read next is the latest one
                cls.lock(referrals)
                cursor.execute(*table.update([table.id], [table.id],
                        where=table.id.in_(ids)))
            # the button checks access and rules on what it is given; the
            # step itself reads the referral and its case as the system
            with without_check_access():
                referrals = cls.browse([r.id for r in referrals])
            moved = [r for r in referrals if r.state not in states]
            if moved:
                if Transaction().check_access:
                    # nothing is said of a referral the user may not read
                    pool.get('ir.model.access').check(cls.__name__, 'read')
                    pool.get('ir.rule').check(
                        cls.__name__, [r.id for r in moved])
                raise ReferralValidationError(gettext(
                        'momd_referral.msg_referral_changed',
                        referral=moved[0].rec_name,
                        state=moved[0].state_string))
            return func(cls, referrals, *args, **kwargs)
        return wrapper
    return decorator


class Referral(
        AuditMixin, OverdueListMixin, RoleButtonsMixin, RestrictedFlagMixin,
        Workflow, ModelSQL, ModelView):
    __name__ = 'momd.referral'
    __string__ = "Referral"
    _history = True

    _draft = {'readonly': Eval('state') != 'draft'}

    code = fields.Char("Number", readonly=True)
    case = fields.Many2One(
        'momd.case', "Case", required=True, ondelete='RESTRICT',
        states=_draft)
    need = fields.Many2One(
        'momd.need', "Need", required=True, ondelete='RESTRICT',
        domain=[('case', '=', Eval('case', -1))], states=_draft)
    beneficiary = fields.Function(
        fields.Many2One('momd.beneficiary', "Beneficiary"),
        'get_case_field', searcher='search_case_field')
    office = fields.Many2One(
        'momd.office', "Sending Office", readonly=True, ondelete='RESTRICT',
        help="The office of the case, whose staff follow the referral.")
    district = fields.Many2One(
        'momd.location', "District", readonly=True, ondelete='RESTRICT',
        help="Where the beneficiary lived when the referral was made.")
    category = fields.Function(
        fields.Many2One('momd.service.category', "Service Category"),
        'get_category', searcher='search_category')
    caseworker = fields.Many2One(
        'res.user', "Caseworker", required=True, ondelete='RESTRICT',
        states=_draft)
    provider_service = _ServiceMany2One(
        'momd.provider.service', "Provider Service", required=True,
        ondelete='RESTRICT', states=_draft,
        domain=[
            ('provider.state', '=', 'active'),
            # a service for the need: of its category, one above (a
            # general legal aid service for civil documentation) or below;
            # chosen while in draft (a need recorded later under another
            # category keeps the referrals it had)
            If((Eval('state') == 'draft') & Eval('category'),
                ['OR',
                    ('category', 'parent_of', [Eval('category', -1)],
                        'parent'),
                    ('category', 'child_of', [Eval('category', -1)],
                        'parent'),
                    ],
                []),
            ],
        help="Chosen from the services that match the need.")
    provider = fields.Many2One(
        'momd.provider', "Provider", readonly=True, ondelete='RESTRICT')
    priority = fields.Selection(
        PRIORITIES, "Priority", required=True, sort=False, states=_draft)
    priority_string = priority.translated('priority')
    reason = fields.Text(
        "Reason for Referral", required=True, states=_draft,
        help="What the provider needs to know, within what is disclosed.")
    legal_basis = fields.Selection(
        LEGAL_BASES, "Legal Basis", required=True, states=_draft)
    exception_reason = fields.Text(
        "Exception Reason",
        states={
            'required': Eval('legal_basis') == 'sop_exception',
            'invisible': Eval('legal_basis') != 'sop_exception',
            'readonly': Eval('state') != 'draft',
            })
    disclosed_groups = fields.MultiSelection(
        INFORMATION_GROUPS, "Information Disclosed", sort=False,
        states=_draft,
        help="What the provider sees of the beneficiary; never more than "
        "the consent allows.")
    consent = fields.Many2One(
        'momd.consent', "Consent Used", readonly=True, ondelete='RESTRICT')
    approved_by = fields.Many2One(
        'res.user', "Approved By", readonly=True, ondelete='RESTRICT')
    sent_date = fields.Timestamp("Sent On", readonly=True)
    answered_date = fields.Timestamp("Answered On", readonly=True)
    started_date = fields.Timestamp("Started On", readonly=True)
    completed_date = fields.Timestamp("Completed On", readonly=True)
    closed_date = fields.Timestamp("Closed On", readonly=True)
    decline_reason = fields.Selection(
        DECLINE_REASONS, "Decline Reason",
        states={
            'readonly': Eval('state') != 'sent',
            'invisible': ~Eval('state').in_(['sent', 'declined']),
            })
    decline_note = fields.Text(
        "Decline Note",
        states={
            'readonly': Eval('state') != 'sent',
            'invisible': ~Eval('state').in_(['sent', 'declined']),
            })
    outcome = fields.Selection(
        OUTCOMES, "Outcome",
        states={
            'readonly': ~Eval('state').in_(['accepted', 'in_progress']),
            'invisible': ~Eval('state').in_([
                    'accepted', 'in_progress', 'completed', 'closed']),
            })
    outcome_feedback = fields.Text(
        "Outcome Feedback",
        states={
            'readonly': ~Eval('state').in_(['accepted', 'in_progress']),
            'invisible': ~Eval('state').in_([
                    'accepted', 'in_progress', 'completed', 'closed']),
            })
    provider_note = fields.Text("Provider Note")
    follow_up = fields.Text("Follow-up Note")
    cancel_reason = fields.Text(
        "Cancellation Reason",
        states={'readonly': ~Eval('state').in_(OPEN_STATES)})
    redirected_from = fields.Many2One(
        'momd.referral', "Redirected From", readonly=True,
        ondelete='RESTRICT')
    redirections = fields.One2Many(
        'momd.referral', 'redirected_from', "Redirected To", readonly=True)
    # What the provider sees of the person: only the disclosed groups, only
    # while the disclosure is in force (models/disclosure.py)
    beneficiary_name = fields.Function(
        fields.Char("Name"), 'get_disclosed')
    beneficiary_sex = fields.Function(
        fields.Char("Sex"), 'get_disclosed')
    beneficiary_age = fields.Function(
        fields.Integer("Age"), 'get_disclosed')
    beneficiary_phones = fields.Function(
        fields.Char("Phones"), 'get_disclosed')
    beneficiary_location = fields.Function(
        fields.Char("Current Location"), 'get_disclosed')
    need_description = fields.Function(
        fields.Text("Need"), 'get_disclosed')
    beneficiary_documents = fields.Function(
        fields.Char("Identity Documents"), 'get_disclosed')
    beneficiary_vulnerabilities = fields.Function(
        fields.Char("Vulnerabilities"), 'get_disclosed')
    restricted = fields.Boolean(
        "Restricted Category", readonly=True,
        help="Of a restricted service category (GBV, child protection...): "
        "seen only by users with sensitive data access.")
    state = fields.Selection(
        STATES, "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    steps = fields.Function(fields.Char("Steps"), 'get_steps')
    acknowledge_before = fields.Timestamp(
        "Acknowledge Before", readonly=True,
        help="Set when sent, from the service deadlines.")
    complete_before = fields.Timestamp(
        "Complete Before", readonly=True,
        help="Set when sent, from the service deadlines.")
    overdue = fields.Function(
        fields.Boolean("Overdue"), 'get_overdue', searcher='search_overdue')
    overdue_since = fields.Timestamp(
        "Overdue Since", readonly=True,
        help="The deadline that passed, once the hourly check has seen it.")
    escalation_level = fields.Integer("Escalation Level", readonly=True)
    escalated_to = fields.Selection(
        [(None, "")] + ESCALATION_ROLES, "Escalated To", readonly=True)
    focal_points = fields.Function(
        fields.Many2Many('res.user', None, None, "Focal Points"),
        'get_focal_points')
    supervisors = fields.Function(
        fields.Many2Many('res.user', None, None, "Office Supervisors"),
        'get_supervisors')
    managers = fields.Function(
        fields.Many2Many('res.user', None, None, "Ministry Managers"),
        'get_managers')

    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                # a provider's inbox and tabs, newest first, and their
                # counts from the index alone
                Index(t, (t.provider, Index.Range()),
                    (t.state, Index.Range()), (t.id, Index.Range()),
                    include=[t.restricted, t.sent_date]),
                Index(t, (t.need, Index.Range())),
                Index(t, (t.case, Index.Range())),
                Index(t, (t.district, Index.Range())),
                # the lists of an office, newest first, and their counts
                # from the index alone
                Index(t, (t.office, Index.Range()), (t.id, Index.Range()),
                    include=[t.restricted]),
                # the tabs' counters of an office: each state's count, and
                # the overdue among the open ones, from the index alone
                Index(t, (t.office, Index.Range()), (t.state, Index.Range()),
                    include=[t.restricted]),
                Index(t, (t.office, Index.Range()),
                    include=[t.state, t.acknowledge_before,
                        t.complete_before, t.restricted],
                    where=t.state.in_(['sent', 'accepted', 'in_progress'])),
                # the statistics of a period (sent, or created for drafts)
                Index(t, (Coalesce(t.sent_date, t.create_date),
                        Index.Range())),
                # a number typed in the search box (Tryton compares
                # COALESCE(code, ''))
                Index(t, (Coalesce(t.code, ''), Index.Similarity())),
                })
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'sent'),
            ('draft', 'to_approve'),
            ('to_approve', 'sent'),
            ('sent', 'accepted'),
            ('sent', 'declined'),
            ('accepted', 'in_progress'),
            ('accepted', 'completed'),
            ('in_progress', 'completed'),
            ('completed', 'closed'),
            ('draft', 'cancelled'),
            ('to_approve', 'cancelled'),
            ('sent', 'cancelled'),
            ('accepted', 'cancelled'),
            ('in_progress', 'cancelled'),
            }
        cls._buttons.update({
                'send': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward', 'depends': ['state']},
                'approve': {
                    'invisible': Eval('state') != 'to_approve',
                    'icon': 'tryton-ok', 'depends': ['state']},
                'accept': {
                    'invisible': Eval('state') != 'sent',
                    'icon': 'tryton-ok', 'depends': ['state']},
                'decline': {
                    'invisible': Eval('state') != 'sent',
                    'icon': 'tryton-cancel', 'depends': ['state']},
                'start': {
                    'invisible': Eval('state') != 'accepted',
                    'icon': 'tryton-forward', 'depends': ['state']},
                'complete': {
                    'invisible': ~Eval('state').in_(
                        ['accepted', 'in_progress']),
                    'icon': 'tryton-ok', 'depends': ['state']},
                'close': {
                    'invisible': Eval('state') != 'completed',
                    'icon': 'tryton-ok', 'depends': ['state']},
                'cancel': {
                    'invisible': ~Eval('state').in_(OPEN_STATES),
                    'icon': 'tryton-cancel', 'depends': ['state']},
                'redirect': {
                    'invisible': Eval('state') != 'declined',
                    'icon': 'tryton-forward', 'depends': ['state']},
                })

    @staticmethod
    def default_state():
        return 'draft'

    @staticmethod
    def default_caseworker():
        return Transaction().user

    @staticmethod
    def default_priority():
        return 'normal'

    @staticmethod
    def default_escalation_level():
        return 0

    @staticmethod
    def default_legal_basis():
        return 'consent'

    @staticmethod
    def default_disclosed_groups():
        return ['identity', 'contact', 'needs']

    @fields.depends('need', '_parent_need.priority')
    def on_change_need(self):
        if self.need:
            self.priority = self.need.priority

    @fields.depends('provider_service', '_parent_provider_service.provider')
    def on_change_provider_service(self):
        # shown at once, as it will be stored
        self.provider = (
            self.provider_service.provider if self.provider_service else None)

    @fields.depends('need', '_parent_need.category')
    def on_change_with_category(self, name=None):
        if self.need and self.need.category:
            return self.need.category.id

    @classmethod
    def get_category(cls, referrals, name):
        """The category of each referral's need, for all of them in one
        query (a list of referrals shows it on every line); as it was at
        the time read, through the referrals one by one"""
        if Transaction().context.get('_datetime'):
            return {r.id: r.on_change_with_category() for r in referrals}
        need = Pool().get('momd.need').__table__()
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        categories = dict.fromkeys((r.id for r in referrals), None)
        for ids in grouped_slice(list(categories), 1000):
            cursor.execute(*table.join(need, condition=table.need == need.id
                    ).select(table.id, need.category,
                    where=fields.SQL_OPERATORS['in'](table.id, list(ids))))
            categories.update(cursor)
        return categories

    def get_rec_name(self, name):
        return self.code or str(self.id)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('code',) + tuple(clause[1:])]

    def get_case_field(self, name):
        return getattr(self.case, name).id

    @classmethod
    def search_case_field(cls, name, clause):
        return [('case.' + name,) + tuple(clause[1:])]

    @classmethod
    def search_category(cls, name, clause):
        return [('need.category',) + tuple(clause[1:])]

    def get_steps(self, name):
        """The SOP path of the referral as a line: the steps done, the
        current one and those ahead"""
        names = dict(self.fields_get(['state'])['state']['selection'])
        path = self.steps_path()
        current = path.index(self.state)
        marks = []
        for i, state in enumerate(path):
            if i < current:
                mark = '\u2714'  # check mark
            elif i > current:
                mark = '\u25cb'  # white circle
            elif state in {'declined', 'cancelled'}:
                mark = '\u2716'  # heavy multiplication x
            else:
                mark = '\u25cf'  # black circle
            marks.append('%s %s' % (mark, names[state]))
        return ' \u203a '.join(marks)

    def steps_path(self):
        "The states of the referral's path, from draft to its end"
        path = ['draft']
        if self.approved_by or self.state == 'to_approve' or (
                self.state == 'draft' and self.need
                and self.needs_approval()):
            path.append('to_approve')
        path.append('sent')
        if self.state == 'declined':
            path.append('declined')
        else:
            path.append('accepted')
            if self.started_date or not self.completed_date:
                path.append('in_progress')
            path.extend(['completed', 'closed'])
        if self.state == 'cancelled':
            reached = [self.sent_date, self.answered_date, self.started_date,
                self.completed_date]
            done = 1 + bool(self.approved_by) + sum(1 for d in reached if d)
            path = path[:done] + ['cancelled']
        return path

    def get_overdue(self, name):
        date = now()
        if self.state == 'sent':
            return bool(self.acknowledge_before
                and self.acknowledge_before < date)
        if self.state in {'accepted', 'in_progress'}:
            return bool(self.complete_before and self.complete_before < date)
        return False

    @classmethod
    def search_overdue(cls, name, clause):
        _, operator, value = clause
        date = now()
        late = ['OR',
            [('state', '=', 'sent'), ('acknowledge_before', '<', date)],
            [('state', 'in', ['accepted', 'in_progress']),
                ('complete_before', '<', date)],
            ]
        if (operator == '=') == bool(value):
            return late
        return ['AND',
            ['OR', ('state', '!=', 'sent'),
                ('acknowledge_before', '=', None),
                ('acknowledge_before', '>=', date)],
            ['OR', ('state', 'not in', ['accepted', 'in_progress']),
                ('complete_before', '=', None),
                ('complete_before', '>=', date)],
            ]

    def get_focal_points(self, name):
        return [u.id for u in self._may_know(self.provider.focal_points)
            if u.active]

    def get_supervisors(self, name):
        return [u.id for u in self._may_know(self.case.office.supervisors)
            if u.active]

    def get_managers(self, name):
        return [u.id for u in self.recipients('managers')]

    def _may_know(self, users):
        """Those of users who may know of the referral: of a restricted
        one, only the users with sensitive-data access (or administrators)
        hear of it"""
        return may_know(users, self.restricted)

    def recipients(self, who):
        "The users of a role for this referral"
        if who == 'caseworker':
            return self._may_know([self.caseworker])
        elif who == 'supervisors':
            return list(self.supervisors)
        elif who == 'focal_points':
            return list(self.focal_points)
        elif who == 'managers':
            pool = Pool()
            User = pool.get('res.user')
            ModelData = pool.get('ir.model.data')
            return self._may_know(User.search([
                        ('groups', '=', ModelData.get_id(
                                'momd_referral', 'group_manager')),
                        ('active', '=', True)]))
        return []

    def activity_categories(self):
        return [self.need.category]

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Service = pool.get('momd.provider.service')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('code'):
            Sequence = pool.get('ir.sequence')
            ModelData = pool.get('ir.model.data')
            with without_check_access():
                values['code'] = Sequence(ModelData.get_id(
                        'momd_referral', 'sequence_referral')).get()
        if (mode == 'create' and values.get('case')
                and not values.get('district')):
            values['district'] = cls._district(values['case'])
        if values.get('case'):
            values['office'] = cls._office(values['case'])
        if values.get('provider_service'):
            values['provider'] = Service(
                values['provider_service']).provider.id
        if values.get('need'):
            values['restricted'] = cls._restricted(values['need'])
        return values

    @classmethod
    def __register__(cls, module):
        pool = Pool()
        Case = pool.get('momd.case')
        super().__register__(module)
        # the office was read through the case before it was stored
        table, case = cls.__table__(), Case.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update([table.office],
                case.select(case.office, where=case.id == table.case),
                where=table.office == Null))

    @classmethod
    def _office(cls, case_id):
        "The office of the case"
        Case = Pool().get('momd.case')
        with without_check_access():
            case, = Case.read([case_id], ['office'])
        return case['office']

    @classmethod
    def follow_office(cls, cases):
        "Give the referrals of the cases their case's office"
        with without_check_access():
            for case in cases:
                referrals = cls.search([
                        ('case', '=', case.id),
                        ('office', '!=', case.office.id)])
                if referrals:
                    cls.write(referrals, {'office': case.office.id})

    @classmethod
    def _restricted(cls, need_id):
        "Whether the need is of a restricted category (the rules read it)"
        Need = Pool().get('momd.need')
        with without_check_access():
            return bool(Need(need_id).category.restricted)

    @classmethod
    def follow_restriction(cls, needs):
        """Mark the referrals of the needs as restricted or not, as their
        categories now are, and the activities about them"""
        Activity = Pool().get('momd.activity')
        with without_check_access():
            flags = {n.id: cls._restricted(n.id) for n in needs}
            by_flag = defaultdict(list)
            for referral in cls.search([('need', 'in', list(flags))]):
                restricted = flags[referral.need.id]
                if referral.restricted != restricted:
                    by_flag[restricted].append(referral)
            for restricted, changed in by_flag.items():
                cls.write(changed, {'restricted': restricted})
                Activity.follow_restriction(changed, restricted)

    @classmethod
    def _restricted_source(cls, table):
        pool = Pool()
        need = pool.get('momd.need').__table__()
        category = pool.get('momd.service.category').__table__()
        return need.join(category, condition=need.category == category.id
            ).select(category.restricted, where=need.id == table.need)

    @classmethod
    def _district(cls, case_id):
        "The district where the beneficiary of the case lives, if known"
        pool = Pool()
        Case = pool.get('momd.case')
        Beneficiary = pool.get('momd.beneficiary')
        Location = pool.get('momd.location')
        # the two ids only, not the whole case and beneficiary
        case, = Case.read([case_id], ['beneficiary'])
        beneficiary, = Beneficiary.read(
            [case['beneficiary']], ['current_location'])
        if beneficiary['current_location']:
            districts = Location.search([
                    ('parent', 'parent_of', [beneficiary['current_location']]),
                    ('level', '=', 'district'),
                    ], limit=1)
            if districts:
                return districts[0].id

    @classmethod
    def validate_fields(cls, referrals, field_names):
        super().validate_fields(referrals, field_names)
        cls.check_duplicate(referrals, field_names)

    @classmethod
    def check_duplicate(cls, referrals, field_names=None):
        # states only move from open to open or to closed: what can make a
        # duplicate is a new referral or a changed need or service
        if field_names and not field_names & {'need', 'provider_service'}:
            return
        for referral in referrals:
            if referral.state not in OPEN_STATES:
                continue
            others = cls.search([
                    ('need', '=', referral.need.id),
                    ('provider_service', '=', referral.provider_service.id),
                    ('state', 'in', OPEN_STATES),
                    ('id', '!=', referral.id),
                    ], limit=1)
            if others:
                raise ReferralValidationError(gettext(
                        'momd_referral.msg_referral_duplicate',
                        provider=referral.provider.rec_name,
                        other=others[0].rec_name or others[0].id))

    @classmethod
    def check_sending(cls, referrals):
        """Agreement and consent, checked when the referral leaves;
        return the values to write on each referral (the consent used)"""
        pool = Pool()
        Consent = pool.get('momd.consent')
        values = {}
        for referral in referrals:
            values[referral] = {}
            provider = referral.provider
            if not provider.agreement_valid():
                raise ReferralValidationError(gettext(
                        'momd_referral.msg_referral_agreement',
                        referral=referral.rec_name,
                        provider=provider.rec_name))
            if referral.legal_basis == 'consent':
                consent = Consent.find_covering(
                    referral.case.beneficiary,
                    referral.disclosed_groups or [],
                    referral.need.category, provider)
                if not consent:
                    raise ReferralValidationError(gettext(
                            'momd_referral.msg_referral_no_consent',
                            beneficiary=referral.case.beneficiary.rec_name,
                            provider=provider.rec_name))
                values[referral]['consent'] = consent.id
        return values

    @classmethod
    def check_modification(cls, mode, referrals, values=None,
            external=False):
        super().check_modification(
            mode, referrals, values=values, external=external)
        if mode == 'create':
            for referral in referrals:
                if referral.case.state == 'closed':
                    raise ReferralValidationError(gettext(
                            'momd_referral.msg_referral_case_closed',
                            case=referral.case.rec_name))
                if referral.need.case != referral.case:
                    raise ReferralValidationError(gettext(
                            'momd_referral.msg_referral_need_case',
                            referral=referral.rec_name))
        if mode == 'delete':
            for referral in referrals:
                if referral.state not in {'draft', 'cancelled'}:
                    raise ReferralValidationError(gettext(
                            'momd_referral.msg_referral_delete',
                            referral=referral.rec_name))

    @classmethod
    def search_domain(cls, domain, active_test=None, tables=None):
        # (and not restricted for who may not know of it: the mixin)
        if Transaction().check_access and provider_only():
            # nor confirm by a search who a referral is about
            withheld = sorted(PERSONAL_FIELDS & _tested(domain))
            if withheld:
                name = withheld[0]
                raise AccessError(gettext(
                        'momd_referral.msg_search_withheld',
                        field=cls.fields_get([name])[name]['string']))
        return super().search_domain(_providers_resolved(domain),
            active_test=active_test, tables=tables)

    @classmethod
    def export_data(cls, referrals, fields_names, header=False):
        if Transaction().check_access and provider_only():
            for name in fields_names:
                root = name.split('/')[0].split('.')[0]
                if root in PERSONAL_FIELDS:
                    raise AccessError(gettext(
                            'momd_referral.msg_export_personal',
                            field=cls.fields_get([root])[root]['string']))
        return super().export_data(referrals, fields_names, header=header)

    @classmethod
    def copy(cls, referrals, default=None):
        default = default.copy() if default else {}
        for name in ['code', 'district', 'consent', 'approved_by',
                'sent_date', 'answered_date', 'started_date',
                'completed_date', 'closed_date', 'decline_reason',
                'decline_note', 'outcome', 'acknowledge_before',
                'complete_before', 'overdue_since', 'escalated_to',
                'outcome_feedback', 'provider_note', 'cancel_reason']:
            default.setdefault(name, None)
        default.setdefault('escalation_level', 0)
        return super().copy(referrals, default=default)

    @classmethod
    def _write_values(cls, values):
        "Write {referral: values}, one write for all"
        to_write = []
        for referral, referral_values in values.items():
            if referral_values:
                to_write.extend(([referral], referral_values))
        if to_write:
            cls.write(*to_write)

    def needs_approval(self):
        return (self.need.category.restricted
            or self.legal_basis == 'sop_exception')

    @classmethod
    def _move(cls, referrals, state, values=None, each=None, date_field=None,
            date=None):
        """Move the referrals to state writing, in the same write, the
        step's values (common to all, and each referral's own in each).
        Who pressed which button is in the model log, every state with its
        author and time in the referral's history."""
        referrals = [r for r in referrals
            if (r.state, state) in cls._transitions]
        if not referrals:
            return
        date = date or now()
        values = dict(values or {}, state=state)
        if date_field:
            values[date_field] = date
        cls._write_values({
                r: dict(values, **(each or {}).get(r, {}))
                for r in referrals})
        cls.after_step(referrals, state, date)

    @classmethod
    def after_step(cls, referrals, state, date):
        "The activities the plans ask for, and who is told"
        pool = Pool()
        Plan = pool.get('momd.activity.plan')
        Plan.fire('referral_state', referrals, start=date, state=state)
        messages = {
            'sent': ('focal_points', 'msg_referral_received_label',
                'tryton-notification'),
            'to_approve': ('supervisors', 'msg_referral_to_approve_label',
                'tryton-notification'),
            'accepted': ('caseworker', 'msg_referral_accepted_label',
                'tryton-ok'),
            'declined': ('caseworker', 'msg_referral_declined_label',
                'tryton-cancel'),
            'completed': ('caseworker', 'msg_referral_completed_label',
                'tryton-ok'),
            }
        if state not in messages:
            return
        who, message, icon = messages[state]
        for referral in referrals:
            notify([referral], referral.recipients(who),
                'momd_referral.' + message, icon=icon,
                description=referral.category,
                referral=referral.rec_name,
                provider=referral.provider)

    @classmethod
    @expects('draft')
    @ModelView.button
    def send(cls, referrals):
        to_approve, direct = [], []
        for referral in referrals:
            (to_approve if referral.needs_approval() else direct).append(
                referral)
        if to_approve:
            cls.submit(to_approve)
        if direct:
            cls._send(direct)

    @classmethod
    def submit(cls, referrals):
        for referral in referrals:
            if (referral.legal_basis == 'sop_exception'
                    and not referral.exception_reason):
                raise ReferralValidationError(gettext(
                        'momd_referral.msg_referral_exception_reason',
                        referral=referral.rec_name))
        cls._move(referrals, 'to_approve', each=cls.check_sending([
                    r for r in referrals if r.legal_basis == 'consent']))

    @classmethod
    def _send(cls, referrals, values=None):
        pool = Pool()
        Need = pool.get('momd.need')
        SLARule = pool.get('momd.sla.rule')
        needs = {r.need for r in referrals if r.need.status != 'referred'}
        date = now()
        each = cls.check_sending(referrals)
        for referral in referrals:
            each[referral]['acknowledge_before'], \
                each[referral]['complete_before'] = SLARule.due_dates(
                    referral.priority, referral.need.category,
                    referral.provider_service, date)
        cls._move(referrals, 'sent', values, each=each,
            date_field='sent_date', date=date)
        if needs:
            Need.write(list(needs), {'status': 'referred'})

    @classmethod
    @expects('to_approve')
    @ModelView.button
    def approve(cls, referrals):
        cls._send(referrals, {'approved_by': Transaction().user})

    @classmethod
    @expects('sent')
    @ModelView.button
    def accept(cls, referrals):
        cls._move(referrals, 'accepted', {
                'overdue_since': None, 'escalation_level': 0,
                'escalated_to': None}, date_field='answered_date')

    @classmethod
    @expects('sent')
    @ModelView.button
    def decline(cls, referrals):
        require(referrals, 'decline_reason',
            'momd_referral.msg_referral_decline_reason',
            ReferralValidationError, 'referral')
        cls._move(referrals, 'declined', date_field='answered_date')

    @classmethod
    @expects('accepted')
    @ModelView.button
    def start(cls, referrals):
        cls._move(referrals, 'in_progress', date_field='started_date')

    @classmethod
    @expects('accepted', 'in_progress')
    @ModelView.button
    def complete(cls, referrals):
        pool = Pool()
        Need = pool.get('momd.need')
        require(referrals, 'outcome', 'momd_referral.msg_referral_outcome',
            ReferralValidationError, 'referral')
        status = {'provided': 'met', 'partly': 'met', 'not_provided': 'unmet'}
        needs = defaultdict(list)
        for referral in referrals:
            needs[status[referral.outcome]].append(referral.need)
        cls._move(referrals, 'completed', date_field='completed_date')
        if needs:
            Need.write(*chain.from_iterable(
                    (n, {'status': s}) for s, n in needs.items()))

    @classmethod
    @expects('completed')
    @ModelView.button
    def close(cls, referrals):
        cls._move(referrals, 'closed', date_field='closed_date')

    @classmethod
    @expects(*OPEN_STATES)
    @ModelView.button
    def cancel(cls, referrals):
        require(referrals, 'cancel_reason',
            'momd_referral.msg_referral_cancel_reason',
            ReferralValidationError, 'referral')
        cls._move(referrals, 'cancelled')

    @classmethod
    @expects('declined')
    @ModelView.button_action('momd_referral.act_referral_redirected')
    def redirect(cls, referrals):
        "A new draft for the same need, to be sent to another provider"
        redirected = []
        for referral in referrals:
            new, = cls.copy([referral], default={
                    'redirected_from': referral.id,
                    'state': 'draft',
                    })
            redirected.append(new)
        return {'res_id': [r.id for r in redirected]}


    @classmethod
    def escalate(cls, date=None):
        """Mark the referrals whose deadline passed at date and move them up
        the escalation chain (the hourly cron): set-based, so that it stays
        quick with many open referrals; return the referrals it changed"""
        pool = Pool()
        Step = pool.get('momd.escalation.step')
        Plan = pool.get('momd.activity.plan')
        Trigger = pool.get('ir.trigger')
        date = date or now()
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        user = Transaction().user
        in_max = backend.MAX_QUERY_PARAMS - 2
        open_ = table.state.in_(['sent', 'accepted', 'in_progress'])
        late = (((table.state == 'sent') & (table.acknowledge_before < date))
            | (table.state.in_(['accepted', 'in_progress'])
                & (table.complete_before < date)))

        def update(columns, values, where):
            "UPDATE in SQL what where selects, as write would: history, "
            "caches, triggers"
            cursor.execute(*table.select(table.id, where=where))
            ids = [i for i, in cursor]
            triggers = Trigger.get_triggers(cls.__name__, 'write')
            before = cls.browse(ids) if triggers else []
            eligibles = {t: {r.id for r in before if not t.eval(r)}
                for t in triggers}
            for sub_ids in grouped_slice(ids, in_max):
                cursor.execute(*table.update(
                        columns + [table.write_uid, table.write_date],
                        values + [user, CurrentTimestamp()],
                        where=table.id.in_(list(sub_ids))))
            if ids:
                cls._insert_history(ids)
                # what the transaction had read of them is stale
                transaction = Transaction()
                transaction.counter += 1
                for cache in transaction.cache.values():
                    if cls.__name__ in cache:
                        for id_ in ids:
                            cache[cls.__name__].pop(id_, None)
            after = cls.browse(ids)
            for trigger, eligible in eligibles.items():
                trigger.queue_trigger_action(
                    [r for r in after if r.id in eligible])
            return after

        newly_late = update(
            [table.overdue_since, table.escalation_level],
            [SQLCase((table.state == 'sent', table.acknowledge_before),
                    else_=table.complete_before), 0],
            late & (table.overdue_since == Null))
        Plan.fire('referral_overdue', newly_late, start=date)
        changed = set(newly_late)
        who = {'caseworker': 'caseworker', 'supervisor': 'supervisors',
            'manager': 'managers'}
        for level, role, delay in Step.chain():
            escalated = update(
                [table.escalation_level, table.escalated_to], [level, role],
                open_ & (table.overdue_since != Null)
                & (table.escalation_level < level)
                & (table.overdue_since <= date - dt.timedelta(hours=delay)))
            by_user = defaultdict(list)
            for referral in escalated:
                for recipient in referral.recipients(who[role]):
                    by_user[recipient].append(referral)
            # one line per person and run, however many referrals
            for recipient, referrals in by_user.items():
                notify(referrals, [recipient],
                    'momd_referral.msg_referral_overdue_label',
                    icon='tryton-error', count=len(referrals))
            changed.update(escalated)
        return list(changed)


class Need(metaclass=PoolMeta):
    __name__ = 'momd.need'
    referrals = fields.One2Many('momd.referral', 'need', "Referrals",
        readonly=True)

    @classmethod
    def on_modification(cls, mode, needs, field_names=None):
        super().on_modification(mode, needs, field_names=field_names)
        if mode == 'write' and 'category' in (field_names or ()):
            Pool().get('momd.referral').follow_restriction(needs)


class ServiceCategory(metaclass=PoolMeta):
    __name__ = 'momd.service.category'

    @classmethod
    def on_modification(cls, mode, categories, field_names=None):
        pool = Pool()
        Need = pool.get('momd.need')
        Referral = pool.get('momd.referral')
        super().on_modification(mode, categories, field_names=field_names)
        if mode == 'write' and 'restricted' in (field_names or ()):
            Need.follow_categories(categories)
            pool.get('momd.provider.service').follow_categories(categories)
            with without_check_access():
                needs = Need.search(
                    [('category', 'in', [c.id for c in categories])])
            Referral.follow_restriction(needs)


class Case(metaclass=PoolMeta):
    __name__ = 'momd.case'
    referrals = fields.One2Many('momd.referral', 'case', "Referrals",
        readonly=True)

    @classmethod
    def on_modification(cls, mode, cases, field_names=None):
        super().on_modification(mode, cases, field_names=field_names)
        if mode == 'write' and 'office' in (field_names or ()):
            Pool().get('momd.referral').follow_office(cases)


class ReferralNotification(Report):
    "The e-mail telling of a referral's step, with no personal data"
    __name__ = 'momd.referral.notification'

"Case files and the needs assessed in them."
import datetime as dt

from sql.conditionals import Case as SQLCase, Coalesce
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access

from ..exceptions import CaseValidationError
from .audit import AuditMixin
from .mixins import (
    OfficeScopedMixin, OfficeThroughMixin, RestrictedCategoryMixin,
    RoleButtonsMixin, notify, require, sees_restricted)

RISK_LEVELS = [
    ('low', "Low"),
    ('medium', "Medium"),
    ('high', "High"),
    ('critical', "Critical"),
    ]
CASE_STATES = [
    ('open', "Open"),
    ('active', "Active"),
    ('closure_requested', "Closure Requested"),
    ('closed', "Closed"),
    ]
PRIORITIES = [
    ('emergency', "Emergency"),
    ('urgent', "Urgent"),
    ('normal', "Normal"),
    ]
NEED_STATUS = [
    ('identified', "Identified"),
    ('referred', "Referred"),
    ('met', "Met"),
    ('unmet', "Unmet"),
    ('withdrawn', "Withdrawn"),
    ]


def review_months():
    "How often cases are reviewed, as the administrator set it"
    return Pool().get('momd.configuration')(1).case_review_months


def priority_order(column):
    "Order by priority, the most pressing first"
    return SQLCase(*((column == code, i)
            for i, (code, _) in enumerate(PRIORITIES)),
        else_=len(PRIORITIES))


def add_months(date, months):
    month = date.month - 1 + months
    year, month = date.year + month // 12, month % 12 + 1
    for day in range(date.day, 27, -1):
        try:
            return date.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return date.replace(year=year, month=month, day=min(date.day, 28))


class Case(
        AuditMixin, OfficeScopedMixin, RoleButtonsMixin, Workflow, ModelSQL,
        ModelView):
    __name__ = 'momd.case'
    __string__ = "Case"
    _history = True

    _states = {'readonly': Eval('state') == 'closed'}

    code = fields.Char("Number", readonly=True)
    beneficiary = fields.Many2One(
        'momd.beneficiary', "Beneficiary", required=True,
        ondelete='RESTRICT',
        domain=[('office', '=', Eval('office', -1))],
        states={'readonly': Eval('state') != 'open'})
    household = fields.Many2One(
        'momd.household', "Household", ondelete='RESTRICT',
        domain=[('office', '=', Eval('office', -1))], states=_states)
    office = fields.Many2One(
        'momd.office', "Office", required=True, ondelete='RESTRICT',
        states={'readonly': Eval('state') != 'open'})
    caseworker = fields.Many2One(
        'res.user', "Caseworker", required=True, ondelete='RESTRICT',
        states=_states)
    opened_date = fields.Date("Opened On", required=True, states=_states)
    closed_date = fields.Date("Closed On", readonly=True)
    risk_level = fields.Selection(
        RISK_LEVELS, "Risk Level", required=True, sort=False,
        states=_states)
    next_review = fields.Date(
        "Next Review", states=_states,
        domain=[If(Eval('next_review') & Eval('opened_date'),
                ('next_review', '>=', Eval('opened_date')), ())],
        help="Cases are reviewed at least every three months.")
    summary = fields.Text("Summary", states=_states)
    closure_reason = fields.Text(
        "Closure Reason",
        states={
            'readonly': ~Eval('state').in_(['active', 'open']),
            })
    reopen_reason = fields.Text(
        "Reopening Reason",
        states={
            'readonly': Eval('state') != 'closed',
            'invisible': (Eval('state') != 'closed') & ~Eval('reopen_reason'),
            })
    last_review = fields.Date("Last Review", readonly=True)
    review_due = fields.Function(
        fields.Boolean("Review Due"), 'get_review_due',
        searcher='search_review_due')
    review_flagged = fields.Date(
        "Review Flagged On", readonly=True,
        help="When the daily check asked for the review.")
    needs = fields.One2Many('momd.need', 'case', "Needs", states=_states)
    state = fields.Selection(
        CASE_STATES, "State", readonly=True, required=True, sort=False)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                # an office's cases in the list's order
                Index(t, (t.office, Index.Range()),
                    (t.opened_date, Index.Range()), (t.id, Index.Range())),
                Index(t, (t.beneficiary, Index.Range())),
                Index(t, (t.caseworker, Index.Range())),
                # a number typed in the search box (Tryton compares
                # COALESCE(code, ''))
                Index(t, (Coalesce(t.code, ''), Index.Similarity())),
                Index(t, (t.state, Index.Equality()),
                    where=t.state != 'closed'),
                })
        cls._order = [('opened_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('open', 'active'),
            ('open', 'closure_requested'),
            ('active', 'closure_requested'),
            ('closure_requested', 'active'),
            ('closure_requested', 'closed'),
            ('closed', 'active'),
            }
        cls._buttons.update({
                'activate': {
                    'invisible': Eval('state') != 'open',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'request_closure': {
                    'invisible': ~Eval('state').in_(['open', 'active']),
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'refuse_closure': {
                    'invisible': Eval('state') != 'closure_requested',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'approve_closure': {
                    'invisible': Eval('state') != 'closure_requested',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'review': {
                    'invisible': ~Eval('state').in_(['open', 'active']),
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'reopen': {
                    'invisible': Eval('state') != 'closed',
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'open'

    @staticmethod
    def default_risk_level():
        return 'low'

    @staticmethod
    def default_caseworker():
        return Transaction().user

    @classmethod
    def default_opened_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_next_review(cls):
        return add_months(cls.default_opened_date(), review_months())

    @fields.depends('opened_date', 'next_review')
    def on_change_opened_date(self):
        if self.opened_date:
            self.next_review = add_months(self.opened_date, review_months())

    def get_review_due(self, name):
        today = Pool().get('ir.date').today()
        return (self.state in {'open', 'active'}
            and bool(self.next_review) and self.next_review <= today)

    @classmethod
    def search_review_due(cls, name, clause):
        _, operator, value = clause
        today = Pool().get('ir.date').today()
        due = [('state', 'in', ['open', 'active']),
            ('next_review', '<=', today)]
        if (operator == '=') == bool(value):
            return due
        return ['OR', ('state', 'not in', ['open', 'active']),
            ('next_review', '=', None), ('next_review', '>', today)]

    def activity_categories(self):
        return [n.category for n in self.needs]

    @fields.depends('beneficiary', '_parent_beneficiary.household')
    def on_change_beneficiary(self):
        if self.beneficiary and self.beneficiary.household:
            self.household = self.beneficiary.household

    def get_rec_name(self, name):
        return '%s — %s' % (self.code or '', self.beneficiary.full_name)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, *rest = clause
        negative = operator.startswith('not') or operator.startswith('!')
        return ['AND' if negative else 'OR',
            ('code', operator, *rest),
            ('beneficiary.rec_name', operator, *rest),
            ]

    @classmethod
    def validate_fields(cls, cases, field_names):
        super().validate_fields(cases, field_names)
        if field_names and not field_names & {'opened_date'}:
            return
        today = Pool().get('ir.date').today()
        for case in cases:
            if case.opened_date > today:
                raise CaseValidationError(gettext(
                        'momd_referral.msg_case_opened_future',
                        case=case.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    def activate(cls, cases):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('closure_requested')
    def request_closure(cls, cases):
        require(cases, 'closure_reason',
            'momd_referral.msg_case_closure_reason', CaseValidationError,
            'case')
        cls.check_referrals_ended(cases)
        for case in cases:
            notify([case], case.office.supervisors,
                'momd_referral.msg_case_closure_requested_label',
                icon='tryton-notification', case=case.rec_name)

    @classmethod
    def check_referrals_ended(cls, cases):
        """Refuse to close a case while one of its referrals is still a
        draft, waits for approval or is with the provider: it is closed or
        cancelled first. A referral the user may not know of (restricted
        category) is not named."""
        from .referral import OPEN_STATES
        Referral = Pool().get('momd.referral')
        with without_check_access():
            referrals = [(r.restricted, r.case.rec_name, r.rec_name,
                    r.state_string)
                for r in Referral.search([
                        ('case', 'in', [c.id for c in cases]),
                        ('state', 'in', OPEN_STATES),
                        ], order=[('id', 'ASC')])]
        if not referrals:
            return
        # the button runs as the system: who pressed it is asked here
        known = sees_restricted(as_user=True)
        for restricted, case, referral, state in referrals:
            if known or not restricted:
                raise CaseValidationError(gettext(
                        'momd_referral.msg_case_referral_open',
                        case=case, referral=referral, state=state))
        raise CaseValidationError(gettext(
                'momd_referral.msg_case_referral_open_unnamed',
                case=referrals[0][1]))

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    def refuse_closure(cls, cases):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def approve_closure(cls, cases):
        cls.check_referrals_ended(cases)
        cls.write(cases, {
                'closed_date': Pool().get('ir.date').today(),
                'reopen_reason': None,
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    def reopen(cls, cases):
        require(cases, 'reopen_reason', 'momd_referral.msg_case_reopen_reason',
            CaseValidationError, 'case')
        today = Pool().get('ir.date').today()
        cls.write(cases, {
                'closed_date': None,
                'closure_reason': None,
                'next_review': add_months(today, review_months()),
                'review_flagged': None,
                })

    @classmethod
    @ModelView.button
    def review(cls, cases):
        "The caseworker reviewed the case: the next review is set"
        today = Pool().get('ir.date').today()
        cls.write(cases, {
                'last_review': today,
                'next_review': add_months(today, review_months()),
                'review_flagged': None,
                })

    @classmethod
    def create(cls, vlist):
        # numbered by the system in the office's sequence
        vlist = Pool().get('momd.office').number(vlist, 'case_sequence')
        cases = super().create(vlist)
        Pool().get('momd.activity.plan').fire('case_opened', cases)
        return cases

    @classmethod
    def flag_reviews(cls, date=None):
        """Ask for the review of the cases whose review is due at date (the
        daily cron), once per review"""
        pool = Pool()
        Plan = pool.get('momd.activity.plan')
        date = date or pool.get('ir.date').today()
        cases = cls.search([
                ('state', 'in', ['open', 'active']),
                ('next_review', '<=', date),
                ('review_flagged', '=', None),
                ])
        if cases:
            cls.write(cases, {'review_flagged': date})
            Plan.fire('case_review_due', cases,
                start=dt.datetime.combine(date, dt.time(8)))
        return cases


class Need(
        RestrictedCategoryMixin, OfficeThroughMixin, ModelSQL, ModelView):
    __name__ = 'momd.need'
    __string__ = "Need"
    _history = True
    _office_through = 'case'

    case = fields.Many2One(
        'momd.case', "Case", required=True, ondelete='CASCADE')
    category = fields.Many2One(
        'momd.service.category', "Service Category", required=True,
        ondelete='RESTRICT')
    description = fields.Text("Description")
    priority = fields.Selection(
        PRIORITIES, "Priority", required=True, sort=False)
    status = fields.Selection(
        NEED_STATUS, "Status", required=True, sort=False)
    identified_date = fields.Date("Identified On", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.case, Index.Range())),
                Index(t, (t.category, Index.Range())),
                })

    @staticmethod
    def default_priority():
        return 'normal'

    @staticmethod
    def default_status():
        return 'identified'

    @classmethod
    def default_identified_date(cls):
        return Pool().get('ir.date').today()

    def get_rec_name(self, name):
        return '%s — %s' % (self.category.rec_name, self.case.rec_name)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('category.rec_name',) + tuple(clause[1:])]

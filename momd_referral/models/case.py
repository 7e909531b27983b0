"Case files and the needs assessed in them."
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access

from ..exceptions import CaseValidationError
from .mixins import (
    AccessLogMixin, OfficeScopedMixin, OfficeThroughMixin, require)

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
REVIEW_MONTHS = 3


def add_months(date, months):
    month = date.month - 1 + months
    year, month = date.year + month // 12, month % 12 + 1
    for day in range(date.day, 27, -1):
        try:
            return date.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return date.replace(year=year, month=month, day=min(date.day, 28))


class Case(AccessLogMixin, OfficeScopedMixin, Workflow, ModelSQL, ModelView):
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
    needs = fields.One2Many('momd.need', 'case', "Needs", states=_states)
    state = fields.Selection(
        CASE_STATES, "State", readonly=True, required=True, sort=False)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.office, Index.Range())),
                Index(t, (t.beneficiary, Index.Range())),
                Index(t, (t.caseworker, Index.Range())),
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
                'reject_closure': {
                    'invisible': Eval('state') != 'closure_requested',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'closure_requested',
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
        return add_months(cls.default_opened_date(), REVIEW_MONTHS)

    @fields.depends('opened_date', 'next_review')
    def on_change_opened_date(self):
        if self.opened_date:
            self.next_review = add_months(self.opened_date, REVIEW_MONTHS)

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
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Office = pool.get('momd.office')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('office') and not values.get(
                'code'):
            with without_check_access():
                values['code'] = Office(
                    values['office']).case_sequence.get()
        return values

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
        require(cases, 'closure_reason', 'momd_referral.msg_case_closure_reason', CaseValidationError,
            'case')

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    def reject_closure(cls, cases):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, cases):
        cls.write(cases, {
                'closed_date': Pool().get('ir.date').today(),
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    def reopen(cls, cases):
        cls.write(cases, {
                'closed_date': None,
                'closure_reason': None,
                'next_review': add_months(
                    Pool().get('ir.date').today(), REVIEW_MONTHS),
                })


class Need(OfficeThroughMixin, ModelSQL, ModelView):
    __name__ = 'momd.need'
    __string__ = "Need"
    _history = True
    _office_through = 'case'

    case = fields.Many2One(
        'momd.case', "Case", required=True, ondelete='CASCADE')
    category = fields.Many2One(
        'momd.service.category', "Service Category", required=True,
        ondelete='RESTRICT')
    restricted = fields.Function(
        fields.Boolean("Restricted"), 'get_restricted')
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

    def get_restricted(self, name):
        return self.category.restricted

    def get_rec_name(self, name):
        return '%s — %s' % (self.category.rec_name, self.case.rec_name)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('category.rec_name',) + tuple(clause[1:])]

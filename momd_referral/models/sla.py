"""Deadlines of the SOP: how fast a provider answers and delivers, how a
late referral escalates, how often a case is reviewed. All configured by
administrators in the application."""
import datetime as dt

from sql import Column, Null
from sql.operators import Equal
from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Exclude, ModelSingleton, ModelSQL, ModelView, fields,
    sequence_ordered)
from trytond.transaction import Transaction

from ..exceptions import SLAValidationError
from .case import PRIORITIES, priority_order

ROLES = [
    ('caseworker', "Caseworker"),
    ('supervisor', "Office Supervisor"),
    ('manager', "Ministry Manager"),
    ('focal_point', "Provider Focal Point"),
    ]
ESCALATION_ROLES = ROLES[:3]


class Configuration(ModelSingleton, ModelSQL, ModelView):
    __name__ = 'momd.configuration'
    __string__ = "Referral System Configuration"

    case_review_months = fields.Integer(
        "Case Review Every (months)", required=True,
        domain=[('case_review_months', '>', 0)],
        help="A case is reviewed at least this often; the next review is "
        "set from it when a case is opened or reviewed.")

    small_cell_threshold = fields.Integer(
        "Hide Counts Below", required=True,
        domain=[('small_cell_threshold', '>', 0)],
        help="In exported statistics, a count of people smaller than this "
        "is shown as \"<N\" so that no one can be recognised.")

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        # a setting added to a database made before it: its default, as
        # the form would have shown it (every module's settings, once)
        # (and then required, which the update could not make it while
        # it was empty)
        table = cls.__table__()
        handler = cls.__table_handler__(module)
        cursor = Transaction().connection.cursor()
        for name, field in cls._fields.items():
            default = getattr(cls, 'default_' + name, None)
            if (field.required and default and hasattr(field, 'sql_type')
                    and not isinstance(field, fields.Function)):
                column = Column(table, name)
                cursor.execute(*table.update([column], [default()],
                        where=column == Null))
                handler.not_null_action(name, 'add')

    @classmethod
    def default_case_review_months(cls):
        return 3

    @classmethod
    def default_small_cell_threshold(cls):
        return 5


class SLARule(ModelSQL, ModelView):
    "How fast a referral of a priority and category is answered and served"
    __name__ = 'momd.sla.rule'
    __string__ = "Service Deadline"

    priority = fields.Selection(
        PRIORITIES, "Priority", required=True, sort=False)
    priority_string = priority.translated('priority')
    category = fields.Many2One(
        'momd.service.category', "Service Category", ondelete='CASCADE',
        help="Empty: the deadline of the priority for every category. "
        "A category's deadline also applies to its sub-categories.")
    acknowledgement_hours = fields.Integer(
        "Acknowledge Within (hours)", required=True,
        domain=[('acknowledgement_hours', '>', 0)],
        help="The provider accepts or declines within this time after the "
        "referral is sent.")
    completion_days = fields.Integer(
        "Complete Within (days)", required=True,
        domain=[('completion_days', '>', 0)],
        help="The service is delivered within this time after the referral "
        "is sent.")

    _rules_cache = Cache('momd_referral.sla_rules', context=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('priority_category_unique', Exclude(t,
                    (t.priority, Equal), (t.category, Equal),
                    where=t.category != Null),
                'momd_referral.msg_sla_rule_unique'),
            ('priority_default_unique', Exclude(t,
                    (t.priority, Equal), where=t.category == Null),
                'momd_referral.msg_sla_rule_unique'),
            ]
        cls._order = [
            ('priority', 'ASC'), ('category', 'ASC NULLS FIRST'),
            ('id', 'ASC')]

    @classmethod
    def order_priority(cls, tables):
        table, _ = tables[None]
        return [priority_order(table.priority)]

    def get_rec_name(self, name):
        if self.category:
            return '%s — %s' % (self.priority_string, self.category.rec_name)
        return self.priority_string

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        cls._rules_cache.clear()

    @classmethod
    def _rules(cls):
        "{(priority, category id or None): (hours, days)}, kept in a cache"
        rules = cls._rules_cache.get(None)
        if rules is None:
            rules = {
                (r.priority, r.category.id if r.category else None): (
                    r.acknowledgement_hours, r.completion_days)
                for r in cls.search([])}
            cls._rules_cache.set(None, list(rules.items()))
        else:
            rules = dict(rules)
        return rules

    @classmethod
    def deadlines(cls, priority, category, service=None):
        """Return (acknowledgement hours, completion days) for a referral:
        the rule of the category or its nearest parent, else the
        priority's default; the provider service's own commitment when it
        is stricter."""
        rules = cls._rules()
        hours = days = None
        lineage = [category] + list(category.ancestors()) if category else []
        for key in [c.id for c in lineage] + [None]:
            if (priority, key) in rules:
                hours, days = rules[(priority, key)]
                break
        if service:
            if service.acknowledgement_hours:
                hours = min(
                    filter(None, [hours, service.acknowledgement_hours]))
            if service.completion_days:
                days = min(filter(None, [days, service.completion_days]))
        return hours, days

    @classmethod
    def due_dates(cls, priority, category, service, start):
        "Return (acknowledge before, complete before) from start"
        hours, days = cls.deadlines(priority, category, service)
        return (
            start + dt.timedelta(hours=hours) if hours else None,
            start + dt.timedelta(days=days) if days else None)


class EscalationStep(sequence_ordered(), DeactivableMixin, ModelSQL,
        ModelView):
    "Who is told, and when, that a referral is late"
    __name__ = 'momd.escalation.step'
    __string__ = "Escalation Step"

    role = fields.Selection(
        ESCALATION_ROLES, "Escalate To", required=True, sort=False)
    role_string = role.translated('role')
    delay_hours = fields.Integer(
        "After (hours)", required=True,
        domain=[('delay_hours', '>=', 0)],
        help="How long after the referral became overdue.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(1, ('delay_hours', 'ASC'))

    def get_rec_name(self, name):
        return '%s (+%sh)' % (self.role_string, self.delay_hours)

    @classmethod
    def validate(cls, steps):
        super().validate(steps)
        cls.check_chain()

    @classmethod
    def check_chain(cls):
        """The chain goes up, once per role, later at each step: a role met
        twice, or a step not later than the one before, would loop."""
        seen, previous = {}, None
        for step in cls.search([]):
            if step.role in seen:
                raise SLAValidationError(gettext(
                        'momd_referral.msg_escalation_loop',
                        step=step.rec_name, other=seen[step.role].rec_name))
            if previous and step.delay_hours <= previous.delay_hours:
                raise SLAValidationError(gettext(
                        'momd_referral.msg_escalation_order',
                        step=step.rec_name, previous=previous.rec_name))
            seen[step.role] = previous = step

    @classmethod
    def chain(cls):
        "The active steps in order: [(level, role, delay)] starting at 1"
        return [(i, s.role, s.delay_hours)
            for i, s in enumerate(cls.search([]), 1)]

"""Activities: the to-dos of the SOP, created by the plans administrators
configure (call the beneficiary after a service, review a late referral,
review a case) or by hand."""
import datetime as dt
from collections import defaultdict

from sql import Cast
from sql.operators import Concat

from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Workflow, fields,
    sequence_ordered)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.report import Report
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from ..exceptions import ActivityValidationError
from .mixins import (
    OverdueListMixin, RestrictedFlagMixin, may_know, notify, require)
from .rule import ROLE_GROUPS, user_offices, user_providers, user_roles
from .sla import ROLES

RESOURCES = [
    (None, ""),
    ('momd.referral', "Referral"),
    ('momd.case', "Case"),
    ('momd.beneficiary', "Beneficiary"),
    ]
TRIGGERS = [
    ('referral_state', "Referral Enters a State"),
    ('referral_overdue', "Referral Overdue"),
    ('case_opened', "Case Opened"),
    ('case_review_due', "Case Review Due"),
    ]
def now():
    return dt.datetime.now()


class Activity(
        RestrictedFlagMixin, OverdueListMixin, Workflow, ModelSQL,
        ModelView):
    "Something to do, by someone, by a date, about a record"
    __name__ = 'momd.activity'
    __string__ = "Activity"

    _open = {'readonly': Eval('state') != 'open'}

    name = fields.Char("Activity", required=True, states=_open)
    resource = fields.Reference(
        "About", selection=RESOURCES, states=_open)
    office = fields.Many2One(
        'momd.office', "Office", ondelete='RESTRICT', states=_open)
    provider = fields.Many2One(
        'momd.provider', "Provider", ondelete='RESTRICT', states=_open,
        help="For the focal points of this provider.")
    role = fields.Selection(
        ROLES, "Role", required=True, sort=False, states=_open,
        help="Who does it when no one is named: the office's supervisors, "
        "the provider's focal points...")
    role_string = role.translated('role')
    user = fields.Many2One(
        'res.user', "Assigned To", ondelete='RESTRICT', states=_open)
    due = fields.DateTime("Due", format='%H:%M', required=True, states=_open)
    note = fields.Text("Note")
    plan_line = fields.Many2One(
        'momd.activity.plan.line', "Plan", readonly=True,
        ondelete='SET NULL')
    restricted = fields.Boolean(
        "Restricted Category", readonly=True,
        help="About a referral of a restricted service category (GBV, "
        "child protection...): only users with sensitive-data access see "
        "it and are told of it.")
    reminded = fields.Timestamp("Reminded On", readonly=True)
    done_by = fields.Many2One(
        'res.user', "Done By", readonly=True, ondelete='RESTRICT')
    done_date = fields.Timestamp("Done On", readonly=True)
    overdue = fields.Function(
        fields.Boolean("Overdue"), 'get_overdue', searcher='search_overdue')
    assignees = fields.Function(
        fields.Many2Many('res.user', None, None, "Assignees"),
        'get_assignees')
    mine = fields.Function(
        fields.Boolean("Mine"), 'get_mine', searcher='search_mine')
    state = fields.Selection([
            ('open', "Open"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    del _open

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.user, Index.Range()), (t.due, Index.Range()),
                    where=t.state == 'open'),
                Index(t, (t.office, Index.Range()),
                    where=t.state == 'open'),
                Index(t, (t.resource, Index.Equality())),
                })
        cls._order = [('due', 'ASC'), ('id', 'ASC')]
        cls._transitions |= {
            ('open', 'done'),
            ('open', 'cancelled'),
            ('done', 'open'),
            ('cancelled', 'open'),
            }
        cls._buttons.update({
                'do': {
                    'invisible': Eval('state') != 'open',
                    'icon': 'tryton-ok', 'depends': ['state']},
                'cancel': {
                    'invisible': Eval('state') != 'open',
                    'icon': 'tryton-cancel', 'depends': ['state']},
                'reopen': {
                    'invisible': Eval('state') == 'open',
                    'icon': 'tryton-undo', 'depends': ['state']},
                })

    @staticmethod
    def default_state():
        return 'open'

    @staticmethod
    def default_role():
        return 'caseworker'

    @staticmethod
    def default_user():
        return Transaction().user or None

    @staticmethod
    def default_due():
        return (now() + dt.timedelta(days=1)).replace(second=0, microsecond=0)

    @classmethod
    def default_office(cls):
        offices = user_offices()
        return offices[0] if len(offices) == 1 else None

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('due'):
            # to the minute: what the lists and the calendar show
            values['due'] = values['due'].replace(second=0, microsecond=0)
        if mode == 'write' and 'resource' in values:
            values['restricted'], = cls._restricted([values['resource']])
        return values

    @classmethod
    def _restricted(cls, resources):
        "Whether each resource is a referral of a restricted category"
        Referral = Pool().get('momd.referral')
        ids = []
        for resource in resources:
            if isinstance(resource, str):
                model, _, id_ = resource.partition(',')
            elif isinstance(resource, (list, tuple)):
                model, id_ = resource
            elif resource:
                model, id_ = resource.__name__, resource.id
            else:
                model, id_ = None, None
            ids.append(int(id_) if model == Referral.__name__ and id_
                else None)
        # the flag as stored, whoever asks and whatever the context hides
        table = Referral.__table__()
        cursor = Transaction().connection.cursor()
        restricted = set()
        for sub_ids in grouped_slice({i for i in ids if i}, 1000):
            cursor.execute(*table.select(table.id, where=table.id.in_(
                        list(sub_ids)) & (table.restricted == True)))  # noqa
            restricted.update(i for i, in cursor)
        return [i in restricted for i in ids]

    @classmethod
    def follow_restriction(cls, referrals, restricted):
        "Mark the activities about referrals restricted or not"
        with without_check_access():
            activities = cls.search([
                    ('resource', 'in', [str(r) for r in referrals]),
                    ('restricted', '!=', restricted),
                    ])
            if activities:
                cls.write(activities, {'restricted': restricted})

    @classmethod
    def _restricted_source(cls, table):
        referral = Pool().get('momd.referral').__table__()
        return referral.select(referral.restricted,
            where=Concat('momd.referral,', Cast(referral.id, 'VARCHAR'))
            == table.resource)

    @fields.depends('resource')
    def on_change_resource(self):
        if self.resource and getattr(self.resource, 'office', None):
            self.office = self.resource.office

    def get_overdue(self, name):
        return self.state == 'open' and self.due < now()

    @classmethod
    def search_overdue(cls, name, clause):
        _, operator, value = clause
        late = [('state', '=', 'open'), ('due', '<', now())]
        if (operator == '=') == bool(value):
            return late
        return ['OR', ('state', '!=', 'open'), ('due', '>=', now())]

    def get_mine(self, name):
        user = Transaction().user
        if self.user:
            return self.user.id == user
        return self.role in user_roles() and (
            (self.office and self.office.id in user_offices())
            or (self.provider and self.provider.id in user_providers())
            or self.role == 'manager')

    @classmethod
    def search_mine(cls, name, clause):
        _, operator, value = clause
        domain = ['OR',
            ('user', '=', Transaction().user),
            [('user', '=', None), ('role', 'in', user_roles()), ['OR',
                    ('office', 'in', user_offices()),
                    ('provider', 'in', user_providers()),
                    ('role', '=', 'manager')]],
            ]
        if (operator == '=') == bool(value):
            return domain
        return [('id', 'not in', [a.id for a in cls.search(domain)])]

    def get_rec_name(self, name):
        return self.name

    @classmethod
    def get_assignees(cls, activities, name):
        return {a.id: [u.id for u in users]
            for a, users in cls.assigned_users(activities).items()}

    @classmethod
    def assigned_users(cls, activities):
        "{activity: users} who are told of the activity"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        result = {}
        for activity in activities:
            if activity.user:
                result[activity] = [activity.user]
                continue
            group = ModelData.get_id(
                'momd_referral', ROLE_GROUPS[activity.role])
            if activity.role == 'supervisor' and activity.office:
                users = activity.office.supervisors
            elif activity.role == 'focal_point' and activity.provider:
                users = activity.provider.focal_points
            elif activity.role == 'caseworker' and activity.office:
                users = [u for u in activity.office.members
                    if group in {g.id for g in u.groups}]
            else:
                users = User.search([('groups', '=', group)])
            result[activity] = may_know(
                [u for u in users if u.active], activity.restricted)
        return result

    @classmethod
    def create(cls, vlist):
        vlist = [dict(v, restricted=r) for v, r in zip(vlist,
                cls._restricted([v.get('resource') for v in vlist]))]
        activities = super().create(vlist)
        cls.notify_assigned(activities)
        return activities

    @classmethod
    def notify_assigned(cls, activities):
        "Tell the assignees in the application"
        for activity, users in cls.assigned_users(activities).items():
            notify([activity], users,
                'momd_referral.msg_activity_assigned_label',
                icon='tryton-date', description=activity.name)

    @classmethod
    def remind(cls, date=None):
        """Remind the assignees of the open activities due within a day
        (the daily cron), once each; return the activities reminded"""
        date = date or now()
        activities = cls.search([
                ('state', '=', 'open'),
                ('due', '<=', date + dt.timedelta(days=1)),
                ('reminded', '=', None),
                ])
        if not activities:
            return []
        cls.write(activities, {'reminded': date})
        by_user = defaultdict(list)
        for activity, users in cls.assigned_users(activities).items():
            for user in users:
                by_user[user].append(activity)
        for user, todo in by_user.items():
            notify(todo, [user], 'momd_referral.msg_activity_due_label',
                icon='tryton-date', count=len(todo))
        return activities

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def do(cls, activities):
        cls.write(activities, {
                'done_by': Transaction().user, 'done_date': now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, activities):
        require(activities, 'note', 'momd_referral.msg_activity_cancel_note',
            ActivityValidationError, 'activity')

    @classmethod
    @ModelView.button
    @Workflow.transition('open')
    def reopen(cls, activities):
        cls.write(activities, {'done_by': None, 'done_date': None})


class ActivityPlan(DeactivableMixin, ModelSQL, ModelView):
    "The activities the SOP asks for when something happens"
    __name__ = 'momd.activity.plan'
    __string__ = "Activity Plan"

    name = fields.Char("Name", required=True, translate=True)
    trigger = fields.Selection(
        TRIGGERS, "When", required=True, sort=False)
    trigger_string = trigger.translated('trigger')
    state = fields.Selection(
        'get_referral_states', "Referral State",
        states={
            'required': Eval('trigger') == 'referral_state',
            'invisible': Eval('trigger') != 'referral_state',
            })
    category = fields.Many2One(
        'momd.service.category', "Service Category", ondelete='CASCADE',
        help="Empty: for every category. A category's plan also applies to "
        "its sub-categories.")
    lines = fields.One2Many(
        'momd.activity.plan.line', 'plan', "Activities")

    _plans_cache = Cache('momd_referral.activity_plans', context=False)

    @classmethod
    def get_referral_states(cls):
        Referral = Pool().get('momd.referral')
        return [(None, "")] + Referral.fields_get(
            ['state'])['state']['selection']

    @fields.depends('trigger', 'state')
    def on_change_trigger(self):
        if self.trigger != 'referral_state':
            self.state = None

    @classmethod
    def validate_fields(cls, plans, field_names):
        super().validate_fields(plans, field_names)
        for plan in plans:
            if plan.trigger != 'referral_state' and plan.state:
                raise ActivityValidationError(gettext(
                        'momd_referral.msg_activity_plan_state',
                        plan=plan.rec_name))

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        cls._plans_cache.clear()

    @classmethod
    def _plans(cls, trigger, state=None):
        "[(plan category id or None, [line ids])] of the active plans"
        key = (trigger, state)
        plans = cls._plans_cache.get(key)
        if plans is None:
            plans = [(p.category.id if p.category else None,
                    [l.id for l in p.lines])
                for p in cls.search([
                        ('trigger', '=', trigger),
                        ('state', '=', state)])]
            cls._plans_cache.set(key, plans)
        return plans

    @classmethod
    def fire(cls, trigger, records, start=None, state=None):
        """Create the activities of the plans for trigger on records
        (referrals or cases) from start; return them"""
        pool = Pool()
        Activity = pool.get('momd.activity')
        Line = pool.get('momd.activity.plan.line')
        plans = cls._plans(trigger, state)
        if not plans or not records:
            return []
        start = start or now()
        vlist = []
        names = {}
        for record in records:
            lineage = set()
            for category in record.activity_categories():
                lineage.add(category.id)
                lineage.update(c.id for c in category.ancestors())
            for category, line_ids in plans:
                if category and category not in lineage:
                    continue
                for line in Line.browse(line_ids):
                    vlist.append(line.activity_values(record, start, names))
        return Activity.create(vlist) if vlist else []


class ActivityPlanLine(sequence_ordered(), ModelSQL, ModelView):
    "One activity of a plan"
    __name__ = 'momd.activity.plan.line'
    __string__ = "Activity Plan Line"

    plan = fields.Many2One(
        'momd.activity.plan', "Plan", required=True, ondelete='CASCADE')
    name = fields.Char("Activity", required=True, translate=True)
    role = fields.Selection(
        ROLES, "Assigned To", required=True, sort=False,
        help="The caseworker of the case, the supervisors of its office, "
        "the focal points of the provider or the ministry's managers.")
    delay_days = fields.Integer(
        "Due After (days)", required=True,
        domain=[('delay_days', '>=', 0)])
    delay_hours = fields.Integer(
        "And (hours)", required=True,
        domain=[('delay_hours', '>=', 0)])

    @staticmethod
    def default_delay_days():
        return 1

    @staticmethod
    def default_delay_hours():
        return 0

    @staticmethod
    def default_role():
        return 'caseworker'

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        pool = Pool()
        super().on_modification(mode, records, field_names=field_names)
        pool.get('momd.activity.plan')._plans_cache.clear()

    def activity_values(self, record, start, names=None):
        """The values of the activity this line asks for on record; names
        keeps the titles already translated"""
        pool = Pool()
        Config = pool.get('ir.configuration')
        values = {
            'resource': str(record),
            'role': self.role,
            'due': start + dt.timedelta(
                days=self.delay_days, hours=self.delay_hours),
            'plan_line': self.id,
            'office': record.office.id if record.office else None,
            'user': None,
            }
        language = Config.get_language()
        if self.role == 'caseworker':
            values['user'] = record.caseworker.id
            if record.caseworker.language:
                language = record.caseworker.language.code
        elif self.role == 'focal_point':
            provider = getattr(record, 'provider', None)
            values['provider'] = provider.id if provider else None
        elif self.role == 'supervisor' and record.office:
            # the language the office's supervisors work in
            languages = [u.language.code
                for u in record.office.supervisors if u.language]
            if languages:
                language = languages[0]
        # the title in the language of whoever does it
        names = {} if names is None else names
        if (self.id, language) not in names:
            with Transaction().set_context(language=language):
                names[self.id, language] = self.__class__(self.id).name
        values['name'] = names[self.id, language]
        return values


class ActivityNotification(Report):
    "The e-mail telling of an activity assigned, with no personal data"
    __name__ = 'momd.activity.notification'

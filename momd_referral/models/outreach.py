"Outreach: open days and field visits, and the people they reach."
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

from ..exceptions import OutreachValidationError
from .content import ContentMixin
from .mixins import OfficeScopedMixin, UserScopeSearchMixin

AGE_GROUPS = [('0_5', "0-5"), ('6_17', "6-17"), ('18_59', "18-59"),
    ('60', "60+")]
COUNTS = ['%s_%s' % (sex, group)
    for group, _ in AGE_GROUPS for sex in ('female', 'male')]


class OutreachEvent(
        ContentMixin, UserScopeSearchMixin, OfficeScopedMixin, Workflow,
        ModelSQL, ModelView):
    __name__ = 'momd.outreach.event'
    __string__ = "Outreach Event"

    _states = {'readonly': Eval('state') != 'planned'}
    _done = {'readonly': Eval('state') == 'cancelled'}

    office = fields.Many2One(
        'momd.office', "Office", required=True, ondelete='RESTRICT',
        states=_states)
    kind = fields.Selection([
            ('open_day', "Open Day"),
            ('field_visit', "Field Visit"),
            ], "Kind", required=True, states=_states)
    date = fields.Date("Date", required=True, states=_states)
    location = fields.Many2One(
        'momd.location', "Location", ondelete='RESTRICT', states=_states)
    place = fields.Char(
        "Place", states=_states,
        help="Where exactly: a school, a mukhtar's house, a camp sector...")
    team = fields.Many2Many(
        'momd.outreach.event-res.user', 'event', 'user', "Team",
        states=_states)
    female_0_5 = fields.Integer("Girls 0-5", states=_done)
    male_0_5 = fields.Integer("Boys 0-5", states=_done)
    female_6_17 = fields.Integer("Girls 6-17", states=_done)
    male_6_17 = fields.Integer("Boys 6-17", states=_done)
    female_18_59 = fields.Integer("Women 18-59", states=_done)
    male_18_59 = fields.Integer("Men 18-59", states=_done)
    female_60 = fields.Integer("Women 60+", states=_done)
    male_60 = fields.Integer("Men 60+", states=_done)
    people_reached = fields.Function(
        fields.Integer("People Reached"), 'get_people_reached')
    beneficiaries = fields.One2Many(
        'momd.beneficiary', 'outreach_event', "Beneficiaries Registered",
        readonly=True)
    needs = fields.One2Many(
        'momd.need', 'outreach_event', "Needs Recorded", readonly=True)
    notes = fields.Text("Notes", states=_done)
    state = fields.Selection([
            ('planned', "Planned"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    del _states, _done
    # the office, kind and date have defaults: an event says where it is,
    # who goes, whom it reached or something about it
    _content_fields = ('location', 'place', 'team', *COUNTS, 'notes')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(
                t, (t.office, Index.Range()), (t.date, Index.Range())))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('planned', 'done'),
            ('planned', 'cancelled'),
            ('cancelled', 'planned'),
            }
        cls._buttons.update({
                'do': {
                    'invisible': Eval('state') != 'planned',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'planned',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'icon': 'tryton-undo',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'planned'

    @staticmethod
    def default_kind():
        return 'open_day'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    def get_rec_name(self, name):
        return '%s — %s — %s' % (
            self.kind_string, self.office.rec_name, self.date)

    kind_string = kind.translated('kind')

    def get_people_reached(self, name):
        return sum(getattr(self, f) or 0 for f in COUNTS)

    @classmethod
    def validate_fields(cls, events, field_names):
        super().validate_fields(events, field_names)
        if field_names and not field_names & set(COUNTS):
            return
        for event in events:
            for fname in COUNTS:
                if (getattr(event, fname) or 0) < 0:
                    raise OutreachValidationError(gettext(
                            'momd_referral.msg_outreach_negative_count',
                            field=cls.fields_get([fname])[fname]['string'],
                            event=event.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def do(cls, events):
        today = Pool().get('ir.date').today()
        for event in events:
            if event.date > today:
                raise OutreachValidationError(gettext(
                        'momd_referral.msg_outreach_done_future',
                        event=event.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, events):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('planned')
    def draft(cls, events):
        pass


class OutreachEventUser(ModelSQL):
    __name__ = 'momd.outreach.event-res.user'
    __string__ = "Outreach Team Member"
    event = fields.Many2One(
        'momd.outreach.event', "Event", required=True, ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')


class BeneficiaryOutreach(metaclass=PoolMeta):
    __name__ = 'momd.beneficiary'
    outreach_event = fields.Many2One(
        'momd.outreach.event', "Registered at", ondelete='SET NULL',
        domain=[('office', '=', Eval('office', -1))],
        help="The open day or field visit where the person was registered.")


class NeedOutreach(metaclass=PoolMeta):
    __name__ = 'momd.need'
    outreach_event = fields.Many2One(
        'momd.outreach.event', "Recorded at", ondelete='SET NULL',
        domain=[('office', '=', Eval('office', -1))])

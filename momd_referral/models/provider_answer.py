"""Who answered each step of a referral for its provider, and how.

A provider answers a referral (accept, decline, start, complete) in one of
three ways: one of its focal points presses the button in the application,
someone at the provider answers through the referral's answer link, or, for
the many providers that never log in, a caseworker or supervisor of the
sending office records what the provider said on the phone, on paper, by
e-mail, WhatsApp or in person. Every answer leaves one line in the
referral's answer log (momd.referral.answer), written by the system only;
the referral shows the lines and whether ministry staff recorded any.

The wizard "Record Provider's Answer" moves the referral through the
referral's own steps, so that every check of the workflow holds, after it
has checked that the user is ministry staff who may change this referral."""
import contextlib
import datetime as dt
import weakref
from zoneinfo import ZoneInfo

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import (
    Transaction, check_access, without_check_access)
from trytond.wizard import Button, StateTransition, StateView, Wizard

from ..exceptions import ReferralValidationError
from .referral import DECLINE_REASONS, OUTCOMES, now
from .referral_scope import ReferralScopeMixin
from .rule import is_admin, user_providers, user_roles

# How the answer reached the system
VIA = [
    ('focal_point', "Focal Point in the Application"),
    ('link', "Answer Link"),
    ('staff', "Recorded by Ministry Staff"),
    ]
# How the provider told the ministry, when staff record its answer
CHANNELS = [
    (None, ""),
    ('phone', "Phone"),
    ('paper', "Paper"),
    ('email', "E-mail"),
    ('whatsapp', "WhatsApp"),
    ('in_person', "In Person"),
    ]
# The provider's steps: the button, the state it leads to, the referral's
# date of that step
STEPS = [
    ('accept', "Accept"),
    ('decline', "Decline"),
    ('start', "Start"),
    ('complete', "Complete"),
    ]
STEP_STATES = {
    'accept': 'accepted', 'decline': 'declined', 'start': 'in_progress',
    'complete': 'completed'}
STEP_DATES = {
    'accept': 'answered_date', 'decline': 'answered_date',
    'start': 'started_date', 'complete': 'completed_date'}
# The steps a provider may answer from each state of the referral
STATE_STEPS = {
    'sent': ['accept', 'decline'],
    'accepted': ['start', 'complete'],
    'in_progress': ['complete'],
    }
# The values of the answer each step needs, beside who said it and when
STEP_REQUIRES = {
    'decline': ['decline_reason'],
    'complete': ['outcome'],
    }
STEP_WRITES = {
    'decline': ['decline_reason', 'decline_note'],
    'complete': ['outcome', 'outcome_feedback'],
    }

# The answer being recorded in each transaction: how it came (via) and the
# values of its lines. Kept here, not in the context, which a client could
# fill in.
_answering = weakref.WeakKeyDictionary()


def _shown(date):
    "date (UTC) as the user reads it: their time zone, their language"
    pool = Pool()
    Lang = pool.get('ir.lang')
    zone = Transaction().context.get('timezone')
    if zone:
        try:
            date = date.replace(tzinfo=dt.timezone.utc).astimezone(
                ZoneInfo(zone))
        except (ValueError, KeyError):
            pass
    lang = Lang.get()
    return lang.strftime(date, lang.date + ' %H:%M')


class ReferralAnswer(ReferralScopeMixin, ModelSQL, ModelView):
    "One step of a referral answered for its provider: by whom and how"
    __name__ = 'momd.referral.answer'
    __string__ = "Provider's Answer"

    referral = fields.Many2One(
        'momd.referral', "Referral", required=True, readonly=True,
        ondelete='CASCADE')
    step = fields.Selection(STEPS, "Step", required=True, readonly=True)
    step_string = step.translated('step')
    via = fields.Selection(VIA, "Answered Through", required=True,
        readonly=True)
    via_string = via.translated('via')
    channel = fields.Selection(CHANNELS, "Channel", readonly=True,
        help="How the provider told the ministry its answer.")
    contact_name = fields.Char("Said By", readonly=True,
        help="Who at the provider gave the answer.")
    contact_role = fields.Char("Role at the Provider", readonly=True)
    reported_date = fields.Timestamp("Said On", required=True, readonly=True,
        help="When the provider gave the answer.")
    recorded_by = fields.Many2One(
        'res.user', "Recorded By", readonly=True, ondelete='RESTRICT')
    recorded_date = fields.Timestamp("Recorded On", required=True,
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('reported_date', 'ASC'), ('id', 'ASC')]

    def get_rec_name(self, name):
        return '%s: %s' % (self.referral.rec_name, self.step_string)

    @classmethod
    def record(cls, referrals, step, via, **values):
        """Log that step (accept, decline, start, complete) of referrals was
        answered for their provider through via (focal_point, link, staff);
        values: channel, contact_name, contact_role, reported_date (now
        when not given), recorded_by (the user when not given). The
        system's own record: call it from server code."""
        date = now()
        values = dict(values)
        values.setdefault('reported_date', date)
        values.setdefault('recorded_by', Transaction().user or None)
        values['recorded_date'] = date
        with without_check_access():
            return cls.create([dict(values,
                        referral=r.id, step=step, via=via)
                    for r in referrals])

    @classmethod
    @contextlib.contextmanager
    def answering(cls, via, **values):
        """Within it, the provider's steps taken log their lines through
        via with values (see record), whoever the user is"""
        transaction = Transaction()
        previous = _answering.get(transaction)
        _answering[transaction] = (via, values)
        try:
            yield
        finally:
            if previous is None:
                _answering.pop(transaction, None)
            else:
                _answering[transaction] = previous

    @classmethod
    def answered(cls, referrals, state, date):
        """Log the provider's step that moved referrals to state at date:
        as recorded within answering, else by a focal point of the
        provider or ministry staff pressing the button. The system's own
        steps (user 0) are logged by the code that takes them."""
        steps = {s: b for b, s in STEP_STATES.items()}
        step = steps.get(state)
        if not step or not referrals:
            return
        transaction = Transaction()
        answering = _answering.get(transaction)
        if answering:
            via, values = answering
            cls.record(referrals, step, via, **values)
            return
        if not transaction.user:
            return
        providers = set(user_providers())
        by_via = {'focal_point': [], 'staff': []}
        for referral in referrals:
            by_via['focal_point' if referral.provider.id in providers
                else 'staff'].append(referral)
        for via, answered in by_via.items():
            if answered:
                cls.record(answered, step, via, reported_date=date)


class Referral(metaclass=PoolMeta):
    __name__ = 'momd.referral'

    answers = fields.One2Many(
        'momd.referral.answer', 'referral', "Provider's Answers",
        readonly=True,
        help="Each step the provider answered: through whom and how.")
    answered_by_staff = fields.Function(fields.Boolean(
            "Recorded by Ministry Staff",
            help="Ministry staff recorded at least one of the provider's "
            "answers on its behalf (said on the phone, on paper...)."),
        'get_answered_by_staff', searcher='search_answered_by_staff')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'record_answer': {
                    'invisible': ~Eval('state').in_(list(STATE_STEPS)),
                    'icon': 'tryton-launch', 'depends': ['state']},
                })

    @classmethod
    def get_answered_by_staff(cls, referrals, name):
        Answer = Pool().get('momd.referral.answer')
        result = {r.id: False for r in referrals}
        with without_check_access():
            for answer in Answer.search([
                        ('referral', 'in', list(result)),
                        ('via', '=', 'staff'),
                        ], order=[]):
                result[answer.referral.id] = True
        return result

    @classmethod
    def search_answered_by_staff(cls, name, clause):
        _, operator, value = clause
        Answer = Pool().get('momd.referral.answer')
        answer = Answer.__table__()
        query = answer.select(answer.referral, where=answer.via == 'staff')
        staff = (operator == '=') == bool(value)
        return [('id', 'in' if staff else 'not in', query)]

    @classmethod
    def after_step(cls, referrals, state, date):
        super().after_step(referrals, state, date)
        Pool().get('momd.referral.answer').answered(referrals, state, date)

    @classmethod
    def copy(cls, referrals, default=None):
        default = dict(default or {})
        default.setdefault('answers', None)
        return super().copy(referrals, default=default)

    @classmethod
    @ModelView.button_action('momd_referral.wizard_referral_record_answer')
    def record_answer(cls, referrals):
        pass


class RecordAnswerStart(ModelView):
    "What the provider said, as ministry staff record it"
    __name__ = 'momd.referral.answer.record.start'
    __string__ = "Record Provider's Answer"

    referral = fields.Many2One('momd.referral', "Referral", readonly=True)
    referral_state = fields.Selection(
        'get_referral_states', "Referral State", readonly=True)
    step = fields.Selection(STEPS, "Answer", required=True,
        domain=[
            ('step', 'in', Eval('allowed_steps', [])),
            ],
        help="The provider's answer, among those the referral's state "
        "allows.")
    allowed_steps = fields.MultiSelection(STEPS, "Allowed Answers",
        readonly=True)
    decline_reason = fields.Selection(DECLINE_REASONS, "Decline Reason",
        states={
            'required': Eval('step') == 'decline',
            'invisible': Eval('step') != 'decline',
            })
    decline_note = fields.Text("Decline Note",
        states={'invisible': Eval('step') != 'decline'})
    outcome = fields.Selection(OUTCOMES, "Outcome",
        states={
            'required': Eval('step') == 'complete',
            'invisible': Eval('step') != 'complete',
            })
    outcome_feedback = fields.Text("Outcome Feedback",
        states={'invisible': Eval('step') != 'complete'})
    channel = fields.Selection(CHANNELS, "Channel", required=True,
        help="How the provider told the ministry its answer.")
    contact_name = fields.Char("Said By", required=True, strip=True,
        help="Who at the provider gave the answer.")
    contact_role = fields.Char("Role at the Provider", strip=True)
    reported_date = fields.Timestamp("Said On", required=True,
        help="When the provider gave the answer: not before the referral "
        "was sent (or its last answer), not in the future.")

    @classmethod
    def get_referral_states(cls):
        Referral = Pool().get('momd.referral')
        return Referral.fields_get(['state'])['state']['selection']

    @staticmethod
    def default_reported_date():
        return now().replace(microsecond=0)


class RecordAnswer(Wizard):
    "Record the provider's answer on its behalf"
    __name__ = 'momd.referral.answer.record'

    start = StateView('momd.referral.answer.record.start',
        'momd_referral.referral_answer_record_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Record", 'save', 'tryton-ok', default=True),
            ])
    save = StateTransition()

    def default_start(self, fields):
        referral = self.record
        if not referral:
            return {}
        steps = STATE_STEPS.get(referral.state, [])
        return {
            'referral': referral.id,
            'referral_state': referral.state,
            'allowed_steps': steps,
            'step': steps[0] if steps else None,
            }

    def transition_save(self):
        pool = Pool()
        Referral = pool.get('momd.referral')
        Answer = pool.get('momd.referral.answer')
        referral = self.check_referral(self.record)
        start = self.start
        values = self.check_answer(referral, start)
        step = start.step
        reported = start.reported_date
        with without_check_access():
            referrals = Referral.browse([referral.id])
            if STEP_WRITES.get(step):
                Referral.write(referrals, {
                        f: getattr(start, f) or None
                        for f in STEP_WRITES[step]})
            with Answer.answering('staff', **values):
                getattr(Referral, step)(referrals)
            # the step happened when the provider said it
            Referral.write(Referral.browse([referral.id]), {
                    STEP_DATES[step]: reported})
        return 'end'

    def end(self):
        return 'reload'

    @classmethod
    def check_referral(cls, referral):
        """The referral, when the user is ministry staff of its office who
        may change it (the record rules: their offices, restricted
        categories); refused otherwise"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        ModelAccess = pool.get('ir.model.access')
        Rule = pool.get('ir.rule')
        if not Transaction().user:
            return referral
        if not referral or not (
                {'caseworker', 'supervisor'} & set(user_roles())
                or is_admin()):
            raise AccessError(gettext('momd_referral.msg_answer_staff_only'))
        with check_access():
            ModelAccess.check(Referral.__name__, 'write')
            Rule.check(Referral.__name__, [referral.id], mode='read')
            Rule.check(Referral.__name__, [referral.id], mode='write')
        with without_check_access():
            return Referral(referral.id)

    @classmethod
    def check_answer(cls, referral, start):
        """Refuse an answer the referral's state does not allow, a missing
        value, or a date in the future or before the referral was sent or
        last answered; return the values of the answer's line"""
        Start = Pool().get('momd.referral.answer.record.start')
        labels = Start.fields_get()
        allowed = STATE_STEPS.get(referral.state, [])
        if start.step not in allowed:
            raise ReferralValidationError(gettext(
                    'momd_referral.msg_answer_step',
                    referral=referral.rec_name,
                    state=referral.state_string,
                    field=labels['step']['string']))
        for name in (['channel', 'contact_name', 'reported_date']
                + STEP_REQUIRES.get(start.step, [])):
            if not getattr(start, name, None):
                raise ReferralValidationError(gettext(
                        'momd_referral.msg_answer_required',
                        referral=referral.rec_name,
                        field=labels[name]['string']))
        reported = start.reported_date
        earliest = max(filter(None, [
                    referral.sent_date, referral.answered_date,
                    referral.started_date]))
        # a minute of leeway: the default is the time the form opened
        latest = now() + dt.timedelta(minutes=1)
        if reported < earliest.replace(microsecond=0) or reported > latest:
            raise ReferralValidationError(gettext(
                    'momd_referral.msg_answer_date',
                    referral=referral.rec_name,
                    field=labels['reported_date']['string'],
                    earliest=_shown(earliest)))
        return {
            'channel': start.channel,
            'contact_name': start.contact_name,
            'contact_role': start.contact_role or None,
            'reported_date': reported,
            'recorded_by': Transaction().user,
            }

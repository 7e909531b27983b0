"""The intake queue: a referral goes to its provider, not to one person.

Any focal point of the provider may take a referral of its queue (sent or
accepted, not yet taken): it is then theirs to follow, and the others see
who took it. The queue lists the most pressing first (emergency, urgent,
normal), then the oldest sent, with how long each has waited."""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from ..exceptions import ReferralValidationError
from .case import priority_order
from .referral import expects, now
from .rule import user_providers

# The states in which a referral waits in its provider's queue
QUEUE_STATES = ['sent', 'accepted']


class Referral(metaclass=PoolMeta):
    __name__ = 'momd.referral'

    taken_by = fields.Many2One(
        'res.user', "Taken By", readonly=True, ondelete='RESTRICT',
        help="The provider's focal point who took the referral from the "
        "intake queue.")
    taken_date = fields.Timestamp("Taken On", readonly=True)
    since_sent = fields.Function(fields.TimeDelta(
            "Since Sent",
            help="How long since the referral was sent to the provider."),
        'get_since_sent')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'take': {
                    # shown while in the queue; who may take it is the
                    # server's to say (a referral someone else took is
                    # refused with their name)
                    'invisible': ~Eval('state').in_(QUEUE_STATES),
                    'icon': 'tryton-forward', 'depends': ['state']},
                })

    @classmethod
    def order_priority(cls, tables):
        "The most pressing first: emergency, urgent, normal"
        table, _ = tables[None]
        return [priority_order(table.priority)]

    def get_since_sent(self, name):
        if self.sent_date and self.state in QUEUE_STATES + ['in_progress']:
            waited = now() - self.sent_date
            return dt.timedelta(minutes=max(waited // dt.timedelta(
                        minutes=1), 0))

    @classmethod
    def copy(cls, referrals, default=None):
        default = dict(default or {})
        default.setdefault('taken_by', None)
        default.setdefault('taken_date', None)
        return super().copy(referrals, default=default)

    @classmethod
    @expects(*QUEUE_STATES)
    @ModelView.button
    def take(cls, referrals):
        """The focal point takes the referrals from their provider's queue;
        refused for another provider's, or one a colleague took"""
        user = Transaction().user
        providers = set(user_providers())
        for referral in referrals:
            if referral.provider.id not in providers:
                raise AccessError(gettext(
                        'momd_referral.msg_referral_take_provider',
                        referral=referral.rec_name,
                        provider=referral.provider.rec_name))
            if referral.taken_by and referral.taken_by.id != user:
                raise ReferralValidationError(gettext(
                        'momd_referral.msg_referral_taken',
                        referral=referral.rec_name,
                        user=referral.taken_by.rec_name))
        to_take = [r for r in referrals if not r.taken_by]
        if to_take:
            cls.write(to_take, {'taken_by': user, 'taken_date': now()})

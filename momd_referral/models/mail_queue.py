"""The e-mails of the module leave through a queue, never inside a user's
request.

Tryton sends the e-mails of a transaction when it commits, from the process
that committed it: a slow mail server slows the step, and one that is down
loses the e-mail. Here the notifications of the SOP, the answer links and
the escalations to providers are kept instead, each as a line of the mail
queue written with the step that made it (nothing if the step is rolled
back), and handed to the background queue (trytond-worker; without one,
right after the request). Delivery connects to the mail server: an e-mail
refused keeps its error and is tried again later by the scheduler, with
growing delays, until the configured number of attempts; an administrator
may try the failed ones again. A mail server that is down fails no step,
and its e-mails go out when it is back.
"""
import datetime as dt
import logging
import smtplib
from email import message_from_bytes, policy

from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.sendmail import SMTPDataManager, get_smtp_server, send_message
from trytond.transaction import Transaction, without_check_access

from .mixins import written_by_system
from .outbox import (
    DEFAULT_MAX_ATTEMPTS, QueueSentMixin, first_attempt, refused_attempt)

logger = logging.getLogger(__name__)

STATES = [
    ('queued', "Queued"),
    ('sent', "Sent"),
    ('failed', "Failed"),
    ]


class QueuedMail(SMTPDataManager):
    """Keeps the e-mails a transaction sends in the mail queue, with the
    transaction, instead of sending them when it commits"""

    def put(self, from_addr, to_addrs, msg):
        Pool().get('momd.mail').enqueue(msg, from_addr, to_addrs)

    def tpc_vote(self, trans):
        pass

    def tpc_finish(self, trans):
        pass


def queue_emails():
    """From now on, the e-mails the current transaction sends go through
    the mail queue (those it already holds too)"""
    transaction = Transaction()
    managers = transaction._datamanagers
    for index, manager in enumerate(list(managers)):
        if isinstance(manager, SMTPDataManager) and not isinstance(
                manager, QueuedMail) and manager == SMTPDataManager():
            queued = QueuedMail()
            for from_addr, to_addrs, msg in manager.queue:
                queued.put(from_addr, to_addrs, msg)
            managers[index] = queued
    transaction.join(QueuedMail())


class Mail(QueueSentMixin, ModelSQL, ModelView):
    "An e-mail of the module, queued for the mail server"
    __name__ = 'momd.mail'
    __string__ = "Outgoing E-mail"

    to = fields.Char("To", readonly=True)
    subject = fields.Char("Subject", readonly=True)
    message = fields.Binary("Message", readonly=True,
        help="The whole e-mail, as the mail server receives it.")
    from_addr = fields.Char("Sender", readonly=True)
    to_addrs = fields.Char("Recipients", readonly=True,
        help="When not those of the message's headers.")
    state = fields.Selection(STATES, "State", required=True, readonly=True)
    attempts = fields.Integer("Attempts", readonly=True)
    next_attempt = fields.Timestamp("Next Attempt", readonly=True)
    last_error = fields.Text("Last Error", readonly=True)
    sent_date = fields.Timestamp("Sent On", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.state, Index.Equality()),
                (t.next_attempt, Index.Range()),
                where=t.state == 'queued'))
        cls._order = [('id', 'DESC')]
        written_by_system(cls)
        cls._buttons.update({
                'retry': {
                    'invisible': Eval('state') != 'failed',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'queued'

    @staticmethod
    def default_attempts():
        return 0

    def email(self):
        "The e-mail as the mail server receives it"
        return message_from_bytes(self.message, policy=policy.default)

    @classmethod
    def enqueue(cls, msg, from_addr=None, to_addrs=None):
        "Keep msg in the queue and hand it to the background queue"
        with without_check_access():
            mail, = cls.create([{
                        'to': msg['To'], 'subject': msg['Subject'],
                        'message': msg.as_bytes(),
                        'from_addr': from_addr,
                        'to_addrs': ','.join(to_addrs) if to_addrs else None,
                        'next_attempt': first_attempt(),
                        }])
            cls.queue_send([mail])
        return mail

    @classmethod
    def send(cls, mails):
        """Send the queued mails through one connection to the mail server;
        a mail refused (or all, if the server cannot be reached) keeps its
        error and is tried again later, or is marked failed after the
        attempts configured for the outbox"""
        Configuration = Pool().get('momd.configuration')
        maximum = (Configuration(1).outbox_max_attempts
            or DEFAULT_MAX_ATTEMPTS)
        cls.lock(mails)
        # another run (the schedule, the queue) may have sent them
        mails = [m for m in cls.browse([m.id for m in mails])
            if m.state == 'queued']
        if not mails:
            return
        server, failure = None, None
        try:
            server = get_smtp_server(strict=True)
        except (OSError, smtplib.SMTPException) as error:
            failure = error
        to_write = []
        for mail in mails:
            attempts = (mail.attempts or 0) + 1
            values = {'attempts': attempts}
            try:
                if failure:
                    raise failure
                send_message(mail.email(), mail.from_addr,
                    mail.to_addrs.split(',') if mail.to_addrs else None,
                    server=server, strict=True)
            except (OSError, smtplib.SMTPException) as error:
                logger.warning('e-mail %s not sent: %s', mail.id, error)
                values.update(refused_attempt(attempts, maximum, error))
            else:
                values.update(state='sent', sent_date=dt.datetime.now(),
                    next_attempt=None, last_error=None)
            to_write.extend(([mail], values))
        if server:
            try:
                server.quit()
            except (OSError, smtplib.SMTPException):
                pass
        cls.write(*to_write)


class NotificationEmail(metaclass=PoolMeta):
    __name__ = 'notification.email'

    def send_email(self, records, trigger):
        queue_emails()
        super().send_email(records, trigger)


class AnswerLink(metaclass=PoolMeta):
    __name__ = 'momd.referral.link'

    def send(self, token):
        queue_emails()
        super().send(token)


class Referral(metaclass=PoolMeta):
    __name__ = 'momd.referral'

    @classmethod
    def email_provider_escalation(cls, referral, message):
        queue_emails()
        super().email_provider_escalation(referral, message)

"""Messages to providers by SMS through the outbox: the answer link of a
referral to the provider's intake phone, and the escalation of an
unanswered referral to the provider's escalation phone.

They leave as the messages to beneficiaries do (queue, configured gateway,
retries with growing delays, delivery status), in the provider's language,
counted in SMS parts. They carry the referral's number and the link, or how
late the referral is, and nothing of the person. Like every outbox message
they are read by the staff of the referral's office, managers and
administrators, never by the providers' focal points."""
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .outbox import CARRIES, first_attempt, message_language

# The kinds of the messages to providers
PROVIDER_KINDS = [
    ('answer_link', "Answer Link to the Provider"),
    ('provider_escalation', "Escalation to the Provider"),
    ]


class Message(metaclass=PoolMeta):
    __name__ = 'momd.outbox.message'

    provider = fields.Many2One(
        'momd.provider', "Provider", readonly=True, ondelete='RESTRICT',
        help="The provider the message is sent to (its intake or escalation "
        "phone); empty for a message to or from a beneficiary.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.kind.selection = cls.kind.selection + PROVIDER_KINDS

    @classmethod
    def receive(cls, phone, text, channel='sms'):
        """A reply from a number the last message was sent to as a
        provider's phone is kept as the provider's (its referral, its
        office's staff), not a beneficiary's"""
        message = super().receive(phone, text, channel=channel)
        if message.kind == 'reply' and not message.beneficiary:
            with without_check_access():
                last = cls.search([
                        ('direction', '=', 'out'),
                        ('recipient', '=', message.recipient),
                        ], order=[('id', 'DESC')], limit=1)
                if last and last[0].provider:
                    cls.write([message], {'provider': last[0].provider.id})
        return message

    @classmethod
    def tell_provider(cls, referral, kind, phone, text, language):
        """Queue the SMS text of kind about referral to the provider's
        phone, written in language; none when no gateway is configured.
        Returns the message, or None."""
        pool = Pool()
        Configuration = pool.get('momd.configuration')
        gateway = Configuration(1).outbox_gateway
        if not gateway or 'sms' not in CARRIES[gateway] or not phone:
            return None
        with without_check_access():
            message, = cls.create([{
                        'provider': referral.provider.id,
                        'referral': referral.id,
                        'office': referral.office.id,
                        'kind': kind,
                        'channel': 'sms',
                        'recipient': phone,
                        'language': language,
                        'text': text,
                        'next_attempt': first_attempt(),
                        }])
            # sent by the system, whoever took the step
            cls.queue_send([message])
        return message


class AnswerLink(metaclass=PoolMeta):
    __name__ = 'momd.referral.link'

    def send(self, token):
        """Also send the link by SMS to the provider's intake phone, in the
        provider's language: the referral's number, until when the link
        works, and the link"""
        super().send(token)
        Message = Pool().get('momd.outbox.message')
        provider = self.referral.provider
        if not provider.intake_phone:
            return
        language = message_language(self.language or provider.language)
        with Transaction().set_context(language=language):
            text = gettext('momd_referral.msg_answer_link_sms',
                referral=self.referral.code, url=self.url(token),
                expiry=self.expiry.strftime('%Y-%m-%d'))
        Message.tell_provider(self.referral, 'answer_link',
            provider.intake_phone, text, language)


class Referral(metaclass=PoolMeta):
    __name__ = 'momd.referral'

    @classmethod
    def send_provider_escalation(cls, referral, message):
        """Also send the escalation by SMS to the provider's escalation
        phone: the subject (the number and how late) and the link"""
        super().send_provider_escalation(referral, message)
        Message = Pool().get('momd.outbox.message')
        phone = referral.provider.escalation_phone
        if phone:
            Message.tell_provider(referral, 'provider_escalation', phone,
                '%s\n%s' % (message['subject'], message['link']),
                message_language(message['language']))

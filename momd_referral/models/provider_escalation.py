"""Escalation to the provider: a referral left unanswered past its deadline
is also written about to the provider's own escalation contact, once per
level of the escalation chain it reaches, in the provider's language and
with no personal data (the number, the service category unless restricted,
how late it is and a link to it)."""
import logging
from email.message import EmailMessage
from email.utils import formataddr

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.sendmail import send_message_transactional
from trytond.transaction import Transaction, without_check_access

from .referral import now

logger = logging.getLogger(__name__)


class Provider(metaclass=PoolMeta):
    __name__ = 'momd.provider'

    escalation_name = fields.Char(
        "Escalation Contact", strip=True,
        help="The manager at the provider who is told when a referral "
        "sent to it is left unanswered past its deadline.")
    escalation_email = fields.Char(
        "Escalation E-mail", strip=True,
        help="Receives, in the provider's language, the number of each "
        "overdue referral, how late it is and a link to it; never any "
        "personal data.")
    escalation_phone = fields.Char(
        "Escalation Phone", strip=True,
        help="An Iraqi mobile (07XX XXX XXXX) or an international number "
        "starting with + or 00.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # checked and normalised as the intake contact is
        cls._contacts = cls._contacts + [
            ('escalation_email', 'escalation_phone')]

def lateness(delta, language):
    "How late, in words of language: hours under two days, else days"
    hours = int(delta.total_seconds() // 3600)
    if hours < 2:
        return gettext('momd_referral.msg_late_under_two_hours', language)
    if hours < 48:
        return gettext('momd_referral.msg_late_hours', language, hours=hours)
    return gettext(
        'momd_referral.msg_late_days', language, days=hours // 24)


class Referral(metaclass=PoolMeta):
    __name__ = 'momd.referral'

    @classmethod
    def escalate(cls, date=None):
        """Also tell the provider's escalation contact of each unanswered
        referral that reached a new level of the chain in this run"""
        date = date or now()
        changed = super().escalate(date=date)
        # the system's work, whoever started the run: every referral and
        # provider is read; read again, as the chain's levels were written
        # after these were read
        with without_check_access():
            reached = [r for r in cls.browse([r.id for r in changed])
                if r.state == 'sent' and r.escalation_level]
            if reached:
                cls.escalate_to_provider(reached, date)
        return changed

    @classmethod
    def escalate_to_provider(cls, referrals, date):
        """Write to the escalation contact of each referral's provider, in
        the provider's language; a referral whose provider has no contact
        address or number is left to the ministry's chain."""
        for referral in referrals:
            provider = referral.provider
            if provider and (
                    provider.escalation_email or provider.escalation_phone):
                cls.send_provider_escalation(
                    referral, referral.provider_escalation_message(date))

    def provider_escalation_message(self, date):
        """The message to the provider's escalation contact, in the
        provider's language: {'language', 'subject', 'text', 'link'}. The
        subject and the link say it all for a short channel (SMS)."""
        pool = Pool()
        Category = pool.get('momd.service.category')
        Provider = pool.get('momd.provider')
        language = self.provider.language
        with Transaction().set_context(language=language):
            provider = Provider(self.provider.id)
            category = (Category(self.category.id).rec_name
                if self.category and not self.restricted else None)
        late = lateness(date - (self.overdue_since or date), language)
        link = self.__href__
        values = {
            'referral': self.code, 'late': late, 'link': link,
            'level': self.escalation_level,
            'provider': provider.rec_name,
            'name': provider.escalation_name or provider.rec_name,
            }
        lines = [
            gettext('momd_referral.msg_provider_escalation_greeting',
                language, **values),
            '',
            gettext('momd_referral.msg_provider_escalation_late',
                language, **values),
            ]
        if category:
            lines.append(gettext(
                    'momd_referral.msg_provider_escalation_category',
                    language, category=category))
        lines += [
            '',
            gettext('momd_referral.msg_provider_escalation_act',
                language, **values),
            link,
            '',
            gettext('momd_referral.msg_provider_escalation_footer',
                language),
            ]
        return {
            'language': language,
            'subject': gettext(
                'momd_referral.msg_provider_escalation_subject',
                language, **values),
            'text': '\n'.join(lines) + '\n',
            'link': link,
            }

    @classmethod
    def send_provider_escalation(cls, referral, message):
        """Send message (provider_escalation_message) to the escalation
        contact of the referral's provider: by e-mail to its address. The
        other channels are added by extending this method: call super(),
        then send message['subject'] and message['link'] to the
        provider's escalation_phone."""
        if referral.provider.escalation_email:
            cls.email_provider_escalation(referral, message)

    @classmethod
    def email_provider_escalation(cls, referral, message):
        """E-mail message to the provider's escalation contact when the
        transaction commits (nothing is sent if it rolls back), and keep a
        trace of it on the referral. An unreachable mail server is logged
        at the commit and does not stop the escalation."""
        Email = Pool().get('ir.email')
        provider = referral.provider
        msg = EmailMessage()
        msg['From'] = (config.get('notification_email', 'from')
            or config.get('email', 'from'))
        msg['To'] = formataddr(
            (provider.escalation_name or '', provider.escalation_email))
        msg['Subject'] = message['subject']
        msg['Auto-Submitted'] = 'auto-generated'
        msg.set_content(message['text'])
        msg['Content-Language'] = message['language']
        send_message_transactional(msg)
        Email.from_message(msg, resource=referral).save()
        logger.info('referral %s escalated to the provider %s by e-mail',
            referral.id, provider.id)

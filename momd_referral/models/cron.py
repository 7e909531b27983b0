"""The module's scheduled tasks, as an administrator picks them in the
scheduler (Administration > Scheduler > Actions)."""
from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('momd.consent|expire', "Expire Consents"),
                ('momd.referral|escalate',
                    "Mark Overdue Referrals and Escalate"),
                ('momd.case|flag_reviews', "Ask for Due Case Reviews"),
                ('momd.activity|remind', "Remind of Activities Due"),
                ('momd.beneficiary|apply_retention',
                    "Apply the Retention Period"),
                ('momd.referral|release_waitlist',
                    "Send Waiting Referrals as Places Free Up"),
                ('momd.referral.link|end_dead',
                    "End Answer Links No Longer Valid"),
                ('momd.outbox.message|retry_due',
                    "Send the Beneficiary Messages Due"),
                ('momd.mail|retry_due', "Send the E-mails Due"),
                ('momd.beneficiary.duplicate|scan',
                    "Look for Duplicates among New Registrations"),
                ('momd.kobo.import|pull',
                    "Import the Submissions of the KoboToolbox Server"),
                ('momd.access.log|seal_trail', "Seal the Audit Trail"),
                ])

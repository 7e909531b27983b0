"E-mail notifications of the SOP (see notification.xml)."
from trytond.pool import PoolMeta


class NotificationEmail(metaclass=PoolMeta):
    __name__ = 'notification.email'

    def send_email(self, records, trigger):
        # users without an e-mail address are told in the application
        # only: no connection to the mail server is opened for nobody
        records = [r for r in records
            if self._get_to(r)[0] or self._get_cc(r)[0]
            or self._get_bcc(r)[0]]
        if records:
            super().send_email(records, trigger)

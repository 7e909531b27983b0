"E-mail notifications of the SOP (see notification.xml)."
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access


class NotificationEmail(metaclass=PoolMeta):
    __name__ = 'notification.email'

    def has_recipients(self, record):
        "Whether someone has an e-mail address to receive it for record"
        User = Pool().get('res.user')
        users = []
        for field, fallback in [
                (self.recipients, self.fallback_recipients),
                (self.recipients_secondary,
                    self.fallback_recipients_secondary),
                (self.recipients_hidden, self.fallback_recipients_hidden)]:
            if fallback:
                users.append(fallback.id)
            if not field:
                continue
            value = self._get_recipients(record, field.name)
            if not isinstance(value, (list, tuple)):
                value = [value]
            for v in filter(None, value):
                if v.__name__ != 'res.user':
                    # parties and others: as the notification finds them
                    if self._get_addresses(v):
                        return True
                else:
                    users.append(v.id)
        # only the addresses, not whole user records
        with without_check_access():
            return bool(users) and bool(User.search([
                        ('id', 'in', users), ('email', '!=', None)],
                    count=True))

    def send_email(self, records, trigger):
        # users without an e-mail address are told in the application
        # only: no connection to the mail server is opened for nobody
        records = [r for r in records if self.has_recipients(r)]
        if records:
            super().send_email(records, trigger)


class Trigger(metaclass=PoolMeta):
    __name__ = 'ir.trigger'

    def queue_trigger_action(self, records):
        # an e-mail nobody can receive is not worth a background task
        if self.notification_email:
            records = [r for r in records if self.eval(r)
                and self.notification_email.has_recipients(r)]
        super().queue_trigger_action(records)

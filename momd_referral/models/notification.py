"E-mail notifications of the SOP (see notification.xml)."
from trytond.cache import Cache
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access


class NotificationEmail(metaclass=PoolMeta):
    __name__ = 'notification.email'

    # {notification id: (recipient field names, fallback user ids)}: read
    # at each change of a referral, changed only by administrators
    _recipients_cache = Cache(
        'momd_referral.notification_recipients', context=False)

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        cls._recipients_cache.clear()

    def recipient_fields(self):
        "The names of the fields naming the recipients, the fallback users"
        spec = self._recipients_cache.get(self.id)
        if spec is None:
            names, fallbacks = [], []
            for field, fallback in [
                    (self.recipients, self.fallback_recipients),
                    (self.recipients_secondary,
                        self.fallback_recipients_secondary),
                    (self.recipients_hidden,
                        self.fallback_recipients_hidden)]:
                if fallback:
                    fallbacks.append(fallback.id)
                if field:
                    names.append(field.name)
            spec = (names, fallbacks)
            self._recipients_cache.set(self.id, spec)
        return spec

    def has_recipients(self, record):
        "Whether someone has an e-mail address to receive it for record"
        User = Pool().get('res.user')
        names, users = self.recipient_fields()
        users = list(users)
        for name in names:
            value = self._get_recipients(record, name)
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
            # the e-mail is the system's, written for its recipients (who
            # may read the record), not for whoever's change triggered it:
            # a provider completing a referral fires the follow-up activity
            # of the caseworker, which the provider may not read (the report
            # checks the access of any user but the system's own)
            with Transaction().set_user(0):
                super().send_email(records, trigger)


class Trigger(metaclass=PoolMeta):
    __name__ = 'ir.trigger'

    def queue_trigger_action(self, records):
        if not self.notification_email:
            super().queue_trigger_action(records)
            return
        # an e-mail nobody can receive is not worth a background task; the
        # condition is evaluated once (the rest as Tryton's own method)
        queued = Transaction().trigger_records[self.id]
        ids = [r.id for r in dict.fromkeys(records)
            if r.id not in queued and self.eval(r)
            and self.notification_email.has_recipients(r)]
        if ids:
            self.__class__.__queue__.trigger_action(self, ids)
            queued.update(ids)

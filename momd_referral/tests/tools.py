"Helpers for the module tests."
from contextlib import contextmanager

from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_CACHE, DB_NAME, activate_module, backup_db_cache, drop_db,
    restore_db_cache)
from trytond.transaction import Transaction


def load_languages(module='momd_referral'):
    """Load the translations of the module's languages (Arabic and
    Kurmanji, translatable from its installation) into the database, as an
    administrator does with their "Load translations" button: every
    activated module's, ours bringing those of the core modules
    (locale/core/<code>/). `trytond-admin -u momd_referral -l ar` loads the
    same after reading the module's XML files again, most of a minute of
    the tests spent on records already there (the system tests load the
    languages with trytond-admin).

    With a cache of the tests' databases (DB_CACHE, as in `make test`) the
    database with the languages is kept there too, and the next test
    process on that cache restores it."""
    name = '%s--with-languages' % module
    if DB_CACHE:
        drop_db()
        if restore_db_cache(name):
            return
        activate_module(module)
    # as root: the languages are records of the module's data
    with Transaction().start(DB_NAME, 0, close=True) as transaction:
        Lang = Pool().get('ir.lang')
        Lang.load_translations(Lang.search([
                    ('translatable', '=', True), ('code', '!=', 'en')]))
        transaction.commit()
    backup_db_cache(name)


def create_location(name_en, level, parent=None, name_ar=None, **values):
    Location = Pool().get('momd.location')
    location = Location(
        name_en=name_en, name_ar=name_ar or name_en, level=level,
        parent=parent, **values)
    location.save()
    return location


def create_user(login, groups=(), offices=()):
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    user = User(
        login=login, name=login,
        groups=[ModelData.get_id('momd_referral', g) for g in groups],
        offices=list(offices))
    user.save()
    return user


@contextmanager
def acting_as(user):
    "Act as user through the application (access rights checked)"
    with Transaction().set_user(user.id), \
            Transaction().set_context(_check_access=True):
        yield


class rolled_back:
    """Undo what the block wrote when it raises, as the server undoes a
    refused call (the exception goes on)"""

    def __enter__(self):
        self.cursor = Transaction().connection.cursor()
        self.cursor.execute('SAVEPOINT momd_call')
        return self

    def __exit__(self, type_, value, traceback):
        if type_ is not None:
            self.cursor.execute('ROLLBACK TO SAVEPOINT momd_call')
            # the records read before the rollback are gone with it
            Transaction().cache.clear()
        else:
            self.cursor.execute('RELEASE SAVEPOINT momd_call')
        return False


def queued_emails():
    """The e-mails of the transaction, oldest first: those of the mail
    queue (models/mail_queue.py) and any held for the commit"""
    from trytond.sendmail import SMTPDataManager
    Mail = Pool().get('momd.mail')
    messages = [m.email() for m in Mail.search([], order=[('id', 'ASC')])]
    return messages + [msg
        for manager in Transaction()._datamanagers or []
        if isinstance(manager, SMTPDataManager)
        for _, _, msg in manager.queue]


def discard_queued_emails():
    "Forget the e-mails of the transaction: tests have no mail server"
    from trytond.sendmail import SMTPDataManager
    Mail = Pool().get('momd.mail')
    Mail.delete(Mail.search([]))
    managers = Transaction()._datamanagers or []
    managers[:] = [m for m in managers
        if not isinstance(m, SMTPDataManager)]

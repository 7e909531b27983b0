"Helpers for the module tests."
from contextlib import contextmanager

from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_CACHE, DB_NAME, USER, activate_module, backup_db_cache, drop_db,
    restore_db_cache)
from trytond.transaction import Transaction


def load_language(code, module='momd_referral'):
    """Upgrade the module with a language that it brings itself, the way an
    administrator does (`trytond-admin -u momd_referral -l ar`).

    With a cache of the tests' databases (DB_CACHE, as in `make test`) the
    upgraded database is kept there too, and the next test process on that
    cache restores it instead of upgrading again: the upgrade reads all the
    module's files, as long as installing it."""
    name = '%s--upgraded-with-%s' % (module, code)
    if DB_CACHE:
        drop_db()
        if restore_db_cache(name):
            return
        activate_module(module)
    _upgrade_with(code, module)
    backup_db_cache(name)


def _upgrade_with(code, module):
    with Transaction().start(DB_NAME, USER, close=True) as transaction:
        pool = Pool()
        Module = pool.get('ir.module')
        Lang = pool.get('ir.lang')
        ActivateUpgrade = pool.get(
            'ir.module.activate_upgrade', type='wizard')
        Lang.search([('code', '=', code), ('translatable', '=', True)])
        Module.upgrade(Module.search([('name', '=', module)]))
        transaction.commit()
        instance_id, _, _ = ActivateUpgrade.create()
        transaction.commit()
        ActivateUpgrade(instance_id).transition_upgrade()
        ActivateUpgrade.delete(instance_id)
        transaction.commit()


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

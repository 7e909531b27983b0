"""Until when a provider sees the person referred: tests mixed into the
module test case, each told as what the people involved do."""
import datetime as dt

from sql import Column
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from .referral_tests import ReferralWorld
from .registry_tests import office, register
from .report_tests import pdf_text, print_form
from .statistics_tests import set_dates
from .tools import create_user

# What a provider may read of the person, while the disclosure is in force
PERSONAL = [
    'beneficiary_name', 'beneficiary_sex', 'beneficiary_age',
    'beneficiary_phones', 'beneficiary_location', 'need_description',
    'beneficiary_documents', 'beneficiary_vulnerabilities', 'reason',
    'exception_reason']
# What it keeps of the referral once the disclosure has ended
KEPT = [
    'code', 'state', 'sent_date', 'answered_date', 'completed_date',
    'closed_date', 'decline_reason', 'outcome']


class DisclosureWorld(ReferralWorld):
    """A referral sent to Provider A (Alice) with identity, contact and
    needs disclosed, a note and a file on it"""

    def __init__(self):
        pool = Pool()
        Referral = pool.get('momd.referral')
        Note = pool.get('ir.note')
        Attachment = pool.get('ir.attachment')
        super().__init__()
        self.need.description = "Lost the house deed in Sinjar"
        self.need.save()
        self.referral = self.referral()
        Referral.send([self.referral])
        self.note, = Note.create([{
                    'resource': str(self.referral),
                    'message': "Lives with her aunt near the market"}])
        self.attachment, = Attachment.create([{
                    'resource': str(self.referral), 'name': 'deed-copy.txt',
                    'data': b'Deed 4471 of the Sinjar registry'}])
        # what names the person, by any path
        self.tokens = [
            self.beneficiary.full_name, '7501112233',
            "Lost the house deed", "house deed",
            "Lives with her aunt", 'deed-copy', 'Deed 4471']

    def press(self, user, button, **values):
        "The user writes values on the referral and presses the button"
        Referral = Pool().get('momd.referral')
        with self.as_(user):
            referral = Referral(self.referral.id)
            if values:
                Referral.write([referral], values)
            getattr(Referral, button)([referral])

    def provider_sees(self, user=None, when=None):
        """(the referral's fields, everything else as text) that the focal
        point reads by every path: read, search_read, export, notes and
        files, the printed form; of the past if when is given"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Note = pool.get('ir.note')
        Attachment = pool.get('ir.attachment')
        user = user or self.alice
        id_ = self.referral.id
        seen = []
        with self.as_(user), Transaction().set_context(_datetime=when):
            row, = Referral.read([id_], PERSONAL + KEPT)
            seen.append(Referral.search_read(
                    [('id', '=', id_)], fields_names=PERSONAL + KEPT))
            seen.append(Referral.export_data(
                    [Referral(id_)], ['code', 'state', 'decline_reason']))
            for personal in ['beneficiary_name', 'reason']:
                try:
                    seen.append(Referral.export_data(
                            [Referral(id_)], [personal]))
                except AccessError:
                    pass
            if when is None:
                for Model, fields in [
                        (Note, ['message', 'resource']),
                        (Attachment, ['name', 'data', 'resource'])]:
                    seen.append(Model.search_read(
                            [('resource', '=', str(self.referral))],
                            fields_names=fields))
                    seen.append(Model.search_count([]))
                for record, fields in [
                        (self.note, ['message']),
                        (self.attachment, ['name', 'data'])]:
                    try:
                        seen.append(record.__class__.read(
                                [record.id], fields))
                    except AccessError:
                        pass
                seen.append(pdf_text(print_form(Referral(id_))))
        text = repr(seen)
        return row, text, [t for t in self.tokens if t in text]

def age_history(hours=2):
    """Move every version kept in the history back by hours, as if made
    then; return a moment after them all and before what comes next"""
    pool = Pool()
    cursor = Transaction().connection.cursor()
    latest = None
    for name, Model in pool.iterobject():
        if not name.startswith('momd.') or not getattr(
                Model, '_history', False):
            continue
        history = Model.__table_history__()
        column = Column(history, '__id')
        cursor.execute(*history.select(
                column, history.create_date, history.write_date))
        for id_, created, written in list(cursor):
            values = [d - dt.timedelta(hours=hours) if d else None
                for d in (created, written)]
            cursor.execute(*history.update(
                    [history.create_date, history.write_date], values,
                    where=column == id_))
            latest = max(filter(None, [latest] + values))
    return latest + dt.timedelta(minutes=1)


def revoke(consent, reason="She asked to stop sharing"):
    Consent = Pool().get('momd.consent')
    consent.revocation_reason = reason
    consent.save()
    Consent.revoke([consent])


def set_access_days(days):
    Configuration = Pool().get('momd.configuration')
    config = Configuration(1)
    config.provider_access_days = days
    config.save()


def days_ago(days):
    return dt.datetime.now() - dt.timedelta(days=days)


class DisclosureTestMixin:

    @with_transaction()
    def test_history_read_after_revocation(self):
        """Alice is sent a referral; the person withdraws consent. Asking for
        the referral as it was before the withdrawal (history) gives her
        nothing of the person: today's disclosure decides"""
        Referral = Pool().get('momd.referral')
        world = DisclosureWorld()
        row, _, found = world.provider_sees()
        self.assertEqual(row['beneficiary_name'], world.beneficiary.full_name)
        self.assertEqual(len(found), len(world.tokens))
        before = age_history()
        revoke(world.consent)
        for when in [before, None]:
            with self.subTest(when=when):
                row, text, found = world.provider_sees(when=when)
                self.assertEqual(found, [])
                self.assertEqual(
                    {n: row[n] for n in PERSONAL}, dict.fromkeys(PERSONAL))
                # the referral itself she still reads, then as now
                self.assertEqual(
                    (row['code'], row['state']),
                    (world.referral.code, 'sent'))
        # nor does a search of the past find it by what she no longer sees
        with world.as_(world.alice), \
                Transaction().set_context(_datetime=before):
            self.assertEqual(Referral.search(
                    [('disclosure_active', '=', True)]), [])
            self.assertEqual(Referral.search(
                    [('disclosure_active', '=', False)]), [world.referral])
        # the ministry still reads its own past
        with world.as_(world.caseworker), \
                Transaction().set_context(_datetime=before):
            row, = Referral.read([world.referral.id], ['reason'])
            self.assertEqual(row['reason'], world.referral.reason)

    @with_transaction()
    def test_history_read_follows_todays_scope(self):
        """A Sinjar caseworker read a person's file; the person moves to
        the Mosul office. She can no longer read the file as it was when it
        was hers: history reads follow today's record rules"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        sinjar = create_user(
            'snj', groups=['group_caseworker'], offices=[office('SNJ')])
        beneficiary = register('SNJ')
        before = age_history()
        with Transaction().set_user(sinjar.id), \
                Transaction().set_context(
                    _check_access=True, _datetime=before):
            row, = Beneficiary.read([beneficiary.id], ['full_name'])
            self.assertEqual(row['full_name'], beneficiary.full_name)
        beneficiary.office = office('MSL')
        beneficiary.save()
        with Transaction().set_user(sinjar.id), \
                Transaction().set_context(
                    _check_access=True, _datetime=before):
            with self.assertRaises(AccessError):
                Beneficiary.read([beneficiary.id], ['full_name'])
            with self.assertRaises(AccessError):
                Beneficiary.export_data(
                    [Beneficiary(beneficiary.id)], ['full_name'])
            self.assertEqual(Beneficiary.search(
                    [('id', '=', beneficiary.id)]), [])
            self.assertEqual(Beneficiary.search_count([]), 0)
            with self.assertRaises(AccessError):
                Beneficiary.history_revisions([beneficiary.id])

    @with_transaction()
    def test_provider_access_ends_after_decline(self):
        """Alice declines a referral. For the configured days (30) she still
        reads what was disclosed; 31 days later she reads its number, state,
        dates and her answer, nothing of the person by any path"""
        world = DisclosureWorld()
        world.press(world.alice, 'decline', decline_reason='no_capacity')
        set_dates(world.referral, answered_date=days_ago(29))
        row, _, found = world.provider_sees()
        self.assertEqual(len(found), len(world.tokens))
        self.assertEqual(row['reason'], world.referral.reason)
        self.assertEqual(row['need_description'], world.need.description)
        before = age_history()
        set_dates(world.referral, answered_date=days_ago(31))
        for when in [None, before]:
            with self.subTest(when=when):
                row, text, found = world.provider_sees(when=when)
                self.assertEqual(found, [])
                self.assertEqual(
                    {n: row[n] for n in PERSONAL}, dict.fromkeys(PERSONAL))
                self.assertEqual(
                    (row['code'], row['state'], row['decline_reason']),
                    (world.referral.code, 'declined', 'no_capacity'))
                self.assertTrue(row['sent_date'] and row['answered_date'])
                if when is None:
                    # the printed form says why
                    self.assertIn(
                        "access to the beneficiary's information has ended",
                        ' '.join(text.split()))
        # administrators set the period: longer, the access is back...
        set_access_days(60)
        self.assertEqual(len(world.provider_sees()[2]), len(world.tokens))
        # ...none, it ends with the answer
        set_access_days(0)
        set_dates(world.referral, answered_date=days_ago(0))
        self.assertEqual(world.provider_sees()[2], [])

    @with_transaction()
    def test_provider_access_ends_after_close(self):
        """Alice's organisation served the person; the ministry closes the
        referral. A month later Alice reads the outcome, not the person"""
        world = DisclosureWorld()
        world.press(world.alice, 'accept')
        world.press(world.alice, 'complete', outcome='provided')
        world.press(world.caseworker, 'close')
        row, _, found = world.provider_sees()
        self.assertEqual(len(found), len(world.tokens))
        set_dates(world.referral, closed_date=days_ago(31))
        row, _, found = world.provider_sees()
        self.assertEqual(found, [])
        self.assertEqual(
            {n: row[n] for n in PERSONAL}, dict.fromkeys(PERSONAL))
        self.assertEqual((row['state'], row['outcome']),
            ('closed', 'provided'))
        self.assertTrue(row['completed_date'] and row['closed_date'])

    @with_transaction()
    def test_provider_access_ends_with_agreement(self):
        """Provider A's data-sharing agreement expires today: Alice, who was
        working on the referral, reads nothing of the person from now on"""
        world = DisclosureWorld()
        world.press(world.alice, 'accept')
        provider = world.provider_a
        today = Pool().get('ir.date').today()
        provider.agreement_expiry = today + dt.timedelta(days=1)
        provider.save()
        self.assertEqual(len(world.provider_sees()[2]), len(world.tokens))
        before = age_history()
        provider.agreement_expiry = today
        provider.save()
        for when in [None, before]:
            with self.subTest(when=when):
                row, _, found = world.provider_sees(when=when)
                self.assertEqual(found, [])
                self.assertEqual(
                    {n: row[n] for n in PERSONAL}, dict.fromkeys(PERSONAL))
                self.assertEqual(row['state'], 'accepted')
        # the ministry keeps its file
        with world.as_(world.caseworker):
            self.assertEqual(Pool().get('ir.note').search(
                    [('resource', '=', str(world.referral))]), [world.note])

    @with_transaction()
    def test_provider_access_ends_with_consent_expiry(self):
        """The consent reaches its expiry date: the provider's access to the
        person ends that day"""
        pool = Pool()
        Consent = pool.get('momd.consent')
        world = DisclosureWorld()
        self.assertEqual(len(world.provider_sees()[2]), len(world.tokens))
        table = Consent.__table__()
        Transaction().connection.cursor().execute(*table.update(
                [table.expiry_date], [pool.get('ir.date').today()],
                where=table.id == world.consent.id))
        row, _, found = world.provider_sees()
        self.assertEqual(found, [])
        self.assertEqual(
            {n: row[n] for n in PERSONAL}, dict.fromkeys(PERSONAL))

    @with_transaction()
    def test_provider_access_ends_on_cancel(self):
        """The ministry cancels a referral it had sent: the provider reads
        nothing of the person from then on, not even for a time"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Note = pool.get('ir.note')
        world = DisclosureWorld()
        world.press(world.caseworker, 'cancel',
            cancel_reason="The family moved to Erbil")
        with world.as_(world.alice):
            row, = Referral.read([world.referral.id], PERSONAL + KEPT)
            self.assertEqual(
                {n: row[n] for n in PERSONAL}, dict.fromkeys(PERSONAL))
            self.assertEqual(row['state'], 'cancelled')
            self.assertEqual(Note.search([]), [])

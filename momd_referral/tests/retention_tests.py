"Retention by record type and state: referrals, imports, messages."
import datetime as dt

from trytond.model.exceptions import DomainValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from .automation_tests import told
from .registry_tests import office
from .tools import create_user

STORY = "Her brother's house in Hay Al-Tanak was taken in 2017"


def past(days):
    "A moment days ago, whatever today is"
    return dt.datetime.combine(
        Pool().get('ir.date').today() - dt.timedelta(days=days), dt.time())


class RetentionTestMixin:

    def retention_world(self):
        """Referrals declined long ago and lately, one cancelled long ago,
        one still open; an import finished long ago and one lately; a
        message sent long ago, one lately, one still queued"""
        from .referral_tests import ReferralWorld, open_case
        pool = Pool()
        Referral = pool.get('momd.referral')
        Batch = pool.get('momd.kobo.import')
        Row = pool.get('momd.kobo.import.row')
        Message = pool.get('momd.outbox.message')
        Attachment = pool.get('ir.attachment')
        Note = pool.get('ir.note')
        world = ReferralWorld()
        referrals = {}
        for name, provider in [('old_declined', world.provider_a),
                ('new_declined', world.provider_b),
                ('old_cancelled', world.provider_a),
                ('open', world.provider_b)]:
            if name == 'old_cancelled':
                # a provider that declined a need is not offered it again
                world.case = open_case(world.beneficiary, ['legal.aid'])
                world.need = world.case.needs[0]
            referral = referrals[name] = world.referral(
                provider=provider, reason=STORY)
            if name == 'open':
                continue
            Referral.send([referral])
            if name.endswith('declined'):
                Referral.write([referral], {
                        'decline_reason': 'no_capacity',
                        'decline_note': STORY})
                Referral.decline([referral])
            else:
                Referral.write([referral], {'cancel_reason': STORY})
                Referral.cancel([referral])
        Attachment.create([{'resource': str(referrals['old_declined']),
                    'name': 'deed.txt', 'data': STORY.encode()}])
        Note.create([{'resource': str(referrals['old_declined']),
                    'message': STORY}])
        batches = {}
        for name in ['old', 'new']:
            batch = batches[name] = Batch.create([{
                        'office': office('SNJ').id, 'file': STORY.encode(),
                        'file_name': 'submissions.csv', 'state': 'done'}])[0]
            Row.create([{'batch': batch.id, 'number': 2, 'uuid': name,
                        'status': 'created', 'values': STORY}])
        messages = {}
        for name, state in [('old', 'sent'), ('new', 'delivered'),
                ('queued', 'queued')]:
            messages[name], = Message.create([{
                        'direction': 'out', 'kind': 'status_sent',
                        'channel': 'sms', 'recipient': '07701234567',
                        'text': STORY, 'state': state,
                        'beneficiary': world.beneficiary.id}])
        # the dates of the steps, as if they were that long ago
        cursor = Transaction().connection.cursor()
        for table, record, column, days in [
                (Referral, referrals['old_declined'], 'answered_date', 400),
                (Referral, referrals['new_declined'], 'answered_date', 20),
                (Referral, referrals['old_cancelled'], 'write_date', 400),
                (Referral, referrals['open'], 'create_date', 400),
                (Batch, batches['old'], 'finished', 400),
                (Batch, batches['new'], 'finished', 20),
                (Message, messages['old'], 'sent_date', 400),
                (Message, messages['new'], 'delivered_date', 20),
                (Message, messages['queued'], 'create_date', 400),
                ]:
            sql_table = table.__table__()
            cursor.execute(*sql_table.update(
                    [getattr(sql_table, column)], [past(days)],
                    where=sql_table.id == record.id))
        Transaction().cache.clear()
        return world, referrals, batches, messages

    @with_transaction()
    def test_retention_by_record_type(self):
        """Each record type past its own period is listed (logged, the
        administrators told, nothing erased), then erased: the free text,
        notes and files of referrals declined or cancelled, the file and
        values of imports, the messages sent; the recent and the open stay,
        and every run is in the trail"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Referral = pool.get('momd.referral')
        Batch = pool.get('momd.kobo.import')
        Row = pool.get('momd.kobo.import.row')
        Message = pool.get('momd.outbox.message')
        Configuration = pool.get('momd.configuration')
        AccessLog = pool.get('momd.access.log')
        Attachment = pool.get('ir.attachment')
        Note = pool.get('ir.note')
        admin = create_user('adm', groups=['group_admin'])
        world, referrals, batches, messages = self.retention_world()

        def runs():
            return [(l.model, l.operation, l.records)
                for l in AccessLog.search([('action', '=', 'retention')],
                    order=[('id', 'ASC')])]
        # no period: nothing is past one, and no run names a record type
        Beneficiary.apply_retention()
        self.assertEqual(runs(), [('momd.beneficiary', 'list', '')])

        config = Configuration(1)
        config.referral_retention_months = 6
        config.import_retention_months = 6
        config.outbox_retention_months = 6
        config.save()
        Beneficiary.apply_retention()
        expired = {
            'momd.referral': '%s,%s' % tuple(sorted([
                        referrals['old_declined'].id,
                        referrals['old_cancelled'].id])),
            'momd.kobo.import': str(batches['old'].id),
            'momd.outbox.message': str(messages['old'].id),
            }
        self.assertEqual(runs()[1:], [('momd.beneficiary', 'list', '')] + [
                (m, 'list', expired[m]) for m in [
                    'momd.referral', 'momd.kobo.import',
                    'momd.outbox.message']])
        self.assertEqual(told([admin])[admin.id], [
                'Past their retention period: 2 records of "Referral". '
                'They are listed in the audit trail line of the run.',
                'Past their retention period: 1 records of "KoboToolbox '
                'Import". They are listed in the audit trail line of the '
                'run.',
                'Past their retention period: 1 records of "Beneficiary '
                'Message". They are listed in the audit trail line of the '
                'run.'])
        # listed only: nothing erased
        self.assertEqual(
            Referral(referrals['old_declined'].id).decline_note, STORY)
        self.assertEqual(Message.search([], count=True), 3)

        config.retention_action = 'anonymise'
        config.save()
        Beneficiary.apply_retention()
        self.assertEqual([r[1:] for r in runs()[-3:]],
            [('anonymise', expired[m]) for m in [
                    'momd.referral', 'momd.kobo.import',
                    'momd.outbox.message']])
        Transaction().cache.clear()
        today = pool.get('ir.date').today()
        for name in ['old_declined', 'old_cancelled']:
            referral = Referral(referrals[name].id)
            self.assertEqual(
                (referral.reason, referral.decline_note,
                    referral.cancel_reason, referral.text_erased),
                ('***', None, None, today))
            # the history holds no word of it either
            for version in Referral.history_revisions([referral.id]):
                with Transaction().set_context(_datetime=version[0]):
                    self.assertNotIn(STORY, str(Referral.read(
                                [referral.id], ['reason', 'decline_note',
                                    'cancel_reason'])))
        # the statistics keep the state and the provider
        old = Referral(referrals['old_declined'].id)
        self.assertEqual((old.state, old.decline_reason, old.provider),
            ('declined', 'no_capacity', world.provider_a))
        self.assertEqual(Attachment.search([]), [])
        self.assertEqual(Note.search([]), [])
        for name in ['new_declined', 'open']:
            self.assertEqual(Referral(referrals[name].id).reason, STORY)
        self.assertEqual(
            [(b.file, [r.values for r in b.rows], b.state)
                for b in Batch.browse([batches['old'], batches['new']])],
            [(None, [None], 'done'), (STORY.encode(), [STORY], 'done')])
        self.assertEqual(Row.search([('uuid', '=', 'old')], count=True), 1)
        self.assertEqual(Message.search([], order=[('id', 'ASC')]),
            [messages['new'], messages['queued']])

        # a run after finds nothing more, and says so
        Beneficiary.apply_retention()
        self.assertEqual([r[1:] for r in runs()[-3:]],
            [('anonymise', '')] * 3)

        # bad input: a period of no months, named
        config.outbox_retention_months = 0
        with self.assertRaisesRegex(
                DomainValidationError, 'Keep Messages For'):
            config.save()

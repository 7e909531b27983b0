"The data classes of the fields: who may export what."
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

from ..models import erasure
from ..models.export import list_fields
from ..models.sensitivity import FIELD_CLASSES, exportable, field_class
from .registry_tests import office, register
from .statistics_tests import spreadsheet
from .tools import acting_as, create_user


class SensitivityTestMixin:

    @with_transaction()
    def test_data_classes_declared(self):
        """The classes name fields that exist, and every field anonymisation
        erases is personal or above"""
        pool = Pool()
        for model, levels in FIELD_CLASSES.items():
            Model = pool.get(model)
            for names in levels.values():
                for name in names:
                    with self.subTest(model=model, field=name):
                        self.assertIn(name, Model._fields)
        for model, _, names in erasure.SCRUB:
            for name in names:
                with self.subTest(model=model, field=name):
                    self.assertIn(field_class(model, name),
                        {'personal', 'sensitive', 'restricted'})
        for model, _ in erasure.REMOVE:
            if model in FIELD_CLASSES:
                self.assertIn('number', FIELD_CLASSES[model]['sensitive'])

    @with_transaction()
    def test_export_classes(self):
        """A role without the sensitive class exports the list without
        phones or vulnerabilities, and a column of them is refused by
        name; the class's group lets it through; restricted notes need
        their own group; the subject access report holds everything"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Spreadsheet = pool.get('momd.spreadsheet', type='report')
        PersonalData = pool.get(
            'momd.beneficiary.personal_data', type='report')
        person = register('MSL', notes="Lost his papers at the checkpoint",
            vulnerabilities=['wg_mobility'],
            phones=[('create', [{'number': '07701234567'}])])
        caseworker = create_user(
            'cw', groups=['group_caseworker', 'group_export'],
            offices=[office('MSL')])
        supervisor = create_user('sup',
            groups=['group_supervisor', 'group_export',
                'group_class_sensitive'],
            offices=[office('MSL')])
        admin = create_user('adm', groups=['group_admin'])

        with acting_as(caseworker):
            columns = list_fields(Beneficiary)
            # a list's own columns leave out those of a class not given
            self.assertEqual(exportable(Beneficiary, ['code',
                        'phones/number', 'vulnerabilities.translated',
                        'first_name', 'notes']), ['code', 'first_name'])
            # the names are personal: exported
            rows = Beneficiary.export_data([person], ['code', 'first_name'])
            self.assertEqual(rows, [[person.code, person.first_name]])
            for column, label in [
                    ('phones/number', ('Phone', 'Sensitive')),
                    ('vulnerabilities', ('Vulnerabilities', 'Sensitive')),
                    ('identifiers/number', ('Identi', 'Sensitive')),
                    ('notes', ('Notes', 'Restricted')),
                    ('household/address', ('Household/Address',
                            'Sensitive'))]:
                with self.subTest(column=column), \
                        self.assertRaisesRegex(
                            AccessError, 'column "%s.*class "%s"' % label):
                    Spreadsheet.execute([], {'model': 'momd.beneficiary',
                            'ids': [person.id], 'columns': ['code', column],
                            'format': 'csv', 'name': "People"})
        self.assertNotIn('phones', ' '.join(columns))
        self.assertNotIn('vulnerabilities', columns)
        self.assertIn('full_name', columns)

        with acting_as(supervisor):
            rows = Beneficiary.export_data(
                [person], ['phones/number', 'vulnerabilities'])
            self.assertEqual(rows[0][0], '+9647701234567')
            with self.assertRaisesRegex(AccessError, 'class "Restricted"'):
                Beneficiary.export_data([person], ['notes'])
        with acting_as(admin):
            self.assertEqual(
                Beneficiary.export_data([person], ['notes']),
                [["Lost his papers at the checkpoint"]])

        # made for the person, the report holds the phones and the notes,
        # for a supervisor without the restricted class too
        with acting_as(supervisor):
            _, content, _, _ = PersonalData.execute([person.id], {})
        texts = str(spreadsheet(content))
        self.assertIn("Lost his papers at the checkpoint", texts)
        self.assertIn('7701234567', texts)

    @with_transaction()
    def test_messages_carry_no_sensitive_data(self):
        """Notifications in the application, e-mails and text messages
        along a referral's life (sent, accepted, overdue, completed, the
        case's closure asked) name records by their numbers, never the
        value of a sensitive or restricted field"""
        from .automation_tests import (
            discard_emails, emails, run_tasks, supervised_world, told)
        from .outbox_tests import agree, file_outbox, messages
        import datetime as dt
        pool = Pool()
        Referral = pool.get('momd.referral')
        Case = pool.get('momd.case')
        Need = pool.get('momd.need')
        Beneficiary = pool.get('momd.beneficiary')
        Household = pool.get('momd.household')
        User = pool.get('res.user')
        world = supervised_world()
        users = [world.caseworker, world.supervisor, world.alice, world.bob]
        for user in users:
            user.email = '%s@momd.example' % user.login
        User.save(users)
        file_outbox(self)
        agree(world.beneficiary, ['sms'])

        def secret(model, name):
            return 'SECRET-%s-%s' % (model.split('.')[-1], name)
        values = {
            'momd.beneficiary': ['notes', 'duplicate_reason'],
            'momd.case': ['summary'],
            'momd.need': ['description'],
            'momd.referral': ['reason', 'provider_note', 'follow_up',
                'outcome_feedback'],
            'momd.household': ['address'],
            }
        for model, names in values.items():
            for name in names:
                self.assertIn(field_class(model, name),
                    {'sensitive', 'restricted'})
        needles = [secret(m, n) for m, names in values.items()
            for n in names]
        Beneficiary.write([world.beneficiary], {
                n: secret('momd.beneficiary', n)
                for n in values['momd.beneficiary']})
        Household.create([{'office': world.beneficiary.office.id,
                    'head': world.beneficiary.id,
                    'members': [('add', [world.beneficiary.id])],
                    'address': secret('momd.household', 'address')}])
        Need.write([world.need], {
                'description': secret('momd.need', 'description')})
        referral = world.referral(
            reason=secret('momd.referral', 'reason'),
            follow_up=secret('momd.referral', 'follow_up'))
        Referral.send([referral])
        run_tasks()
        with world.as_(world.alice):
            Referral.write([Referral(referral.id)], {
                    'provider_note': secret('momd.referral', 'provider_note')})
            Referral.accept([Referral(referral.id)])
        run_tasks()
        Referral.escalate(
            Referral(referral.id).complete_before + dt.timedelta(hours=1))
        run_tasks()
        with world.as_(world.alice):
            Referral.write([Referral(referral.id)], {'outcome': 'provided',
                    'outcome_feedback': secret(
                        'momd.referral', 'outcome_feedback')})
            Referral.complete([Referral(referral.id)])
        run_tasks()
        Referral.close([Referral(referral.id)])
        Case.write([world.case], {
                'summary': secret('momd.case', 'summary'),
                'closure_reason': "Served"})
        Case.request_closure([world.case])

        said = []
        for what in ['label', 'description']:
            said += [t for texts in told(what=what).values() for t in texts
                if t]
        said += [m.text for m in messages()]
        for user in users:
            said += ['%s\n%s' % (e.subject, e.body)
                for e in emails(user.email)]
        discard_emails()
        # something was said on each channel: the check can fail
        self.assertGreaterEqual(len(messages()), 2)
        self.assertTrue(any(referral.code in s for s in said))
        for text in said:
            for needle in needles:
                self.assertNotIn(needle, text)

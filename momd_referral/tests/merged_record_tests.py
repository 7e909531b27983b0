"""A record merged into another is a dead end, and a provider holding
referrals of both records learns nothing from the merge: tests mixed into
the module test cases, each told as what the people involved do."""
import datetime as dt
import io
import re

from openpyxl import load_workbook

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, inactive_records

from ..exceptions import MergeError
from ..models.erasure import ERASED
from .disclosure_tests import KEPT, PERSONAL
from .merge_tests import MergeWorld, run_merge
from .registry_tests import office, open_case, register
from .tools import create_user


def links_to(beneficiary):
    """How many records of each model name the beneficiary, by every
    stored link the merge knows of (read in the tables, as they are)"""
    pool = Pool()
    Beneficiary = pool.get('momd.beneficiary')
    Duplicate = pool.get('momd.beneficiary.duplicate')
    cursor = Transaction().connection.cursor()
    counts = {}
    references = Beneficiary.merge_references() + [
        (Duplicate, 'beneficiary'), (Duplicate, 'match')]
    for Model, name in references:
        table = Model.__table__()
        column = getattr(table, name)
        value = (str(beneficiary)
            if Model._fields[name]._type == 'reference' else beneficiary.id)
        cursor.execute(*table.select(table.id, where=column == value))
        counts[(Model.__name__, name)] = len(cursor.fetchall())
    return counts


class TwinWorld:
    """Two Sinjar records of one man, merged by the Sinjar supervisor:
    the record registered first is kept, with a case and a note"""

    def __init__(self):
        pool = Pool()
        Office = pool.get('momd.office')
        Note = pool.get('ir.note')
        self.caseworker = create_user(
            'cw', groups=['group_caseworker'], offices=[office('SNJ')])
        self.supervisor = create_user(
            'sup', groups=['group_supervisor'], offices=[office('SNJ')])
        Office.write([office('SNJ')], {
                'supervisors': [('add', [self.supervisor.id])]})
        self.kept = register('SNJ')
        self.twin = register('SNJ', first_name_latin='Khaled')
        self.case = open_case(self.kept, ['legal.aid'])
        self.note, = Note.create([{
                    'resource': str(self.kept), 'message': "Came back"}])
        run_merge(self.supervisor, [self.kept, self.twin])

    def as_(self, user):
        "The user's calls, checked as the server checks a client's"
        transaction = Transaction()
        return _Both(transaction.set_user(user.id),
            transaction.set_context(_check_access=True))


class _Both:
    def __init__(self, *managers):
        self.managers = managers

    def __enter__(self):
        for manager in self.managers:
            manager.__enter__()

    def __exit__(self, *args):
        for manager in reversed(self.managers):
            manager.__exit__(*args)


class MergedRecordTestMixin:

    @with_transaction()
    def test_merged_record_dead_end(self):
        """Once merged, a record takes nothing new: no case, consent, phone,
        document, household, note, file, activity or review line is linked
        to it, by create, write, copy or import, from a client or by the
        system; it is not brought back nor copied. Each refusal names both
        records, and nothing is written; the kept record takes them all"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Case = pool.get('momd.case')
        Consent = pool.get('momd.consent')
        Phone = pool.get('momd.beneficiary.phone')
        Identifier = pool.get('momd.beneficiary.identifier')
        Household = pool.get('momd.household')
        Note = pool.get('ir.note')
        Attachment = pool.get('ir.attachment')
        Activity = pool.get('momd.activity')
        Duplicate = pool.get('momd.beneficiary.duplicate')
        world = TwinWorld()
        kept, twin = world.kept, Beneficiary(world.twin.id)
        self.assertEqual(twin.merged_into, kept)
        snj = office('SNJ').id
        household, = Household.create([{
                    'office': snj, 'address': "Old town, street 4"}])
        due = dt.datetime.now() + dt.timedelta(days=1)

        def attempts(person):
            "What a caseworker (and the system) links to a person"
            return [
                ('case', lambda: Case.create([{
                                'beneficiary': person.id, 'office': snj}])),
                ('consent', lambda: Consent.create([{
                                'beneficiary': person.id,
                                'purpose': "Referral",
                                'information_groups': ['identity']}])),
                ('phone', lambda: Phone.create([{
                                'beneficiary': person.id,
                                'number': '07709998877'}])),
                ('document', lambda: Identifier.create([{
                                'beneficiary': person.id,
                                'type': 'national_id',
                                'number': '199012345679'}])),
                ('household member', lambda: Household.write([household], {
                                'members': [('add', [person.id])]})),
                ('household head', lambda: Household.create([{
                                'office': snj, 'head': person.id,
                                'members': [('add', [person.id])]}])),
                ('note', lambda: Note.create([{
                                'resource': str(person),
                                'message': "Called"}])),
                ('file', lambda: Attachment.create([{
                                'resource': str(person), 'name': 'card.txt',
                                'data': b'ID card'}])),
                ('note moved', lambda: Note.write([world.note], {
                                'resource': str(person)})),
                ('note copied', lambda: Note.copy([world.note], default={
                                'resource': str(person)})),
                ]

        def system_attempts(person):
            "What the system's own code links to a person"
            return [
                ('activity', lambda: Activity.create([{
                                'name': "Call back", 'role': 'supervisor',
                                'office': snj, 'due': due,
                                'resource': str(person)}])),
                ('review line', lambda: Duplicate.create([{
                                'beneficiary': person.id, 'office': snj,
                                'match': kept.id, 'match_office': snj,
                                'score': 90, 'source': 'scan'}])),
                ('case moved', lambda: Case.write([world.case], {
                                'beneficiary': person.id})),
                ('case copied', lambda: Case.copy([world.case], default={
                                'beneficiary': person.id})),
                ]

        before = links_to(twin)
        merged = r'%s.*merged into %s' % (
            re.escape(twin.code), re.escape(kept.code))
        for who, tries in [
                (world.caseworker, attempts(twin)),
                (None, system_attempts(twin))]:
            for what, attempt in tries:
                with self.subTest(what=what):
                    with self.assertRaisesRegex(MergeError, merged):
                        if who:
                            with world.as_(who):
                                attempt()
                        else:
                            attempt()
        # the model and the field are named
        with self.assertRaisesRegex(
                MergeError, r'register the Beneficiary Phone '
                r'\("Beneficiary"\) on %s' % re.escape(kept.code)):
            Phone.create([{'beneficiary': twin.id, 'number': '07709998877'}])
        # not brought back, nor copied, by any way a client has
        with world.as_(world.caseworker):
            with self.assertRaisesRegex(
                    MergeError, merged + '.*stays archived'):
                Beneficiary.write([twin], {'active': True})
            with self.assertRaisesRegex(
                    MergeError, merged + '.*stays archived'):
                Beneficiary.import_data(
                    ['id', 'active'], [[str(twin.id), 'True']])
            with self.assertRaisesRegex(MergeError, merged + '.*not copied'):
                Beneficiary.copy([twin])
        # nothing was written
        self.assertEqual(links_to(twin), before)
        twin = Beneficiary(twin.id)
        self.assertFalse(twin.active)
        self.assertEqual(len(Beneficiary.search([
                        ('active', 'in', [True, False])])), 2)

        # imported by the merged record's number, a note is the kept one's
        with world.as_(world.caseworker):
            Note.import_data(['resource', 'message'], [[
                        'momd.beneficiary,%s' % twin.code, "Imported"]])
        imported, = Note.search([('message', '=', "Imported")])
        self.assertEqual(imported.resource, kept)

        # the kept record takes everything refused to the merged one
        Office = pool.get('momd.office')
        Office.write([office('SNJ')], {
                'supervisors': [('add', [world.caseworker.id])]})
        for who, tries in [
                (world.caseworker, attempts(kept)),
                (None, system_attempts(kept))]:
            for what, attempt in tries:
                with self.subTest(what=what, person='kept'):
                    if who:
                        with world.as_(who):
                            attempt()
                    else:
                        attempt()
        self.assertEqual(len(Case.search([('beneficiary', '=', kept.id)])), 3)
        self.assertEqual(links_to(twin), before)

    @with_transaction()
    def test_merge_provider_holding_both(self):
        """Provider A holds a referral of each record of the returnee: it
        never reads which record a referral is about, so the merge does not
        tell it that the two are one person; the ministry's staff read the
        one person on both"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        world = MergeWorld()
        case = open_case(world.mosul, ['legal.aid'])
        second, = Referral.create([{
                    'case': case.id, 'need': case.needs[0].id,
                    'provider_service': world.provider_a.services[0].id,
                    'reason': "Civil documentation",
                    'caseworker': world.caseworker.id}])
        Referral.send([second])
        held = [world.referral.id, second.id]
        names = PERSONAL + KEPT + ['beneficiary', 'case']

        def provider_reads(when=None):
            with world.as_(world.alice), Transaction().set_context(
                    _datetime=when):
                rows = Referral.read(held, names)
                rows += Referral.search_read(
                    [('id', 'in', held)], fields_names=names)
            return sorted(rows, key=lambda r: r['id'])

        before = provider_reads()
        self.assertEqual([r['beneficiary'] for r in before], [None] * 4)
        # the referrals are of two records today
        with world.as_(world.manager):
            self.assertEqual(
                [r['beneficiary'] for r in Referral.read(held, [
                            'beneficiary'])],
                [world.beneficiary.id, world.mosul.id])
        then = dt.datetime.now()

        run_merge(world.manager, [world.mosul, world.beneficiary])

        with world.as_(world.manager):
            self.assertEqual(
                [r['beneficiary'] for r in Referral.read(held, [
                            'beneficiary'])],
                [world.beneficiary.id] * 2)
        self.assertEqual(provider_reads(), before)
        self.assertEqual(
            [r['beneficiary'] for r in provider_reads(then)], [None] * 4)


class MergedRecordArabicTestMixin:

    @with_transaction(context={'language': 'ar'})
    def test_merged_record_refused_in_arabic(self):
        """A caseworker working in Arabic adds a phone to the merged record:
        told in Arabic, both numbers named"""
        pool = Pool()
        Phone = pool.get('momd.beneficiary.phone')
        world = TwinWorld()
        with world.as_(world.caseworker):
            with self.assertRaisesRegex(MergeError,
                    'دُمج المستفيد \u2066%s\u2069 في \u2066%s\u2069' % (
                        re.escape(world.twin.code),
                        re.escape(world.kept.code))):
                Phone.create([{
                            'beneficiary': world.twin.id,
                            'number': '07709998877'}])
        self.assertEqual(
            Phone.search([('beneficiary', '=', world.twin.id)]), [])

    @with_transaction()
    def test_merged_record_erased_and_listed(self):
        """The record merged into a person's is the same person's: their
        subject access request lists it, and erasing the person (on request
        or at the end of retention) erases its names and phones too, in its
        history as well"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Office = pool.get('momd.office')
        Report = pool.get('momd.beneficiary.personal_data', type='report')
        supervisor = create_user(
            'sup', groups=['group_supervisor'], offices=[office('SNJ')])
        Office.write([office('SNJ')], {
                'supervisors': [('add', [supervisor.id])]})
        kept = register('SNJ')
        twin = register('SNJ', first_name_latin='Khaled',
            phones=[('create', [{'number': '07701234567'}])])
        older = register('SNJ', first_name_latin='Khalid')
        # an older record merged into the twin first, then the twin into
        # the kept one
        run_merge(supervisor, [twin, older])
        run_merge(supervisor, [kept, twin])
        self.assertEqual(
            [r.id for r in Beneficiary.merged_records([kept])],
            [twin.id, older.id])

        _, content, _, _ = Report.execute([kept.id], {})
        sheet = load_workbook(io.BytesIO(content))[
            gettext('momd_referral.msg_personal_data_merged')]
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual({r[0] for r in rows[1:]}, {twin.code, older.code})

        Beneficiary.anonymise([kept], "Asked for it")
        with inactive_records():
            for record in Beneficiary.browse([kept, twin, older]):
                self.assertEqual(record.first_name, ERASED)
                self.assertIsNotNone(record.anonymised)
            self.assertEqual(
                [p.number for p in Beneficiary(twin.id).phones], [])
        cursor = Transaction().connection.cursor()
        history = Beneficiary.__table_history__()
        cursor.execute(*history.select(history.first_name_latin,
                where=history.id.in_([twin.id, older.id])))
        self.assertEqual({n for n, in cursor} - {None}, set())

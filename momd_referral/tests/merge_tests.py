"""Two records of one person merged: tests mixed into the module test case,
each told as what the people involved do."""
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..exceptions import MergeError
from .disclosure_tests import KEPT, PERSONAL, DisclosureWorld, age_history
from .referral_tests import give_consent
from .registry_tests import office, open_case, register
from .tools import create_user


class MergeWorld(DisclosureWorld):
    """A returnee registered in Sinjar (referred to Provider A, Alice, with
    identity, contact and needs disclosed) and again in Mosul, with a case
    referred to Provider B (Bob), a document, a note and a file"""

    def __init__(self, phone='07501112233'):
        pool = Pool()
        Referral = pool.get('momd.referral')
        Note = pool.get('ir.note')
        Attachment = pool.get('ir.attachment')
        super().__init__()
        self.manager = create_user(
            'mgr', groups=['group_manager', 'group_export'])
        self.mosul_supervisor = create_user(
            'msl-sup', groups=['group_supervisor'], offices=[office('MSL')])
        self.mosul = register('MSL',
            first_name_latin='Khalid', family_name_latin='Al-Jubouri',
            current_location=self.beneficiary.current_location.id,
            phones=[('create', [{'number': phone}])],
            identifiers=[('create', [{
                                'type': 'national_id',
                                'number': '199012345678'}])])
        self.mosul_case = open_case(self.mosul, ['legal.aid'])
        self.mosul_consent = give_consent(self.mosul)
        self.mosul_referral, = Referral.create([{
                    'case': self.mosul_case.id,
                    'need': self.mosul_case.needs[0].id,
                    'provider_service': self.provider_b.services[0].id,
                    'reason': "Civil documentation",
                    'caseworker': self.caseworker.id}])
        Referral.send([self.mosul_referral])
        self.mosul_note, = Note.create([{
                    'resource': str(self.mosul),
                    'message': "Came back from Turkey in spring"}])
        self.mosul_file, = Attachment.create([{
                    'resource': str(self.mosul), 'name': 'id-card.txt',
                    'data': b'ID card scan'}])

    def reads(self, user, when=None):
        """Everything a focal point reads: the referrals with the person's
        fields, their counts, the people and cases it may count, the past"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Beneficiary = pool.get('momd.beneficiary')
        Case = pool.get('momd.case')
        seen = []
        with self.as_(user), Transaction().set_context(_datetime=when):
            referrals = Referral.search([], order=[('id', 'ASC')])
            seen.append(Referral.read(
                    [r.id for r in referrals], PERSONAL + KEPT))
            seen.append(Referral.search_count([]))
            for Model in [Beneficiary, Case]:
                try:
                    seen.append(Model.search_count([]))
                except AccessError:
                    seen.append('refused')
            if when is None:
                seen.append([Referral.history_revisions([r.id])
                        for r in referrals])
        return seen


def run_merge(user, records, reason="Same national ID card and phone",
        choices=None, start=None, model='momd.beneficiary'):
    """The supervisor selects records in a list and merges them: the
    wizard's window as shown, or what start changes of it, then Merge"""
    Wizard = Pool().get('momd.beneficiary.merge', type='wizard')
    ids = [r.id for r in records]
    with Transaction().set_user(user.id), Transaction().set_context(
            _check_access=True, active_model=model, active_id=ids[0],
            active_ids=ids):
        session_id, _, _ = Wizard.create()
        shown = Wizard.execute(session_id, {}, 'start')['view']['defaults']
        values = [dict(v) for v in shown['values']]
        for value in values:
            value['choice'] = (choices or {}).get(
                value['name'], value['choice'])
        data = {
            'kept': shown['kept'], 'other': shown['other'],
            'values': values, 'reason': reason, **(start or {})}
        Wizard.execute(session_id, {'start': data}, 'merge')
    return shown


class MergeTestMixin:

    @with_transaction()
    def test_merge_returnee_two_offices(self):
        """A returnee registered in Sinjar and again in Mosul, each with a
        case and a referral: the manager merges them. One person with both
        cases and referrals, the Mosul number finds the Sinjar record, the
        history stays readable, and neither provider sees anything new"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Case = pool.get('momd.case')
        Referral = pool.get('momd.referral')
        Note = pool.get('ir.note')
        Attachment = pool.get('ir.attachment')
        AccessLog = pool.get('momd.access.log')
        world = MergeWorld()
        kept, other = world.beneficiary, world.mosul
        then = age_history()
        before = {u: world.reads(u) for u in (world.alice, world.bob)}
        past = {u: world.reads(u, then) for u in (world.alice, world.bob)}

        shown = run_merge(world.manager, [other, kept])
        # the record registered first is kept; a value only the other
        # record has is taken from it
        self.assertEqual((shown['kept'], shown['other']), (kept.id, other.id))
        choices = {v['name']: v for v in shown['values']}
        self.assertEqual(choices['name_latin']['choice'], 'other')
        self.assertEqual(
            choices['name_latin']['other_value'], 'Khalid Al-Jubouri')
        self.assertEqual(choices['name']['choice'], 'kept')

        kept, other = Beneficiary(kept.id), Beneficiary(other.id)
        self.assertEqual(kept.first_name_latin, 'Khalid')
        self.assertEqual(
            {c.id for c in kept.cases}, {world.case.id, world.mosul_case.id})
        self.assertEqual(
            set(Referral.search([('beneficiary', '=', kept.id)])),
            {world.referral, world.mosul_referral})
        self.assertEqual(
            {c.id for c in kept.consents},
            {world.consent.id, world.mosul_consent.id})
        # the phone both records had is kept once; the document follows
        self.assertEqual([p.number for p in kept.phones], ['+9647501112233'])
        self.assertEqual(
            [i.number for i in kept.identifiers], ['199012345678'])
        self.assertEqual(Note.search([('resource', '=', str(kept))]),
            [world.mosul_note])
        self.assertEqual(Attachment.search([('resource', '=', str(kept))]),
            [world.mosul_file])
        # the other record stays, archived, pointing to the kept one
        self.assertFalse(other.active)
        self.assertEqual(other.merged_into, kept)
        self.assertEqual(other.merged_by, world.manager)
        self.assertTrue(other.merged_date)
        self.assertEqual(other.cases, ())
        # its number finds the person, by every way of searching
        for domain in [
                [('rec_name', 'ilike', '%%%s%%' % other.code)],
                [('rec_name', '=', other.code)],
                [('code', '=', other.code)],
                [('code', 'in', [other.code])]]:
            with self.subTest(domain=domain), world.as_(world.supervisor):
                self.assertEqual(Beneficiary.search(domain), [kept])
        with world.as_(world.supervisor):
            self.assertEqual(
                Beneficiary.search([('code', '!=', other.code)]), [kept])
        # its history stays readable, and that of the moved case
        with world.as_(world.manager):
            self.assertTrue(Beneficiary.history_revisions([other.id]))
            with Transaction().set_context(_datetime=then):
                row, = Beneficiary.read([other.id], ['full_name', 'code'])
                self.assertEqual(row['code'], other.code)
                case, = Case.read([world.mosul_case.id], ['beneficiary'])
                self.assertEqual(case['beneficiary'], other.id)
        # one line in the audit trail, with both numbers and the reason
        line, = AccessLog.search([('action', '=', 'merge')])
        self.assertEqual((line.model, line.record, line.user),
            ('momd.beneficiary', kept.id, world.manager))
        for text in [kept.code, other.code, "Same national ID card"]:
            self.assertIn(text, line.reason)
        # the providers read what they read before, now and of the past
        for user in (world.alice, world.bob):
            with self.subTest(user=user.login):
                self.assertEqual(world.reads(user), before[user])
                self.assertEqual(world.reads(user, then), past[user])
        # a merged record is not changed, nor merged again
        with self.assertRaisesRegex(MergeError, other.code):
            Beneficiary.write([other], {'notes': "Changed"})
        with self.assertRaisesRegex(MergeError, other.code):
            Beneficiary.write([other], {'active': True})
        Phone = pool.get('momd.beneficiary.phone')
        with self.assertRaisesRegex(MergeError, other.code):
            Phone.create([{'beneficiary': other.id, 'number': '07709998877'}])
        third = register('SNJ', first_name='سعيد')
        with self.assertRaisesRegex(MergeError, 'already merged'):
            run_merge(world.manager, [third, other])
        self.assertTrue(Beneficiary(third.id).active)

    @with_transaction()
    def test_merge_no_new_disclosure(self):
        """The Mosul record has another phone: Provider A, who sees the
        Sinjar record's phones, would see it. The merge is refused, naming
        the referral and the field, and nothing is written"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        AccessLog = pool.get('momd.access.log')
        world = MergeWorld(phone='07709998877')
        with self.assertRaisesRegex(MergeError,
                r'Provider A.*%s.*Phones' % world.referral.code):
            run_merge(world.manager, [world.beneficiary, world.mosul])
        other = Beneficiary(world.mosul.id)
        self.assertTrue(other.active)
        self.assertEqual([c.id for c in other.cases], [world.mosul_case.id])
        self.assertEqual(len(other.phones), 1)
        self.assertEqual(AccessLog.search([('action', '=', 'merge')]), [])

    @with_transaction()
    def test_merge_permissions(self):
        """A supervisor merges two records of their office; across offices
        only a manager does; caseworkers and providers never"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Office = pool.get('momd.office')
        world = MergeWorld()
        both = create_user(
            'both-sup', groups=['group_supervisor'],
            offices=[office('SNJ'), office('MSL')])
        Office.write([office('SNJ'), office('MSL')], {
                'supervisors': [('add', [both.id])]})
        Office.write([office('MSL')], {
                'supervisors': [('add', [world.mosul_supervisor.id])]})
        pair = [world.beneficiary, world.mosul]
        # the Mosul supervisor does not even read the Sinjar record
        with self.assertRaises(AccessError):
            run_merge(world.mosul_supervisor, pair)
        # a supervisor of both offices: still not across offices
        with self.assertRaisesRegex(AccessError,
                r'%s.*Sinjar.*%s.*Mosul.*manager' % (
                    world.beneficiary.code, world.mosul.code)):
            run_merge(both, pair)
        for user in [world.caseworker, world.alice]:
            with self.subTest(user=user.login), \
                    self.assertRaises(AccessError):
                run_merge(user, pair)
            # refused by the server also when the wizard is reached
            with self.subTest(user=user.login), \
                    Transaction().set_user(user.id), \
                    self.assertRaisesRegex(AccessError, 'supervisors'):
                Beneficiary.merge_allowed(*pair)
        self.assertTrue(Beneficiary(world.mosul.id).active)
        # two Sinjar records: the Sinjar supervisor merges them, a
        # supervisor working in Sinjar who does not supervise it may not
        twin = register('SNJ', first_name_latin='Khaled')
        Office.write([office('SNJ')], {
                'supervisors': [('add', [world.supervisor.id])]})
        member = create_user(
            'snj-member', groups=['group_supervisor'], offices=[office('SNJ')])
        with self.assertRaisesRegex(
                AccessError, r'do not supervise.*Sinjar.*%s.*%s' % (
                    world.beneficiary.code, twin.code)):
            run_merge(member, [world.beneficiary, twin])
        run_merge(world.supervisor, [world.beneficiary, twin])
        self.assertEqual(Beneficiary(twin.id).merged_into, world.beneficiary)
        run_merge(world.manager, pair)
        self.assertEqual(
            Beneficiary(world.mosul.id).merged_into, world.beneficiary)

    @with_transaction()
    def test_merge_bad_input(self):
        """No reason, the same record twice, one record: refused with the
        field or the record named, nothing written"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        AccessLog = pool.get('momd.access.log')
        world = MergeWorld()
        pair = [world.beneficiary, world.mosul]
        for reason in ['', '   ', None]:
            with self.subTest(reason=reason), \
                    self.assertRaisesRegex(MergeError, '"Reason"'):
                run_merge(world.manager, pair, reason=reason)
        with self.assertRaisesRegex(
                MergeError, '%s.*itself' % world.beneficiary.code):
            run_merge(world.manager, pair, start={
                    'other': world.beneficiary.id})
        with self.assertRaisesRegex(MergeError, 'Select two'):
            run_merge(world.manager, [world.beneficiary])
        self.assertTrue(Beneficiary(world.mosul.id).active)
        self.assertEqual(len(Beneficiary(world.beneficiary.id).cases), 1)
        self.assertEqual(AccessLog.search([('action', '=', 'merge')]), [])

    @with_transaction()
    def test_merge_from_review_queue(self):
        """The supervisor reviews a possible duplicate and presses Same
        Person: Merge; the record registered before is kept, the line is
        decided one person, the other lines of the merged record are the
        kept record's"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Duplicate = pool.get('momd.beneficiary.duplicate')
        world = MergeWorld()
        kept, other = world.beneficiary, world.mosul
        third = register('HMD', first_name='سعيد')
        lines = {}
        for first, second in [(other, kept), (other, third)]:
            found = Duplicate.search([
                    ('beneficiary', '=', first.id),
                    ('match', '=', second.id)])
            if not found:
                found = Duplicate.create([{
                            'beneficiary': first.id,
                            'office': first.office.id,
                            'match': second.id,
                            'match_office': second.office.id,
                            'score': 90, 'source': 'scan'}])
            lines[second], = found
        with world.as_(world.manager):
            action = Duplicate.merge([Duplicate(lines[kept].id)])
        self.assertEqual(action, pool.get('ir.model.data').get_id(
                'momd_referral', 'wizard_beneficiary_merge_duplicate'))
        shown = run_merge(world.manager, [lines[kept]],
            model='momd.beneficiary.duplicate')
        self.assertEqual((shown['kept'], shown['other']), (kept.id, other.id))
        line = Duplicate(lines[kept].id)
        self.assertEqual((line.state, line.decided_by, line.reason),
            ('same', world.manager, "Same national ID card and phone"))
        self.assertEqual(Beneficiary(other.id).merged_into, kept)
        # the pair with a third person is now the kept record's
        line = Duplicate(lines[third].id)
        self.assertEqual((line.state, line.beneficiary, line.office),
            ('open', kept, kept.office))
        # decided, the line merges nothing again
        with self.assertRaisesRegex(MergeError, 'already merged'):
            run_merge(world.manager, [lines[kept]],
                model='momd.beneficiary.duplicate')

    @with_transaction()
    def test_merge_household(self):
        """The person registered twice in Sinjar heads a household on the
        second record: the kept record, without a household, joins it as
        its head; a head whose household is not the one kept is refused"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Household = pool.get('momd.household')
        world = MergeWorld()
        Office = pool.get('momd.office')
        Office.write([office('SNJ')], {
                'supervisors': [('add', [world.supervisor.id])]})
        kept = world.beneficiary
        twin = register('SNJ', first_name_latin='Khaled')
        wife = register('SNJ', first_name='فاطمة', sex='female')
        household, = Household.create([{
                    'office': office('SNJ').id,
                    'members': [('add', [twin.id, wife.id])]}])
        Household.write([household], {'head': twin.id})
        Beneficiary.write([Beneficiary(twin.id)], {'relationship': 'head'})
        shown = run_merge(world.supervisor, [kept, twin])
        choice, = [v for v in shown['values'] if v['name'] == 'household']
        self.assertEqual(choice['choice'], 'other')
        household = Household(household.id)
        self.assertEqual(household.head, kept)
        self.assertEqual(set(household.members), {kept, wife})
        self.assertEqual(Beneficiary(kept.id).relationship, 'head')
        self.assertIsNone(Beneficiary(twin.id).household)
        # the wife's other record heads her household: keeping none is
        # refused, naming the record and the household
        other_wife = register('SNJ', first_name='فاطمة', sex='female')
        second, = Household.create([{
                    'office': office('SNJ').id,
                    'members': [('add', [other_wife.id])]}])
        Household.write([second], {'head': other_wife.id})
        with self.assertRaisesRegex(
                MergeError, '%s.*household' % other_wife.code):
            run_merge(world.supervisor, [wife, other_wife],
                choices={'household': 'kept'})
        self.assertTrue(Beneficiary(other_wife.id).active)
        self.assertEqual(Household(second.id).head, other_wife)

    @with_transaction()
    def test_merge_follows_every_link(self):
        """Every stored link to a beneficiary, in every model, is one the
        merge moves: a model added later is covered"""
        Beneficiary = Pool().get('momd.beneficiary')
        found = {(M.__name__, n) for M, n in Beneficiary.merge_references()}
        for link in [
                ('momd.case', 'beneficiary'), ('momd.consent', 'beneficiary'),
                ('momd.beneficiary.phone', 'beneficiary'),
                ('momd.beneficiary.identifier', 'beneficiary'),
                ('momd.household', 'head'),
                ('momd.outbox.message', 'beneficiary'),
                ('momd.activity', 'resource'), ('ir.note', 'resource'),
                ('ir.attachment', 'resource')]:
            self.assertIn(link, found)
        # computed fields are not stored links
        self.assertNotIn(('momd.referral', 'beneficiary'), found)


class MergeArabicTestMixin:

    @with_transaction(context={'language': 'ar'})
    def test_merge_refused_in_arabic(self):
        """A manager working in Arabic forgets the reason; a supervisor
        tries across offices: each is told in Arabic, the field and the
        registration numbers named"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Office = pool.get('momd.office')
        world = MergeWorld()
        pair = [world.beneficiary, world.mosul]
        with self.assertRaisesRegex(MergeError, 'أدخل "السبب" لدمج \u2066%s' % (
                    world.mosul.code)):
            run_merge(world.manager, pair, reason='')
        Office.write([office('SNJ'), office('MSL')], {
                'supervisors': [('add', [world.supervisor.id])]})
        with self.assertRaisesRegex(AccessError,
                '\u2066%s\u2069 .*مكتبين مختلفين.*مدير في الوزارة' % (
                    world.beneficiary.code)):
            run_merge(world.supervisor, pair)
        self.assertTrue(Beneficiary(world.mosul.id).active)

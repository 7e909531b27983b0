"Tests of the referral workflow, mixed into the module test case."
from trytond.model.exceptions import AccessError, DomainValidationError
from trytond.model.modelview import AccessButtonError
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..exceptions import CaseValidationError, ReferralValidationError
from ..models.search_scope import single_values
from .provider_tests import create_provider, location
from .registry_tests import category, office, open_case, register
from .tools import create_user


def give_consent(beneficiary, groups=('identity', 'contact', 'needs'),
        **values):
    Consent = Pool().get('momd.consent')
    consent, = Consent.create([{
                'beneficiary': beneficiary.id, 'purpose': "Referral",
                'information_groups': list(groups), **values}])
    Consent.activate([consent])
    return consent


def to_close_domain():
    "The domain of the To Close tab of the referrals"
    pool = Pool()
    Domain = pool.get('ir.action.act_window.domain')
    ModelData = pool.get('ir.model.data')
    return PYSONDecoder({}).decode(Domain(ModelData.get_id(
                'momd_referral', 'act_referral_form_domain_5')).domain)


class ReferralWorld:
    "A Sinjar case with a need, two providers with focal points, users"

    def __init__(self, need_code='legal.aid', consent=True, sensitive=False):
        # each may export what they may read (a permission of its own)
        extra = ['group_export'] + (['group_sensitive'] if sensitive else [])
        self.caseworker = create_user(
            'cw', groups=['group_caseworker'] + extra,
            offices=[office('SNJ')])
        self.supervisor = create_user(
            'sup', groups=['group_supervisor'] + extra,
            offices=[office('SNJ')])
        self.alice = create_user(
            'alice', groups=['group_provider', 'group_export'])
        self.bob = create_user(
            'bob', groups=['group_provider', 'group_export'])
        self.provider_a = create_provider("Provider A", services=[{
                    'category': need_code.split('.')[0],
                    'locations': ['Sinjar']}], focal_points=[self.alice])
        self.provider_b = create_provider("Provider B", services=[{
                    'category': need_code.split('.')[0],
                    'locations': ['Nineveh']}], focal_points=[self.bob])
        # living in Sinjar, where the services of both providers reach
        self.beneficiary = register(
            current_location=location('Sinjar Centre').id,
            phones=[('create', [{'number': '07501112233'}])])
        self.case = open_case(self.beneficiary, [need_code])
        self.need = self.case.needs[0]
        self.consent = give_consent(self.beneficiary) if consent else None

    def referral(self, provider=None, **values):
        Referral = Pool().get('momd.referral')
        provider = provider or self.provider_a
        referral, = Referral.create([{
                    'case': self.case.id, 'need': self.need.id,
                    'provider_service': provider.services[0].id,
                    'reason': "Needs help with the house deed",
                    'caseworker': self.caseworker.id, **values}])
        return referral

    def as_(self, user):
        return _As(user)


class _As:
    def __init__(self, user):
        self.user = user

    def __enter__(self):
        transaction = Transaction()
        self._user = transaction.set_user(self.user.id)
        self._user.__enter__()
        self._context = transaction.set_context(_check_access=True)
        self._context.__enter__()

    def __exit__(self, *args):
        self._context.__exit__(*args)
        self._user.__exit__(*args)


class ReferralTestMixin:

    @with_transaction()
    def test_referral_loop(self):
        "Sent by the caseworker, answered by the provider, closed: need met"
        pool = Pool()
        Referral = pool.get('momd.referral')
        world = ReferralWorld()
        world.beneficiary.current_location = location('Sinjar Centre')
        world.beneficiary.save()
        referral = world.referral()
        self.assertRegex(referral.code, r'^NIN-REF-\d{4}-\d{6}$')
        self.assertEqual(referral.provider, world.provider_a)
        # the district where the person lives, for the lists and reports
        self.assertEqual(referral.district, location('Sinjar'))
        self.assertEqual(Referral.search([
                    ('district.name_en', '=', 'Sinjar')]), [referral])
        self.assertEqual(
            referral.steps.split(' \u203a ')[:3],
            ['\u25cf Draft', '\u25cb Sent', '\u25cb Accepted'])
        with world.as_(world.caseworker):
            Referral.send([Referral(referral.id)])
        referral = Referral(referral.id)
        self.assertEqual(referral.state, 'sent')
        self.assertEqual(referral.consent, world.consent)
        self.assertEqual(referral.need.status, 'referred')
        with world.as_(world.alice):
            Referral.accept([Referral(referral.id)])
            Referral.start([Referral(referral.id)])
            with self.assertRaisesRegex(
                    ReferralValidationError, '"Outcome"'):
                Referral.complete([Referral(referral.id)])
            Referral.write([Referral(referral.id)], {
                    'outcome': 'provided',
                    'outcome_feedback': "Deed replaced"})
            Referral.complete([Referral(referral.id)])
        with world.as_(world.caseworker):
            Referral.close([Referral(referral.id)])
        referral = Referral(referral.id)
        self.assertEqual(referral.state, 'closed')
        self.assertEqual(referral.need.status, 'met')
        self.assertTrue(all([referral.sent_date, referral.answered_date,
                    referral.started_date, referral.completed_date,
                    referral.closed_date]))
        self.assertEqual(referral.steps, ' \u203a '.join(
                '\u2714 ' + s for s in [
                    'Draft', 'Sent', 'Accepted', 'In Progress',
                    'Completed'])
            + ' \u203a \u25cf Closed')

    @with_transaction()
    def test_referral_decline_redirect(self):
        "Declined with a reason, redirected in one click to another"
        Referral = Pool().get('momd.referral')
        world = ReferralWorld()
        referral = world.referral()
        Referral.send([referral])
        with world.as_(world.alice):
            with self.assertRaisesRegex(
                    ReferralValidationError, '"Decline Reason"'):
                Referral.decline([Referral(referral.id)])
            Referral.write([Referral(referral.id)], {
                    'decline_reason': 'no_capacity'})
            Referral.decline([Referral(referral.id)])
        to_close = to_close_domain()
        with world.as_(world.caseworker):
            self.assertEqual(Referral.search(to_close), [referral])
            Referral.redirect([Referral(referral.id)])
            # redirected: nothing left to do with it
            self.assertEqual(Referral.search(to_close), [])
        self.assertEqual(Referral(referral.id).steps,
            '\u2714 Draft \u203a \u2714 Sent \u203a \u2716 Declined')
        new, = Referral(referral.id).redirections
        self.assertEqual((new.state, new.need), ('draft', referral.need))
        self.assertNotEqual(new.code, referral.code)
        with self.assertRaisesRegex(
                ReferralValidationError, '"Provider Service"'):
            Referral.send([new])
        new.provider_service = world.provider_b.services[0]
        new.save()
        Referral.send([new])
        with world.as_(world.bob):
            Referral.accept([Referral(new.id)])
        self.assertEqual(Referral(new.id).state, 'accepted')

    @with_transaction()
    def test_referral_consent_enforced(self):
        "No consent, or less than disclosed: the referral does not leave"
        pool = Pool()
        Referral = pool.get('momd.referral')
        Consent = pool.get('momd.consent')
        world = ReferralWorld(consent=False)
        referral = world.referral()
        with self.assertRaisesRegex(
                ReferralValidationError, '"Information Disclosed"'):
            Referral.send([referral])
        self.assertEqual(referral.state, 'draft')
        give_consent(world.beneficiary, groups=['identity'])
        with self.assertRaisesRegex(
                ReferralValidationError, '"Information Disclosed"'):
            Referral.send([referral])
        referral.disclosed_groups = ['identity']
        referral.save()
        Referral.send([referral])
        self.assertEqual(referral.state, 'sent')
        # revoking the consent cuts what the provider sees at once
        with world.as_(world.alice):
            seen, = Referral.read([referral.id], ['beneficiary_name'])
        self.assertTrue(seen['beneficiary_name'])
        consent = referral.consent
        consent.revocation_reason = "Changed her mind"
        consent.save()
        Consent.revoke([consent])
        with world.as_(world.alice):
            seen, = Referral.read([referral.id], ['beneficiary_name'])
        self.assertIsNone(seen['beneficiary_name'])

    @with_transaction()
    def test_referral_already_changed(self):
        "A second answer to a referral already answered is told so"
        Referral = Pool().get('momd.referral')
        world = ReferralWorld()
        referral = world.referral()
        Referral.send([referral])
        with world.as_(world.alice):
            Referral.accept([Referral(referral.id)])
            with self.assertRaisesRegex(
                    ReferralValidationError, 'changed meanwhile'):
                Referral.accept([Referral(referral.id)])
        with world.as_(world.bob):
            # of another provider's referral, not even its state
            with self.assertRaises(AccessError):
                Referral.decline([Referral(referral.id)])

    @with_transaction()
    def test_referral_duplicate(self):
        "One open referral per need and provider service"
        world = ReferralWorld()
        first = world.referral()
        with self.assertRaisesRegex(ReferralValidationError, first.code):
            world.referral()

    @with_transaction()
    def test_referral_service_for_the_need(self):
        """The service is of the need's category, one above or one below it;
        another is refused, naming the field"""
        world = ReferralWorld(need_code='legal.aid')
        # Provider A serves legal help in general: above legal aid
        self.assertTrue(world.referral())
        housing = create_provider("Housing", services=[{
                    'category': 'hlp.rent', 'locations': ['Sinjar']}])
        with self.assertRaisesRegex(
                DomainValidationError, '"Provider Service"'):
            world.referral(provider=housing)
        # and a need for legal help in general may go to a legal aid service
        general = open_case(register(first_name='سالم'), ['legal'])
        aid = create_provider("Legal Aid", services=[{
                    'category': 'legal.aid', 'locations': ['Sinjar']}])
        self.assertTrue(world.referral(provider=aid, case=general.id,
                need=general.needs[0].id))
        # the draft moved to a need the service is not for: refused too
        Need = Pool().get('momd.need')
        rent, = Need.create([{'case': world.case.id, 'priority': 'normal',
                    'category': category('hlp.rent').id}])
        draft = world.referral(provider=world.provider_b)
        draft.need = rent
        with self.assertRaisesRegex(
                DomainValidationError, '"Provider Service"'):
            draft.save()

    @with_transaction()
    def test_referral_from_find_providers(self):
        """Find Providers from a need lists the services; one of them is
        picked with the reason and the draft referral opens"""
        pool = Pool()
        Match = pool.get('momd.provider.match', type='wizard')
        Referral = pool.get('momd.referral')
        world = ReferralWorld()
        with world.as_(world.caseworker), Transaction().set_context(
                active_model='momd.need', active_id=world.need.id,
                active_ids=[world.need.id]):
            session_id, _, _ = Match.create()
            start = {k: v for k, v in Match.execute(
                    session_id, {}, 'start')['view']['defaults'].items()
                if '.' not in k}
            self.assertEqual(start['category'], world.need.category.id)
            # the caseworker says where the person lives now
            start['location'] = location('Sinjar').id
            found = Match.execute(session_id, {'start': start}, 'result')[
                'view']['defaults']
            self.assertEqual(found['need'], world.need.id)
            services = [s.id for s in world.provider_b.services
                + world.provider_a.services]
            self.assertEqual(sorted(found['services']), sorted(services))
            result = Match.execute(session_id, {
                    'start': start,
                    'result': {
                        'services': found['services'],
                        'need': found['need'],
                        'service': world.provider_b.services[0].id,
                        'reason': "Needs help with the house deed",
                        }}, 'refer')
            action, = result['actions']
            referral, = Referral.browse(action[0]['res_id'])
            self.assertEqual(action[0]['views'][0][1], 'form')
            self.assertEqual(referral.state, 'draft')
            self.assertEqual(referral.need, world.need)
            self.assertEqual(referral.provider, world.provider_b)
            self.assertEqual(referral.caseworker, world.caseworker)
            self.assertEqual(referral.priority, world.need.priority)
            self.assertEqual(
                referral.reason, "Needs help with the house deed")
            Match.delete(session_id)

    @with_transaction()
    def test_referral_agreement(self):
        "After the data-sharing agreement expires, sending is refused"
        Referral = Pool().get('momd.referral')
        world = ReferralWorld()
        referral = world.referral()
        provider = world.provider_a
        provider.agreement_expiry = provider.agreement_date.replace(
            year=provider.agreement_date.year + 1, month=1, day=1)
        provider.agreement_date = provider.agreement_date.replace(
            year=provider.agreement_date.year - 5)
        provider.agreement_expiry = provider.agreement_date.replace(
            year=provider.agreement_date.year + 1)
        provider.save()
        with self.assertRaisesRegex(
                ReferralValidationError, 'agreement'):
            Referral.send([referral])

    @with_transaction()
    def test_referral_restriction_follows_category(self):
        "A category restricted later hides its referrals from other staff"
        pool = Pool()
        Referral = pool.get('momd.referral')
        Need = pool.get('momd.need')
        world = ReferralWorld()
        referral = world.referral()
        # sent: its service is no longer chosen again
        Referral.send([referral])
        self.assertFalse(referral.restricted)
        with world.as_(world.caseworker):
            self.assertEqual(Referral.search([]), [referral])
        legal = world.need.category
        legal.restricted = True
        legal.save()
        self.assertTrue(Referral(referral.id).restricted)
        with world.as_(world.caseworker):
            self.assertEqual(Referral.search([]), [])
        legal.restricted = False
        legal.save()
        with world.as_(world.caseworker):
            self.assertEqual(Referral.search([]), [referral])
        # the need recorded again under a restricted category
        Need.write([world.need], {'category': category('protection.gbv').id})
        self.assertTrue(Referral(referral.id).restricted)
        with world.as_(world.caseworker):
            self.assertEqual(Referral.search([]), [])
        # and its category with it
        self.assertEqual(Referral.read([referral.id], ['category']),
            [{'id': referral.id, 'category': category('protection.gbv').id}])

    @with_transaction()
    def test_referral_reason_withheld_after_revocation(self):
        "Once the consent is revoked the provider reads no reason either"
        pool = Pool()
        Referral = pool.get('momd.referral')
        Consent = pool.get('momd.consent')
        world = ReferralWorld()
        referral = world.referral()
        Referral.send([referral])
        with world.as_(world.alice):
            seen, = Referral.read([referral.id], ['reason', 'code'])
            self.assertEqual(seen['reason'], "Needs help with the house deed")
            # never searched, never exported: it tells of the person
            with self.assertRaisesRegex(AccessError, '"Reason'):
                Referral.search([('reason', 'ilike', '%deed%')])
            with self.assertRaisesRegex(AccessError, '"Reason'):
                Referral.search_count(
                    ['OR', ('code', '=', 'x'), ('reason', '=', 'x')])
            with self.assertRaisesRegex(AccessError, '"Reason'):
                Referral.export_data([Referral(referral.id)], ['reason'])
        world.consent.revocation_reason = "Changed his mind"
        world.consent.save()
        Consent.revoke([world.consent])
        with world.as_(world.alice):
            seen, = Referral.read([referral.id], ['reason', 'code'])
            self.assertIsNone(seen['reason'])
            self.assertEqual(seen['code'], referral.code)
        # the ministry still reads it
        with world.as_(world.caseworker):
            seen, = Referral.read([referral.id], ['reason'])
            self.assertEqual(seen['reason'], "Needs help with the house deed")
            self.assertEqual(
                Referral.search([('reason', 'ilike', '%deed%')]), [referral])

    @with_transaction()
    def test_consent_revocation_every_provider_path(self):
        """Once the consent is revoked, nothing of the person reaches the
        provider: disclosed fields, reason, notes and files on the
        referral, the printed form, exports"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        Consent = pool.get('momd.consent')
        Note = pool.get('ir.note')
        Attachment = pool.get('ir.attachment')
        Form = pool.get('momd.referral.form', type='report')
        world = ReferralWorld()
        referral = world.referral()
        Referral.send([referral])
        note, = Note.create([{
                    'resource': str(referral), 'message': "Lives with aunt"}])
        attachment, = Attachment.create([{
                    'resource': str(referral), 'name': 'id-card.txt',
                    'data': b'ID 198712345678'}])
        personal = ['beneficiary_name', 'beneficiary_phones', 'reason']

        def provider_sees():
            with world.as_(world.alice):
                row, = Referral.read([referral.id], personal)
                notes = Note.search([('resource', '=', str(referral))])
                files = Attachment.search(
                    [('resource', '=', str(referral))])
                count = Note.search_count([]) + Attachment.search_count([])
                _, pdf, _, _ = Form.execute([referral.id], {})
            return ({k: v for k, v in row.items() if k != 'id' and v},
                notes, files, count, pdf)
        values, notes, files, count, pdf = provider_sees()
        self.assertEqual(set(values), set(personal))
        self.assertEqual((notes, files, count), ([note], [attachment], 2))
        world.consent.revocation_reason = "Changed her mind"
        world.consent.save()
        Consent.revoke([world.consent])
        values_after, notes, files, count, pdf_after = provider_sees()
        self.assertEqual((values_after, notes, files, count), ({}, [], [], 0))
        with world.as_(world.alice):
            with self.assertRaises(AccessError):
                Note.read([note.id], ['message'])
            with self.assertRaises(AccessError):
                Attachment.read([attachment.id], ['data'])
            with self.assertRaises(AccessError):
                Referral.export_data([Referral(referral.id)],
                    ['beneficiary_name'])
        self.assertNotEqual(pdf_after, pdf)
        # the ministry keeps them
        with world.as_(world.caseworker):
            self.assertEqual(
                Note.search([('resource', '=', str(referral))]), [note])

    @with_transaction()
    def test_buttons_of_other_roles_left_out(self):
        "Each role's form shows the buttons it may press, not the others'"
        from lxml import etree
        Referral = Pool().get('momd.referral')
        world = ReferralWorld()
        admin = create_user('adm', groups=['group_admin'])

        def buttons(user):
            with world.as_(user):
                arch = Referral.fields_view_get(view_type='form')['arch']
            return set(etree.fromstring(arch).xpath('//button/@name'))
        caseworker, focal, every = (
            buttons(u) for u in [world.caseworker, world.alice, admin])
        self.assertLessEqual({'send', 'cancel', 'close', 'redirect'},
            caseworker)
        self.assertFalse({'accept', 'decline', 'start', 'complete',
                'approve'} & caseworker)
        self.assertLessEqual({'accept', 'decline', 'start', 'complete'},
            focal)
        self.assertFalse({'send', 'cancel', 'close', 'redirect',
                'approve'} & focal)
        self.assertLessEqual(caseworker | focal | {'approve'}, every)

    @with_transaction()
    def test_case_closes_once_referrals_ended(self):
        """A case is not closed while a referral of it is open (named, or
        not when the user may not know of it); nothing is changed"""
        pool = Pool()
        Case = pool.get('momd.case')
        Need = pool.get('momd.need')
        Referral = pool.get('momd.referral')
        world = ReferralWorld()
        case = world.case
        Case.activate([case])
        case.closure_reason = "Served"
        case.save()
        referral = world.referral()
        Referral.send([referral])
        with world.as_(world.caseworker):
            with self.assertRaisesRegex(CaseValidationError,
                    '"%s".*"%s".*Sent' % (case.rec_name, referral.rec_name)):
                Case.request_closure([Case(case.id)])
        self.assertEqual(Case(case.id).state, 'active')
        Referral.write([referral], {'cancel_reason': "Moved to Erbil"})
        Referral.cancel([referral])
        # a GBV referral, which the caseworker may not know of
        gbv, = Need.create([{'case': case.id,
                    'category': category('protection.gbv').id}])
        protection = create_provider("Provider C", services=[{
                    'category': 'protection', 'locations': ['Sinjar']}])
        hidden = world.referral(protection, need=gbv.id)
        self.assertTrue(hidden.restricted)
        with world.as_(world.caseworker):
            with self.assertRaises(CaseValidationError) as cm:
                Case.request_closure([Case(case.id)])
        message = cm.exception.message
        self.assertIn(case.rec_name, message)
        self.assertNotIn(hidden.rec_name, message)
        self.assertIn('sensitive', message)
        Referral.write([hidden], {'cancel_reason': "Not needed"})
        Referral.cancel([hidden])
        with world.as_(world.caseworker):
            Case.request_closure([Case(case.id)])
        Case.approve_closure([case])
        self.assertEqual(Case(case.id).state, 'closed')
        # nor is a need of a closed case referred
        with self.assertRaisesRegex(ReferralValidationError,
                '"%s" is closed' % case.rec_name):
            world.referral(world.provider_b)

    @with_transaction()
    def test_referral_restricted_needs_approval(self):
        "A GBV referral waits for the supervisor; a caseworker cannot approve"
        Referral = Pool().get('momd.referral')
        world = ReferralWorld(
            need_code='protection.gbv', consent=False, sensitive=True)
        give_consent(world.beneficiary, categories=[
                ('add', [category('protection').id])])
        referral = world.referral()
        Referral.send([referral])
        self.assertEqual(referral.state, 'to_approve')
        with world.as_(world.caseworker):
            with self.assertRaises(AccessButtonError):
                Referral.approve([referral])
        with world.as_(world.supervisor):
            Referral.approve([referral])
        referral = Referral(referral.id)
        self.assertEqual(
            (referral.state, referral.approved_by), ('sent', world.supervisor))

    @with_transaction()
    def test_referral_inbox_domain(self):
        """The inbox's search through the provider's fields finds the
        referrals of the focal point's provider, alone or in an OR, for the
        focal point and for the ministry's staff; a path to no provider
        finds none"""
        pool = Pool()
        Referral = pool.get('momd.referral')
        world = ReferralWorld()
        to_a, to_b = world.referral(), world.referral(world.provider_b)
        Referral.send([to_a, to_b])
        inbox = [('provider.focal_points', '=', world.alice.id),
            ('state', '=', 'sent')]
        with world.as_(world.alice):
            self.assertEqual(Referral.search(inbox), [to_a])
            self.assertEqual(Referral.search_count(inbox), 1)
            # Bob's provider is not hers to search through
            self.assertEqual(Referral.search(
                    [('provider.focal_points', '=', world.bob.id)]), [])
        with world.as_(world.caseworker):
            self.assertEqual(Referral.search(inbox), [to_a])
            self.assertEqual(Referral.search(['OR',
                        ('provider.focal_points', '=', world.bob.id),
                        ('provider', 'where', [
                                ('name_en', '=', "Provider A")]),
                        ], order=[('id', 'ASC')]), [to_a, to_b])
            self.assertEqual(Referral.search(
                    [('provider.name_en', '=', "No such provider")]), [])

    @with_transaction()
    def test_single_values_domain(self):
        """A condition "in" a list of one id is searched as "=" that id (an
        index then gives the rows in the list's order), in the searched
        domain and in the record rules': the same records; lists of more
        ids, and computed fields, are searched as they are"""
        Referral = Pool().get('momd.referral')
        world = ReferralWorld()
        to_a, to_b = world.referral(), world.referral(world.provider_b)
        provider = to_a.provider.id
        self.assertEqual(single_values(Referral, ['OR',
                    ('provider', 'in', [provider]),
                    [('case', 'in', [to_a.case.id, to_b.case.id]),
                        ('id', 'in', (to_b.id,))],
                    ('category', 'in', [to_a.category.id]),
                    ('provider.name_en', 'in', ["Provider A"]),
                    ('provider', 'in', [None])]),
            ['OR', ('provider', '=', provider),
                [('case', 'in', [to_a.case.id, to_b.case.id]),
                    ('id', '=', to_b.id)],
                ('category', 'in', [to_a.category.id]),
                ('provider.name_en', 'in', ["Provider A"]),
                ('provider', 'in', [None])])

        def where(domain):
            return str(Referral.search_domain(domain)[1])
        self.assertEqual(where([('provider', 'in', [provider])]),
            where([('provider', '=', provider)]))
        self.assertNotEqual(where([('provider', 'in', [provider, 0])]),
            where([('provider', '=', provider)]))
        with world.as_(world.caseworker):
            self.assertEqual(Referral.search(
                    [('provider', 'in', [provider])]), [to_a])
            self.assertEqual(Referral.search([('id', 'in', [to_b.id])]),
                [to_b])
            self.assertEqual(Referral.search(
                    [('provider', 'in', [provider, to_b.provider.id])],
                    order=[('id', 'ASC')]), [to_a, to_b])

    @with_transaction()
    def test_referral_provider_isolation(self):
        "Provider B reaches nothing of a referral to provider A"
        Referral = Pool().get('momd.referral')
        world = ReferralWorld()
        draft = world.referral()
        with world.as_(world.alice):
            self.assertEqual(Referral.search([]), [])  # drafts stay home
        # nor do referrals cancelled before they were sent
        unsent = world.referral(provider=world.provider_b)
        Referral.write([unsent], {'cancel_reason': "Moved to Erbil"})
        Referral.cancel([unsent])
        with world.as_(world.bob):
            self.assertEqual(Referral.search([]), [])
            with self.assertRaises(AccessError):
                Referral.read([unsent.id], ['code'])
        Referral.send([draft])
        with world.as_(world.bob):
            self.assertEqual(Referral.search([]), [])
            self.assertEqual(Referral.search_count([]), 0)
            # nor through the ministry's records it points to
            with self.assertRaises(AccessError):
                Referral.search([('need.category.code', '=', 'legal.aid')])
            for name, call in [
                    ('read', lambda: Referral.read(
                            [draft.id], ['beneficiary_name'])),
                    ('export', lambda: Referral.export_data(
                            [Referral(draft.id)], ['code'])),
                    ('accept', lambda: Referral.accept([Referral(draft.id)])),
                    ]:
                with self.subTest(call=name):
                    with self.assertRaises(AccessError):
                        call()
        with world.as_(world.alice):
            seen, = Referral.read([draft.id], [
                    'beneficiary_name', 'beneficiary_phones',
                    'beneficiary_documents', 'beneficiary_vulnerabilities'])
            self.assertEqual(seen['beneficiary_phones'], '+9647501112233')
            # documents and vulnerabilities were not disclosed
            self.assertIsNone(seen['beneficiary_documents'])
            self.assertIsNone(seen['beneficiary_vulnerabilities'])
            # the registry itself stays closed
            with self.assertRaises(AccessError):
                Pool().get('momd.beneficiary').read(
                    [world.beneficiary.id], ['full_name'])
            # and what the ministry decides is not theirs to change
            with self.assertRaises(AccessError):
                Referral.write([Referral(draft.id)], {
                        'disclosed_groups': ['identity', 'documents']})

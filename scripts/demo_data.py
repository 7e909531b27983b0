#!/usr/bin/env python3
"""Add realistic demo records to a momd_referral database (TRYTOND_CONFIG
names its configuration): households of returnees and displaced people in
the four Nineveh offices, with consent, cases and needs. Deterministic:
the same seed gives the same people.

    python scripts/demo_data.py DB [--people 200]
"""
import argparse
import contextlib
import datetime as dt
import os
import random
import sys

sys.path.insert(0, os.path.dirname(__file__))

from trytond.exceptions import UserError  # noqa: E402
from trytond.pool import Pool  # noqa: E402
from trytond.transaction import Transaction  # noqa: E402

from momd_referral.exceptions import ReferralCapacityError  # noqa: E402
from momd_referral.models.outreach import COUNTS  # noqa: E402
from demo_providers import FOCAL_POINTS, PROVIDERS  # noqa: E402

# (Arabic, Latin) names; the communities of each office differ
MALE = {
    'common': [('أحمد', 'Ahmed'), ('محمد', 'Mohammed'), ('علي', 'Ali'),
        ('عمر', 'Omar'), ('حسن', 'Hassan'), ('إبراهيم', 'Ibrahim'),
        ('خالد', 'Khalid'), ('مصطفى', 'Mustafa'), ('يونس', 'Younis'),
        ('سعد', 'Saad'), ('محمود', 'Mahmoud'), ('عبد الله', 'Abdullah')],
    'SNJ': [('خدر', 'Khudher'), ('إلياس', 'Elias'), ('نايف', 'Naif'),
        ('دخيل', 'Dakhil'), ('حجي', 'Hajji'), ('قاسم', 'Qasim'),
        ('بركات', 'Barakat'), ('شمو', 'Shammo')],
    'HMD': [('يوسف', 'Youssef'), ('بطرس', 'Botros'), ('متي', 'Matti'),
        ('حنا', 'Hanna'), ('جرجيس', 'Georgis'), ('نبيل', 'Nabil'),
        ('سامي', 'Sami'), ('فادي', 'Fadi')],
    'TLF': [('حسين', 'Hussein'), ('عباس', 'Abbas'), ('جاسم', 'Jasim'),
        ('قاسم', 'Qasim'), ('رضا', 'Ridha'), ('كريم', 'Karim')],
    }
FEMALE = {
    'common': [('فاطمة', 'Fatima'), ('زينب', 'Zainab'), ('مريم', 'Maryam'),
        ('سارة', 'Sara'), ('نور', 'Noor'), ('هدى', 'Huda'),
        ('أسماء', 'Asmaa'), ('رقية', 'Ruqaya'), ('آمنة', 'Amina')],
    'SNJ': [('نسرين', 'Nisreen'), ('شيرين', 'Shireen'), ('جيهان', 'Jihan'),
        ('ليلى', 'Layla'), ('بفرين', 'Bafreen')],
    'HMD': [('مريم', 'Mariam'), ('ماري', 'Mary'), ('رنا', 'Rana'),
        ('سوزان', 'Suzan'), ('ريتا', 'Rita')],
    'TLF': [('زهراء', 'Zahraa'), ('كوثر', 'Kawthar'), ('سكينة', 'Sakina')],
    }
FAMILY = {
    'MSL': [('الجبوري', 'Al-Jubouri'), ('الطائي', 'Al-Taie'),
        ('العبيدي', 'Al-Obaidi'), ('الحمداني', 'Al-Hamdani'),
        ('السبعاوي', 'Al-Sabawi'), ('اللهيبي', 'Al-Luhaibi'),
        ('النعيمي', 'Al-Nuaimi'), ('الشمري', 'Al-Shammari')],
    'SNJ': [('', ''), ('', ''), ('الشمري', 'Al-Shammari')],
    'HMD': [('متي', 'Matti'), ('كوركيس', 'Gorgis'), ('ججو', 'Jajo'),
        ('بهنام', 'Behnam'), ('الحمداني', 'Al-Hamdani')],
    'TLF': [('التلعفري', 'Al-Talafari'), ('البياتي', 'Al-Bayati'),
        ('الصالحي', 'Al-Salihi'), ('الآغا', 'Al-Agha')],
    }
# Countries people return from. A production database imports every
# country with trytond_import_countries (deploy/README.md); the demo creates
# the few it uses when they are missing.
COUNTRY_NAMES = {
    'IQ': ('Iraq', 'العراق'), 'DE': ('Germany', 'ألمانيا'),
    'TR': ('Türkiye', 'تركيا'), 'SE': ('Sweden', 'السويد'),
    'NL': ('Netherlands', 'هولندا'), 'BE': ('Belgium', 'بلجيكا'),
    'AT': ('Austria', 'النمسا'), 'GB': ('United Kingdom', 'المملكة المتحدة'),
    'JO': ('Jordan', 'الأردن'), 'LB': ('Lebanon', 'لبنان'),
    'SY': ('Syria', 'سوريا'),
    }
COUNTRIES = [c for c in COUNTRY_NAMES if c != 'IQ']
NEEDS = {
    'returnee_abroad': ['hlp.rent', 'civil_documentation',
        'education.school_registration', 'livelihoods.job_placement',
        'legal.aid', 'health.mhpss'],
    'returned_idp': ['hlp.reconstruction', 'hlp.property_claims',
        'livelihoods.vocational_training', 'civil_documentation',
        'basic_needs.nfi'],
    'idp_in_camp': ['basic_needs.cash', 'civil_documentation',
        'education.catch_up', 'health.care', 'health.mhpss'],
    'idp_out_camp': ['hlp.rent', 'basic_needs.cash',
        'livelihoods.business_grants', 'legal.women_counselling'],
    'host_community': ['livelihoods.vocational_training', 'health.care'],
    }


def configure_outbox(pool, db):
    """Messages to beneficiaries go to a file next to the database, one JSON
    line each (Configuration › Messages to Beneficiaries)"""
    from trytond.config import config
    Configuration = pool.get('momd.configuration')
    folder = config.get('database', 'path') or os.getcwd()
    configuration = Configuration(1)
    configuration.outbox_gateway = 'file'
    configuration.outbox_file = os.path.join(folder, '%s-outbox.jsonl' % db)
    configuration.save()


def main(db, people):
    rng = random.Random(2026)
    Pool(db).init()
    # the configuration (a singleton, made when a first referral issues
    # its answer link) locks its table when created
    with Transaction().start(db, 0, context={
                'language': 'en'},
            _lock_tables=['momd_configuration']) as transaction:
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        if Beneficiary.search([], limit=1):
            print('demo records already there')
            return
        Office = pool.get('momd.office')
        Location = pool.get('momd.location')
        Country = pool.get('country.country')
        Household = pool.get('momd.household')
        Consent = pool.get('momd.consent')
        Case = pool.get('momd.case')
        Category = pool.get('momd.service.category')
        User = pool.get('res.user')
        Event = pool.get('momd.outreach.event')
        today = pool.get('ir.date').today()
        configure_outbox(pool, db)

        categories = {c.code: c for c in Category.search([])}
        countries = ensure_countries(Country)
        offices = Office.search([('code', 'in', ['MSL', 'HMD', 'SNJ', 'TLF'])])
        per_office = max(people // len(offices), 1)
        total = 0
        for office in offices:
            code = office.code
            places = Location.search([
                    ('parent', 'child_of', [l.id for l in office.locations]),
                    ('level', '=', 'subdistrict'),
                    ])
            caseworkers = [u for u in User.search([
                        ('offices', '=', office.id)])] or [User(1)]
            open_day, field_visit = Event.create([{
                        'office': office.id, 'kind': 'open_day',
                        'date': today - dt.timedelta(days=rng.randint(5, 60)),
                        'location': rng.choice(places).id,
                        'place': "MoMD office",
                        'team': [('add', [u.id for u in caseworkers])],
                        **{f: rng.randint(0, 25) for f in COUNTS},
                        }, {
                        'office': office.id, 'kind': 'field_visit',
                        'date': today + dt.timedelta(days=rng.randint(3, 20)),
                        'location': rng.choice(places).id,
                        'team': [('add', [u.id for u in caseworkers])],
                        }])
            Event.do([open_day])
            registered = 0
            while registered < per_office:
                size = min(rng.randint(2, 6), per_office - registered)
                status = rng.choice(list(NEEDS))
                place = rng.choice(places)
                origin = rng.choice(places)
                family = rng.choice(FAMILY.get(code, FAMILY['MSL']))
                father = pick(rng, MALE, code)
                grandfather = pick(rng, MALE, code)
                female_headed = rng.random() < 0.2
                movement = today - dt.timedelta(days=rng.randint(20, 900))
                members = []
                head_age = rng.randint(28, 62)
                for i in range(size):
                    if i == 0:
                        sex = 'female' if female_headed else 'male'
                        age, relationship = head_age, 'head'
                        parent_name, grand = father, grandfather
                    elif i == 1 and not female_headed:
                        sex, relationship = 'female', 'spouse'
                        age = max(head_age - rng.randint(0, 8), 18)
                        parent_name, grand = (pick(rng, MALE, code),
                            pick(rng, MALE, code))
                    else:
                        sex = rng.choice(['female', 'male'])
                        age, relationship = rng.randint(0, 17), 'child'
                        parent_name = members[0]['first']
                        grand = father
                    first = pick(rng, MALE if sex == 'male' else FEMALE,
                        code)
                    values = {
                        'office': office.id,
                        'first_name': first[0],
                        'father_name': parent_name[0],
                        'grandfather_name': grand[0],
                        'family_name': family[0] or None,
                        'first_name_latin': first[1],
                        'father_name_latin': parent_name[1],
                        'grandfather_name_latin': grand[1],
                        'family_name_latin': family[1] or None,
                        'sex': sex,
                        'displacement_status': status,
                        'origin_location': origin.id,
                        'current_location': (
                            origin.id if status.startswith('return')
                            else place.id),
                        'movement_date': movement,
                        'relationship': relationship,
                        'preferred_language': (
                            'kmr' if code == 'SNJ' and rng.random() < 0.6
                            else 'ar'),
                        'vulnerabilities': vulnerabilities(
                            rng, age, sex, i == 0 and female_headed),
                        }
                    if rng.random() < 0.7:
                        values['birth_date'] = today - dt.timedelta(
                            days=age * 365 + rng.randint(0, 364))
                    else:
                        values['estimated_age'] = age
                    if status == 'returnee_abroad':
                        values['returned_from'] = countries[
                            rng.choice(COUNTRIES)].id
                    if i == 0 and rng.random() < 0.3:
                        values['outreach_event'] = open_day.id
                    if i == 0:
                        values['contact_method'] = rng.choice(
                            ['phone', 'whatsapp', 'sms'])
                        if values['contact_method'] != 'phone':
                            # agreed to be messaged on the channel they
                            # prefer
                            values['contact_consent'] = [
                                values['contact_method']]
                        values['phones'] = [('create', [{
                                        'number': '07%d%08d' % (
                                            rng.choice([5, 7, 8]),
                                            rng.randint(0, 99999999)),
                                        }])]
                        values['identifiers'] = [('create', [{
                                        'type': 'national_id',
                                        'number': '%012d' % rng.randint(
                                            10 ** 11, 10 ** 12 - 1),
                                        }])]
                    members.append({'values': values, 'first': first})
                for member in members:
                    # a namesake of someone registered before is
                    # registered knowingly, the pair left for review
                    if Beneficiary.duplicate_candidates(Beneficiary(
                                **{k: v for k, v in member['values'].items()
                                    if k not in {'phones', 'identifiers'}})):
                        member['values']['duplicate_reason'] = (
                            "Another person of the same name")
                beneficiaries = Beneficiary.create(
                    [m['values'] for m in members])
                head = beneficiaries[0]
                household, = Household.create([{
                            'office': office.id,
                            'members': [('add', [b.id for b in beneficiaries])],
                            'declared_size': size + rng.randint(0, 2),
                            'location': head.current_location.id,
                            }])
                household.head = head
                household.save()

                caseworker = rng.choice(caseworkers)
                opened = today - dt.timedelta(days=rng.randint(0, 300))
                # registered when their case was opened, not all today
                table = Beneficiary.__table__()
                Transaction().connection.cursor().execute(*table.update(
                        [table.create_date],
                        [dt.datetime.combine(opened, dt.time(8))],
                        where=table.id.in_([b.id for b in beneficiaries])))
                consent, = Consent.create([{
                            'beneficiary': head.id,
                            'date': opened,
                            'method': rng.choice(
                                ['verbal', 'written', 'thumbprint']),
                            'obtained_by': caseworker.id,
                            'purpose': "Referral to reintegration services",
                            'notice_version': 'MoMD-2026-1',
                            'information_groups': (
                                ['identity', 'contact', 'needs']
                                if rng.random() < 0.8 else ['identity']),
                            'expiry_date': opened + dt.timedelta(days=365),
                            }])
                Consent.activate([consent])
                needs = rng.sample(
                    NEEDS[status], rng.randint(1, min(3, len(NEEDS[status]))))
                case, = Case.create([{
                            'beneficiary': head.id,
                            'household': household.id,
                            'office': office.id,
                            'caseworker': caseworker.id,
                            'opened_date': opened,
                            'next_review': opened + dt.timedelta(days=91),
                            'risk_level': rng.choice(
                                ['low', 'low', 'medium', 'high']),
                            'needs': [('create', [{
                                            'category': categories[n].id,
                                            'priority': rng.choice(
                                                ['normal', 'normal',
                                                    'urgent', 'emergency']),
                                            'identified_date': opened,
                                            } for n in needs])],
                            }])
                if rng.random() < 0.7:
                    Case.activate([case])
                registered += size
            total += registered
        registered_twice(offices, today)
        providers = create_providers(rng, today)
        referrals = create_referrals(rng, today)
        transaction.commit()
    print('%d demo beneficiaries, %d providers and %d referrals created' % (
            total, providers, referrals))


# who at a provider without an account gives its answers on the phone
PROVIDER_CONTACTS = [
    ("Hana Saleh", "Intake officer"), ("Ahmed Younis", "Programme manager"),
    ("Layla Qasim", "Case officer"), ("Khalil Murad", "Director")]


def answered_as(referral, step, rng):
    """The provider's answers of the demo: given by one of its focal points
    in the application, or, for a provider without any, on the phone or on
    paper and recorded by the caseworker"""
    Answer = Pool().get('momd.referral.answer')
    if step not in {'accept', 'decline', 'start', 'complete'}:
        return contextlib.nullcontext()
    focal_points = referral.provider.focal_points
    if focal_points:
        return Answer.answering(
            'focal_point', recorded_by=rng.choice(focal_points).id)
    name, role = rng.choice(PROVIDER_CONTACTS)
    return Answer.answering('staff',
        channel=rng.choice(['phone', 'phone', 'paper', 'whatsapp', 'email']),
        contact_name=name, contact_role=role,
        recorded_by=referral.caseworker.id)


def date_answers(referral, dates, rng):
    "The answers dated as the steps they answered"
    Answer = Pool().get('momd.referral.answer')
    fields = {'accept': 'answered_date', 'decline': 'answered_date',
        'start': 'started_date', 'complete': 'completed_date'}
    for answer in Answer.search([('referral', '=', referral.id)]):
        said = dates.get(fields[answer.step])
        if said:
            recorded = said if answer.via == 'focal_point' else min(
                said + dt.timedelta(hours=rng.randint(0, 5)),
                dt.datetime.now())
            Answer.write([answer], {
                    'reported_date': said, 'recorded_date': recorded})


def create_referrals(rng, today):
    "Referrals of the demo needs, in every state of the workflow"
    pool = Pool()
    Need = pool.get('momd.need')
    Service = pool.get('momd.provider.service')
    Referral = pool.get('momd.referral')
    Consent = pool.get('momd.consent')
    Case = pool.get('momd.case')
    SLARule = pool.get('momd.sla.rule')
    count = 0
    # the providers whose focal points have a referral to answer
    answered = set()
    for need in Need.search([], order=[('id', 'ASC')]):
        if rng.random() > 0.6 or need.category.restricted:
            continue
        beneficiary = need.case.beneficiary
        location = beneficiary.current_location
        if not location:
            continue
        services = Service.match(
            need.category, location, sex=beneficiary.sex,
            age=beneficiary.age,
            displacement_status=beneficiary.displacement_status)
        consent, = Consent.search([
                ('beneficiary', '=', beneficiary.id),
                ('state', '=', 'active')], limit=1) or [None]
        if not services or not consent:
            continue
        # the providers whose focal points log in to the demo get their
        # share of referrals
        answering = [s for s in services if s.provider.focal_points]
        if answering and rng.random() < 0.5:
            service = rng.choice(answering)
        else:
            service = rng.choice(services[:3])
        referral, = Referral.create([{
                    'case': need.case.id, 'need': need.id,
                    'provider_service': service.id,
                    'caseworker': need.case.caseworker.id,
                    'priority': need.priority,
                    'reason': "Referred after the needs assessment",
                    'disclosed_groups': consent.information_groups,
                    }])
        count += 1
        path = rng.choice([
                [], ['send'], ['send', 'accept'],
                ['send', 'accept', 'start'],
                ['send', 'accept', 'start', 'complete'],
                ['send', 'accept', 'start', 'complete', 'close'],
                ['send', 'accept', 'start', 'complete', 'close'],
                ['send', 'decline'], ['cancel'],
                ['exception', 'send'], ['exception', 'send', 'approve']])
        provider = service.provider
        if provider.focal_points and provider.id not in answered:
            # whatever the day the demo is made on, each focal point
            # finds a referral waiting for its answer
            path = ['send']
        if path and path[-1] in {'send', 'accept', 'start', 'approve'}:
            # still open: sent in the last weeks, some of them late
            sent = dt.datetime.combine(
                today - dt.timedelta(days=rng.randint(0, 8)), dt.time(9))
        else:
            sent = dt.datetime.combine(
                need.identified_date, dt.time(9)) + dt.timedelta(
                days=rng.randint(0, 5))
        for step in path:
            if step == 'decline':
                referral.decline_reason = rng.choice(
                    ['no_capacity', 'not_eligible', 'unreachable'])
            elif step == 'complete':
                referral.outcome = rng.choice(
                    ['provided', 'provided', 'partly', 'not_provided'])
                referral.outcome_feedback = "Reported by the provider"
            elif step == 'cancel':
                referral.cancel_reason = "The family moved to Erbil"
            elif step == 'exception':
                # no consent could be asked in time: the supervisor decides
                referral.legal_basis = 'sop_exception'
                referral.exception_reason = (
                    "Eviction announced for tonight; "
                    "the family cannot be reached for consent")
                referral.save()
                continue
            referral.save()
            # a full service this month: the referral joins its waiting
            # list (as the supervisor when it awaited approval)
            user = (need.case.office.supervisors[0].id if step == 'approve'
                else Transaction().user)
            with Transaction().set_user(user), \
                    answered_as(referral, step, rng):
                try:
                    getattr(Referral, step)([referral])
                except ReferralCapacityError:
                    Referral.join_waitlist([referral])
                    path = path[:path.index(step)]
                    break
        if path and path[-1] in {'send', 'accept', 'start', 'approve'} and (
                'exception' not in path or 'approve' in path):
            answered.add(provider.id)
        # dates as they would have been, not all today
        dates = {}
        waiting = 'exception' in path and 'approve' not in path
        for step, field, days in [
                ('send', 'sent_date', 0), ('approve', 'sent_date', 0),
                ('accept', 'answered_date', 1),
                ('decline', 'answered_date', 2), ('start', 'started_date', 3),
                ('complete', 'completed_date', 12),
                ('close', 'closed_date', 15)]:
            if step in path and not (field == 'sent_date' and waiting):
                dates[field] = min(
                    sent + dt.timedelta(days=days, hours=rng.randint(0, 8)),
                    dt.datetime.combine(today, dt.time(8)))
        if 'sent_date' in dates:
            dates['acknowledge_before'], dates['complete_before'] = (
                SLARule.due_dates(referral.priority, need.category,
                    referral.provider_service, dates['sent_date']))
        if 'complete' in path and rng.random() < 0.7:
            # the people's answer to "How was the service? Reply 1-5"
            dates['rating'] = rng.choice([2, 3, 4, 4, 5, 5, 5])
            dates['rating_date'] = min(dt.datetime.now(),
                dates['completed_date'] + dt.timedelta(hours=6))
        if dates:
            Referral.write([referral], dates)
            date_answers(referral, dates, rng)
    fill_services(Referral, Service)
    # most cases were reviewed on time; the daily and hourly checks then
    # find the others
    for case in Case.search([('next_review', '<', today)]):
        if rng.random() < 0.75:
            reviewed = today - dt.timedelta(days=rng.randint(1, 60))
            Case.write([case], {
                    'last_review': reviewed,
                    'next_review': reviewed + dt.timedelta(days=91)})
    Referral.escalate()
    Case.flag_reviews()
    return count


def intake(name_en, type_):
    """The intake and escalation addresses of a demo provider without an
    account (invented, on the reserved .example domain), and the language
    it is written to in"""
    slug = '-'.join(''.join(
            c if c.isalnum() else ' ' for c in name_en.lower()).split())
    language = ('en' if type_ in {'international_ngo', 'un_agency'}
        else 'kmr' if 'Sinjar' in name_en else 'ar')
    return {
        'language': language,
        'intake_email': 'referrals@%s.example' % slug,
        'intake_phone': '0770%07d' % (sum(map(ord, slug)) * 7919 % 10 ** 7),
        'escalation_name': "Head of Programmes",
        'escalation_email': 'programmes@%s.example' % slug,
        }


def fill_services(Referral, Service, count=2):
    """A few services full this month, each with a referral on its waiting
    list: the capacity of the service of a draft is what it took this
    month, and the draft joins its waiting list. Services that took some
    referrals this month first; then, early in a month, a service that
    took none is full at a capacity of 0 (closed for the month)"""
    drafts = Referral.search([
            ('state', '=', 'draft'), ('legal_basis', '=', 'consent'),
            ('provider_service', '!=', None),
            ], order=[('id', 'ASC')])
    loads = Service.loads(list({r.provider_service for r in drafts}))
    drafts.sort(key=lambda r: not loads[r.provider_service.id])
    for referral in drafts:
        if count <= 0:
            break
        if referral.needs_approval() or referral.override_reason:
            continue
        service = referral.provider_service
        capacity = service.capacity
        Service.write([service], {'capacity': service.load()})
        try:
            Referral.join_waitlist([referral])
        except UserError:
            Service.write([service], {'capacity': capacity})
            continue
        count -= 1


def create_providers(rng, today):
    pool = Pool()
    Provider = pool.get('momd.provider')
    Party = pool.get('party.party')
    Category = pool.get('momd.service.category')
    Location = pool.get('momd.location')
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    categories = {c.code: c for c in Category.search([])}
    places = {l.name_en: l for l in Location.search([
                ('level', 'in', ['governorate', 'district'])])}
    password = os.environ.get('MOMD_DEMO_PASSWORD', 'demo')
    focal_points = {}
    for login, provider_name in FOCAL_POINTS.items():
        user, = User.create([{
                    'login': login, 'name': provider_name,
                    # their referrals and scorecard leave in a spreadsheet
                    'groups': [('add', [ModelData.get_id(
                                    'momd_referral', g) for g in [
                                    'group_provider', 'group_export']])],
                    'language': pool.get('ir.lang').search([
                            ('code', '=', 'en')])[0].id,
                    }])
        User.write([user], {'password_hash': User.hash_password(password)})
        focal_points[provider_name] = user
    vlist = []
    for type_, name_en, name_ar, services in PROVIDERS:
        party, = Party.create([{'name': name_en}])
        vlist.append({
                'name_en': name_en, 'name_ar': name_ar, 'type': type_,
                'party': party.id,
                'agreement_date': today - dt.timedelta(
                    days=rng.randint(30, 400)),
                'agreement_reference': 'MoMD-NIN-MOU-%03d' % (
                    len(vlist) + 1),
                'languages': ['ar', 'kmr'] if 'Sinjar' in name_en else ['ar'],
                'focal_points': [('add', [focal_points[name_en].id])]
                if name_en in focal_points else [],
                # who does not log in answers through the link e-mailed
                **({} if name_en in focal_points else intake(name_en, type_)),
                'services': [('create', [{
                                'category': categories[code].id,
                                'locations': [('add', [
                                            places[p].id for p in where])],
                                'acknowledgement_hours': rng.choice(
                                    [24, 48, 72]),
                                'completion_days': rng.choice([7, 14, 30]),
                                'capacity': extra.pop('capacity', rng.choice(
                                        [None, 20, 50, 100])),
                                'opening_hours': 'Sun-Thu 8:00-14:00',
                                **extra,
                                } for code, where, extra in (
                                    (c, w, dict(e)) for c, w, e in services)
                            ])],
                })
    providers = Provider.create(vlist)
    # all active but the last two: one still onboarding, one suspended
    Provider.verify(providers[:-1])
    Provider.activate(providers[:-1])
    suspended = providers[-2]
    suspended.suspension_reason = "Agreement under review"
    suspended.save()
    Provider.suspend([suspended])
    return len(providers)


def registered_twice(offices, today):
    """A returnee registered in Mosul, then again in Sinjar with his name
    spelled otherwise and an estimated age: a possible duplicate for the
    supervisors to review"""
    Beneficiary = Pool().get('momd.beneficiary')
    mosul, sinjar = [o for c in ('MSL', 'SNJ') for o in offices
        if o.code == c]
    person = {
        'first_name': 'عبدالله', 'father_name': 'إسماعيل',
        'grandfather_name': 'يونس', 'family_name': 'الحمداني',
        'sex': 'male', 'displacement_status': 'returnee_abroad',
        }
    Beneficiary.create([dict(person, office=mosul.id,
                birth_date=today.replace(year=today.year - 37, day=1),
                phones=[('create', [{'number': '07701239876'}])])])
    Beneficiary.create([dict(person, office=sinjar.id,
                first_name='عبد الله', father_name='اسماعيل',
                family_name='حمداني', estimated_age=36,
                duplicate_reason="Says he was never registered")])


def ensure_countries(Country):
    countries = {c.code: c for c in Country.search([
                ('code', 'in', list(COUNTRY_NAMES))])}
    missing = [c for c in COUNTRY_NAMES if c not in countries]
    if missing:
        created = Country.create([{
                    'code': c, 'name': COUNTRY_NAMES[c][0]} for c in missing])
        with Transaction().set_context(language='ar'):
            created = Country.browse([c.id for c in created])
            for country in created:
                country.name = COUNTRY_NAMES[country.code][1]
            Country.save(created)
        countries.update({c.code: c for c in created})
    return countries


def pick(rng, names, code):
    return rng.choice(names['common'] + names.get(code, []))


def vulnerabilities(rng, age, sex, female_head):
    result = []
    if female_head:
        result.append('female_headed_household')
    if age >= 60:
        result.append('older_person')
    if rng.random() < 0.08:
        result.append(rng.choice([
                    'wg_seeing', 'wg_hearing', 'wg_mobility',
                    'wg_cognition', 'wg_selfcare', 'wg_communication']))
    if age >= 30 and rng.random() < 0.1:
        result.append('chronic_illness')
    return result


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('db')
    parser.add_argument('--people', type=int, default=200)
    args = parser.parse_args()
    main(args.db, args.people)

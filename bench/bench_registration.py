"""Registering a household over JSON-RPC, against party.party with addresses.

What a caseworker's client sends for one registration: the beneficiary with
a phone and an identity document, the household, an active consent and a
case with two needs. The baseline is stock Tryton doing the nearest thing
through the same path: a party with an address and a phone, created and
then given a second address and an identifier, the same number of calls.
Interleaved on one server, median of the rounds. SQLite, or PostgreSQL when
BENCH_DATABASE_URI is set.
"""
import os
import statistics
import time

import momd_setup
from momd_client import Session

REGISTRATIONS = int(os.environ.get('BENCH_REGISTRATIONS', 100))
ROUNDS = 3


def run():
    uri = os.environ.get('BENCH_DATABASE_URI')
    with momd_setup.serve('momd_bench_registration', uri=uri) as url:
        session = Session(url, 'momd_bench_registration', 'mosul.caseworker',
            os.environ.get('MOMD_DEMO_PASSWORD', 'demo'))
        admin = Session(url, 'momd_bench_registration', 'admin',
            os.environ.get('MOMD_ADMIN_PASSWORD', 'admin'))
        office, = session.model('momd.office', 'search', [
                ('code', '=', 'MSL')], 0, None, None)
        rent, school = [session.model('momd.service.category', 'search', [
                    ('code', '=', code)], 0, None, None)[0]
            for code in ['hlp.rent', 'education.school_registration']]
        context = {}
        counter = iter(range(10 ** 9))

        def register():
            for _ in range(REGISTRATIONS):
                i = next(counter)
                beneficiary, = session.model('momd.beneficiary', 'create', [{
                            'office': office,
                            'first_name': 'مستفيد%d' % i,
                            'father_name': 'أب', 'grandfather_name': 'جد',
                            'family_name': 'عائلة', 'sex': 'female',
                            'estimated_age': 30 + i % 30,
                            'displacement_status': 'returned_idp',
                            # numbered names alike: registered knowingly
                            'duplicate_reason': "Another person",
                            'phones': [('create', [{
                                            'number': '0770%07d' % i}])],
                            'identifiers': [('create', [{
                                            'type': 'national_id',
                                            'number': '%012d' % (
                                                10 ** 11 + i)}])],
                            }], context=context)
                household, = session.model('momd.household', 'create', [{
                            'office': office,
                            'members': [('add', [beneficiary])],
                            }], context=context)
                session.model('momd.household', 'write', [household],
                    {'head': beneficiary}, context=context)
                consent, = session.model('momd.consent', 'create', [{
                            'beneficiary': beneficiary,
                            'purpose': 'Referral',
                            'information_groups': ['identity', 'needs'],
                            }], context=context)
                session.model('momd.consent', 'activate', [consent],
                    context=context)
                session.model('momd.case', 'create', [{
                            'beneficiary': beneficiary, 'office': office,
                            'household': household,
                            'needs': [('create', [
                                        {'category': rent},
                                        {'category': school}])],
                            }], context=context)

        def parties():
            for _ in range(REGISTRATIONS):
                i = next(counter)
                party, = admin.model('party.party', 'create', [{
                            'name': 'Party %d' % i,
                            'addresses': [('create', [{
                                            'street': 'Street %d' % i,
                                            'city': 'Mosul'}])],
                            'contact_mechanisms': [('create', [{
                                            'type': 'phone',
                                            'value': '+964770%07d' % i}])],
                            }])
                address, = admin.model('party.address', 'create', [{
                            'party': party, 'street': 'Second %d' % i}])
                admin.model('party.address', 'write', [address],
                    {'city': 'Erbil'})
                admin.model('party.identifier', 'create', [{
                            'party': party, 'code': 'ID%d' % i}])
                admin.model('party.party', 'write', [party],
                    {'name': 'Party %d bis' % i})
                admin.model('party.address', 'create', [{
                            'party': party, 'street': 'Third %d' % i}])

        times = {'ours': [], 'base': []}
        for _ in range(ROUNDS):
            start = time.perf_counter()
            register()
            times['ours'].append(time.perf_counter() - start)
            start = time.perf_counter()
            parties()
            times['base'].append(time.perf_counter() - start)
        ours = statistics.median(times['ours'])
        base = statistics.median(times['base'])
        return [(
                'registration (6 calls) vs party (6 calls)',
                REGISTRATIONS / ours, REGISTRATIONS / base)]

"""Leak probes (issue 9): for each role, thousands of random requests by
every way data leaves the server — read, search, search_count,
search_read, export_data, the reports, attachments and notes, history
(_datetime) reads, the statistics, related fields and rec_name searches
through other models, on_change, notifications, the /data CSV route and
the REST API — each checked against what the user may see, computed in
Python (tests/leak_oracle.py) from the records an administrator reads.
The data set also holds possible duplicates to review (across offices, and
rows of a KoboToolbox import held), an import with its rows, and a record
merged into another's of another office.

A probe leaks when the answer holds a record outside the user's scope, a
count larger than the user's records, or a name, phone, document number,
code or marked text of something outside the scope; a refusal is never a
leak. A deliberately broken record rule must be caught."""
import base64
import contextlib
import csv
import datetime as dt
import io
import json
import os
import random
import string
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import DB, connect
from leak_oracle import (
    HISTORY_MODELS, RELATIONS, STATISTICS, Evaluator, Snapshot, Unknown,
    User, decode, encode_date, encode_datetime, FIELDS)
from momd_client import RPCError, Session

SEED = int(os.environ.get('MOMD_LEAK_SEED', '2026'))
# probes per role; at least 10,000 in all
PROBES = int(os.environ.get('MOMD_LEAK_PROBES', '1000'))
PASSWORD = 'Leak-probe-2026!'
ROLES = [
    'mosul.caseworker', 'sinjar.supervisor', 'hamdaniya.caseworker',
    'talafar.supervisor', 'manager', 'administrator',
    'provider.sinjar.women', 'provider.shelter',
    'leak.sensitive', 'leak.multi']
# the roles of the groups (a supervisor is a caseworker too)
GROUP_ROLES = {
    'Caseworker': {'caseworker'},
    'Office Supervisor': {'caseworker', 'supervisor'},
    'Ministry Manager': {'manager'},
    'Provider Focal Point': {'focal_point'},
    'Sensitive Data Access': {'sensitive'},
    'Referral System Administrator': {'admin'},
    }
# the provider of most referrals of the data set (its focal point is
# probed), with the service they are sent to
WOMEN = "Sinjar Women's Solidarity Association"
SHELTER = 'Shelter Partners International'
POLICE = 'Community Police Referral Centre — Mosul'
PROBED_MODELS = [
    'momd.beneficiary', 'momd.beneficiary.phone',
    'momd.beneficiary.identifier', 'momd.household', 'momd.consent',
    'momd.case', 'momd.need', 'momd.referral', 'momd.outreach.event',
    'momd.provider', 'momd.provider.service', 'momd.activity',
    'momd.referral.answer', 'momd.referral.link', 'ir.attachment',
    'ir.note', 'momd.beneficiary.duplicate', 'momd.kobo.import',
    'momd.kobo.import.row']
# what the probes read of each model: stored, computed and related fields
READ_FIELDS = {
    'momd.beneficiary': [
        'code', 'full_name', 'rec_name', 'phones', 'identifiers',
        'household', 'cases', 'consents', 'office', 'notes',
        'phones.number', 'identifiers.number', 'household.rec_name',
        'cases.code', 'consents.state', 'outreach_event.rec_name',
        'merged_into', 'merged_into.rec_name', 'merged_by', 'merged_date'],
    'momd.beneficiary.phone': [
        'number', 'beneficiary', 'beneficiary.full_name', 'office',
        'rec_name'],
    'momd.beneficiary.identifier': [
        'number', 'type', 'beneficiary.code', 'rec_name', 'office'],
    'momd.household': [
        'head', 'members', 'rec_name', 'head.full_name', 'members.phones',
        'office', 'address'],
    'momd.consent': [
        'beneficiary', 'state', 'rec_name', 'beneficiary.full_name',
        'information_groups', 'providers', 'guardian_name'],
    'momd.case': [
        'code', 'rec_name', 'beneficiary', 'needs', 'needs.description',
        'beneficiary.full_name', 'beneficiary.phones', 'household.rec_name',
        'office', 'referrals', 'referrals.code', 'summary'],
    'momd.need': [
        'case', 'category', 'description', 'rec_name',
        'case.beneficiary.full_name', 'referrals', 'referrals.code',
        'restricted', 'outreach_event'],
    'momd.referral': [
        'code', 'state', 'case', 'need', 'beneficiary', 'rec_name',
        'beneficiary_name', 'beneficiary_phones', 'beneficiary_documents',
        'need_description', 'reason', 'consent', 'case.rec_name',
        'case.beneficiary.full_name', 'need.description', 'consent.rec_name',
        'redirected_from.code', 'redirections', 'office', 'provider',
        'provider.rec_name', 'steps', 'beneficiary_location',
        'beneficiary_vulnerabilities', 'beneficiary_age', 'beneficiary_sex',
        'category.rec_name', 'focal_points', 'supervisors'],
    'momd.outreach.event': [
        'office', 'notes', 'beneficiaries', 'needs', 'needs.description',
        'beneficiaries.full_name', 'rec_name', 'people_reached'],
    'momd.provider': [
        'name_en', 'services', 'focal_points', 'rec_name',
        'services.category'],
    'momd.provider.service': [
        'provider', 'category', 'category.code', 'rec_name'],
    'momd.activity': ['name', 'resource', 'office', 'provider', 'user',
        'note'],
    'momd.referral.answer': [
        'referral', 'step', 'via', 'channel', 'contact_name', 'rec_name',
        'referral.code', 'recorded_by'],
    'momd.referral.link': [
        'referral', 'recipient', 'state', 'language', 'expiry', 'steps',
        'rec_name', 'referral.code', 'revoked_by'],
    'ir.attachment': ['name', 'description', 'resource', 'data', 'link'],
    'ir.note': ['message', 'resource', 'unread'],
    'momd.beneficiary.duplicate': [
        'beneficiary', 'match', 'office', 'match_office', 'score', 'reasons',
        'state', 'source', 'beneficiary_summary', 'match_summary',
        'rec_name', 'match.rec_name', 'import_row', 'import_row.values'],
    'momd.kobo.import': [
        'office', 'file_name', 'file', 'state', 'user', 'rows_total',
        'created', 'held', 'failure', 'rows', 'rows.values', 'rec_name'],
    'momd.kobo.import.row': [
        'batch', 'number', 'uuid', 'status', 'errors', 'beneficiary',
        'values', 'rec_name', 'office', 'batch.file_name',
        'beneficiary.rec_name', 'reviews'],
    }
# what the probes export (a path of fields separated by /)
EXPORT_FIELDS = {
    'momd.beneficiary': [
        'code', 'full_name', 'phones/number', 'identifiers/number',
        'household', 'cases/code', 'consents', 'outreach_event'],
    'momd.beneficiary.phone': ['number', 'beneficiary'],
    'momd.beneficiary.identifier': ['number', 'beneficiary'],
    'momd.household': ['head', 'members/full_name', 'head/phones/number'],
    'momd.consent': ['beneficiary', 'beneficiary/full_name', 'providers'],
    'momd.case': [
        'code', 'beneficiary', 'beneficiary/phones/number',
        'needs/description', 'household', 'referrals'],
    'momd.need': [
        'description', 'case', 'case/beneficiary/full_name',
        'referrals/code'],
    'momd.referral': [
        'code', 'consent', 'case', 'case/beneficiary/full_name',
        'need/description', 'beneficiary', 'beneficiary_name',
        'redirected_from', 'redirections', 'provider', 'reason', 'steps',
        'need', 'approved_by'],
    'momd.outreach.event': [
        'notes', 'beneficiaries/full_name', 'needs/description', 'needs'],
    'momd.provider': ['name_en', 'services', 'focal_points'],
    'momd.provider.service': ['provider', 'category'],
    'momd.activity': ['name', 'resource', 'office', 'provider', 'user'],
    'momd.referral.answer': ['referral', 'step', 'via', 'contact_name'],
    'momd.referral.link': ['referral', 'recipient', 'state'],
    'ir.attachment': ['name', 'description', 'resource', 'data'],
    'ir.note': ['message', 'resource'],
    'momd.beneficiary.duplicate': [
        'beneficiary', 'match', 'match_summary', 'reasons', 'import_row'],
    'momd.kobo.import': ['file_name', 'rows/values', 'rows/uuid', 'office'],
    'momd.kobo.import.row': [
        'values', 'uuid', 'beneficiary', 'batch/file_name', 'errors'],
    }
# scalar columns of the spreadsheet export (one line per record)
SHEET_COLUMNS = {
    'momd.beneficiary': ['code', 'full_name', 'office'],
    'momd.case': ['code', 'beneficiary', 'office'],
    'momd.referral': ['code', 'state', 'provider', 'consent'],
    'momd.need': ['description', 'case'],
    'momd.household': ['head', 'office'],
    'momd.consent': ['beneficiary', 'state'],
    }
# buttons pressed on records outside the scope: all must be refused
BUTTONS = {
    'momd.referral': ['accept', 'decline', 'cancel', 'send', 'close'],
    'momd.case': ['review', 'activate'],
    'momd.consent': ['revoke'],
    }
# how often each way in is tried
PATHS = {
    'read': 18, 'read_related': 7, 'search': 10, 'search_count': 6,
    'search_read': 8, 'rec_name_search': 6, 'export_data': 6,
    'export_data_domain': 3, 'history': 9, 'attachment_note': 7,
    'statistics': 4, 'report': 3, 'on_change': 3, 'data_route': 4,
    'rest': 4, 'audit_trail': 2, 'notification': 1, 'resources': 1,
    'history_revisions': 1, 'button': 1,
    }


def password(login):
    if login == 'admin':
        return os.environ.get('MOMD_ADMIN_PASSWORD', 'admin')
    if login.startswith('leak.'):
        return PASSWORD
    return os.environ.get('MOMD_DEMO_PASSWORD', 'demo')


def _ids(session, model, domain, context=None):
    return session.model(model, 'search', domain, 0, None, None,
        context=context)


def _text(value):
    "An answer as text, for the scanner"
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    return json.dumps(value, ensure_ascii=False, default=_plain)


def _plain(value):
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    return str(value)


# The data set: the demo, plus people of every office with restricted
# needs and referrals, referrals in every state to the focal points'
# providers, a revoked consent, a transferred beneficiary, attachments and
# notes everywhere

class DataSet:
    "What the probes need beyond the demo, created as an administrator"

    def __init__(self, admin, tag, rng, database=None, url=None):
        self.admin = admin
        self.url = url
        self.tag = tag
        self.rng = rng
        self.database = database
        self.today = dt.date.today()
        self.counter = 0
        self.offices = {o['code']: o['id'] for o in admin.model(
                'momd.office', 'search_read', [], 0, None, None, ['code'])}
        self.groups = {g['name']: g['id'] for g in admin.model(
                'res.group', 'search_read', [], 0, None, None, ['name'])}
        self.categories = {c['code']: c['id'] for c in admin.model(
                'momd.service.category', 'search_read', [], 0, None, None,
                ['code'])}
        self.providers = {p['name_en']: p['id'] for p in admin.model(
                'momd.provider', 'search_read', [], 0, None, None,
                ['name_en'])}
        self.services = {}
        for service in admin.model('momd.provider.service', 'search_read',
                [('capacity', '=', None)], 0, None, None,
                ['provider', 'category']):
            self.services[(service['provider'], service['category'])] = (
                service['id'])
        self.caseworkers = {}
        for code, prefix in [('MSL', 'mosul'), ('HMD', 'hamdaniya'),
                ('SNJ', 'sinjar'), ('TLF', 'talafar')]:
            self.caseworkers[code], = _ids(admin, 'res.user', [
                    ('login', '=', prefix + '.caseworker')])
        # where the people of each office live: the services they are
        # referred to cover it
        self.districts = {}
        for code, district in [('MSL', 'Mosul'), ('HMD', 'Hamdaniya'),
                ('SNJ', 'Sinjar'), ('TLF', 'Tal Afar')]:
            self.districts[code], = _ids(admin, 'momd.location', [
                    ('name_en', '=', district), ('level', '=', 'district')])
        self.events = {}

    def marker(self, kind):
        self.counter += 1
        return 'LEAKMARK-%s-%s-%04d' % (self.tag, kind, self.counter)

    def service(self, provider, category):
        """The provider's service of the category (a referral goes to a
        service for its need), added in Nineveh when it has none"""
        key = (self.providers[provider], self.categories[category])
        # a service of its own where the demo's has a capacity: no
        # referral of the data set waits for a place (nor takes one)
        if key not in self.services:
            nineveh, = _ids(self.admin, 'momd.location', [
                    ('pcode', '=', 'IQG15')])
            self.services[key], = self.admin.model(
                'momd.provider.service', 'create', [{
                        'provider': key[0], 'category': key[1],
                        'locations': [('add', [nineveh])]}])
        return self.services[key]

    def user(self, login, groups, offices, supervised):
        "A user of the data set (kept when it exists)"
        found = _ids(self.admin, 'res.user', [('login', '=', login)])
        if found:
            return found[0]
        user, = self.admin.model('res.user', 'create', [{
                    'login': login, 'name': login.replace('.', ' ').title(),
                    'password': PASSWORD,
                    'groups': [('add', [self.groups[g] for g in groups])],
                    'offices': [('add', [self.offices[o] for o in offices])],
                    'supervised_offices': [('add', [
                                self.offices[o] for o in supervised])],
                    }])
        return user

    def event(self, office):
        "A done outreach event of the office"
        if office not in self.events:
            event, = self.admin.model('momd.outreach.event', 'create', [{
                        'office': self.offices[office], 'kind': 'open_day',
                        'date': encode_date(self.today),
                        'notes': self.marker('EVENT'),
                        'female_18_59': 3, 'male_18_59': 2}])
            self.admin.model('momd.outreach.event', 'do', [event])
            self.events[office] = event
        return self.events[office]

    def person(self, office, label, needs=(), event=None, like=None):
        """A beneficiary with a phone, a national card and an active consent
        to share everything; a case with needs [(category, event)] if any;
        registered again with the names and phone of the beneficiary like
        if given; return (beneficiary, consent, case, needs)"""
        name = '%s%s' % (label, self.tag)
        values = {
            'office': self.offices[office],
            'first_name': 'Leakprobe', 'father_name': name,
            'grandfather_name': 'Probeson', 'family_name': 'Al-' + name,
            'first_name_latin': 'Latinprobe', 'father_name_latin': name,
            'family_name_latin': 'Latin-' + name,
            'sex': 'female', 'estimated_age': 34,
            # the probes' people have names alike by construction
            'duplicate_reason': "Another probe person",
            'current_location': self.districts[office],
            'phones': [('create', [{'number': '0770%07d' % self.rng.randint(
                                0, 9999999)}])],
            'identifiers': [('create', [{'type': 'national_id',
                            'number': '%012d' % self.rng.randint(
                                10 ** 11, 10 ** 12 - 1)}])],
            }
        if event:
            values['outreach_event'] = self.event(office)
        if like:
            names = ['first_name', 'father_name', 'grandfather_name',
                'family_name', 'first_name_latin', 'father_name_latin',
                'family_name_latin']
            row, = self.admin.model('momd.beneficiary', 'read', [like],
                names + ['phones.number'])
            values.update({n: row[n] for n in names})
            values['phones'] = [('create', [{
                            'number': p['number']}
                        for p in row['phones.']])]
        beneficiary, = self.admin.model('momd.beneficiary', 'create',
            [values])
        consent, = self.admin.model('momd.consent', 'create', [{
                    'beneficiary': beneficiary,
                    'date': encode_date(self.today), 'method': 'verbal',
                    'purpose': 'Referral to the services needed',
                    'information_groups': ['identity', 'contact', 'needs',
                        'documents', 'vulnerabilities'],
                    }])
        self.admin.model('momd.consent', 'activate', [consent])
        case = None
        need_ids = []
        if needs:
            case, = self.admin.model('momd.case', 'create', [{
                        'beneficiary': beneficiary,
                        'office': self.offices[office],
                        'caseworker': self.caseworkers[office],
                        'needs': [('create', [{
                                        'category': self.categories[c],
                                        'description': self.marker('NEED'),
                                        **({'outreach_event':
                                                self.event(office)}
                                            if at_event else {}),
                                        } for c, at_event in needs])],
                        }])
            need_ids = self.admin.model('momd.case', 'read', [case],
                ['needs'])[0]['needs']
            need_ids.sort()
        return beneficiary, consent, case, need_ids

    def referral(self, office, case, need, provider, category, groups,
            steps=(), **values):
        "A referral of the need, taken through the workflow steps"
        referral, = self.admin.model('momd.referral', 'create', [{
                    'case': case, 'need': need,
                    'provider_service': self.service(provider, category),
                    'caseworker': self.caseworkers[office],
                    'reason': self.marker('REASON'),
                    'disclosed_groups': list(groups), **values}])
        answers = {'cancel': {'cancel_reason': 'The family moved'},
            'decline': {'decline_reason': 'no_capacity'},
            'complete': {'outcome': 'provided'}}
        for step in steps:
            if step in answers:
                self.admin.model('momd.referral', 'write', [referral],
                    answers[step])
            self.admin.model('momd.referral', step, [referral])
        return referral

    def move_back(self, referral, field, days):
        "Set the date of a referral's step days back, as if it was then"
        placeholder = ('%s' if 'psycopg' in type(self.database).__module__
            else '?')
        self.database.cursor().execute(
            'UPDATE momd_referral SET %s = %s WHERE id = %s' % (
                field, placeholder, placeholder),
            (dt.datetime.now() - dt.timedelta(days=days), referral))
        self.database.commit()

    def attach(self, model, id_):
        "An attachment and a note on the record"
        name, about = self.marker('ATTN'), self.marker('ATTD')
        self.admin.model('ir.attachment', 'create', [{
                    'name': name + '.txt', 'resource': '%s,%s' % (model, id_),
                    'type': 'data', 'description': about,
                    'data': {'__class__': 'bytes', 'base64': base64.b64encode(
                            about.encode()).decode()}}])
        self.admin.model('ir.note', 'create', [{
                    'resource': '%s,%s' % (model, id_),
                    'message': self.marker('NOTE')}])

    def merge(self, kept, other):
        """The ministry's manager merges other into kept (records of two
        offices), as the web client runs the wizard"""
        manager = Session(self.url, DB, 'manager', password('manager'))
        wizard = 'wizard.momd.beneficiary.merge'
        context = {'active_model': 'momd.beneficiary',
            'active_ids': [kept, other], 'active_id': kept}
        session_id, _, _ = manager.call('%s.create' % wizard, context)
        try:
            shown = manager.call('%s.execute' % wizard, session_id, {},
                'start', context)['view']['defaults']
            manager.call('%s.execute' % wizard, session_id, {'start': {
                        'kept': kept, 'other': other,
                        'values': [
                            {k: v for k, v in value.items() if k != 'id'}
                            for value in shown['values']],
                        'reason': 'Same national ID card'}}, 'merge',
                context)
        finally:
            manager.call('%s.delete' % wizard, session_id, context)

    def kobo_import(self, login, office, like):
        """A KoboToolbox export imported by a caseworker (login) of the
        office: two new people, a bad row and a row of the beneficiary like,
        held for review; return the import"""
        from momd_referral.tests.kobo_import_tests import (
            kobo_csv, submissions)
        caseworker = Session(self.url, DB, login, password(login))
        known, = self.admin.model('momd.beneficiary', 'read', [like], [
                'first_name', 'father_name', 'grandfather_name',
                'family_name', 'phones.number'])
        rows = submissions(4)
        for values, label in zip(rows, ['Koboone', 'Kobotwo', 'Kobobad',
                    'Kobolike']):
            values.update({
                    'first_name': label, 'father_name': 'Kobo' + self.tag,
                    'grandfather_name': 'Koboson',
                    'family_name': 'Al-Kobo' + self.tag,
                    'phone': '0771%07d' % self.rng.randint(0, 9999999),
                    'identifier_national_id': '%012d' % self.rng.randint(
                        10 ** 11, 10 ** 12 - 1),
                    '_uuid': self.marker('KOBO')})
            if label == 'Kobobad':
                values['sex'] = 'unknown'
            if label == 'Kobolike':
                values.update({n: known[n] for n in [
                            'first_name', 'father_name', 'grandfather_name',
                            'family_name']})
                values.update({'sex': 'female', 'birth_date': None,
                        'estimated_age': 34,
                        'phone': known['phones.'][0]['number']})
        data = kobo_csv(rows)
        batch, = caseworker.model('momd.kobo.import', 'create', [{
                    'office': self.offices[office],
                    'file_name': self.marker('KOBOFILE') + '.csv',
                    'file': {'__class__': 'bytes', 'base64':
                        base64.b64encode(data).decode()}}])
        caseworker.model('momd.kobo.import', 'run', [batch])
        deadline = time.monotonic() + 300
        while True:
            state, = caseworker.model('momd.kobo.import', 'read', [batch],
                ['state'])
            if state['state'] in {'done', 'failed'}:
                break
            assert time.monotonic() < deadline, 'the import did not end'
            time.sleep(0.5)
        assert state['state'] == 'done', state
        return batch

    def activity(self, referral):
        """A to-do about the referral for the supervisors of its office
        (of a restricted referral, only those with sensitive access)"""
        office = self.admin.model('momd.referral', 'read', [referral],
            ['office'])[0]['office']
        self.admin.model('momd.activity', 'create', [{
                    'name': self.marker('TODO'), 'role': 'supervisor',
                    'user': None, 'office': office,
                    'resource': 'momd.referral,%s' % referral}])

    def build(self):
        """Create the records; return the changes to make after the first
        moment of the history (consent revoked, beneficiary transferred,
        sent referral cancelled)"""
        shared = ['identity', 'contact', 'needs']
        self.user('leak.sensitive',
            ['Office Supervisor', 'Sensitive Data Access'], ['MSL'], ['MSL'])
        self.user('leak.multi', ['Office Supervisor'], ['HMD'], ['TLF'])
        # every probed user may export: the probes go past the permission
        # (its refusal is tested on its own) to the scope of what leaves
        self.admin.model('res.group', 'write', [self.groups['Data Export']],
            {'users': [('add', _ids(self.admin, 'res.user', [
                                ('login', 'in', ROLES)]))]})
        # in each office a person with an ordinary and a restricted need
        people = {}
        for office, restricted, event in [
                ('MSL', 'protection.gbv', False),
                ('HMD', 'protection.child', True),
                ('SNJ', 'protection.gbv', False),
                ('TLF', 'protection.child', True)]:
            plain = 'hlp.rent' if office == 'HMD' else 'legal.aid'
            people[office] = self.person(office, office.title(),
                needs=[(plain, False), (restricted, event)], event=event)
        referrals = self.referrals = {}
        # the person's only referral is restricted: the statistics of
        # users without sensitive access do not count them as referred
        _, _, case, (plain, gbv) = people['MSL']
        referrals['msl_gbv'] = self.referral('MSL', case, gbv, POLICE,
            'protection.gbv', shared, ['send', 'approve'])
        _, _, case, (plain, child) = people['HMD']
        referrals['hmd'] = self.referral('HMD', case, plain, SHELTER,
            'hlp.rent', shared + ['documents'], ['send', 'accept'])
        _, _, case, (plain, gbv) = people['SNJ']
        # the focal point reads the need, not the name
        referrals['snj_needs'] = self.referral('SNJ', case, plain, WOMEN,
            'legal.aid', ['needs'], ['send'])
        # restricted, addressed to a focal point without sensitive access
        referrals['snj_gbv'] = self.referral('SNJ', case, gbv, WOMEN,
            'protection.gbv', shared, ['send', 'approve'])
        _, tlf_consent, case, (plain, child) = people['TLF']
        referrals['tlf_revoked'] = self.referral('TLF', case, plain, WOMEN,
            'legal.aid', shared, ['send'])
        # referrals the provider never receives: a draft, one waiting for
        # approval, one cancelled before it was sent
        for office, label, steps, values in [
                ('MSL', 'Draft', [], {}),
                ('HMD', 'Waiting', ['send'], {
                        'legal_basis': 'sop_exception',
                        'exception_reason': 'Eviction tonight'}),
                ('SNJ', 'Cancelled', ['cancel'], {}),
                ]:
            people[label] = self.person(office, label,
                needs=[('legal.aid', False)])
            _, _, case, (need,) = people[label]
            referrals[label] = self.referral(office, case, need, WOMEN,
                'legal.aid', shared, steps, **values)
        people['Sentcancel'] = self.person('TLF', 'Sentcancel',
            needs=[('hlp.rent', False)])
        _, _, case, (need,) = people['Sentcancel']
        referrals['sent_cancel'] = self.referral('TLF', case, need, SHELTER,
            'hlp.rent', shared, ['send'])
        # referrals the focal point declined, or saw closed: within the
        # days the provider keeps the person, and (moved back later) past
        for key, label, steps in [
                ('declined_new', 'Declinednew', ['send', 'decline']),
                ('declined_old', 'Declinedold', ['send', 'decline']),
                ('closed_old', 'Closedold',
                    ['send', 'accept', 'complete', 'close'])]:
            people[label] = self.person('SNJ', label,
                needs=[('legal.aid', False)])
            _, _, case, (need,) = people[label]
            referrals[key] = self.referral('SNJ', case, need, WOMEN,
                'legal.aid', shared, steps)
        people['Moved'] = self.person('MSL', 'Moved')
        moved = people['Moved'][0]
        # the Mosul person registered again in Tal Afar: a pair to review
        # across offices
        people['Copy'] = self.person('TLF', 'Copy', like=people['MSL'][0])
        # a Hamdaniya record to merge into a Sinjar one
        people['Mergekept'] = self.person('SNJ', 'Mergekept')
        people['Mergeaway'] = self.person('HMD', 'Mergeaway')

        for beneficiary, consent, case, needs in people.values():
            self.attach('momd.beneficiary', beneficiary)
            self.attach('momd.consent', consent)
            if case:
                self.attach('momd.case', case)
            for need in needs:
                self.attach('momd.need', need)
        for referral in referrals.values():
            self.attach('momd.referral', referral)
            self.activity(referral)
        for provider in [WOMEN, SHELTER, POLICE]:
            self.attach('momd.provider', self.providers[provider])
        for office in self.offices.values():
            # a demo beneficiary of each office too
            for beneficiary in _ids(self.admin, 'momd.beneficiary', [
                        ('office', '=', office),
                        ('first_name', '!=', 'Leakprobe')])[:1]:
                self.attach('momd.beneficiary', beneficiary)
        # merged, with its notes and files; a Sinjar import with a row
        # of the Sinjar person held for review
        self.merge(people['Mergekept'][0], people['Mergeaway'][0])
        self.kobo_import('sinjar.caseworker', 'SNJ', people['SNJ'][0])

        def later():
            self.admin.model('momd.consent', 'write', [tlf_consent],
                {'revocation_reason': 'Asked to stop sharing'})
            self.admin.model('momd.consent', 'revoke', [tlf_consent])
            self.admin.model('momd.beneficiary', 'write', [moved],
                {'office': self.offices['SNJ']})
            self.admin.model('momd.referral', 'write',
                [referrals['sent_cancel']], {'cancel_reason': 'Moved away'})
            self.admin.model('momd.referral', 'cancel',
                [referrals['sent_cancel']])
            # a month after the answer or the closing
            self.move_back(referrals['declined_old'], 'answered_date', 31)
            self.move_back(referrals['closed_old'], 'closed_date', 31)
            # the data-sharing agreement of the shelter's provider expires
            self.admin.model('momd.provider', 'write',
                [self.providers[SHELTER]],
                {'agreement_expiry': encode_date(self.today)})
        return later

    def tidy(self):
        """Cancel the restricted referral sent to a demo focal point's
        provider: the tests of the other modules read every referral their
        focal point is sent"""
        referral = getattr(self, 'referrals', {}).get('snj_gbv')
        if referral:
            self.admin.model('momd.referral', 'write', [referral],
                {'cancel_reason': 'End of the leak probes'})
            self.admin.model('momd.referral', 'cancel', [referral])
        # the agreement in force again
        self.admin.model('momd.provider', 'write', [self.providers[SHELTER]],
            {'agreement_expiry': None})


def latest_change(admin):
    "The time of the last change of a record that keeps its history"
    latest = dt.datetime(2000, 1, 1)
    for model in HISTORY_MODELS:
        for field in ['write_date', 'create_date']:
            rows = admin.model(model, 'search_read', [(field, '!=', None)],
                0, 1, [(field, 'DESC')], [field],
                context={'active_test': False})
            if rows:
                latest = max(latest, decode(rows[0][field]))
    return latest


def load_snapshot(admin, when=None, current=None):
    """Every record of the probed models as the administrator reads it (at
    when, with the current snapshot)"""
    records = {}
    known = [m for m in FIELDS if m not in {'ir.attachment', 'ir.note'}]
    for model, fields in FIELDS.items():
        context = {'active_test': False}
        if when and model in HISTORY_MODELS:
            context['_datetime'] = encode_datetime(when)
        domain = []
        if model in {'ir.attachment', 'ir.note'}:
            domain = ['OR'] + [('resource', 'like', m + ',%') for m in known]
        ids = _ids(admin, model, domain, context=context)
        rows = []
        for i in range(0, len(ids), 500):
            rows += admin.model(model, 'read', ids[i:i + 500], fields,
                context=context)
        rows = decode(rows)
        for row in rows:
            for name in ['restricted', 'active']:
                if name in row:
                    row[name] = bool(row[name])
        records[model] = {r['id']: r for r in rows}
    if when and when.year <= 2001:
        records = {m: ({} if m in HISTORY_MODELS else r)
            for m, r in records.items()}
    access_days, = admin.model('momd.configuration', 'read', [1],
        ['provider_access_days'])
    return Snapshot(records, dt.date.today(),
        access_days=access_days['provider_access_days'], current=current)


def load_users(admin, logins):
    groups = {g['id']: g['name'] for g in admin.model(
            'res.group', 'search_read', [], 0, None, None, ['name'])}
    providers = admin.model('momd.provider', 'search_read', [], 0, None,
        None, ['focal_points'])
    users = {}
    for row in admin.model('res.user', 'search_read', [
                ('login', 'in', logins)], 0, None, None,
            ['login', 'groups', 'offices', 'supervised_offices']):
        roles = set()
        for group in row['groups']:
            roles |= GROUP_ROLES.get(groups[group], set())
        users[row['login']] = User(row['login'], row['id'], roles,
            set(row['offices']) | set(row['supervised_offices']),
            {p['id'] for p in providers if row['id'] in p['focal_points']})
    return users


class World:
    "The server, the data set, the users and the records at three moments"

    def __init__(self, url, admin, users, snapshots, times, tag):
        self.url = url
        self.admin = admin
        self.users = users
        self.snapshots = snapshots
        self.times = times
        self.tag = tag
        self.now = snapshots['now']
        self.sessions = {}
        self.rest_keys = {}

    def session(self, login):
        if login not in self.sessions:
            self.sessions[login] = Session(
                self.url, DB, login, password(login))
        return self.sessions[login]

    def http(self, method, path, data=None, headers=None):
        "(status, body bytes) of a request to the server"
        request = urllib.request.Request(
            '%s/%s/%s' % (self.url, DB, path), method=method,
            data=json.dumps(data).encode() if data is not None else None,
            headers={'Content-Type': 'application/json', **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def rest_key(self, login):
        """A validated key of the REST API for the user: asked for on the
        user application route, validated by the user as the client does"""
        if login not in self.rest_keys:
            key = None
            status, body = self.http('POST', 'user/application/',
                {'user': login, 'application': 'rest'})
            if status == 200:
                key = json.loads(body)
                session = self.session(login)
                applications = _ids(session, 'res.user.application', [
                        ('key', '=', key)])
                session.model('res.user.application', 'validate_',
                    applications)
            self.rest_keys[login] = key
        return self.rest_keys[login]

    def close(self):
        "Cancel the REST keys"
        for login, key in self.rest_keys.items():
            if not key:
                continue
            session = self.session(login)
            applications = _ids(session, 'res.user.application', [
                    ('key', '=', key)])
            session.model('res.user.application', 'cancel', applications)


@pytest.fixture(scope='module')
def world(server):
    admin = Session(server, DB, 'administrator', password('administrator'))
    # a new tag each run: names, phones and documents are new too
    tag = ''.join(random.Random().choice(string.ascii_lowercase)
        for _ in range(5))
    database = connect(server)
    data = DataSet(admin, tag, random.Random(tag), database, url=server)
    world = None
    try:
        later = data.build()
        before = latest_change(admin)
        time.sleep(0.01)
        later()
        users = load_users(admin, ROLES)
        now = load_snapshot(admin)
        snapshots = {
            'past': load_snapshot(
                admin, dt.datetime(2001, 1, 1), current=now),
            'before': load_snapshot(admin, before, current=now),
            'now': now,
            }
        times = {'past': dt.datetime(2001, 1, 1), 'before': before,
            'now': latest_change(admin)}
        world = World(server, admin, users, snapshots, times, tag)
        world.data = data
        yield world
    finally:
        if world:
            world.close()
        data.tidy()
        database.close()


# The prober

class Campaign:
    """Random probes of one user, until count requests were made; .leaks
    lists what came back that the user may not see, .counts the requests
    by way in"""

    def __init__(self, world, login, seed, paths=None):
        self.world = world
        self.login = login
        self.user = world.users[login]
        self.session = world.session(login)
        self.rng = random.Random(seed)
        self.now = world.now
        self.scanners = {}
        self.counts = Counter()
        self.seconds = Counter()
        self.leaks = []
        self.remarks = Counter()
        self.examples = {}
        self.pdfs = 0
        self.paths = paths or PATHS

    # helpers

    def scanner(self, moment='now'):
        if moment not in self.scanners:
            snapshot = self.world.snapshots[moment]
            if moment == 'past':
                snapshot = self.now
            self.scanners[moment] = snapshot.scanner(self.user)
        return self.scanners[moment]

    def leak(self, path, request, what):
        self.leaks.append('%s %s %s: %s' % (
                self.login, path, request, what))

    def remark(self, kind, example):
        self.remarks[kind] += 1
        self.examples.setdefault(kind, example)

    def scan(self, path, request, answer, moment='now'):
        for token, what in self.scanner(moment).scan(_text(answer))[:3]:
            self.leak(path, request, 'shows %r (%s)' % (token, what))

    def call(self, path, model, method, *args, context=None):
        "(ok, answer or error) of a JSON-RPC call, counted"
        self.counts[path] += 1
        try:
            return True, decode(self.session.model(
                    model, method, *args, context=context))
        except RPCError as error:
            self.refused(path, '%s.%s' % (model, method), error)
            return False, error

    def refused(self, path, request, error):
        if error.kind == 'UserError' or error.kind.startswith('HTTP 4'):
            self.remarks['refused'] += 1
        else:
            self.remark('server error %s' % error.kind,
                '%s %s: %s' % (path, request, error.message[:200]))
        self.scan(path, request, error.message)

    def visible(self, model, moment='now'):
        return self.world.snapshots[moment].visible(self.user, model)

    def pick_ids(self, model, moment='now'):
        "A few ids of model: in the scope, outside it, or both"
        records = list(self.world.snapshots[moment].records.get(model, {}))
        visible = sorted(self.visible(model, moment))
        hidden = sorted(set(records) - set(visible))
        mode = self.rng.choice(['in', 'in', 'out', 'out', 'mixed'])
        if mode == 'in' and visible:
            return self.rng.sample(visible, min(len(visible),
                    self.rng.randint(1, 3)))
        if hidden and mode != 'in':
            ids = [self.rng.choice(hidden)]
            if mode == 'mixed' and visible:
                ids.append(self.rng.choice(visible))
            return ids
        if records:
            return [self.rng.choice(records)]
        return [10 ** 6 + self.rng.randint(0, 1000)]

    def readable(self, model):
        return self.user.readable(model)

    def check_ids(self, path, request, model, ids, moment='now'):
        "Leak if ids hold a known record outside the scope"
        snapshot = self.world.snapshots[moment]
        visible = self.visible(model, moment)
        records = snapshot.records.get(model, {})
        outside = sorted(i for i in ids if i not in visible
            and (i in records or moment == 'past'))
        unknown = [i for i in ids if i not in records]
        if unknown and moment == 'now' and model not in {
                'ir.attachment', 'ir.note', 'momd.activity'}:
            self.remark('unknown ids returned', '%s %s: %s' % (
                    path, request, unknown[:5]))
        if outside:
            self.leak(path, request, '%d record(s) of %s outside the scope: '
                '%s' % (len(outside), model, outside[:10]))

    def check_rows(self, path, request, model, rows, moment='now'):
        "Rows read: their ids, their x2many values, their related records"
        self.check_ids(path, request, model, [r['id'] for r in rows],
            moment)
        for row in rows:
            for name, value in row.items():
                base = name.rstrip('.')
                relation = RELATIONS.get((model, base))
                if not relation or relation[0] in {
                        'momd.office', 'momd.service.category'}:
                    continue
                target = relation[0]
                related = []
                if name.endswith('.'):
                    values = value if isinstance(value, list) else [value]
                    related = [v['id'] for v in values
                        if isinstance(v, dict) and 'id' in v]
                elif relation[1] == 'x2m' and isinstance(value, list):
                    related = value
                if related:
                    self.check_ids(path, '%s (%s)' % (request, name),
                        target, related, moment)
        self.scan(path, request, rows, moment)

    def expected(self, model, domain, moment='now'):
        "The ids the domain must find, or None if not evaluable"
        if model in {'ir.attachment', 'ir.note'} and not any(
                word in repr(domain) for word in [
                    'LEAKMARK', 'ATTD', "'resource'", "'id', 'in'",
                    "'id', '='"]):
            # the attachments of other models are not in the data set
            return None
        try:
            return Evaluator(self.world.snapshots[moment], self.user).search(
                model, domain)
        except (Unknown, KeyError, TypeError):
            return None

    # domains

    def sample(self, model):
        "A record of model to take a value from, in or out of the scope"
        records = self.now.records.get(model, {})
        if not records:
            return None
        visible = sorted(self.visible(model))
        if visible and self.rng.random() < 0.5:
            return records[self.rng.choice(visible)]
        return records[self.rng.choice(sorted(records))]

    def person(self):
        "A beneficiary: of the scope, of a referral the user sees, or any"
        if self.rng.random() < 0.3:
            referrals = sorted(self.visible('momd.referral'))
            if referrals:
                referral = self.now.records['momd.referral'][
                    self.rng.choice(referrals)]
                beneficiary = self.now.derived(
                    'momd.referral', referral, 'beneficiary')
                if beneficiary in self.now.records['momd.beneficiary']:
                    return self.now.records['momd.beneficiary'][beneficiary]
        return self.sample('momd.beneficiary')

    def number(self, model):
        record = self.sample(model)
        return record['number'] if record else '0'

    def leaf(self, model):
        rng = self.rng
        person = self.person()
        office = rng.choice(sorted(self.now.records['momd.office']))
        code = self.now.records['momd.office'][office]['code']
        case = self.sample('momd.case')
        referral = self.sample('momd.referral')
        ids = self.pick_ids(model)
        common = [
            ('id', 'in', ids), ('id', '=', ids[0]), ('id', '!=', ids[0])]
        leaves = {
            'momd.beneficiary': [
                ('code', '=', person['code']),
                ('code', 'ilike', '%' + person['code'][-5:]),
                ('office', '=', office), ('office.code', '=', code),
                ('first_name', 'ilike', person['first_name']),
                ('father_name', 'ilike', '%' + person['father_name'][:4]
                    + '%'),
                ('phones.number', '=', self.number(
                        'momd.beneficiary.phone')),
                ('identifiers.number', '=', self.number(
                        'momd.beneficiary.identifier')),
                ('cases.code', '=', case['code']),
                ('consents.state', '=', 'revoked'),
                ('sex', '=', 'female'),
                ('household.head.first_name', 'ilike',
                    person['first_name']),
                ('rec_name', 'ilike', '%' + person['code'] + '%'),
                ('outreach_event', '!=', None),
                ('active', '=', False), ('merged_into', '!=', None),
                ('merged_into.code', '=', person['code']),
                ],
            'momd.beneficiary.phone': [
                ('number', '=', self.number('momd.beneficiary.phone')),
                ('beneficiary.code', '=', person['code']),
                ('beneficiary', 'ilike', '%' + person['father_name'] + '%'),
                ('office', '=', office),
                ],
            'momd.beneficiary.identifier': [
                ('number', '=', self.number('momd.beneficiary.identifier')),
                ('beneficiary.first_name', 'ilike', person['first_name']),
                ('office', '=', office),
                ],
            'momd.household': [
                ('office', '=', office),
                ('head.code', '=', person['code']),
                ('members.phones.number', '=', self.number(
                        'momd.beneficiary.phone')),
                ('head', 'ilike', '%' + person['father_name'] + '%'),
                ],
            'momd.consent': [
                ('beneficiary.code', '=', person['code']),
                ('state', '=', 'active'), ('office', '=', office),
                ('beneficiary.identifiers.number', '=', self.number(
                        'momd.beneficiary.identifier')),
                ('beneficiary', 'ilike', '%' + person['code'] + '%'),
                ],
            'momd.case': [
                ('code', '=', case['code']), ('office', '=', office),
                ('beneficiary.phones.number', '=', self.number(
                        'momd.beneficiary.phone')),
                ('needs.category.restricted', '=', True),
                ('needs.description', 'ilike', '%LEAKMARK%'),
                ('beneficiary', 'ilike', '%' + person['father_name'] + '%'),
                ('rec_name', 'ilike', '%' + person['code'] + '%'),
                ],
            'momd.need': [
                ('case.code', '=', case['code']),
                ('category.restricted', '=', True),
                ('description', 'ilike', '%LEAKMARK%'),
                ('case.beneficiary.first_name', 'ilike',
                    person['first_name']),
                ('office', '=', office),
                ('case', 'ilike', '%' + person['father_name'] + '%'),
                ],
            'momd.referral': [
                ('code', '=', referral['code']),
                ('state', '=', rng.choice(['draft', 'to_approve', 'sent',
                            'accepted', 'cancelled', 'closed'])),
                ('provider', '=', referral['provider']),
                ('restricted', '=', True), ('office', '=', office),
                ('beneficiary.code', '=', person['code']),
                ('case.beneficiary.first_name', 'ilike',
                    person['first_name']),
                ('need.description', 'ilike', '%LEAKMARK%'),
                ('consent.beneficiary.phones.number', '=', self.number(
                        'momd.beneficiary.phone')),
                ('sent_date', '=', None),
                ('case', 'ilike', '%' + person['father_name'] + '%'),
                ('beneficiary', 'ilike', '%' + person['code'] + '%'),
                ],
            'momd.outreach.event': [
                ('office', '=', office), ('state', '=', 'done'),
                ('notes', 'ilike', '%LEAKMARK%'),
                ],
            'momd.provider': [
                ('state', '=', 'active'), ('name_en', 'ilike', '%Network%'),
                ],
            'momd.provider.service': [
                ('provider', '=', referral['provider']),
                ('category.restricted', '=', True),
                ('category.code', 'ilike', 'protection%'),
                ],
            'momd.activity': [
                ('office', '=', office),
                ('provider', '=', referral['provider']),
                ('user', '=', self.user.id),
                ],
            'ir.attachment': [
                ('resource', '=', 'momd.beneficiary,%s' % person['id']),
                ('resource', 'like', 'momd.case,%'),
                ('name', 'ilike', '%LEAKMARK%'),
                ('description', 'ilike', '%ATTD%'),
                ],
            'ir.note': [
                ('resource', '=', 'momd.referral,%s' % referral['id']),
                ('resource', 'like', 'momd.need,%'),
                ('message', 'ilike', '%LEAKMARK%'),
                ],
            'momd.beneficiary.duplicate': [
                ('office', '=', office), ('match_office', '=', office),
                ('state', '=', 'open'), ('source', '=', 'import'),
                ('match.code', '=', person['code']),
                ('beneficiary.first_name', 'ilike', person['first_name']),
                ('import_row', '!=', None),
                ],
            'momd.kobo.import': [
                ('office', '=', office), ('office.code', '=', code),
                ('file_name', 'ilike', '%LEAKMARK%'),
                ('state', '=', 'done'),
                ],
            'momd.kobo.import.row': [
                ('office', '=', office), ('batch.office', '=', office),
                ('uuid', 'ilike', '%LEAKMARK%'), ('status', '=', 'held'),
                ('beneficiary.code', '=', person['code']),
                ('values', 'ilike', '%' + person['first_name'] + '%'),
                ],
            }
        return rng.choice(leaves.get(model, []) + common)

    def domain(self, model):
        shape = self.rng.random()
        if shape < 0.1:
            return []
        if shape < 0.65:
            return [self.leaf(model)]
        if shape < 0.85:
            return [self.leaf(model), self.leaf(model)]
        return ['OR', self.leaf(model), self.leaf(model)]

    def model(self):
        return self.rng.choice(PROBED_MODELS)

    # the ways in

    def run(self, count):
        paths = [p for p in self.paths if p != 'rest'
            or self.world.rest_keys.get(self.login)]
        weights = [self.paths[p] for p in paths]
        while sum(self.counts.values()) < count:
            path = self.rng.choices(paths, weights)[0]
            start = time.monotonic()
            getattr(self, 'probe_' + path)()
            self.seconds[path] += time.monotonic() - start
        return self

    def probe_read(self, related=False):
        model = self.model()
        ids = self.pick_ids(model)
        fields = READ_FIELDS[model]
        if related:
            fields = [f for f in fields if '.' in f] or fields
        fields = self.rng.sample(fields, min(len(fields),
                self.rng.randint(1, 4)))
        path = 'read_related' if related else 'read'
        request = '%s.read(%s, %s)' % (model, ids, fields)
        ok, answer = self.call(path, model, 'read', ids, fields)
        visible = self.visible(model)
        if ok:
            self.check_rows(path, request, model, answer)
        elif (self.readable(model) and set(ids) <= visible
                and not any('.' in f for f in fields)
                and model not in {'ir.attachment', 'ir.note'}):
            self.remark('refused in scope', '%s: %s' % (
                    request, answer.message[:150]))

    def probe_read_related(self):
        self.probe_read(related=True)

    def probe_search(self, method='search'):
        model = self.model()
        domain = self.domain(model)
        limit = self.rng.choice([None, None, None, 5])
        request = '%s.%s(%r)' % (model, method, domain)
        if method == 'search_count':
            ok, answer = self.call(method, model, method, domain)
        elif method == 'search':
            ok, answer = self.call(method, model, method, domain, 0, limit,
                None)
        else:
            fields = self.rng.sample(READ_FIELDS[model], 2)
            ok, answer = self.call(method, model, method, domain, 0, limit,
                None, fields)
        if not ok:
            return
        expected = self.expected(model, domain)
        if method == 'search_count':
            visible = self.visible(model)
            if model not in {'ir.attachment', 'ir.note'} and (
                    answer > len(visible)):
                self.leak(method, request, 'counts %d, more than the %d '
                    'records the user may see' % (answer, len(visible)))
            elif expected is not None and answer > len(expected):
                self.leak(method, request, 'counts %d, only %d match in '
                    'the scope' % (answer, len(expected)))
            elif expected is not None and answer != len(expected):
                self.remark('count below the scope', '%s: %d for %d' % (
                        request, answer, len(expected)))
            return
        rows = answer if method == 'search_read' else [
            {'id': i} for i in answer]
        self.check_rows(method, request, model, rows)
        ids = {r['id'] for r in rows}
        if expected is not None:
            extra = (ids - expected) & self.visible(model)
            if extra:
                self.leak(method, request, 'finds %s: they match only '
                    'through records the user may not read' % sorted(
                        extra)[:5])
            if limit is None and expected - ids:
                self.remark('not found in scope', '%s: %s' % (
                        request, sorted(expected - ids)[:5]))

    def probe_search_count(self):
        self.probe_search('search_count')

    def probe_search_read(self):
        self.probe_search('search_read')

    def probe_rec_name_search(self):
        "Search a model by the name, phone or code of someone, in scope or not"
        person = self.person()
        phone = self.now.get('momd.beneficiary.phone', (
                person['phones'] or [0])[0])
        text = self.rng.choice([person['full_name'], person['code'],
                person['full_name_latin'] or person['code'],
                phone['number'] if phone else person['code']])
        # the user must not see this token of the person
        hidden = text in self.scanner().forbidden
        fields = [
            ('momd.referral', 'case'), ('momd.referral', 'beneficiary'),
            ('momd.referral', 'rec_name'), ('momd.referral', 'consent'),
            ('momd.activity', 'rec_name')]
        if self.readable('momd.beneficiary') or self.rng.random() < 0.2:
            fields += [
                ('momd.beneficiary', 'rec_name'),
                ('momd.household', 'head'),
                ('momd.case', 'beneficiary'), ('momd.case', 'rec_name'),
                ('momd.consent', 'beneficiary'), ('momd.need', 'case'),
                ('momd.beneficiary.phone', 'beneficiary'),
                ('momd.beneficiary.phone', 'rec_name'),
                ('momd.outreach.event', 'beneficiaries')]
        model, field = self.rng.choice(fields)
        domain = [(field, 'ilike', '%' + text + '%')]
        method = self.rng.choice(['search', 'search_read', 'search_count'])
        request = '%s.%s(%r)' % (model, method, domain)
        if method == 'search_count':
            ok, answer = self.call('rec_name_search', model, method, domain)
            if ok and answer > len(self.visible(model)):
                self.leak('rec_name_search', request, 'counts %d' % answer)
            return
        args = [domain, 0, None, None] + (
            [['rec_name']] if method == 'search_read' else [])
        ok, answer = self.call('rec_name_search', model, method, *args)
        if ok:
            rows = answer if method == 'search_read' else [
                {'id': i} for i in answer]
            self.check_rows('rec_name_search', request, model, rows)
            records = self.now.records[model]
            about = [r['id'] for r in rows if r['id'] in records
                and person['id'] in self.now.persons_of(
                    model, records[r['id']])]
            if hidden and about:
                self.leak('rec_name_search', request, 'finds %s by a name, '
                    'number or code of %s the user may not see' % (
                        about, person['code']))

    def probe_export_data(self):
        model = self.model()
        ids = self.pick_ids(model)
        fields = self.rng.sample(EXPORT_FIELDS[model], min(
                len(EXPORT_FIELDS[model]), self.rng.randint(1, 3)))
        request = '%s.export_data(%s, %s)' % (model, ids, fields)
        ok, answer = self.call('export_data', model, 'export_data', ids,
            fields)
        if ok:
            outside = sorted(set(ids) - self.visible(model))
            if outside:
                self.leak('export_data', request, 'exports records outside '
                    'the scope: %s' % outside)
            self.scan('export_data', request, answer)

    def probe_export_data_domain(self):
        model = self.model()
        domain = self.domain(model)
        fields = self.rng.sample(EXPORT_FIELDS[model], min(
                len(EXPORT_FIELDS[model]), self.rng.randint(1, 3)))
        request = '%s.export_data_domain(%r, %s)' % (model, domain, fields)
        ok, answer = self.call('export_data_domain', model,
            'export_data_domain', domain, fields)
        if ok:
            self.scan('export_data_domain', request, answer)

    def probe_history(self):
        "Reads and searches of the past, with _datetime"
        model = self.rng.choice(sorted(HISTORY_MODELS))
        moment = self.rng.choice(['past', 'before', 'now'])
        context = {'_datetime': encode_datetime(self.world.times[moment])}
        method = self.rng.choice(['read', 'search', 'search_read',
                'search_count'])
        snapshot = self.world.snapshots[moment]
        visible = self.visible(model, moment)
        if method == 'read':
            ids = self.pick_ids(model)
            fields = self.rng.sample(READ_FIELDS[model], 2)
            request = '%s.read(%s, %s) at %s' % (model, ids, fields, moment)
            ok, answer = self.call('history', model, 'read', ids, fields,
                context=context)
            if ok:
                self.check_rows('history', request, model, answer, moment)
                existing = [i for i in ids if i in snapshot.records.get(
                        model, {})]
                if moment != 'past' and not existing and answer:
                    self.leak('history', request, 'reads records that did '
                        'not exist then')
            return
        domain = self.domain(model) if self.rng.random() < 0.6 else []
        request = '%s.%s(%r) at %s' % (model, method, domain, moment)
        if method == 'search_count':
            ok, answer = self.call('history', model, method, domain,
                context=context)
            if ok and answer > len(visible):
                self.leak('history', request, 'counts %d, more than the %d '
                    'records the user could see then' % (answer,
                        len(visible)))
            return
        args = [domain, 0, None, None] + (
            [self.rng.sample(READ_FIELDS[model], 2)]
            if method == 'search_read' else [])
        ok, answer = self.call('history', model, method, *args,
            context=context)
        if ok:
            rows = answer if method == 'search_read' else [
                {'id': i} for i in answer]
            self.check_rows('history', request, model, rows, moment)

    def probe_attachment_note(self):
        model = self.rng.choice(['ir.attachment', 'ir.note'])
        method = self.rng.choice(['search', 'search_count', 'search_read',
                'read', 'export_data', 'export_data_domain'])
        fields = ['name', 'description', 'resource'] if (
            model == 'ir.attachment') else ['message', 'resource']
        domain = self.domain(model)
        ids = self.pick_ids(model)
        visible = self.visible(model)
        if method in {'read', 'export_data'}:
            request = '%s.%s(%s)' % (model, method, ids)
            ok, answer = self.call('attachment_note', model, method, ids,
                fields)
            if ok and set(ids) - visible:
                self.leak('attachment_note', request, 'answers for records '
                    'attached to what the user may not read: %s' % sorted(
                        set(ids) - visible))
            if ok:
                self.scan('attachment_note', request, answer)
            return
        request = '%s.%s(%r)' % (model, method, domain)
        if method == 'search_count':
            ok, answer = self.call('attachment_note', model, method, domain)
            expected = self.expected(model, domain)
            if ok and expected is not None and answer > len(expected):
                self.leak('attachment_note', request, 'counts %d, only %d '
                    'are on records the user may read' % (
                        answer, len(expected)))
            return
        args = {'search': [domain, 0, None, None],
            'search_read': [domain, 0, None, None, fields],
            'export_data_domain': [domain, fields]}[method]
        ok, answer = self.call('attachment_note', model, method, *args)
        if not ok:
            return
        if method == 'search':
            self.check_ids('attachment_note', request, model, answer)
        elif method == 'search_read':
            self.check_rows('attachment_note', request, model, answer)
        else:
            self.scan('attachment_note', request, answer)

    def probe_statistics(self):
        model = self.rng.choice(STATISTICS)
        context = {}
        office = None
        if self.rng.random() < 0.4:
            office = self.rng.choice(sorted(self.now.records['momd.office']))
            context['office'] = office
        since = None
        if self.rng.random() < 0.3:
            since = dt.date.today() - dt.timedelta(
                days=self.rng.randint(0, 400))
            context['from_date'] = encode_date(since)
        if model == 'momd.referral.kpi':
            context['kpi_by'] = self.rng.choice(['month', 'office',
                    'provider,provider_type', 'category', 'district'])
        fields = {
            'momd.referral.statistic': ['referrals', 'office', 'provider'],
            'momd.beneficiary.statistic': [
                'registered', 'referred', 'reached', 'office'],
            'momd.outreach.statistic': [
                'events', 'beneficiaries', 'needs', 'office'],
            'momd.referral.kpi': ['sent', 'office', 'provider'],
            }[model]
        request = '%s.search_read(context=%r)' % (model, context)
        ok, rows = self.call('statistics', model, 'search_read', [], 0, None,
            None, fields, context=context)
        if not ok:
            return
        if not self.readable(model) and rows:
            self.leak('statistics', request, 'the role may not read '
                'statistics, %d rows' % len(rows))
            return
        for name, expected in self.statistic_expectations(
                model, office, since).items():
            total = sum(r.get(name) or 0 for r in rows)
            if total > expected:
                self.leak('statistics', request, '%s sums to %d, the user '
                    'may see %d' % (name, total, expected))
            elif total < expected:
                self.remark('statistic below the scope', '%s %s: %d < %d' % (
                        request, name, total, expected))
        if self.user.office_staff and not self.user.all_offices:
            offices = {r['office'] for r in rows if r.get('office')}
            if offices - self.user.offices:
                self.leak('statistics', request, 'rows of other offices: '
                    '%s' % sorted(offices - self.user.offices))
        if self.user.focal_point and model == 'momd.referral.kpi':
            providers = {r['provider'] for r in rows if r.get('provider')}
            if providers - self.user.providers:
                self.leak('statistics', request, 'rows of other providers')

    def statistic_expectations(self, model, office, since):
        "What the sums of a statistic must be, from the records in scope"
        now = self.now
        start = dt.datetime.combine(since, dt.time()) if since else None

        def after(value):
            if start is None:
                return True
            if isinstance(value, dt.date) and not isinstance(
                    value, dt.datetime):
                return value >= since
            return value is not None and value >= start

        def in_office(model_, record):
            return office is None or now.office_of(model_, record) == office
        referrals = [now.records['momd.referral'][i]
            for i in self.visible('momd.referral')]
        if model == 'momd.referral.statistic':
            return {'referrals': sum(1 for r in referrals
                    if in_office('momd.referral', r)
                    and after(r['sent_date'] or r['create_date']))}
        if model == 'momd.referral.kpi':
            return {'sent': sum(1 for r in referrals
                    if r['sent_date'] and after(r['sent_date'])
                    and in_office('momd.referral', r))}
        if model == 'momd.beneficiary.statistic':
            people = [now.records['momd.beneficiary'][i]
                for i in self.visible('momd.beneficiary')]
            people = [b for b in people if b['active']
                and in_office('momd.beneficiary', b)
                and after(b['create_date'])]
            referred, reached = set(), set()
            for referral in referrals:
                case = now.get('momd.case', referral['case'])
                if referral['sent_date']:
                    referred.add(case['beneficiary'])
                if referral['outcome'] in {'provided', 'partly'}:
                    reached.add(case['beneficiary'])
            return {
                'registered': len(people),
                'referred': sum(1 for b in people if b['id'] in referred),
                'reached': sum(1 for b in people if b['id'] in reached),
                }
        if model == 'momd.outreach.statistic':
            events = {i for i in self.visible('momd.outreach.event')
                if now.records['momd.outreach.event'][i]['state'] == 'done'
                and in_office('momd.outreach.event',
                    now.records['momd.outreach.event'][i])
                and after(now.records['momd.outreach.event'][i]['date'])}
            return {
                'events': len(events),
                'beneficiaries': sum(1 for b in now.records[
                        'momd.beneficiary'].values()
                    if b['outreach_event'] in events),
                'needs': sum(1 for i in self.visible('momd.need')
                    if now.records['momd.need'][i]['outreach_event']
                    in events),
                }
        return {}

    def probe_report(self):
        kind = self.rng.choice(['form', 'notification', 'spreadsheet',
                'spreadsheet', 'notification', 'monthly'])
        context = {'language': 'en'}
        if kind in {'form', 'notification'}:
            ids = self.pick_ids('momd.referral')[:1]
            name = ('momd.referral.form' if kind == 'form'
                else 'momd.referral.notification')
            inside = set(ids) <= self.visible('momd.referral')
            if kind == 'form' and inside and self.pdfs >= 3:
                kind, name = 'notification', 'momd.referral.notification'
            request = 'report %s(%s)' % (name, ids)
            self.counts['report'] += 1
            try:
                ext, content, _, title = decode(self.session.call(
                        'report.%s.execute' % name, ids, {
                            'model': 'momd.referral', 'id': ids[0],
                            'ids': ids}, context))
            except RPCError as error:
                self.refused('report', request, error)
                return
            if not inside:
                self.leak('report', request, 'printed a referral outside '
                    'the scope')
            if ext == 'pdf':
                self.pdfs += 1
                content = pdf_text(content)
            self.scan('report', request, [content, title])
            return
        if kind == 'monthly':
            month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)
                ).replace(day=1)
            office = self.rng.choice(
                sorted(self.now.records['momd.office']) + [None])
            request = 'report momd.monthly.report.file(%s, %s)' % (
                month, office)
            self.counts['report'] += 1
            try:
                ext, content, _, _ = decode(self.session.call(
                        'report.momd.monthly.report.file.execute', [],
                        {'month': month.isoformat(), 'office': office},
                        context))
            except RPCError as error:
                self.refused('report', request, error)
                return
            self.scan('report', request, xlsx_text(content))
            return
        model = self.rng.choice(sorted(SHEET_COLUMNS))
        ids = None if self.rng.random() < 0.5 else self.pick_ids(model)
        request = 'report momd.spreadsheet(%s, %s)' % (model, ids)
        self.counts['report'] += 1
        try:
            ext, content, _, _ = decode(self.session.call(
                    'report.momd.spreadsheet.execute', [], {
                        'model': model, 'ids': ids,
                        'columns': SHEET_COLUMNS[model], 'format': 'csv',
                        'name': 'probe'}, context))
        except RPCError as error:
            self.refused('report', request, error)
            return
        lines = list(csv.reader(io.StringIO(
                    content.decode('utf-8-sig'))))[1:]
        visible = self.visible(model)
        if ids is not None and set(ids) - visible:
            self.leak('report', request, 'exports records outside the '
                'scope: %s' % sorted(set(ids) - visible))
        elif ids is None and len(lines) > len(visible):
            self.leak('report', request, '%d lines, the user may see %d '
                'records' % (len(lines), len(visible)))
        self.scan('report', request, content)

    def probe_on_change(self):
        "The client's on_change calls, given records of any office"
        kind = self.rng.choice(['case', 'referral', 'activity'])
        if kind == 'case':
            beneficiary = self.pick_ids('momd.beneficiary')[0]
            model, values, fields = 'momd.case', {
                'id': -1, 'beneficiary': beneficiary, 'household': None,
                'office': None}, ['beneficiary']
        elif kind == 'referral':
            need = self.pick_ids('momd.need')[0]
            model, values, fields = 'momd.referral', {
                'id': -1, 'need': need, 'priority': None}, ['need']
        else:
            target = self.rng.choice(['momd.case', 'momd.beneficiary',
                    'momd.referral'])
            model, values, fields = 'momd.activity', {
                'id': -1, 'office': None, 'resource': '%s,%s' % (
                    target, self.pick_ids(target)[0])}, ['resource']
        request = '%s.on_change(%r)' % (model, values)
        ok, answer = self.call('on_change', model, 'on_change', values,
            fields)
        if not ok:
            return
        self.scan('on_change', request, answer)
        if kind == 'case' and answer.get('household') and (
                beneficiary not in self.visible('momd.beneficiary')):
            self.leak('on_change', request, 'tells the household %s of a '
                'beneficiary outside the scope' % answer['household'])

    def probe_data_route(self):
        "GET /<db>/data/<model>: CSV export by domain or ids"
        model = self.model()
        fields = [f.replace('/', '.') for f in self.rng.sample(
                EXPORT_FIELDS[model], min(2, len(EXPORT_FIELDS[model])))]
        by_ids = self.rng.random() < 0.4
        ids = self.pick_ids(model)
        domain = ids if by_ids else self.domain(model)
        params = [('d', json.dumps(domain))] + [('f', f) for f in fields]
        moment = 'now'
        if model in HISTORY_MODELS and self.rng.random() < 0.25:
            moment = self.rng.choice(['past', 'before'])
            params.append(('c', json.dumps({'_datetime': encode_datetime(
                                self.world.times[moment])})))
        request = 'GET data/%s?%s' % (model, urllib.parse.urlencode(params))
        self.counts['data_route'] += 1
        status, body = self.world.http('GET', 'data/%s?%s' % (
                model, urllib.parse.urlencode(params)),
            headers={'Authorization': self.session.auth})
        if status != 200:
            self.remarks['refused'] += 1
            self.scan('data_route', request, body, moment)
            return
        if by_ids and set(ids) - self.visible(model, moment):
            self.leak('data_route', request, 'exports records outside the '
                'scope: %s' % sorted(set(ids) - self.visible(model, moment)))
        self.scan('data_route', request, body, moment)

    def probe_rest(self):
        "The REST API with the user's application key"
        key = self.world.rest_keys.get(self.login)
        headers = {'Authorization': 'bearer %s' % key}
        model = self.model()
        kind = self.rng.choice(['search', 'search', 'get', 'report'])
        moment = 'now'
        if kind == 'get':
            id_ = self.pick_ids(model)[0]
            request = 'REST GET model/%s/%s' % (model, id_)
            self.counts['rest'] += 1
            status, body = self.world.http('GET', 'rest/model/%s/%s' % (
                    model, id_), headers=headers)
            if status == 200 and id_ not in self.visible(model):
                self.leak('rest', request, 'reads a record outside the '
                    'scope')
        elif kind == 'report':
            id_ = self.pick_ids('momd.referral')[0]
            request = 'REST GET report/momd.referral.notification/%s' % id_
            self.counts['rest'] += 1
            status, body = self.world.http('GET',
                'rest/report/momd.referral.notification/%s' % id_,
                headers=headers)
            if status == 200 and id_ not in self.visible('momd.referral'):
                self.leak('rest', request, 'prints a referral outside the '
                    'scope')
        else:
            domain = self.domain(model)
            fields = self.rng.sample(READ_FIELDS[model], 2)
            query = [('d', base64.urlsafe_b64encode(
                        json.dumps(domain).encode()).decode())] + [
                ('f', f) for f in fields]
            if model in HISTORY_MODELS and self.rng.random() < 0.3:
                moment = self.rng.choice(['past', 'before'])
                headers['X-Tryton-Context'] = base64.urlsafe_b64encode(
                    json.dumps({'_datetime': encode_datetime(
                                self.world.times[moment])}).encode()).decode()
            request = 'REST GET model/%s %r %s at %s' % (
                model, domain, fields, moment)
            self.counts['rest'] += 1
            status, body = self.world.http('GET', 'rest/model/%s?%s' % (
                    model, urllib.parse.urlencode(query)), headers=headers)
            if status == 200:
                rows = decode(json.loads(body))
                self.check_ids('rest', request, model,
                    [r['id'] for r in rows], moment)
                self.scan('rest', request, rows, moment)
                return
        if status != 200:
            self.remarks['refused'] += 1
        try:
            body = decode(json.loads(body))
        except ValueError:
            pass
        self.scan('rest', request, body, moment)

    def probe_audit_trail(self):
        """The audit trail: supervisors read the lines of their offices,
        administrators all, the other roles none"""
        model = self.model()
        domain = self.rng.choice([[], [('model', '=', model)],
                [('record', 'in', self.pick_ids(model))],
                [('action', '=', 'denied')]])
        request = 'momd.access.log.search_read(%r)' % domain
        ok, rows = self.call('audit_trail', 'momd.access.log',
            'search_read', domain, 0, 50, None,
            ['office', 'model', 'record', 'user', 'action'])
        if not ok:
            return
        if 'admin' in self.user.roles:
            return
        if 'supervisor' not in self.user.roles:
            if rows:
                self.leak('audit_trail', request, 'the role reads %d lines '
                    'of the audit trail' % len(rows))
            return
        outside = {r['office'] for r in rows} - self.user.offices
        if outside:
            self.leak('audit_trail', request, 'lines of other offices: %s'
                % sorted(outside, key=str))
        self.scan('audit_trail', request, rows)

    def probe_notification(self):
        "The user's own notifications name only what the user may see"
        ok, rows = self.call('notification', 'res.notification',
            'search_read', [], 0, None, None,
            ['label', 'description', 'model', 'records'])
        if ok:
            self.scan('notification', 'res.notification.search_read', rows)

    def probe_resources(self):
        "The attachment and note counts of a record"
        model = self.rng.choice(['momd.beneficiary', 'momd.case',
                'momd.referral', 'momd.need', 'momd.consent'])
        id_ = self.pick_ids(model)[0]
        request = '%s.resources([%s])' % (model, id_)
        ok, answer = self.call('resources', model, 'resources', [id_])
        if ok and id_ not in self.visible(model) and any(
                v for v in answer[0].values()):
            self.leak('resources', request, 'counts the attachments of a '
                'record outside the scope: %r' % answer[0])

    def probe_history_revisions(self):
        "The revisions listed in the history dialog"
        model = self.rng.choice(sorted(HISTORY_MODELS))
        ids = self.pick_ids(model)
        request = '%s.history_revisions(%s)' % (model, ids)
        ok, answer = self.call('history_revisions', model,
            'history_revisions', ids)
        if ok:
            outside = sorted({r[1] for r in answer} - self.visible(model))
            if outside:
                self.leak('history_revisions', request, 'lists the changes '
                    '(dates, authors) of records outside the scope: %s'
                    % outside[:10])
            self.scan('history_revisions', request, answer)

    def probe_button(self):
        "Buttons on records outside the scope are refused"
        model = self.rng.choice(sorted(BUTTONS))
        hidden = sorted(set(self.now.records[model]) - self.visible(model))
        if not hidden:
            return
        id_ = self.rng.choice(hidden)
        button = self.rng.choice(BUTTONS[model])
        request = '%s.%s([%s])' % (model, button, id_)
        ok, answer = self.call('button', model, button, [id_])
        if ok:
            self.leak('button', request, 'pressed on a record outside the '
                'scope')

    def summary(self):
        return '%-24s %5d probes  %3d leaks  %s' % (
            self.login, sum(self.counts.values()), len(self.leaks),
            ' '.join('%s=%d' % i for i in sorted(self.counts.items())))


def pdf_text(content):
    with tempfile.NamedTemporaryFile(suffix='.pdf') as pdf:
        pdf.write(content)
        pdf.flush()
        return subprocess.run(['pdftotext', '-layout', pdf.name, '-'],
            check=True, stdout=subprocess.PIPE, text=True).stdout


def xlsx_text(content):
    import openpyxl
    book = openpyxl.load_workbook(io.BytesIO(content))
    return '\n'.join(' '.join(str(v) for v in row if v is not None)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True))


def campaign(world, logins, probes, seed=SEED, paths=None, workers=3):
    "Run a campaign for each login, a few at a time; return them"
    for login in logins:
        if paths is None or 'rest' in paths:
            world.rest_key(login)

    def run(item):
        index, login = item
        return Campaign(world, login, seed * 100 + index, paths).run(probes)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, enumerate(logins)))


def report(campaigns):
    "The leaks, grouped by way in, as the assertion shows them"
    lines = []
    leaks = [leak for c in campaigns for leak in c.leaks]
    for path, count in Counter(
            leak.split(' ')[1] for leak in leaks).most_common():
        lines.append('%d leaks by %s, e.g.:' % (count, path))
        shown = []
        for leak in leaks:
            if leak.split(' ')[1] == path and leak not in shown:
                shown.append(leak)
            if len(shown) == 4:
                break
        lines.extend('  ' + s[:400] for s in shown)
    return '\n'.join(lines)


def test_leak_probes(world):
    """At least 10,000 random probes by every way in, for caseworkers,
    supervisors, the manager, the administrator, focal points, a user with
    sensitive data access and one of two offices: nothing outside the
    user's scope comes back"""
    start = time.monotonic()
    campaigns = campaign(world, ROLES, PROBES)
    elapsed = time.monotonic() - start
    total = sum(sum(c.counts.values()) for c in campaigns)
    print()
    for c in campaigns:
        print(c.summary())
        for kind, count in sorted(c.remarks.items()):
            if kind != 'refused':
                print('    %s: %d, e.g. %s' % (
                        kind, count, c.examples.get(kind, '')[:300]))
    print('%d probes in %.0f s, %d refused, %d leaks' % (
            total, elapsed, sum(c.remarks['refused'] for c in campaigns),
            sum(len(c.leaks) for c in campaigns)))
    assert total >= 10000
    # every role reached its own records and was refused others: the
    # probes tried both sides of the scope
    for c in campaigns:
        if c.login != 'administrator':
            assert c.remarks['refused'] > 0, c.login
        assert c.counts['read'] > c.remarks['refused in scope'], c.login
    assert not [c for c in campaigns if c.leaks], report(campaigns)


@contextlib.contextmanager
def broken_office_rule(admin):
    """The caseworkers' "Own offices" rule of beneficiaries broken by an
    "every record" clause (the clauses of a rule group are alternatives);
    restored, and checked restored, on leaving"""
    group, = _ids(admin, 'ir.rule.group', [
            ('model', '=', 'momd.beneficiary'), ('name', '=', 'Own offices')])

    def rules():
        return sorted(admin.model('ir.rule.group', 'read', [group],
                ['rules'])[0]['rules'])
    original = rules()
    added = []
    try:
        added = admin.model('ir.rule', 'create', [{'rule_group': group,
                    'domain': json.dumps([['id', '!=', None]])}])
        yield
    finally:
        if added:
            admin.model('ir.rule', 'delete', added)
        assert rules() == original


def test_broken_rule_is_caught(world):
    """With the office rule of beneficiaries broken, the probes of a
    caseworker find other offices' beneficiaries; the same probes find none
    once the rule is restored"""
    paths = {'read': 5, 'search': 3, 'search_read': 3, 'export_data': 2,
        'rec_name_search': 2, 'statistics': 1}
    sign = 'of momd.beneficiary outside the scope'
    with broken_office_rule(world.admin):
        broken, = campaign(world, ['mosul.caseworker'], 300, paths=paths)
    print('\nbroken rule:  ', broken.summary())
    assert any(sign in leak for leak in broken.leaks), (
        'the broken rule went unnoticed')
    restored, = campaign(world, ['mosul.caseworker'], 300, paths=paths)
    print('rule restored:', restored.summary())
    assert not [leak for leak in restored.leaks if sign in leak]
    user = world.users['mosul.caseworker']
    assert world.session('mosul.caseworker').model(
        'momd.beneficiary', 'search_count', [
            ('active', 'in', [True, False])]) == len(
        world.now.visible(user, 'momd.beneficiary'))


# The review of possible duplicates, the KoboToolbox imports and the merged
# record, read by each user of another office or provider, all at once

NEW_MODELS = {
    'momd.beneficiary.duplicate': ['beneficiary', 'match', 'match_summary',
        'reasons', 'import_row'],
    'momd.kobo.import': ['office', 'file_name', 'rows'],
    'momd.kobo.import.row': ['batch', 'uuid', 'values', 'beneficiary'],
    }
MERGE_FIELDS = ['merged_into', 'merged_by', 'merged_date']


# records read one by one of each model by each user, on either side of its
# scope (the searches and counts compare every record)
SAMPLE = 40


def _sample(every, visible, rng):
    """The ids of every to read one by one: all of them, or, when the
    database holds more (the rows of the imports made by the browser
    tests...), SAMPLE of those in visible and SAMPLE of the others, drawn
    with rng"""
    sample = []
    for side in [sorted(every & visible), sorted(every - visible)]:
        sample += side if len(side) <= SAMPLE else rng.sample(side, SAMPLE)
    return sorted(sample)


def test_review_import_merge_scope(world):
    """The possible duplicates to review, the KoboToolbox imports and their
    rows, and the merge fields of the beneficiaries: the focal points read,
    find, count and export none; caseworkers and supervisors those of their
    offices as the record rules say, nothing of another office's (of the
    other record of a pair only its number); managers all"""
    now = world.now
    lines = now.records['momd.beneficiary.duplicate'].values()
    # the data set holds what is checked
    assert any(line['office'] and line['office'] != line['match_office']
        for line in lines), 'no pair across offices'
    assert any(line['import_row'] for line in lines), 'no import row held'
    assert now.records['momd.kobo.import.row'], 'no import row'
    merged = [b for b in now.records['momd.beneficiary'].values()
        if b['merged_into']]
    assert merged, 'no record merged'
    failures = []
    counts = Counter()
    rng = random.Random(SEED)
    print()
    for login in ['provider.sinjar.women', 'provider.shelter',
            'mosul.caseworker', 'hamdaniya.caseworker', 'sinjar.supervisor',
            'talafar.supervisor', 'leak.multi', 'manager']:
        user = world.users[login]
        session = world.session(login)
        scanner = now.scanner(user)
        seen = []
        for model, fields in sorted(NEW_MODELS.items()):
            every = set(now.records[model])
            visible = now.visible(user, model)
            if user.focal_point:
                assert not visible
            try:
                found = set(_ids(session, model, []))
                count = session.model(model, 'search_count', [])
            except RPCError:
                found, count = set(), 0
                counts['refused'] += 1
            if found != visible or count != len(visible):
                failures.append('%s %s finds %s (count %s), may %s' % (
                        login, model, sorted(found), count,
                        sorted(visible)))
            for id_ in _sample(every, visible, rng):
                for method, args in [('read', [[id_], fields]),
                        ('export_data', [[id_], fields[:2]])]:
                    counts[method] += 1
                    try:
                        answer = decode(session.model(model, method, *args))
                    except RPCError as error:
                        counts['refused'] += 1
                        answer = error.message
                        if id_ in visible and method == 'read':
                            failures.append('%s %s.read(%s) refused: %s' % (
                                    login, model, id_, answer[:120]))
                    else:
                        if id_ not in visible:
                            failures.append('%s %s.%s(%s) answered' % (
                                    login, model, method, id_))
                    for token, what in scanner.scan(_text(answer))[:3]:
                        failures.append('%s %s.%s(%s) shows %r (%s)' % (
                                login, model, method, id_, token, what))
            seen.append('%s %d/%d' % (model.split('.', 1)[1], len(visible),
                    len(every)))
        # the merged records: their merge fields as the record rules say
        visible = now.visible(user, 'momd.beneficiary')
        for record in merged:
            counts['read'] += 1
            try:
                row, = decode(session.model('momd.beneficiary', 'read',
                        [record['id']], MERGE_FIELDS,
                        context={'active_test': False}))
            except RPCError:
                counts['refused'] += 1
                row = None
            if (row is not None) != (record['id'] in visible):
                failures.append('%s reads merged %s: %s' % (
                        login, record['code'], row))
            elif row and row['merged_into'] != record['merged_into']:
                failures.append('%s reads merged %s into %s' % (
                        login, record['code'], row['merged_into']))
            # and the kept record only if it may read it
            counts['read'] += 1
            try:
                session.model('momd.beneficiary', 'read', [record['id']],
                    ['merged_into.rec_name'],
                    context={'active_test': False})
                named = True
            except RPCError:
                counts['refused'] += 1
                named = False
            if named and not {record['id'], record['merged_into']} <= (
                    visible):
                failures.append('%s reads the record %s was merged into' % (
                        login, record['code']))
        print('%-22s %s; merged %d/%d' % (login, ', '.join(seen),
                len([r for r in merged if r['id'] in visible]), len(merged)))
    print('%d reads, %d exports, %d refused, %d failures' % (
            counts['read'], counts['export_data'], counts['refused'],
            len(failures)))
    assert not failures, '\n'.join(failures[:20])


# What a provider keeps of the person: the referrals of the data set whose
# disclosure ended (a month after the answer or the closing, the agreement
# expired), read by every way a provider has

PROVIDER_READ = [
    'code', 'state', 'sent_date', 'answered_date', 'closed_date', 'outcome',
    'beneficiary_name', 'beneficiary_sex', 'beneficiary_age',
    'beneficiary_phones', 'beneficiary_location', 'need_description',
    'beneficiary_documents', 'beneficiary_vulnerabilities', 'reason',
    'exception_reason']


def referral_tokens(world, referral, groups=None):
    """The strings that tell of the person of the referral (of the groups
    disclosed, if given): names, phones, documents, need, reason, the notes
    and files on it"""
    now = world.now
    record = now.get('momd.referral', referral)
    case = now.get('momd.case', record['case'])
    beneficiary = now.get('momd.beneficiary', case['beneficiary'])
    tokens = now.person_tokens(beneficiary, groups)
    need = now.get('momd.need', record['need'])
    if groups is None or 'needs' in groups:
        tokens.add(need['description'])
    tokens.add(record['reason'])
    resource = 'momd.referral,%s' % referral
    for model, fields in [('ir.attachment', ['name', 'description']),
            ('ir.note', ['message'])]:
        for row in now.records[model].values():
            if row['resource'] == resource:
                tokens.update(row[f] for f in fields)
    return {t for t in tokens if t}


def provider_reads(world, login, referral):
    """Everything the focal point gets of the referral, as text: read,
    search_read, export, notes and files, the printed form, the history,
    REST and the CSV route (of a refusal, its message)"""
    session = world.session(login)
    key = world.rest_key(login)
    resource = 'momd.referral,%s' % referral
    past = {'_datetime': encode_datetime(world.times['before'])}
    texts = []

    def ask(model, method, *args, context=None):
        try:
            texts.append(_text(decode(session.model(model, method, *args,
                            context=context))))
        except RPCError as error:
            texts.append(error.message)
    ask('momd.referral', 'read', [referral], PROVIDER_READ)
    ask('momd.referral', 'search_read', [('id', '=', referral)], 0, None,
        None, PROVIDER_READ)
    ask('momd.referral', 'read', [referral], PROVIDER_READ, context=past)
    ask('momd.referral', 'search_read', [], 0, None, None, PROVIDER_READ,
        context=past)
    ask('momd.referral', 'export_data', [referral], ['code', 'state'])
    ask('momd.referral', 'export_data', [referral], ['beneficiary_name'])
    for model, fields in [('ir.note', ['message']),
            ('ir.attachment', ['name', 'description', 'data'])]:
        ask(model, 'search_read', [('resource', '=', resource)], 0, None,
            None, fields)
        ids = world.admin.model(model, 'search', [
                ('resource', '=', resource)], 0, None, None)
        ask(model, 'read', ids, fields)
        ask(model, 'export_data', ids, fields)
    try:
        ext, content, _, _ = decode(session.call(
                'report.momd.referral.form.execute', [referral], {
                    'model': 'momd.referral', 'id': referral,
                    'ids': [referral]}, {'language': 'en'}))
        texts.append(pdf_text(content) if ext == 'pdf' else _text(content))
    except RPCError as error:
        texts.append(error.message)
    for path, auth in [
            ('rest/model/momd.referral/%s?%s' % (referral,
                    urllib.parse.urlencode(
                        [('f', f) for f in PROVIDER_READ])),
                'bearer %s' % key),
            ('data/momd.referral?%s' % urllib.parse.urlencode(
                    [('d', json.dumps([referral])), ('f', 'code'),
                        ('f', 'reason')]),
                session.auth)]:
        status, body = world.http('GET', path,
            headers={'Authorization': auth})
        texts.append(_text(body))
    return '\n'.join(texts)


def test_provider_access_ends(world):
    """A month after the focal point declined a referral or saw it closed,
    and once the provider's data-sharing agreement has expired, nothing of
    the person reaches the focal point by any way; a referral declined
    within the month still shows what was disclosed"""
    referrals = world.data.referrals
    for login, key in [
            ('provider.sinjar.women', 'declined_old'),
            ('provider.sinjar.women', 'closed_old'),
            ('provider.shelter', 'hmd'),
            ]:
        text = provider_reads(world, login, referrals[key])
        found = sorted(t for t in referral_tokens(world, referrals[key])
            if t in text)
        assert not found, (login, key, found)
        # what it keeps: the referral itself
        code = world.now.get('momd.referral', referrals[key])['code']
        assert code in text, (login, key)
    # within the month: the name, phone, need, reason, notes and files
    text = provider_reads(
        world, 'provider.sinjar.women', referrals['declined_new'])
    now = world.now
    referral = now.get('momd.referral', referrals['declined_new'])
    beneficiary = now.get('momd.beneficiary',
        now.get('momd.case', referral['case'])['beneficiary'])
    expected = referral_tokens(world, referrals['declined_new'],
        ['contact', 'needs']) | {beneficiary['full_name']}
    missing = sorted(t for t in expected if t not in text)
    assert not missing, missing

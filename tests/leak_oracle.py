"""What each user may see, for the leak probes (tests/test_leak_probes.py).

The expectations are written here from the access rules as the product
states them (README "Confidentiality", doc/en/access-matrix.md), applied in
Python to the records an administrator reads; nothing here asks the server
which records a user may see:

- caseworkers and supervisors: the records of the offices they are members
  or supervisors of; managers and administrators: every office;
- provider focal points: nothing of the registry; the referrals addressed to
  their provider once sent (not draft, not waiting for approval); of the
  person only the information groups disclosed, while the disclosure is in
  force: not cancelled, the consent (or the approved SOP exception) and the
  provider's data-sharing agreement in force, and once declined or closed
  only for the configured days (provider_access_days) after the answer or
  the closing; their own provider and its services;
- needs and referrals of restricted categories (GBV, child protection), and
  the restricted categories and their services: only for users with
  sensitive data access and administrators;
- activities: of the user's offices or provider, or assigned to them;
- the review of possible duplicates: supervisors the pairs with either
  record in their offices, managers and administrators all, nobody else
  (of the other record of a pair only its number, office, sex and age band);
- KoboToolbox imports and their rows: caseworkers and supervisors those of
  their offices, managers and administrators all, providers never;
- a beneficiary merged into another: its number finds the kept record, and
  whoever reads the kept record may know the numbers merged into it;
- the providers' answers (the answer log): those of the referrals the user
  may read;
- attachments and notes: those of the records the user may read; a focal
  point reads those of a referral only while its disclosure is in force;
- history (_datetime): the records as they were then, of those in the
  user's scope then and now (a beneficiary transferred since is read by
  neither office as it was); of the person a focal point reads what the
  disclosure allows now, not what it allowed then.

Also here: an evaluator of search domains over those records (a related
path only reaches the related records the user may read, as a search does)
and a scanner looking, in any answer, for the names, phone numbers,
document numbers and codes the user must not see."""
import base64
import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal

# Fields the administrator reads of each model: what the rules, the domains
# of the probes and the scanner need
FIELDS = {
    'momd.office': ['code'],
    'momd.service.category': ['code', 'restricted'],
    'momd.provider': [
        'name_en', 'state', 'focal_points', 'agreement_date',
        'agreement_expiry'],
    'momd.provider.service': ['provider', 'category', 'active'],
    'momd.beneficiary': [
        'code', 'office', 'first_name', 'father_name', 'first_name_latin',
        'full_name', 'full_name_latin', 'phones', 'identifiers', 'household',
        'cases', 'consents', 'active', 'sex', 'outreach_event',
        'merged_into', 'merged_by', 'create_date', 'write_date'],
    'momd.beneficiary.phone': [
        'beneficiary', 'number', 'create_date', 'write_date'],
    'momd.beneficiary.identifier': [
        'beneficiary', 'number', 'type', 'create_date', 'write_date'],
    'momd.household': [
        'office', 'head', 'members', 'create_date', 'write_date'],
    'momd.consent': [
        'beneficiary', 'state', 'date', 'expiry_date', 'information_groups',
        'create_date', 'write_date'],
    'momd.case': [
        'code', 'office', 'beneficiary', 'needs', 'state', 'create_date',
        'write_date'],
    'momd.need': [
        'case', 'category', 'description', 'status', 'outreach_event',
        'create_date', 'write_date'],
    'momd.referral': [
        'code', 'case', 'need', 'provider', 'provider_service', 'state',
        'sent_date', 'restricted', 'disclosed_groups', 'consent',
        'legal_basis', 'approved_by', 'redirected_from', 'outcome', 'reason',
        'answered_date', 'closed_date', 'create_date', 'write_date'],
    'momd.outreach.event': ['office', 'state', 'date', 'kind', 'notes'],
    'momd.activity': [
        'office', 'provider', 'user', 'resource', 'name', 'restricted'],
    'momd.referral.answer': ['referral', 'step', 'via', 'contact_name'],
    'momd.referral.link': ['referral', 'recipient', 'state'],
    'momd.beneficiary.duplicate': [
        'beneficiary', 'match', 'office', 'match_office', 'state', 'score',
        'source', 'import_row'],
    'momd.kobo.import': ['office', 'file_name', 'state', 'user', 'rows'],
    'momd.kobo.import.row': ['batch', 'beneficiary', 'uuid', 'status'],
    'ir.attachment': ['resource', 'name', 'description'],
    'ir.note': ['resource', 'message'],
    }
# The models that keep their history (read with _datetime)
HISTORY_MODELS = {
    'momd.beneficiary', 'momd.beneficiary.phone',
    'momd.beneficiary.identifier', 'momd.household', 'momd.consent',
    'momd.case', 'momd.need', 'momd.referral'}

# Relational fields: (model, field) -> (target model, kind)
RELATIONS = {
    ('momd.beneficiary', 'office'): ('momd.office', 'm2o'),
    ('momd.beneficiary', 'phones'): ('momd.beneficiary.phone', 'x2m'),
    ('momd.beneficiary', 'identifiers'): (
        'momd.beneficiary.identifier', 'x2m'),
    ('momd.beneficiary', 'household'): ('momd.household', 'm2o'),
    ('momd.beneficiary', 'cases'): ('momd.case', 'x2m'),
    ('momd.beneficiary', 'consents'): ('momd.consent', 'x2m'),
    ('momd.beneficiary', 'outreach_event'): ('momd.outreach.event', 'm2o'),
    ('momd.beneficiary', 'merged_into'): ('momd.beneficiary', 'm2o'),
    ('momd.beneficiary.phone', 'beneficiary'): ('momd.beneficiary', 'm2o'),
    ('momd.beneficiary.identifier', 'beneficiary'): (
        'momd.beneficiary', 'm2o'),
    ('momd.household', 'office'): ('momd.office', 'm2o'),
    ('momd.household', 'head'): ('momd.beneficiary', 'm2o'),
    ('momd.household', 'members'): ('momd.beneficiary', 'x2m'),
    ('momd.consent', 'beneficiary'): ('momd.beneficiary', 'm2o'),
    ('momd.case', 'office'): ('momd.office', 'm2o'),
    ('momd.case', 'beneficiary'): ('momd.beneficiary', 'm2o'),
    ('momd.case', 'needs'): ('momd.need', 'x2m'),
    ('momd.need', 'case'): ('momd.case', 'm2o'),
    ('momd.need', 'category'): ('momd.service.category', 'm2o'),
    ('momd.referral', 'case'): ('momd.case', 'm2o'),
    ('momd.referral', 'need'): ('momd.need', 'm2o'),
    ('momd.referral', 'provider'): ('momd.provider', 'm2o'),
    ('momd.referral', 'provider_service'): ('momd.provider.service', 'm2o'),
    ('momd.referral', 'consent'): ('momd.consent', 'm2o'),
    ('momd.outreach.event', 'office'): ('momd.office', 'm2o'),
    ('momd.provider.service', 'provider'): ('momd.provider', 'm2o'),
    ('momd.provider.service', 'category'): ('momd.service.category', 'm2o'),
    ('momd.activity', 'office'): ('momd.office', 'm2o'),
    ('momd.activity', 'provider'): ('momd.provider', 'm2o'),
    ('momd.referral.answer', 'referral'): ('momd.referral', 'm2o'),
    ('momd.referral.link', 'referral'): ('momd.referral', 'm2o'),
    ('momd.beneficiary.duplicate', 'beneficiary'): ('momd.beneficiary', 'm2o'),
    ('momd.beneficiary.duplicate', 'match'): ('momd.beneficiary', 'm2o'),
    ('momd.beneficiary.duplicate', 'office'): ('momd.office', 'm2o'),
    ('momd.beneficiary.duplicate', 'match_office'): ('momd.office', 'm2o'),
    ('momd.beneficiary.duplicate', 'import_row'): (
        'momd.kobo.import.row', 'm2o'),
    ('momd.kobo.import', 'office'): ('momd.office', 'm2o'),
    ('momd.kobo.import', 'rows'): ('momd.kobo.import.row', 'x2m'),
    ('momd.kobo.import.row', 'batch'): ('momd.kobo.import', 'm2o'),
    ('momd.kobo.import.row', 'beneficiary'): ('momd.beneficiary', 'm2o'),
    }
# Function fields searched through a relation (their searchers)
SEARCHED_THROUGH = {
    ('momd.referral', 'office'): 'case.office',
    ('momd.referral', 'beneficiary'): 'case.beneficiary',
    ('momd.need', 'office'): 'case.office',
    ('momd.beneficiary.phone', 'office'): 'beneficiary.office',
    ('momd.beneficiary.identifier', 'office'): 'beneficiary.office',
    ('momd.consent', 'office'): 'beneficiary.office',
    ('momd.kobo.import.row', 'office'): 'batch.office',
    }
# The relation of the computed fields searched through a relation
DERIVED = {
    (model, name): ({'office': 'momd.office',
            'beneficiary': 'momd.beneficiary'}[name], 'm2o')
    for model, name in SEARCHED_THROUGH}
# Reference fields pointing to the records they are about
RESOURCE_MODELS = {'ir.attachment', 'ir.note', 'momd.activity'}

# What each role may read at all (doc/en/access-matrix.md, column R)
REGISTRY = [
    'momd.beneficiary', 'momd.beneficiary.identifier',
    'momd.beneficiary.phone', 'momd.household', 'momd.consent', 'momd.case',
    'momd.need', 'momd.outreach.event']
STATISTICS = [
    'momd.referral.statistic', 'momd.beneficiary.statistic',
    'momd.outreach.statistic', 'momd.referral.kpi']
NETWORK = ['momd.provider', 'momd.provider.service', 'momd.service.category']
READABLE = {
    'caseworker': set(REGISTRY + NETWORK + [
            'momd.referral', 'momd.activity']),
    'supervisor': set(REGISTRY + NETWORK + STATISTICS + [
            'momd.referral', 'momd.activity']),
    'manager': set(REGISTRY + NETWORK + STATISTICS + [
            'momd.referral', 'momd.activity']),
    'focal_point': set(NETWORK + [
            'momd.referral', 'momd.activity', 'momd.referral.kpi']),
    'admin': set(REGISTRY + NETWORK + STATISTICS + [
            'momd.referral', 'momd.activity']),
    }
for _models in READABLE.values():
    _models.update({'momd.office', 'ir.attachment', 'ir.note',
            'momd.referral.answer'})
# the review of possible duplicates: supervisors, managers, administrators
for _role in ['supervisor', 'manager', 'admin']:
    READABLE[_role].add('momd.beneficiary.duplicate')
# the KoboToolbox imports: the ministry's staff, never the providers
for _role in ['caseworker', 'supervisor', 'manager', 'admin']:
    READABLE[_role].update({'momd.kobo.import', 'momd.kobo.import.row'})
# the answer links: the ministry's staff, never the providers
for _role in ['caseworker', 'supervisor', 'manager', 'admin']:
    READABLE[_role].add('momd.referral.link')

# The texts that are tokens of the scanner: the codes, and what the probes
# wrote with a LEAKMARK in it
TEXT_TOKENS = [
    ('momd.case', 'code'), ('momd.referral', 'code'),
    ('momd.referral', 'reason'), ('momd.need', 'description'),
    ('ir.attachment', 'name'), ('ir.attachment', 'description'),
    ('ir.note', 'message'), ('momd.outreach.event', 'notes'),
    ('momd.activity', 'name'), ('momd.kobo.import', 'file_name'),
    ('momd.kobo.import.row', 'uuid')]
# The operators of a search on the registration number that also find the
# record a number was merged into
MERGED_NUMBER_OPERATORS = {'=', 'like', 'ilike', 'in'}
# The states in which nothing of the person is shared with the provider
UNSHARED_STATES = {'draft', 'to_approve', 'waiting', 'cancelled'}
# The steps after which the provider keeps the person for a number of days,
# counted from the date of the step
ENDING_STEPS = {'declined': 'answered_date', 'closed': 'closed_date'}
MIN_TOKEN = 6


def decode(value):
    "The values of a JSON-RPC answer as Python objects"
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        kind = value.get('__class__')
        if kind == 'datetime':
            return dt.datetime(value['year'], value['month'], value['day'],
                value['hour'], value['minute'], value['second'],
                value['microsecond'])
        if kind == 'date':
            return dt.date(value['year'], value['month'], value['day'])
        if kind == 'bytes':
            return base64.b64decode(value['base64'])
        if kind == 'Decimal':
            return Decimal(value['decimal'])
        return {k: decode(v) for k, v in value.items()}
    return value


def encode_datetime(value):
    "A datetime as JSON-RPC sends it"
    return {'__class__': 'datetime', 'year': value.year,
        'month': value.month, 'day': value.day, 'hour': value.hour,
        'minute': value.minute, 'second': value.second,
        'microsecond': value.microsecond}


def encode_date(value):
    return {'__class__': 'date', 'year': value.year, 'month': value.month,
        'day': value.day}


class User:
    "A login, its roles and the offices and providers it answers for"

    def __init__(self, login, id_, roles, offices, providers):
        self.login = login
        self.id = id_
        self.roles = set(roles)
        self.offices = set(offices)
        self.providers = set(providers)

    @property
    def office_staff(self):
        return bool(self.roles & {'caseworker', 'supervisor'})

    @property
    def all_offices(self):
        return bool(self.roles & {'manager', 'admin'})

    @property
    def sensitive(self):
        return bool(self.roles & {'sensitive', 'admin'})

    @property
    def focal_point(self):
        return 'focal_point' in self.roles

    def readable(self, model):
        "Whether the user's roles give read access to the model"
        return any(model in READABLE.get(r, ()) for r in self.roles)


class Snapshot:
    """The records as the administrator read them at one moment; what a
    user may see of them. A snapshot of the past is given the current one:
    today's scope and disclosure apply to it too"""

    def __init__(self, records, today, access_days=30, current=None):
        self.records = records
        self.today = today
        self.access_days = access_days
        self.current = current
        self._visible = {}

    def get(self, model, id_):
        return self.records.get(model, {}).get(id_)

    def office_of(self, model, record):
        "The office a registry record belongs to"
        if model in {'momd.beneficiary', 'momd.household', 'momd.case',
                'momd.outreach.event'}:
            return record['office']
        if model in {'momd.beneficiary.phone', 'momd.beneficiary.identifier',
                'momd.consent'}:
            beneficiary = self.get('momd.beneficiary', record['beneficiary'])
            return beneficiary['office'] if beneficiary else None
        if model in {'momd.need', 'momd.referral'}:
            case = self.get('momd.case', record['case'])
            return case['office'] if case else None
        if model == 'momd.kobo.import':
            return record['office']
        if model == 'momd.kobo.import.row':
            batch = self.get('momd.kobo.import', record['batch'])
            return batch['office'] if batch else None
        raise KeyError(model)

    def derived(self, model, record, name):
        "The value of a computed office or beneficiary field"
        if name == 'office':
            return self.office_of(model, record)
        case = self.get('momd.case', record['case'])
        return case['beneficiary'] if case else None

    def persons_of(self, model, record):
        "The beneficiaries a record is about"
        if model == 'momd.beneficiary':
            return {record['id']}
        if model in {'momd.beneficiary.phone', 'momd.beneficiary.identifier',
                'momd.consent', 'momd.case'}:
            return {record['beneficiary']}
        if model == 'momd.household':
            return {record['head'], *record['members']} - {None}
        if model in {'momd.need', 'momd.referral'}:
            case = self.get('momd.case', record['case'])
            return {case['beneficiary']} if case else set()
        if model == 'momd.outreach.event':
            return {b['id'] for b in self.records['momd.beneficiary'].values()
                if b['outreach_event'] == record['id']}
        if model in RESOURCE_MODELS:
            target = self.resource(record['resource'])
            if target and target[0] in REGISTRY + ['momd.referral']:
                related = self.get(*target)
                if related:
                    return self.persons_of(target[0], related)
        return set()

    def category_restricted(self, category_id):
        category = self.get('momd.service.category', category_id)
        return bool(category and category['restricted'])

    def resource_restricted(self, value):
        "Whether a reference value names a referral of a restricted category"
        target = self.resource(value)
        if not target or target[0] != 'momd.referral':
            return False
        referral = self.get(*target)
        return bool(referral and referral['restricted'])

    def visible(self, user, model):
        "The ids of model the user may read"
        key = (user.login, model)
        if key not in self._visible:
            visible = self._compute_visible(user, model)
            if self.current is not None and model in HISTORY_MODELS:
                # the past only of what the user may read today
                visible &= self.current.visible(user, model)
            self._visible[key] = visible
        return self._visible[key]

    def _compute_visible(self, user, model):
        records = self.records.get(model, {})
        if model == 'momd.office':
            return set(records)
        if model == 'momd.service.category':
            return {i for i, r in records.items()
                if user.sensitive or not r['restricted']}
        if model == 'momd.provider':
            if user.office_staff or user.all_offices:
                return set(records)
            return {i for i in records if i in user.providers}
        if model == 'momd.provider.service':
            return {i for i, r in records.items()
                if (user.office_staff or user.all_offices
                    or r['provider'] in user.providers)
                and (user.sensitive
                    or not self.category_restricted(r['category']))}
        if model == 'momd.activity':
            # about a referral of a restricted category: as the referral
            return {i for i, r in records.items()
                if (user.sensitive or not self.resource_restricted(
                        r['resource']))
                and (user.all_offices
                or (user.office_staff and r['office'] in user.offices)
                or (user.focal_point and r['provider'] in user.providers)
                or r['user'] == user.id)}
        if model == 'momd.beneficiary.duplicate':
            # a pair with either record in the supervisor's offices
            return {i for i, r in records.items()
                if user.all_offices or ('supervisor' in user.roles and (
                        {r['office'], r['match_office']} & user.offices))}
        if model in {'momd.kobo.import', 'momd.kobo.import.row'}:
            return {i for i, r in records.items()
                if user.all_offices or (user.office_staff
                    and self.office_of(model, r) in user.offices)}
        if model in {'momd.referral.answer', 'momd.referral.link'}:
            # the answers and answer links of the referrals the user reads
            # (today's: they keep no history)
            referrals = (self.current or self).visible(user, 'momd.referral')
            return {i for i, r in records.items()
                if r['referral'] in referrals}
        if model in {'ir.attachment', 'ir.note'}:
            result = set()
            for i, r in records.items():
                target = self.resource(r['resource'])
                if target is None:
                    continue
                target_model, target_id = target
                if not (user.readable(target_model)
                        and target_id in self.visible(user, target_model)):
                    continue
                if (target_model == 'momd.referral' and user.focal_point
                        and not (user.office_staff or user.all_offices)
                        and not self.disclosure_stands(
                            self.records[target_model][target_id])):
                    # what is attached to a referral tells of the person
                    continue
                result.add(i)
            return result
        if model == 'momd.referral':
            result = set()
            for i, r in records.items():
                if r['restricted'] and not user.sensitive:
                    continue
                if user.all_offices or (user.office_staff
                        and self.office_of(model, r) in user.offices):
                    result.add(i)
                elif (user.focal_point and r['provider'] in user.providers
                        and r['state'] not in {
                            'draft', 'to_approve', 'waiting'}
                        and r['sent_date'] is not None):
                    result.add(i)
            return result
        if model in REGISTRY:
            result = set()
            for i, r in records.items():
                if (model == 'momd.need' and not user.sensitive
                        and self.category_restricted(r['category'])):
                    continue
                if user.all_offices or (user.office_staff
                        and self.office_of(model, r) in user.offices):
                    result.add(i)
            return result
        raise KeyError(model)

    @staticmethod
    def resource(value):
        "(model, id) of a reference value 'model,id'"
        if not value or ',' not in value:
            return None
        model, id_ = value.split(',', 1)
        try:
            return model, int(id_)
        except ValueError:
            return None

    # What a provider sees of the person

    def disclosure_stands(self, referral):
        "Whether the provider sees the person of the referral (today)"
        if self.current is not None:
            now = self.current.get('momd.referral', referral['id'])
            return bool(now) and self.current.disclosure_stands(now)
        if referral['state'] in UNSHARED_STATES:
            return False
        if referral['legal_basis'] == 'sop_exception':
            if not referral['approved_by']:
                return False
        else:
            consent = self.get('momd.consent', referral['consent'])
            if not (consent and consent['state'] == 'active'
                    and consent['date'] <= self.today
                    and (not consent['expiry_date']
                        or consent['expiry_date'] > self.today)):
                return False
        provider = self.get('momd.provider', referral['provider'])
        if not (provider and provider['agreement_date']
                and provider['agreement_date'] <= self.today
                and (not provider['agreement_expiry']
                    or provider['agreement_expiry'] > self.today)):
            return False
        if referral['state'] in ENDING_STEPS:
            ended = referral[ENDING_STEPS[referral['state']]]
            return bool(ended) and ended > dt.datetime.now() - dt.timedelta(
                days=self.access_days)
        return True

    def disclosed(self, referral):
        "The information groups a provider sees of the referral's person"
        if not self.disclosure_stands(referral):
            return set()
        return set(referral['disclosed_groups'] or ())

    # The tokens of the scanner

    def person_tokens(self, beneficiary, groups=None):
        """The strings that name a person: registration number, names,
        phones, document numbers (only those of groups if given)"""
        tokens = set()
        if groups is None:
            tokens.add(beneficiary['code'])
        if groups is None or 'identity' in groups:
            tokens.update([beneficiary['full_name'],
                    beneficiary['full_name_latin']])
        if groups is None or 'contact' in groups:
            for phone in beneficiary['phones']:
                record = self.get('momd.beneficiary.phone', phone)
                if record:
                    tokens.add(record['number'])
        if groups is None or 'documents' in groups:
            for identifier in beneficiary['identifiers']:
                record = self.get('momd.beneficiary.identifier', identifier)
                if record:
                    tokens.add(record['number'])
        return {t for t in tokens if t and len(t) >= MIN_TOKEN}

    def all_tokens(self):
        "Every token of the data set: token -> what it is"
        tokens = {}
        for id_, beneficiary in self.records['momd.beneficiary'].items():
            for token in self.person_tokens(beneficiary):
                tokens[token] = 'person %s (office %s)' % (
                    beneficiary['code'], beneficiary['office'])
        for model, field in TEXT_TOKENS:
            for id_, record in self.records.get(model, {}).items():
                value = record.get(field)
                if not value or len(value) < MIN_TOKEN:
                    continue
                if field != 'code' and 'LEAKMARK' not in value:
                    # free text is a token only where the probes wrote it
                    continue
                tokens[value] = '%s %s of %s,%s' % (
                    model, field, model, id_)
        return tokens

    def allowed_tokens(self, user):
        "The tokens of what the user may see"
        allowed = set()
        if user.readable('momd.beneficiary'):
            visible = self.visible(user, 'momd.beneficiary')
            for id_ in visible:
                allowed |= self.person_tokens(
                    self.records['momd.beneficiary'][id_])
            # the numbers merged into a record its readers know (its
            # audit trail names them, and they find it)
            for record in self.records['momd.beneficiary'].values():
                if record.get('merged_into') in visible:
                    allowed.add(record['code'])
        if user.readable('momd.beneficiary.duplicate'):
            # of both records of a pair to review: the number
            for id_ in self.visible(user, 'momd.beneficiary.duplicate'):
                line = self.records['momd.beneficiary.duplicate'][id_]
                for side in ['beneficiary', 'match']:
                    person = self.get('momd.beneficiary', line[side])
                    if person and person['code']:
                        allowed.add(person['code'])
        staff = user.office_staff or user.all_offices
        for model, field in TEXT_TOKENS:
            if not user.readable(model):
                continue
            if (model, field) == ('momd.referral', 'reason') and not staff:
                continue
            for id_ in self.visible(user, model):
                value = self.records[model][id_].get(field)
                if value:
                    allowed.add(value)
        if user.focal_point:
            for id_ in self.visible(user, 'momd.referral'):
                referral = self.records['momd.referral'][id_]
                groups = self.disclosed(referral)
                case = self.get('momd.case', referral['case'])
                beneficiary = case and self.get(
                    'momd.beneficiary', case['beneficiary'])
                if beneficiary and groups:
                    allowed |= self.person_tokens(beneficiary, groups)
                need = self.get('momd.need', referral['need'])
                if need and 'needs' in groups and need['description']:
                    allowed.add(need['description'])
                if self.disclosure_stands(referral) and referral['reason']:
                    # the reason is read while the disclosure stands
                    allowed.add(referral['reason'])
        return allowed

    def scanner(self, user):
        key = ('scanner', user.login)
        if key not in self._visible:
            tokens = self.all_tokens()
            allowed = self.allowed_tokens(user)
            forbidden = {t: w for t, w in tokens.items() if t not in allowed}
            self._visible[key] = Scanner(forbidden, allowed)
        return self._visible[key]


class Scanner:
    """Finds forbidden tokens in a text, but not inside an allowed token
    that contains them (a name within a longer allowed name)"""

    def __init__(self, forbidden, allowed):
        self.forbidden = forbidden
        self.pattern = re.compile(trie_pattern(forbidden)) if forbidden \
            else None
        # the allowed tokens that contain each forbidden one
        self.covers = defaultdict(list)
        lengths = {len(t) for t in forbidden}
        for other in allowed:
            for length in lengths:
                for start in range(len(other) - length + 1):
                    part = other[start:start + length]
                    if part in forbidden and part != other:
                        self.covers[part].append(other)

    def scan(self, text):
        "The forbidden tokens in text: [(token, what it is)]"
        if not self.pattern or not text:
            return []
        found = []
        for match in self.pattern.finditer(text):
            token = match.group(0)
            start, end = match.span()
            covered = False
            for other in self.covers.get(token, ()):
                position = text.find(
                    other, max(0, end - len(other)), start + len(other))
                if position != -1:
                    covered = True
                    break
            if not covered:
                found.append((token, self.forbidden[token]))
        return found


def trie_pattern(words):
    "A regular expression matching any of words, longest first, as a trie"
    trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[''] = True

    def pattern(node):
        end = node.get('') is True
        branches = [re.escape(c) + pattern(n)
            for c, n in sorted(node.items()) if c != '']
        if not branches:
            return ''
        if len(branches) == 1 and not end:
            return branches[0]
        result = '(?:' + '|'.join(branches) + ')'
        if end:
            result += '?'
        return result
    return pattern(trie)


class Unknown(Exception):
    "The domain uses something the evaluator does not know exactly"


def like(pattern, value, insensitive=True):
    regex = ''.join(
        '.*' if c == '%' else '.' if c == '_' else re.escape(c)
        for c in pattern)
    return re.fullmatch(regex, value or '',
        re.IGNORECASE | re.DOTALL if insensitive else re.DOTALL) is not None


def compare(value, operator, operand):
    "A leaf on a stored value, as the database compares it"
    if operator == '=':
        return value == operand
    if operator == '!=':
        return value != operand
    if operator == 'in':
        return value in operand
    if operator == 'not in':
        return value not in operand
    if operator in {'ilike', 'like', 'not ilike', 'not like'}:
        if value is None:
            return operator.startswith('not')
        matched = like(operand, value, 'ilike' in operator)
        return not matched if operator.startswith('not') else matched
    if operator in {'<', '>', '<=', '>='}:
        if value is None or operand is None:
            return False
        return {'<': value < operand, '>': value > operand,
            '<=': value <= operand, '>=': value >= operand}[operator]
    raise Unknown(operator)


class Evaluator:
    """Which records of a model match a search domain for a user: the
    records the user may read whose values match, a related path reaching
    only the related records the user may read"""

    def __init__(self, snapshot, user):
        self.snapshot = snapshot
        self.user = user

    def search(self, model, domain):
        "The ids matching domain; raise Unknown when not evaluable"
        records = self.snapshot.records[model]
        ids = self.snapshot.visible(self.user, model)
        mentions_active = 'active' in repr(domain)
        result = set()
        for id_ in ids:
            record = records[id_]
            if ('active' in record and not mentions_active
                    and not record['active']):
                continue
            if self.match(model, record, domain):
                result.add(id_)
        return result

    def match(self, model, record, domain):
        if not domain:
            return True
        if isinstance(domain, tuple) or (isinstance(domain, list)
                and domain and isinstance(domain[0], str)
                and domain[0] not in {'AND', 'OR'}):
            return self.leaf(model, record, *domain)
        operator = 'AND'
        items = domain
        if domain[0] in {'AND', 'OR'}:
            operator, items = domain[0], domain[1:]
        results = (self.match(model, record, d) for d in items)
        return all(results) if operator == 'AND' else any(results)

    def leaf(self, model, record, path, operator, operand, *extra):
        if extra:
            raise Unknown(path)
        name, _, rest = path.partition('.')
        if (model, name) in SEARCHED_THROUGH:
            # a computed field: the user reads its value, a relation
            target = SEARCHED_THROUGH[(model, name)].split('.')[-1]
            value = self.snapshot.derived(model, record, target)
            if not rest and not isinstance(operand, str):
                return compare(value, operator, operand)
            record = dict(record, **{name: value})
        if name == 'id':
            return compare(record['id'], operator, operand)
        if name not in record:
            raise Unknown(path)
        relation = RELATIONS.get((model, name)) or DERIVED.get((model, name))
        if relation and (rest or isinstance(operand, str)):
            if operator.startswith('not') or operator == '!=':
                raise Unknown(path)
            if not rest:
                raise Unknown(path)  # rec_name searches: not evaluated
            target, kind = relation
            value = record[name]
            ids = value if kind == 'x2m' else ([value] if value else [])
            visible = self.snapshot.visible(self.user, target)
            for id_ in ids:
                if id_ not in visible:
                    continue
                related = self.snapshot.get(target, id_)
                if related and self.leaf(
                        target, related, rest, operator, operand):
                    return True
            return False
        if relation and relation[1] == 'x2m':
            raise Unknown(path)
        if rest:
            raise Unknown(path)
        value = record[name]
        if isinstance(value, bool) or isinstance(operand, bool):
            value = bool(value) if value is not None else None
        if (model, name) == ('momd.beneficiary', 'code') and (
                operator in MERGED_NUMBER_OPERATORS):
            # a number merged into the record finds it (whoever may read
            # the record merged)
            return compare(value, operator, operand) or any(
                compare(other['code'], operator, operand)
                for other in self.snapshot.records[model].values()
                if other.get('merged_into') == record['id'])
        return compare(value, operator, operand)

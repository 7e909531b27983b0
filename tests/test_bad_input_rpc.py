"""Malformed calls over real HTTP, as a caseworker (in Arabic, and some in
Kurmanji) and as a provider's focal point (in English): wrong kinds of value
for each field of the registry and referral models, unknown fields,
operations and models, wrong numbers of values, huge texts and numbers,
search criteria nested too deeply, dates that do not exist, bodies that are
not UTF-8 or not JSON, bad parameters of the REST and CSV routes.

Each must get a clear message in the user's language (one of the module's
or Tryton's messages, translated), none naming the code (no identifiers,
class names, tracebacks or SQL), never an HTTP 500, and the database must be
unchanged."""
import base64
import json
import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import polib
import pytest

from conftest import DB, ROOT
from momd_client import RPCError

CASEWORKER = 'sinjar.caseworker'
FOCAL_POINT = 'provider.sinjar.women'
MODELS = [
    'momd.household', 'momd.beneficiary', 'momd.case', 'momd.need',
    'momd.referral', 'momd.consent', 'momd.outreach.event',
    'momd.provider.service']

# What a message must not contain: the names and the words of the code
INTERNAL = re.compile('|'.join([
    r'Traceback', r'File "', r'\bline \d+', r'\.py\b', r'<class ',
    # identifiers: snake_case, dotted model names, dunders
    r'\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b',
    r'\b(?:momd|ir|res|party|country|trytond)\.[a-z]',
    r'__\w+__',
    # class names: CamelCase (AuditMixin, KeyError, NoneType...)
    r'\b[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+\b',
    # Python's own phrasing
    r'positional argument', r'has no attribute', r'invalid literal',
    r'isoformat', r'\bint\(\)', r'not subscriptable', r'not iterable',
    r'object is not', r'unexpected keyword', r'recursion',
    # the database
    r'\b(?:SELECT|INSERT|UPDATE|DELETE|FROM|WHERE|JOIN|INTEGER|VARCHAR|'
    r'NULL|CONSTRAINT|SQL)\b',
    r'\b(?:sqlite3?|SQLite|psycopg|postgres\w*|violates|relation "|'
    r'column "|syntax error)',
    ]))
ARABIC = re.compile('[\u0600-\u06ff]')


def _templates():
    """The messages users may be told, by language, as patterns: the
    module's and Tryton's, in English and as translated"""
    texts = {'en': [], 'ar': [], 'kmr': []}
    import trytond
    sources = [ROOT / 'momd_referral' / 'message.xml'] + sorted(
        Path(trytond.__file__).parent.glob('*/message.xml')) + sorted(
        Path(trytond.__file__).parent.glob('modules/*/message.xml'))
    for path in sources:
        for field in ET.parse(path).iter('field'):
            if field.get('name') == 'text' and field.text:
                texts['en'].append(field.text)
    for language in ['ar', 'kmr']:
        locale = ROOT / 'momd_referral' / 'locale'
        for path in [locale / ('%s.po' % language)] + sorted(
                (locale / 'core' / language).glob('*.po')):
            texts[language].extend(
                e.msgstr for e in polib.pofile(str(path))
                if (e.msgctxt or '').startswith('model:ir.message,text:')
                and e.msgstr)

    def pattern(text):
        parts = re.split(r'%\(\w+\)s|%s|%d', text)
        return re.compile(
            '.+?'.join(re.escape(p) for p in parts) + r'\Z', re.DOTALL)
    return {language: [pattern(t) for t in set(values)]
        for language, values in texts.items()}


def _b64(value):
    if not isinstance(value, bytes):
        value = json.dumps(value).encode()
    return base64.urlsafe_b64encode(value).decode()


def _date(year, month, day):
    return {'__class__': 'date', 'year': year, 'month': month, 'day': day}


def _datetime(year, month, day, hour=8, minute=0):
    return {'__class__': 'datetime', 'year': year, 'month': month,
        'day': day, 'hour': hour, 'minute': minute, 'second': 0,
        'microsecond': 0}


def _nested(depth, leaf):
    for _ in range(depth):
        leaf = [leaf]
    return leaf


class Call:
    "One request and the language its answer must be in"
    __slots__ = ('label', 'method', 'path', 'body', 'headers', 'language')

    def __init__(self, label, path, body=None, method='POST', headers=None,
            language=None):
        self.label = label
        self.path = path
        self.body = body
        self.method = method
        self.headers = headers or {}
        self.language = language


class Caller:
    "A user's session, making calls of every kind that are malformed"

    def __init__(self, server, login, session, language, preference, ids,
            fields):
        self.server = server
        self.login = login
        self.session = session
        # the language asked for in the context, and the user's own (for
        # what cannot be read, the context with it)
        self.language = language
        self.preference = preference
        self.ids = ids
        self.fields = fields
        self.rest_key = None

    def rpc(self, label, method, *args, context=True, language=None):
        params = list(args)
        if context is True:
            params.append({'language': self.language})
        elif context is not None:
            params.append(context)
        body = json.dumps({'id': 7, 'method': method, 'params': params})
        return Call(label, 'rpc/', body.encode(),
            language=language or (
                self.language if context is True else self.preference))

    def raw(self, label, body, content_type='application/json',
            readable=False):
        """A body sent as it is: answered in the language of its context if
        it can be read so far, else in the user's"""
        return Call(label, 'rpc/', body,
            headers={'Content-Type': content_type},
            language=self.language if readable else self.preference)

    def model(self, model, method, *args, **kwargs):
        label = '%s.%s%r' % (model, method, args)
        return self.rpc(label[:300], 'model.%s.%s' % (model, method), *args,
            **kwargs)

    def send(self, call):
        headers = {'Content-Type': 'application/json', **call.headers}
        if call.path.startswith('rest/'):
            if self.rest_key:
                headers.setdefault('Authorization', 'bearer ' + self.rest_key)
            headers.setdefault('Accept-Language', self.language)
        else:
            headers['Authorization'] = self.session.auth
        request = urllib.request.Request(
            '%s/%s/%s' % (self.server, DB, call.path), data=call.body,
            method=call.method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    # The calls

    def calls(self):
        yield from self.wrong_values()
        yield from self.wrong_searches()
        yield from self.unknown_names()
        yield from self.wrong_arguments()
        yield from self.wrong_contexts()
        yield from self.huge_values()
        yield from self.deep_criteria()
        yield from self.invalid_dates()
        yield from self.unreadable_bodies()
        yield from self.rest()
        yield from self.data_route()

    def wrong_values(self):
        "For each field of each model a value of the wrong kind, created and written"
        for model in MODELS:
            for i, (name, field) in enumerate(sorted(
                    self.fields[model].items())):
                wrong = WRONG.get(field['type'])
                if not wrong or name == 'id':
                    continue
                yield self.model(model, 'create',
                    [{name: wrong[i % len(wrong)]}])
                yield self.model(model, 'write', [self.ids[model]],
                    {name: wrong[(i + 1) % len(wrong)]})

    def wrong_searches(self):
        "Values searched for that the field cannot hold"
        for model in MODELS:
            for name, field in sorted(self.fields[model].items()):
                searched = WRONG_SEARCH.get(field['type'])
                if searched is None or not field.get('searchable', True):
                    continue
                yield self.model(model, 'search',
                    [(name, '=', searched)], 0, 10, None)
            yield self.model(model, 'search', [('id', 'ilike', 5)], 0, 10,
                None)

    def unknown_names(self):
        referral, household = self.ids['momd.referral'], self.ids[
            'momd.household']
        for model in ['momd.referral', 'momd.beneficiary', 'momd.household']:
            yield self.model(model, 'read', [self.ids[model]], ['nope'])
            yield self.model(model, 'read', [self.ids[model]],
                ['office.nope'])
            yield self.model(model, 'search', [('nope', '=', 1)], 0, 10,
                None)
            yield self.model(model, 'search', [('office.nope', '=', 1)], 0,
                10, None)
            yield self.model(model, 'search', [], 0, 10, [['nope', 'ASC']])
            yield self.model(model, 'search_read', [], 0, 10, None,
                ['nope'])
            yield self.model(model, 'create', [{'nope': 1}])
            yield self.model(model, 'write', [self.ids[model]], {'nope': 1})
            yield self.model(model, 'export_data_domain', [], ['nope'])
            yield self.model(model, 'default_get', ['nope'])
            yield self.model(model, 'copy', [self.ids[model]], {'nope': 1})
        for method in [
                'model.momd.referral.frobnicate', 'model.momd.referral.__init__',
                'model.momd.referral._check_consent', 'model.momd.nope.read',
                'model.momd.referral', 'model..read', 'model',
                'model.momd.referral.read.more', 'wizard.momd.nope.create',
                'report.momd.nope.execute', 'xyz.momd.referral.read',
                'common.db.nope', 'model.res.nope.search',
                'model.momd.referral.' + 'x' * 5000]:
            yield self.rpc(method[:60], method, [referral], ['id'])
        yield self.model('momd.household', 'write', [household],
            {'members': [['bogus', [1]]]})

    def wrong_arguments(self):
        referral = self.ids['momd.referral']
        model = 'momd.referral'
        for args in [(), ([referral],), ([referral], ['id'], 5),
                ('x', ['id']), ([1.5], ['id']), ([[referral]], ['id']),
                ([referral, referral], ['id']), (None, ['id']),
                ([referral], 'id'), ([referral], [5]), ([0], ['id']),
                ([-4], ['id']), ({'id': referral}, ['id'])]:
            yield self.model(model, 'read', *args)
        for args in [('x', 0, None, None), ([], 'a', None, None),
                ([], 0, -1, None), ([], 0, None, 'id'),
                ([], 0, None, [['id']]), ([], 0, None, [['id', 'UP']]),
                ([], 0, None, [[5, 'ASC']]), ([], 0, None, None, 'x'),
                ([], 0, None, None, False, True),
                ([], 0, None, None, False, False, 7), ({}, 0, None, None),
                ([5], 0, None, None), (['AND', 'x'], 0, None, None),
                ([('id', 'LIKE', 1)], 0, None, None),
                ([('id', '=', 1, 'x', 'y')], 0, None, None),
                ([('id', 'in', 5)], 0, None, None)]:
            yield self.model(model, 'search', *args)
        for method, args in [
                ('create', ()), ('create', ({},)), ('create', (['x'],)),
                ('create', ([[1]],)), ('create', ([{}], 5)),
                ('write', ([referral],)), ('write', ([referral], 'x')),
                ('write', ('x', {})), ('write', ([referral], {}, [referral])),
                ('delete', ()), ('delete', ('x',)), ('copy', ([referral], 'x')),
                ('search_count', ()), ('search_count', ('x',)),
                ('fields_get', ('x', 'y', 'z')), ('fields_get', (5,)),
                ('fields_view_get', ('x',)),
                ('fields_view_get', (None, 'form', 99)),
                ('export_data', ([referral], 'x')),
                ('import_data', ('x', 'y')),
                ('import_data', (['nope'], [['x']])),
                ('autocomplete', (5,)), ('history_revisions', ('x',)),
                ('on_change', ('x', [])), ('on_change', ({}, 'x')),
                ('on_change_with', ({}, [5])), ('send', ()), ('send', ('x',)),
                ('send', ([referral], 5)), ('accept', ([1.5],)),
                ('view_toolbar_get', (1,))]:
            yield self.model(model, method, *args)

    def wrong_contexts(self):
        referral = self.ids['momd.referral']
        for context in ['x', 5, [], None, {'language': 5},
                {'_datetime': 'x'}, {'_datetime': _date(2024, 1, 1)},
                {'active_test': 'yes'}, {'_timestamp': 'x'},
                {'language': 'x' * 1000}]:
            yield self.model('momd.referral', 'read', [referral], ['id'],
                context=context)
        yield self.rpc('no params', 'model.momd.referral.search',
            context=None)

    def huge_values(self):
        referral = self.ids['momd.referral']
        for args in [([10 ** 30], ['id']), ([2 ** 63], ['id']),
                ([10 ** 12], ['state'])]:
            yield self.model('momd.referral', 'read', *args)
        for domain in [[('id', '=', 10 ** 30)], [('id', 'in', [-2 ** 64])],
                [('reason', 'ilike', 'x' * 2_000_000)],
                [('reason', 'ilike', 'x' * 5000)]]:
            yield self.model('momd.referral', 'search', domain, 0, 10, None)
        yield self.model('momd.referral', 'search', [], 0, 10 ** 30, None)
        yield self.model('momd.referral', 'search', [], 2 ** 70, 10, None)
        yield self.model('momd.referral', 'autocomplete', 'x' * 5000)
        yield self.model('momd.referral', 'read', [referral], ['x' * 5000])
        yield self.model('momd.referral', 'search', [], 0, 10,
            [['x' * 300, 'ASC']])
        yield self.model('momd.household', 'create', [{
                    'address': 'x' * 100_001}])
        yield self.model('momd.household', 'create', [{
                    'declared_size': 2 ** 31}])
        yield self.model('momd.household', 'create', [{
                    'declared_size': -2 ** 63 - 1}])
        yield self.model('momd.household', 'write',
            [self.ids['momd.household']], {
                'members': [['add', [2 ** 40]]]})
        yield self.model('momd.beneficiary', 'create', [{
                    'first_name': 'x' * 1001}])
        yield self.model('momd.beneficiary', 'write',
            [self.ids['momd.beneficiary']], {'estimated_age': 10 ** 20})

    def deep_criteria(self):
        leaf = ('id', '=', 1)
        for depth in [21, 30, 50, 70, 2000, 5000]:
            if depth > 60:
                body = ('{"id":7,"method":"model.momd.referral.search",'
                    '"params":[' + '[' * depth + '["id","=",1]'
                    + ']' * depth + ',0,10,null,{"language":"%s"}]}'
                    % self.language)
                # beyond what JSON itself reads, the context is lost too
                yield self.raw('domain %s deep' % depth, body.encode(),
                    readable=depth < 500)
            else:
                yield self.model('momd.referral', 'search',
                    _nested(depth, leaf), 0, 10, None)
        domain = [leaf]
        for _ in range(25):
            domain = ['OR', domain, leaf]
        yield self.model('momd.referral', 'search', domain, 0, 10, None)
        where = [leaf]
        for _ in range(25):
            where = [('need', 'where', where)]
        yield self.model('momd.referral', 'search', where, 0, 10, None)
        yield self.model('momd.household', 'write',
            [self.ids['momd.household']], {'address': _nested(100, 'x')})

    def invalid_dates(self):
        for value in [_date(2021, 2, 30), _date(2021, 13, 1),
                _date(2021, 1, 32), _date(0, 1, 1), _date(10000, 1, 1),
                {'__class__': 'date', 'year': 2021, 'month': 1},
                {'__class__': 'date', 'year': 'x', 'month': 1, 'day': 1},
                _datetime(2021, 1, 1, hour=25),
                _datetime(2021, 1, 1, minute=61),
                {'__class__': 'time', 'hour': 24, 'minute': 0, 'second': 0,
                    'microsecond': 0},
                {'__class__': 'timedelta', 'seconds': 1e300},
                {'__class__': 'Decimal', 'decimal': 'abc'},
                {'__class__': 'bytes', 'base64': '!!!'}]:
            yield self.model('momd.referral', 'search',
                [('sent_date', '=', value)], 0, 10, None,
                language=self.language)
            yield self.model('momd.beneficiary', 'create', [{
                        'birth_date': value}], language=self.language)
            yield self.model('momd.referral', 'read',
                [self.ids['momd.referral']], ['id'],
                context={'language': self.language, '_datetime': value},
                language=self.language)
        for text in ['2021-02-30', 'yesterday', '31/12/2021']:
            yield self.model('momd.beneficiary', 'create', [{
                        'birth_date': text}])
            yield self.model('momd.referral', 'search',
                [('sent_date', '>', text)], 0, 10, None)

    def unreadable_bodies(self):
        method = 'model.momd.referral.search'
        good = json.dumps({'id': 7, 'method': method,
                'params': [[['reason', 'ilike', 'Sinjar']], 0, 1, None,
                    {'language': self.language}]})
        for label, body, *readable in [
                ('latin-1', good.replace('Sinjar', 'S\xefnj\xe2r').encode(
                        'latin-1')),
                ('utf-16', good.encode('utf-16')),
                ('bytes before', b'\xff\xfe' + good.encode()),
                ('overlong', good.replace('Sinjar', 'X').encode().replace(
                        b'X', b'\xc0\xaf')),
                ('truncated', good.encode().replace(b'Sinjar',
                        '\u0633'.encode()[:1])),
                ('surrogate', good.encode().replace(b'Sinjar',
                        b'\xed\xa0\x80')),
                ('escaped surrogate', good.replace('Sinjar', '\\ud800')
                    .encode(), True),
                ('empty', b''), ('open', b'{'), ('cut', good.encode()[:40]),
                ('array', b'[]'), ('null', b'null'), ('string', b'"x"'),
                ('no method', b'{"id": 7, "params": []}'),
                ('method number', b'{"id": 7, "method": 5, "params": []}'),
                ('params dict', json.dumps({'id': 7, 'method': method,
                            'params': {'a': 1}}).encode()),
                ('NaN', good.replace('1, null', 'NaN, null').encode(), True),
                ('Infinity', good.replace('1, null', 'Infinity, null')
                    .encode(), True),
                ('trailing', good.encode() + b'x'),
                ('single quotes', good.replace('"', "'").encode()),
                ('big number', good.replace('1, null', '1' + '0' * 5000
                        + ', null').encode()),
                ('big float', good.replace('1, null', '1e999, null')
                    .encode(), True),
                ]:
            yield self.raw(label, body, readable=bool(readable))
        yield self.raw('text/plain', good.encode(), 'text/plain')
        # a write with a value that is not text
        yield self.raw('escaped surrogate write', json.dumps({
                    'id': 7, 'method': 'model.momd.household.write',
                    'params': [[self.ids['momd.household']],
                        {'address': 'x'}, {'language': self.language}],
                    }).replace('"x"', '"\\udfff"').encode(), readable=True)

    def rest(self):
        model = 'rest/model/momd.referral'
        language = self.language
        for label, path, headers in [
                ('d not base64', model + '?d=!!!', {}),
                ('d not json', model + '?d=' + _b64(b'not json'), {}),
                ('d not utf-8', model + '?d=' + _b64(b'[["reason","=","\xff"]]'),
                    {}),
                ('d object', model + '?d=' + _b64({'a': 1}), {}),
                ('d deep', model + '?d=' + _b64(_nested(40, ['id', '=', 1])),
                    {}),
                ('d unknown field', model + '?d=' + _b64([['nope', '=', 1]]),
                    {}),
                ('d date', model + '?d=' + _b64([['sent_date', '=',
                                _date(2021, 2, 30)]]), {}),
                ('d big', model + '?d=' + _b64(b'[["id","=",1e999]]'), {}),
                ('d operator', model + '?d=' + _b64([['id', 'LIKE', 1]]), {}),
                ('d wrong value', model + '?d=' + _b64(
                        [['sent_date', '=', 'abc']]), {}),
                ('s negative', model + '?s=-1', {}),
                ('s text', model + '?s=abc', {}),
                ('p text', model + '?p=x', {}),
                ('s huge', model + '?s=' + '9' * 40, {}),
                ('o not base64', model + '?o=!!!', {}),
                ('o unknown field', model + '?o=' + _b64([['nope', 'ASC']]),
                    {}),
                ('o direction', model + '?o=' + _b64([['id', 'UP']]), {}),
                ('range text', model, {'Range': 'records=abc'}),
                ('range backwards', model, {'Range': 'records=5-2'}),
                ('range huge', model, {'Range': 'records=1-' + '9' * 40}),
                ('context not base64', model, {'X-Tryton-Context': '!!!'}),
                ('context list', model, {'X-Tryton-Context': _b64([1])}),
                ('context date', model, {'X-Tryton-Context': _b64(
                            {'_datetime': 'x'})}),
                ('language quality', model, {
                        'Accept-Language': self.preference + ';q=abc'}),
                ('unknown model', 'rest/model/momd.nope', {}),
                ('huge id', model + '/' + '9' * 30, {}),
                ('unknown report', 'rest/report/momd.nope/1', {}),
                ]:
            yield Call('REST ' + label, path, method='GET', headers=headers,
                language=language)
        household = 'rest/model/momd.household'
        referral = self.ids['momd.referral']
        for label, method, path, body in [
                ('create not json', 'POST', household, b'{not json'),
                ('create not utf-8', 'POST', household, b'{"address": "\xff"}'),
                ('create list', 'POST', household, b'[1]'),
                ('create unknown field', 'POST', household, b'{"nope": 1}'),
                ('create wrong value', 'POST', household,
                    b'{"address": 5, "declared_size": "four"}'),
                ('create empty', 'POST', household, b''),
                ('update wrong value', 'PUT', '%s/%s' % (
                        household, self.ids['momd.household']),
                    b'{"declared_size": [4]}'),
                ('update date', 'PUT', '%s/%s' % (
                        household, self.ids['momd.household']),
                    json.dumps({'address': _date(2021, 2, 30)}).encode()),
                ('unknown action', 'POST', '%s/%s/nope' % (model, referral),
                    b'{}'),
                ('action argument', 'POST', '%s/%s/send' % (model, referral),
                    b'{"x": 1}'),
                ]:
            yield Call('REST ' + label, path, body, method=method,
                language=language)

    def data_route(self):
        model = 'data/momd.referral'
        language = self.language
        for label, query in [
                ('d not json', 'd=[['), ('d unknown field',
                    'd=' + json.dumps([['nope', '=', 1]])),
                ('d deep', 'd=' + json.dumps(_nested(40, ['id', '=', 1]))),
                ('d huge id', 'd=' + json.dumps([10 ** 30])),
                ('d date', 'd=' + json.dumps([['sent_date', '=',
                                _date(2021, 2, 30)]])),
                ('c list', 'c=[1]'), ('c date', 'c={"_datetime": "x"}'),
                ('s text', 's=abc'), ('p text', 's=5&p=x'),
                ('encoding', 'enc=nope'), ('delimiter', 'dl=;;'),
                ('quote', 'qc=xx'), ('header', 'h=x'),
                ('order', 'o=nope,UP'), ('order field', 'o=nope,ASC'),
                ('field', 'f=nope'), ('field path', 'f=office.nope'),
                ('unknown model', None),
                ]:
            if query is None:
                path = 'data/momd.nope?l=' + language
            else:
                path = '%s?%s&l=%s' % (
                    model, query.replace(' ', '%20').replace('"', '%22'),
                    language)
            yield Call('data ' + label, path, method='GET',
                language=language)


# the wrong values tried for each type of field
WRONG = {
    'char': [12345, ['x'], {'a': 'b'}, True, 'x' * 1001],
    'text': [12345, ['x'], {'a': 'b'}, 'x' * 100_001],
    'selection': [12345, ['x'], {'a': 1}],
    'multiselection': ['x', [1, 2], {'a': 1}],
    'integer': ['abc', 1.5, 2 ** 31, True, ['1']],
    'float': ['abc', [1], {'__class__': 'Decimal', 'decimal': 'abc'}],
    'numeric': ['abc', [1], {'__class__': 'Decimal', 'decimal': 'NaN'}],
    'boolean': ['yes', 2, ['x']],
    'date': ['abc', '2021-02-30', 20210101, _date(2021, 2, 30),
        _datetime(2021, 1, 1)],
    'datetime': ['abc', 5, _datetime(2021, 13, 1), _date(2021, 1, 1)],
    'timestamp': ['abc', 5, _date(2021, 1, 1)],
    'time': ['25:00', 5],
    'timedelta': ['abc', [1]],
    'many2one': ['abc', 1.5, 10 ** 12, -3, [1], {'id': 1}],
    'one2many': ['abc', 5, [['bogus', [1]]], [['add', ['x']]],
        [['create', 'x']], [['create', [{'nope': 1}]]]],
    'many2many': ['abc', 5, [['add', [1.5]]], [['remove', 'x']],
        [['write', [1]]]],
    'reference': [5, ['x'], {'a': 1}],
    'binary': ['abc', 5],
    'dict': ['abc', [1]],
    }
# a value searched for that the field cannot hold
WRONG_SEARCH = {
    'integer': 'abc', 'float': 'abc', 'numeric': [1],
    'date': 'abc', 'datetime': 'yesterday', 'timestamp': 'x',
    'many2one': {'id': 1}, 'char': {'a': 1}, 'text': ['x', ['y']],
    'selection': {'a': 1},
    }


def _answer(status, body):
    "The message and description of an answer, or None if it has none"
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict) and 'error' in data:
        error = data['error']
        if (isinstance(error, list) and len(error) == 2
                and isinstance(error[1], list) and error[1]):
            if error[0] == 'UserWarning':
                return error[1][1], error[1][2]
            return error[1][0], (error[1][1] if len(error[1]) > 1 else '')
        return None
    if isinstance(data, dict) and 'message' in data:
        return data['message'], data.get('description') or ''
    return None


def _snapshot(connection):
    """The rows of each table, and the latest change of each: all but the
    sessions and the audit trail, which every request writes"""
    skip = {'ir_session', 'momd_access_log', 'res_user_login_attempt'}
    cursor = connection.cursor()
    if 'sqlite' in type(connection).__module__:
        cursor.execute("SELECT name FROM sqlite_master WHERE type='table'")
        tables = [r[0] for r in cursor.fetchall()]
        columns = {}
        for table in tables:
            cursor.execute('PRAGMA table_info("%s")' % table)
            columns[table] = {r[1] for r in cursor.fetchall()}
    else:
        connection.rollback()
        cursor.execute("SELECT table_name, column_name "
            "FROM information_schema.columns WHERE table_schema = 'public'")
        columns = {}
        for table, column in cursor.fetchall():
            columns.setdefault(table, set()).add(column)
        tables = list(columns)
    result = {}
    for table in sorted(tables):
        if table in skip or table.startswith('sqlite_'):
            continue
        changed = ('MAX(write_date)' if 'write_date' in columns[table]
            else 'NULL')
        cursor.execute('SELECT COUNT(*), %s FROM "%s"' % (changed, table))
        result[table] = tuple(cursor.fetchone())
    if 'sqlite' not in type(connection).__module__:
        connection.rollback()
    return result


def _ids(session, model, domain=()):
    return session.model(model, 'search', list(domain), 0, 1, None)


def _rest_key(server, session, login):
    "A validated REST key of the user, asked for as a client does"
    request = urllib.request.Request(
        '%s/%s/user/application/' % (server, DB),
        data=json.dumps({'user': login, 'application': 'rest'}).encode(),
        headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=60) as response:
        key = json.loads(response.read())
    applications = _ids(session, 'res.user.application', [('key', '=', key)])
    session.model('res.user.application', 'validate_', applications)
    return key, applications


def test_malformed_calls_answered_cleanly(server, login, database):
    admin = login('administrator')
    ids, fields = {}, {}
    for model in MODELS:
        fields[model] = admin.model(model, 'fields_get', None)
        found = _ids(admin, model, [('office.code', '=', 'SNJ')]
            if 'office' in fields[model] else [])
        ids[model] = (found or _ids(admin, model))[0]
    callers = []
    for user, language, preference in [
            (CASEWORKER, 'ar', 'ar'), (FOCAL_POINT, 'en', 'en'),
            (CASEWORKER, 'kmr', 'ar')]:
        session = login(user, language=language)
        callers.append(Caller(
                server, user, session, language, preference, ids, fields))
    keys = []
    templates = _templates()
    try:
        for caller in callers[:2]:
            caller.rest_key, applications = _rest_key(
                server, caller.session, caller.login)
            keys.append((caller.session, applications))
        callers[2].rest_key = callers[0].rest_key

        before = _snapshot(database)
        problems, count, statuses = [], 0, {}
        for caller, sample in zip(callers, [1, 2, 7]):
            # all as the caseworker in Arabic; as the focal point and in
            # Kurmanji, a sample of each kind
            calls = list(caller.calls())[::sample]
            for call in calls:
                status, body = caller.send(call)
                count += 1
                statuses[status] = statuses.get(status, 0) + 1
                problem = _check(call, status, body, templates)
                if problem:
                    problems.append('%s [%s] %s' % (
                            call.label[:120], status, problem))
        after = _snapshot(database)
    finally:
        for session, applications in keys:
            session.model('res.user.application', 'cancel', applications)

    assert count >= 500, count
    assert not problems, '%s of %s calls:\n%s' % (
        len(problems), count, '\n'.join(problems[:40]))
    changed = {t: (before.get(t), after.get(t))
        for t in set(before) | set(after) if before.get(t) != after.get(t)}
    assert not changed, changed
    assert not any(s >= 500 for s in statuses), statuses


def _check(call, status, body, templates):
    "What is wrong with the answer to a malformed call, if anything"
    if status >= 500:
        return 'HTTP %s: %r' % (status, body[:300])
    answer = _answer(status, body)
    if answer is None:
        if status == 200:
            return 'accepted: %r' % body[:200]
        return 'no message: %r' % body[:300]
    message, description = answer
    if not message:
        return 'empty message'
    for text in [message, description]:
        found = INTERNAL.search(text or '')
        if found:
            return 'names the code (%r): %s' % (found.group(0), text[:300])
    if not any(p.match(message) for p in templates[call.language]):
        return 'not a message in %s: %s' % (call.language, message[:300])
    if call.language == 'ar' and not ARABIC.search(message):
        return 'not in Arabic: %s' % message[:300]
    if call.language != 'ar' and ARABIC.search(message):
        return 'in Arabic, not %s: %s' % (call.language, message[:300])
    return None


def test_empty_household_refused(login):
    """A household created from nothing is refused, in the user's language,
    the fields it needs named; nothing is written"""
    session = login(CASEWORKER, language='ar')
    before = session.model('momd.household', 'search_count', [])
    with pytest.raises(RPCError) as error:
        session.model('momd.household', 'create', [{}])
    assert error.value.kind == 'UserError'
    message = error.value.message
    for label in ['"الأسرة"', '"الأفراد"', '"رب الأسرة"', '"العنوان"']:
        assert label in message, message
    assert session.model('momd.household', 'search_count', []) == before

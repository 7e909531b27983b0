"""Reading a request: its JSON body (UTF-8, real dates, numbers the
database holds, not nested too deeply), its context, and the parameters of
the REST and CSV routes. What cannot be read raises BadInput."""
import base64
import binascii
import datetime as dt
import json
import re

from trytond.protocols.jsonrpc import JSONDecoder

from .problem import BIGINT_MAX, INTEGER_MAX, BadInput, Label, is_integer

# how deeply a request body may nest (a record with lines of lines is 8)
JSON_DEPTH = 64
RANGE = re.compile(r'^\s*[A-Za-z]+=(\d*)-(\d*)\s*$')


def context_language(parsed):
    "The language the context of a JSON-RPC call asks for"
    if isinstance(parsed, dict) and isinstance(parsed.get('params'), list):
        params = parsed['params']
        if params and isinstance(params[-1], dict):
            language = params[-1].get('language')
            if isinstance(language, str):
                return language
    return None


def check_context(context):
    "The context of a call: the values Tryton reads of it must fit"
    if not isinstance(context, dict):
        raise BadInput('msg_request_no_context')
    for key, types in [
            ('language', (str,)),
            ('_datetime', (dt.datetime,)),
            ('_timestamp', (dict,)),
            ('active_test', (bool,)),
            ('_datetime_exclude', (bool,)),
            ]:
        value = context.get(key)
        if value is not None and not isinstance(value, types):
            raise BadInput('msg_request_context')
    if len(context.get('language') or '') > 20:
        raise BadInput('msg_request_context')


def check_session(kind, operation, args):
    """The values of a call to a wizard (its session and the data of its
    form) or to a report (its records and data)"""
    def records(value):
        return isinstance(value, list) and all(
            is_integer(i) and 0 < i <= INTEGER_MAX for i in value)

    def values(value):
        return isinstance(value, dict)

    def name(value):
        return isinstance(value, str) and len(value) <= 200
    expected = {
        ('wizard', 'create'): [],
        ('wizard', 'delete'): [(is_integer, 'integer')],
        ('wizard', 'execute'): [
            (is_integer, 'integer'), (values, 'values'), (name, 'text')],
        ('report', 'execute'): [(records, None), (values, 'values')],
        }.get((kind, operation))
    if expected is None:
        return
    if len(args) != len(expected):
        raise BadInput('msg_request_arguments',
            given=str(len(args)), expected=str(len(expected)))
    for position, (value, (fits, kind_)) in enumerate(zip(args, expected)):
        if not fits(value):
            if kind_ is None:
                raise BadInput('msg_request_records')
            raise BadInput('msg_request_argument',
                position=str(position + 1), kind=Label(kind=kind_))


def accept_language(request):
    header = request.headers.get('Accept-Language')
    if not header:
        return None
    pairs = []
    for language in header.split(','):
        language, _, quality = language.partition(';')
        if quality:
            try:
                pairs.append((float(quality.split('=')[1]), language.strip()))
            except (IndexError, ValueError):
                raise BadInput(
                    'msg_request_parameter', parameter='Accept-Language')
        else:
            pairs.append((1, language.strip()))
    return sorted(pairs, reverse=True)[0][1].replace('-', '_')


def natural(value, parameter):
    if not value.strip().isdigit() or len(value.strip()) > 18:
        raise BadInput('msg_request_parameter', parameter=parameter)


def base64_json(value, parameter, type_):
    try:
        text = base64.urlsafe_b64decode(value)
    except (binascii.Error, ValueError):
        raise BadInput('msg_request_parameter', parameter=parameter)
    return json_parameter(text, parameter, type_)


def json_parameter(value, parameter, type_):
    if isinstance(value, str):
        value = value.encode('utf-8', 'surrogatepass')
    try:
        parsed = parse_json(value)
    except BadInput as problem:
        if problem.message == 'msg_request_not_json':
            raise BadInput('msg_request_parameter', parameter=parameter)
        raise
    if not isinstance(parsed, type_):
        raise BadInput('msg_request_parameter', parameter=parameter)
    return parsed


class _Hook(JSONDecoder):
    "Tryton's decoding of dates, decimals and files, failing clearly"

    def __call__(self, dct):
        try:
            return super().__call__(dct)
        except Exception:
            if dct.get('__class__') in {'date', 'datetime', 'time'}:
                raise BadInput('msg_request_invalid_date')
            raise BadInput('msg_request_invalid_value')


def _parse_int(text):
    if len(text.lstrip('-')) > 19 or abs(int(text)) > BIGINT_MAX:
        raise BadInput('msg_request_number_too_large')
    return int(text)


def _parse_float(text):
    value = float(text)
    if value in {float('inf'), float('-inf')}:
        raise BadInput('msg_request_number_too_large')
    return value


def _parse_constant(text):
    # NaN and Infinity are not JSON
    raise BadInput('msg_request_not_json')


def parse_json(data):
    "The value of a JSON body, as Tryton reads it, or BadInput"
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError:
        raise BadInput('msg_request_not_utf8')
    try:
        value = json.loads(text, object_hook=_Hook(),
            parse_int=_parse_int, parse_float=_parse_float,
            parse_constant=_parse_constant)
    except BadInput as problem:
        # JSON with a value that is not: its "id" still names the answer
        try:
            problem.parsed = json.loads(text)
        except (ValueError, RecursionError):
            pass
        raise
    except RecursionError:
        raise BadInput('msg_request_too_deep', depth=str(JSON_DEPTH))
    except ValueError:
        raise BadInput('msg_request_not_json')
    try:
        _walk(value)
    except BadInput as problem:
        problem.parsed = value
        raise
    return value


def _walk(value):
    "Refuse what is nested too deeply, and texts that are not Unicode"
    stack = [(value, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            try:
                value.encode('utf-8')
            except UnicodeEncodeError:
                # an escaped half of a UTF-16 pair (\ud800)
                raise BadInput('msg_request_not_utf8')
        elif isinstance(value, (list, tuple, dict)):
            if depth > JSON_DEPTH:
                raise BadInput('msg_request_too_deep', depth=str(JSON_DEPTH))
            if isinstance(value, dict):
                stack.extend((k, depth + 1) for k in value.keys())
                value = value.values()
            stack.extend((v, depth + 1) for v in value)


def check_range(header):
    "The Range header of a REST search: records=start-end"
    if not header or ',' in header:
        return
    match = RANGE.match(header)
    if not match:
        raise BadInput('msg_request_parameter', parameter='Range')
    start, end = match.groups()
    if (len(start) > 18 or len(end) > 18
            or (start and end and int(end) < int(start))):
        raise BadInput('msg_request_parameter', parameter='Range')

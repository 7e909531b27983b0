"""What the server answers to a malformed request: a clear message in the
user's language, never the names of the code, and nothing written.

One hook in the server's request handling (Tryton's WSGI application,
`dispatch_request`) sees every request to a database that has the module,
on the JSON-RPC route, the REST routes and the CSV data route:

- before the call: the body must be UTF-8 JSON with real dates, not nested
  too deeply, naming an operation that exists, with its context (body.py);
  a call to a momd.* model must be well formed for the operation and the
  model's fields (calls.py, search.py). A refused call never starts:
  nothing is written.
- after the call: what Tryton lets through of an error it did not foresee
  (a Python or database exception, an HTTP error page) is answered with a
  translated message. Tryton's own messages to users (UserError,
  UserWarning, AccessError, ConcurrencyException, LoginException) pass
  unchanged. An error that the request's values explain is a refusal; any
  other is a server error: logged with its traceback and a reference the
  user can quote, its transaction rolled back.

JSON-RPC answers carry the message as Tryton answers a UserError (HTTP 200
with "error"; 400 when the body cannot be read); the REST and data routes
answer a JSON object {"status", "message", "description"} with a 4xx status
(a server error is a 500).

Why dispatch_request and not Tryton's app.error_handler hook: that hook
sees only the exceptions that are not HTTP errors, once the call has run;
an unreadable body, an unknown operation, a missing context and the REST
routes' failures reach the client as HTTP error pages without passing
through it, and it cannot refuse a call before it writes.
"""
import codecs
import gzip
import json
import logging
import secrets
from http import HTTPStatus

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from trytond import backend
from trytond.exceptions import TrytonException
from trytond.i18n import gettext
from trytond.ir import routes as ir_routes
from trytond.protocols import dispatcher as rpc_routes
from trytond.protocols import rest as rest_routes
from trytond.protocols.jsonrpc import JSONEncoder, JSONRequest
from trytond.protocols.wrappers import (
    JSONBadRequest, Response, parse_authorization_header, with_pool)
from trytond.transaction import Transaction
from trytond.wsgi import app

from ..exceptions import RequestError
from .body import (
    accept_language, base64_json, check_context, check_range, check_session,
    context_language, json_parameter, natural, parse_json)
from .calls import check_call, check_values
from .problem import INTEGER_MAX, BadInput, Label
from .search import (
    check_domain, check_field_names, check_order, check_shape)

logger = logging.getLogger(__name__)

MODULE = 'momd_referral'

ROUTES = {
    rpc_routes.rpc: 'rpc',
    rest_routes.search: 'rest',
    rest_routes.get: 'rest',
    rest_routes.create: 'rest',
    rest_routes.update: 'rest',
    rest_routes.delete: 'rest',
    rest_routes.action: 'rest',
    rest_routes.report: 'rest',
    ir_routes.data: 'data',
    }

# the calls of the JSON-RPC route that name no model, wizard or report
RPC_METHODS = {
    'common.db.login', 'common.db.logout', 'common.db.reset_password',
    'system.listMethods', 'system.methodHelp', 'system.methodSignature'}
# the errors a request's values cause when no check caught them first
INPUT_ERRORS = (
    LookupError, ValueError, TypeError, ArithmeticError, RecursionError,
    backend.DatabaseDataError, backend.DatabaseIntegrityError)
# what Tryton's JSON-RPC refusals say, by HTTP status
RPC_REFUSALS = {
    HTTPStatus.BAD_REQUEST: 'msg_request_not_json',
    HTTPStatus.FORBIDDEN: 'msg_request_unknown_operation',
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: 'msg_request_too_large',
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: 'msg_request_not_json',
    HTTPStatus.UNPROCESSABLE_ENTITY: 'msg_request_malformed',
    HTTPStatus.SERVICE_UNAVAILABLE: 'msg_request_busy',
    }
REST_REFUSALS = {
    HTTPStatus.BAD_REQUEST: 'msg_request_malformed',
    HTTPStatus.FORBIDDEN: 'msg_request_unknown_operation',
    HTTPStatus.NOT_FOUND: 'msg_request_not_found',
    HTTPStatus.METHOD_NOT_ALLOWED: 'msg_request_unknown_operation',
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: 'msg_request_too_large',
    HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE: 'msg_request_range',
    HTTPStatus.UNPROCESSABLE_ENTITY: 'msg_request_malformed',
    HTTPStatus.SERVICE_UNAVAILABLE: 'msg_request_busy',
    }
# left as Tryton answers them: logins, unknown databases, rate limits and
# timeouts, which the web client handles itself
KEPT = {
    HTTPStatus.UNAUTHORIZED, HTTPStatus.TOO_MANY_REQUESTS,
    HTTPStatus.GATEWAY_TIMEOUT}
NOT_FOUND = {'msg_request_unknown_model', 'msg_request_not_found'}
FORBIDDEN = {'msg_request_unknown_operation'}


class Guard:
    "What the guard knows of a request, from before its call to after"
    __slots__ = (
        'kind', 'pool', 'database', 'parsed', 'language', 'user', 'checks',
        'checked')

    def __init__(self, kind, pool, database):
        self.kind = kind
        self.pool = pool
        self.database = database
        self.parsed = None
        self.language = None
        self.user = None
        # checks run after a failed call, to tell what in it was wrong
        self.checks = []
        # whether the call was checked whole before it ran
        self.checked = False


def install():
    "Put the guard in the server's request handling (once per process)"
    if getattr(app, '_momd_input_guard', False):
        return
    original = app.dispatch_request

    def dispatch_request(request):
        try:
            answer = before(request)
        except Exception:
            logger.exception("input guard failed before %s", request)
            answer = None
        if answer is not None:
            return answer
        result = original(request)
        try:
            return after(request, result)
        except Exception:
            logger.exception("input guard failed after %s", request)
            return result
    app.dispatch_request = dispatch_request
    app._momd_input_guard = True


@with_pool
def _pool(request, pool):
    return pool


def _guard(request):
    "A Guard for a request to a database with the module, else None"
    adapter = app.url_map.bind_to_environ(request.environ)
    try:
        endpoint, view_args = adapter.match()
    except HTTPException:
        return None
    database = view_args.get('database_name')
    if not database or not isinstance(database, str):
        return None
    request.view_args = view_args
    try:
        pool = _pool(request, database)
    except HTTPException:
        return None
    try:
        pool.get('momd.office')
    except KeyError:
        return None
    return Guard(ROUTES.get(endpoint, 'other'), pool, database)


# Before the call

def before(request):
    guard = _guard(request)
    if guard is None:
        return None
    request._momd_guard = guard
    try:
        if guard.kind == 'rpc':
            _before_rpc(request, guard)
        elif guard.kind == 'rest':
            _before_rest(request, guard)
        elif guard.kind == 'data':
            _before_data(request, guard)
    except BadInput as problem:
        logger.info("refused %s: %s", request, _describe(problem))
        return refusal(request, guard, problem)
    return None


def _who(request, guard):
    "The user a refused request comes from, for the language of the answer"
    try:
        if guard.kind == 'rest':
            return _rest_user(request, guard)
        return request.user_id
    except Exception:
        return None


def _before_rpc(request, guard):
    if not isinstance(request, JSONRequest):
        raise BadInput('msg_request_not_json')
    data = request.get_data()
    if request.content_encoding == 'gzip':
        if not request.user_id:
            return
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, ValueError):
            raise BadInput('msg_request_not_json')
    try:
        parsed = parse_json(data)
    except BadInput as problem:
        # what could be read of it: the id and the language of the answer
        guard.parsed = getattr(problem, 'parsed', None)
        guard.language = context_language(guard.parsed)
        raise
    guard.parsed = parsed
    # Tryton reads the same body: it gets what was checked
    request.__dict__['parsed_data'] = parsed
    guard.language = context_language(parsed)
    if (not isinstance(parsed, dict)
            or not isinstance(parsed.get('method'), str)
            or not isinstance(parsed.get('params'), (list, type(None)))):
        raise BadInput('msg_request_no_method')
    method = parsed['method']
    params = parsed['params'] or []
    kind = method.split('.', 1)[0]
    if method in RPC_METHODS:
        return
    # nothing of the models is told to whom did not log in
    guard.user = request.user_id
    if not guard.user:
        return
    if kind not in {'model', 'wizard', 'report'}:
        raise BadInput('msg_request_unknown_operation')
    parts = method.split('.')
    name, operation = '.'.join(parts[1:-1]), parts[-1]
    try:
        Model = guard.pool.get(name, type=kind)
    except KeyError:
        raise BadInput('msg_request_unknown_operation')
    rpc = Model.__rpc__.get(operation)
    if rpc is None or len(parts) < 3:
        raise BadInput('msg_request_unknown_operation')
    if not params or not isinstance(params[-1], dict):
        raise BadInput('msg_request_no_context')
    check_context(params[-1])
    if kind == 'model' and name.startswith('momd.'):
        check_call(guard.pool, Model, operation, rpc, params[:-1])
        guard.checked = True
    elif kind in {'wizard', 'report'}:
        check_session(kind, operation, params[:-1])


def _before_rest(request, guard):
    args = request.args
    view_args = request.view_args or {}
    guard.language = accept_language(request)
    if 'id' in view_args and not 0 < view_args['id'] <= INTEGER_MAX:
        raise BadInput('msg_request_not_found')
    header = request.headers.get('X-Tryton-Context')
    if header:
        check_context(base64_json(header, 'X-Tryton-Context', dict))
    domain = order = None
    if 'd' in args:
        domain = base64_json(args['d'], 'd', list)
        check_shape(domain)
    if 'o' in args:
        order = base64_json(args['o'], 'o', list)
    for name in ['s', 'p']:
        if name in args:
            natural(args[name], name)
    check_range(request.headers.get('Range'))
    fields_names = args.getlist('f')
    if any(len(f) > 200 for f in fields_names):
        raise BadInput('msg_request_parameter', parameter='f')
    data = None
    if request.method in {'POST', 'PUT'}:
        body = request.get_data()
        if body or view_args.get('action') is None:
            if not isinstance(request, JSONRequest):
                raise BadInput('msg_request_not_json')
            data = parse_json(body)
            if not isinstance(data, dict):
                raise BadInput('msg_request_values')
            request.__dict__['parsed_data'] = data
        elif isinstance(request, JSONRequest):
            # an operation called without values
            request.__dict__['parsed_data'] = {}
    name = view_args.get('name')
    pool = guard.pool

    kind = 'report' if request.path.split('/')[3:4] == ['report'] else (
        'model')

    def model():
        try:
            return pool.get(name, type=kind)
        except KeyError:
            raise BadInput('msg_request_unknown_model')
    guard.checks.append(model)
    if domain is not None:
        guard.checks.append(lambda: check_domain(pool, model(), domain))
    if order is not None:
        guard.checks.append(lambda: check_order(pool, model(), order))
    if fields_names:
        guard.checks.append(
            lambda: check_field_names(pool, model(), fields_names))
    if data is None and request.method not in {'POST', 'PUT'}:
        return
    # values are checked before they are written: for the users of a key
    guard.user = _rest_user(request, guard)
    if not guard.user:
        return
    Model = model()
    if not Model.__name__.startswith('momd.'):
        return
    action = view_args.get('action')
    if action is None:
        check_values(pool, Model, data or {})
        return
    rpc = Model.__rpc__.get(action)
    if rpc is None:
        raise BadInput('msg_request_unknown_operation')
    args = []
    if 'id' in view_args:
        args = [[view_args['id']]]
    check_call(pool, Model, action, rpc, args, data or {})


def _before_data(request, guard):
    args = request.args
    guard.user = request.user_id
    if not guard.user:
        return
    guard.language = args.get('l') or None
    domain = None
    if 'd' in args:
        domain = json_parameter(args['d'], 'd', list)
        if domain and all(isinstance(i, int) for i in domain):
            if not all(0 < i <= INTEGER_MAX for i in domain):
                raise BadInput('msg_request_record_number',
                    most=str(INTEGER_MAX))
        else:
            check_shape(domain)
    if 'c' in args:
        check_context(json_parameter(args['c'], 'c', dict))
    for name in ['s', 'p', 'h', 'loc']:
        if name in args:
            natural(args[name], name)
    order = []
    for item in args.getlist('o'):
        field, _, direction = item.partition(',')
        if direction.strip().upper() not in {'', 'ASC', 'DESC'}:
            raise BadInput('msg_request_parameter', parameter='o')
        order.append((field, direction))
    try:
        codecs.lookup(args.get('enc', 'UTF-8'))
    except LookupError:
        raise BadInput('msg_request_parameter', parameter='enc')
    for name in ['dl', 'qc']:
        if name in args and len(args[name]) != 1:
            raise BadInput('msg_request_parameter', parameter=name)
    fields_names = [f.replace('.', '/') for f in args.getlist('f')]
    pool = guard.pool
    name = request.view_args.get('model')

    def model():
        try:
            return pool.get(name)
        except KeyError:
            raise BadInput('msg_request_unknown_model')
    guard.checks.append(model)
    if domain and not all(isinstance(i, int) for i in domain):
        guard.checks.append(lambda: check_domain(pool, model(), domain))
    if order:
        guard.checks.append(lambda: check_order(pool, model(), order))
    if fields_names:
        guard.checks.append(lambda: check_field_names(
                pool, model(), fields_names, 'path'))


def _rest_user(request, guard):
    "The user of the REST key the request carries, if it is valid"
    authorization = parse_authorization_header(
        request.headers.get('Authorization'))
    if authorization is None:
        return None
    if authorization.type == 'bearer':
        key = getattr(authorization, 'token', '')
    elif authorization.type == 'basic':
        key = authorization.get('password')
    else:
        return None
    if not key:
        return None
    with Transaction(new=True).start(guard.database, 0, readonly=True):
        Application = guard.pool.get('res.user.application')
        application = Application.check(key, 'rest')
        return application.user.id if application else None


# After the call

def after(request, result):
    guard = getattr(request, '_momd_guard', None)
    if guard is None or isinstance(result, BaseResponse):
        return result
    if isinstance(result, TrytonException):
        # Tryton's messages to users, already translated
        if guard.kind == 'data':
            return _json_response(HTTPStatus.BAD_REQUEST, *_texts(result))
        return result
    if isinstance(result, JSONBadRequest):
        return result
    if isinstance(result, HTTPException):
        return _after_http(request, guard, result)
    if isinstance(result, Exception):
        return _after_exception(request, guard, result)
    return result


def _after_http(request, guard, result):
    code = result.code
    if code in KEPT or (guard.kind == 'rpc' and code == HTTPStatus.NOT_FOUND):
        return result
    if guard.kind == 'other' and code < 500:
        # logins, keys, the bus: their own answers
        return result
    exception = _cause(result)
    if isinstance(exception, TrytonException):
        if guard.kind == 'rpc':
            return exception
        return _json_response(
            HTTPStatus.BAD_REQUEST, *_texts(exception))
    if code >= 500 and code != HTTPStatus.SERVICE_UNAVAILABLE:
        return _after_exception(request, guard, exception or result)
    if isinstance(exception, INPUT_ERRORS):
        return _after_exception(request, guard, exception)
    refusals = RPC_REFUSALS if guard.kind == 'rpc' else REST_REFUSALS
    message = refusals.get(code)
    if message is None:
        return result
    problem = _diagnose(guard) or BadInput(message)
    logger.info("refused %s: HTTP %s, %s", request, code, _describe(problem))
    # the web client tries again when the database was busy
    return refusal(request, guard, problem, status=(
            None if guard.kind == 'rpc' and code != 503 else code))


def _after_exception(request, guard, exception):
    # a call not checked whole (to a model of Tryton, a wizard...) may have
    # failed on its values in more ways
    if isinstance(exception, INPUT_ERRORS) or (
            not guard.checked and isinstance(exception, AttributeError)):
        problem = _diagnose(guard) or BadInput('msg_request_malformed')
        logger.warning("refused %s: %s, from %r", request,
            _describe(problem), exception, exc_info=exception)
        return refusal(request, guard, problem)
    reference = secrets.token_hex(4).upper()
    logger.error("server error %s (HTTP 500) on %s", reference, request,
        exc_info=exception if isinstance(exception, BaseException) else None)
    problem = BadInput('msg_request_server_error', reference=reference)
    return refusal(request, guard, problem,
        status=HTTPStatus.INTERNAL_SERVER_ERROR)


def _cause(result):
    "The exception behind an HTTP error, when there is one"
    for exception in [
            getattr(result, 'original_exception', None),
            result.description]:
        if isinstance(exception, Exception):
            return exception
    # the first exception of the chain: Tryton reads a JSON body again to
    # answer (with_pool), which fails on a REST request's and hides it
    exception, seen = result, set()
    while exception.__context__ is not None and id(exception) not in seen:
        seen.add(id(exception))
        exception = exception.__context__
    if exception is result or isinstance(exception, HTTPException):
        return None
    return exception


def _diagnose(guard):
    "What the checks kept for after the call find wrong, if anything"
    if not guard.checks:
        return None
    try:
        for check in guard.checks:
            check()
    except BadInput as problem:
        return problem
    except Exception:
        logger.debug("check failed", exc_info=True)
    return None


def _texts(exception):
    message = getattr(exception, 'message', '') or ''
    description = getattr(exception, 'description', '') or ''
    return str(message), str(description)


# The answer

def refusal(request, guard, problem, status=None):
    "The answer to a request refused for problem, in the user's language"
    if guard.user is None:
        guard.user = _who(request, guard)
    message, description = translate(guard, problem)
    error = RequestError(message, description)
    if guard.kind == 'rpc':
        parsed = guard.parsed
        body = {'id': parsed.get('id') if isinstance(parsed, dict) else None,
            'error': error.args}
        if status is None:
            if (isinstance(parsed, dict)
                    and set(parsed) == {'id', 'method', 'params'}):
                status = HTTPStatus.OK
            else:
                status = HTTPStatus.BAD_REQUEST
        return Response(json.dumps(body, cls=JSONEncoder), status=status,
            content_type='application/json')
    if status is None:
        if problem.message in NOT_FOUND:
            status = HTTPStatus.NOT_FOUND
        elif problem.message in FORBIDDEN:
            status = HTTPStatus.FORBIDDEN
        else:
            status = HTTPStatus.BAD_REQUEST
    return _json_response(status, message, description)


def _json_response(status, message, description):
    return Response(json.dumps({
                'status': int(status),
                'message': message,
                'description': description,
                }, cls=JSONEncoder),
        status=status, content_type='application/json')


def translate(guard, problem):
    "(message, description) of problem in the language of the request"
    with Transaction(new=True).start(
            guard.database, guard.user or 0, readonly=True) as transaction:
        language = _language(guard)
        with transaction.set_context(language=language):
            variables = {k: _label(guard.pool, v)
                for k, v in problem.variables.items()}
            message = gettext('%s.%s' % (MODULE, problem.message),
                **variables)
            if problem.message == 'msg_request_server_error':
                description = ''
            else:
                description = gettext(
                    '%s.msg_request_nothing_changed' % MODULE)
    return message, description


def _language(guard):
    """The language asked for (context, Accept-Language, parameter) when the
    database has it, else the user's, else the database's"""
    pool = guard.pool
    Lang = pool.get('ir.lang')
    codes = Lang.get_translatable_languages()
    requested = guard.language
    if isinstance(requested, str):
        if requested in codes:
            return requested
        if requested.split('_')[0] in codes:
            return requested.split('_')[0]
    if guard.user:
        User = pool.get('res.user')
        language = User(guard.user).language
        if language and language.code in codes:
            return language.code
    return pool.get('ir.configuration').get_language()


def _label(pool, value):
    if not isinstance(value, Label):
        return value
    if value.kind:
        return gettext('%s.msg_request_kind_%s' % (MODULE, value.kind))
    Model = pool.get(value.model.__name__)
    if value.field:
        return Model.__names__(value.field)['field']
    return Model.__names__()['model']


def _describe(problem):
    "A line for the log"
    def show(value):
        if isinstance(value, Label):
            if value.kind:
                return value.kind
            name = value.model.__name__
            return '%s.%s' % (name, value.field) if value.field else name
        return value
    return '%s %s' % (problem.message, {
            k: show(v) for k, v in problem.variables.items()})

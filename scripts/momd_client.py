"""A small JSON-RPC client for a running momd_referral server, used by the
system tests and the benchmarks."""
import base64
import gzip
import json
import urllib.error
import urllib.request


class RPCError(Exception):
    "An error the server answered with: .kind and .message as it sent them"

    def __init__(self, error):
        self.error = error
        if isinstance(error, list) and error:
            self.kind = error[0]
            args = error[1] if len(error) > 1 else []
            self.message = args[0] if args else ''
        else:
            self.kind, self.message = 'Error', str(error)
        super().__init__('%s: %s' % (self.kind, self.message))


class Session:
    def __init__(self, url, db, login, password, language='en'):
        self.endpoint = '%s/%s/rpc/' % (url.rstrip('/'), db)
        self.language = language
        self.auth = None
        uid, token = self.call(
            'common.db.login', login, {'password': password}, language)[:2]
        self.uid = uid
        self.auth = 'Session ' + base64.b64encode(
            ('%s:%s:%s' % (login, uid, token)).encode()).decode()

    def call(self, method, *params):
        # long replies come gzipped, as to the web client
        request = urllib.request.Request(
            self.endpoint,
            data=json.dumps(
                {'id': 1, 'method': method, 'params': params}).encode(),
            headers={'Content-Type': 'application/json',
                'Accept-Encoding': 'gzip'})
        if self.auth:
            request.add_header('Authorization', self.auth)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                body = response.read()
                if response.headers.get('Content-Encoding') == 'gzip':
                    body = gzip.decompress(body)
                answer = json.loads(body)
        except urllib.error.HTTPError as error:
            raise RPCError(['HTTP %s' % error.code, [error.reason]])
        if answer.get('error'):
            raise RPCError(answer['error'])
        return answer['result']

    def model(self, model, method, *args, context=None):
        context = dict(context or {})
        context.setdefault('language', self.language)
        return self.call('model.%s.%s' % (model, method), *args, context)

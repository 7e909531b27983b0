"""The JSON-RPC session of scripts/momd_client.py on a connection kept open,
over HTTP or HTTPS (the certificate is not checked: the check of the stack
on one machine has a self-signed one), timing each request. The users of
tests/test_deploy_stack.py, one per thread."""
import gzip
import http.client
import json
import ssl
import time
import urllib.parse

from momd_client import RPCError, Session


class Client(Session):
    def __init__(self, url, db, login, password, language='en'):
        self.connection = None
        # seconds of each request answered
        self.times = []
        super().__init__(url, db, login, password, language)

    def _connect(self):
        parts = urllib.parse.urlsplit(self.endpoint)
        if parts.scheme == 'https':
            return http.client.HTTPSConnection(parts.hostname, parts.port,
                timeout=300, context=ssl._create_unverified_context())
        return http.client.HTTPConnection(
            parts.hostname, parts.port, timeout=300)

    def _post(self, body, headers):
        path = urllib.parse.urlsplit(self.endpoint).path
        reused = self.connection is not None
        if not reused:
            self.connection = self._connect()
        try:
            return self._answer(path, body, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError,
                BrokenPipeError):
            self.close()
            if not reused:
                raise
        # the server had closed the idle connection before this request
        # reached it: as a browser does, once more on a new one
        self.connection = self._connect()
        return self._answer(path, body, headers)

    def _answer(self, path, body, headers):
        self.connection.request('POST', path, body, headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.getheader('Content-Encoding') == 'gzip':
            data = gzip.decompress(data)
        return response.status, response.reason, data

    def call(self, method, *params):
        body = json.dumps({'id': 1, 'method': method, 'params': params})
        # as a browser, long replies gzipped
        headers = {'Content-Type': 'application/json',
            'Accept-Encoding': 'gzip'}
        if self.auth:
            headers['Authorization'] = self.auth
        start = time.perf_counter()
        try:
            status, reason, data = self._post(body.encode(), headers)
        except Exception:
            self.close()
            raise
        self.times.append(time.perf_counter() - start)
        if status != 200:
            raise RPCError(['HTTP %s' % status, [reason]])
        answer = json.loads(data)
        if answer.get('error'):
            raise RPCError(answer['error'])
        return answer['result']

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

"""JSON-RPC replies written whole to clients that do not ask for gzip.

trytond 8.0 writes a reply longer than 1,400 characters as a stream of the
JSON encoder's pieces: gzipped when the client accepts it, otherwise one
piece per socket write (a 72 KB list page: 226 ms, against 59 ms gzipped),
and it then still says `Content-Encoding: gzip` of a body that is not. For
such a client (scripts/momd_client.py, a partner's system) the reply is
joined here into one body with its length, and the false header removed.
"""
from trytond.wsgi import app
from werkzeug.wrappers import Response as BaseResponse


def whole(request, response):
    "The response, its uncompressed stream joined into one body"
    if (isinstance(response, BaseResponse)
            and 'gzip' not in request.accept_encodings
            and response.headers.get('Content-Encoding') == 'gzip'
            and response.is_streamed
            and response.mimetype == 'application/json'):
        data = b''.join(response.iter_encoded())
        del response.headers['Content-Encoding']
        response.set_data(data)
    return response


def install():
    """Put the joining where the server makes its replies of the calls'
    results (once per process)"""
    if getattr(app, '_momd_whole_replies', False):
        return
    original = app.make_response

    def make_response(request, data):
        return whole(request, original(request, data))
    app.make_response = make_response
    app._momd_whole_replies = True

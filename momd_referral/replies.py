"""JSON-RPC replies written whole, in one body with its length.

trytond 8.0 writes a reply longer than 1,400 characters as a stream of the
JSON encoder's pieces:

- to a client that asks for gzip, each piece compressed on its own (a few
  bytes each, thousands of calls of the compressor for a list page: about a
  tenth of the server's time on a focal point's inbox);
- to one that does not, one piece per socket write (a 72 KB list page:
  226 ms, against 59 ms gzipped), and it then still says
  `Content-Encoding: gzip` of a body that is not.

Here the pieces are joined into one text, compressed at once for the
client that asks for gzip (at trytond's level, 1), sent plain with the
false header removed to the one that does not (scripts/momd_client.py, a
partner's system).
"""
import zlib

from trytond.protocols.wrappers import GzipStream
from trytond.wsgi import app
from werkzeug.wrappers import Response as BaseResponse

# trytond's level for its replies, and gzip's header and trailer (wbits)
LEVEL = 1
GZIP = 31


def whole(request, response):
    "The response, its stream of JSON pieces joined into one body"
    if (isinstance(response, BaseResponse)
            and response.headers.get('Content-Encoding') == 'gzip'
            and response.is_streamed
            and response.mimetype == 'application/json'):
        stream = response.response
        if isinstance(stream, GzipStream):
            text = ''.join(stream.iterator).encode('utf-8')
            compressor = zlib.compressobj(level=LEVEL, wbits=GZIP)
            response.set_data(compressor.compress(text) + compressor.flush())
        elif 'gzip' not in request.accept_encodings:
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

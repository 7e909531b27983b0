"""The page of an answer link, served by trytond without a login:
GET /<database>/momd/answer/<token> shows the referral as disclosed to its
provider and the steps its state allows; POST takes one of them.
The route is registered when the module is imported, as trytond's own
routes are."""
from trytond.protocols.wrappers import (
    HTTPStatus, Response, with_pool, with_transaction)
from trytond.wsgi import app

from .page import answer


@app.route('/<database_name>/momd/answer/<token>', methods={'GET', 'POST'})
@with_pool
@with_transaction(readonly=False)
def answer_link_page(request, pool, token):
    "The answer link's page: the answer is the system's step, audited"
    status, body = answer(
        pool, token, request.method, request.args, request.form,
        request.remote_addr)
    response = Response(body, status=status,
        content_type='text/html; charset=utf-8')
    # the token is in the address: keep it out of caches and of other
    # sites' referrers ("same-origin", not "no-referrer": with that, the
    # browser posts the form with a null origin, which trytond refuses)
    response.headers['Cache-Control'] = 'no-store'
    response.headers['Referrer-Policy'] = 'same-origin'
    response.headers['X-Frame-Options'] = 'DENY'
    response.headers['X-Content-Type-Options'] = 'nosniff'
    response.headers['Content-Security-Policy'] = (
        "default-src 'none'; style-src 'unsafe-inline'; "
        "form-action 'self'; frame-ancestors 'none'")
    return response


__all__ = ['answer_link_page', 'HTTPStatus']

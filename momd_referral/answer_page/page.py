"""What the answer link's page shows and does, for the route of
__init__.py: one self-contained HTML page, right-to-left in Arabic, in the
language of the link or the one chosen on the page."""
import collections
import contextlib
import hashlib
import hmac
import html
import time

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model.exceptions import ValidationError
from trytond.transaction import Transaction

from ..models.answer_link import STEPS

LANGUAGES = [('ar', 'العربية'), ('en', 'English'), ('kmr', 'Kurmancî')]
RTL = {'ar'}
# The referral's fields the page shows: what a focal point of the provider
# reads while the disclosure is in force, never more
SHOWN = [
    'code', 'state', 'priority', 'sent_date', 'acknowledge_before',
    'complete_before', 'reason']
DISCLOSED = [
    'beneficiary_name', 'beneficiary_sex', 'beneficiary_age',
    'beneficiary_phones', 'beneficiary_location', 'need_description',
    'beneficiary_documents', 'beneficiary_vulnerabilities']
# The steps the page offers in each state of the referral
OFFERED = {
    'sent': ['accept', 'decline'],
    'accepted': ['start', 'complete'],
    'in_progress': ['complete'],
    }
# Failed tokens per address: after MAX_FAILURES in WINDOW seconds, the
# address is told to wait and no token of it is looked at
MAX_FAILURES = 20
WINDOW = 600
_failures = collections.defaultdict(collections.deque)

STYLE = """
body{font-family:'Noto Sans Arabic','Noto Sans',Tahoma,sans-serif;margin:0;
background:#f4f6f8;color:#1d2733;line-height:1.5}
main{max-width:46rem;margin:0 auto;padding:1rem}
header{display:flex;justify-content:space-between;align-items:center;
flex-wrap:wrap;gap:.5rem}
nav a{margin-inline-end:.75rem}
section{background:#fff;border-radius:6px;padding:1rem;margin:1rem 0;
box-shadow:0 1px 2px rgba(0,0,0,.1)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;
margin:0}
dt{font-weight:bold}dd{margin:0;white-space:pre-wrap}
.error{background:#fdecea;border:1px solid #f5c2c0}
.done{background:#e8f5e9;border:1px solid #b7dfb9}
label{display:block;margin:.5rem 0 .25rem;font-weight:bold}
select,textarea{width:100%;box-sizing:border-box;font:inherit}
button{font:inherit;padding:.4rem 1.2rem;margin-top:.5rem;cursor:pointer}
"""


def _(message, language, **kwargs):
    with Transaction().set_context(language=language):
        return gettext('momd_referral.msg_answer_page_' + message, **kwargs)


def e(value):
    return html.escape('' if value is None else str(value))


def document(language, title, body):
    "The whole page, in language"
    direction = 'rtl' if language in RTL else 'ltr'
    return ('<!DOCTYPE html>\n<html lang="%s" dir="%s"><head>'
        '<meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        '<title>%s</title><style>%s</style></head>'
        '<body><main>%s</main></body></html>') % (
        language, direction, e(title), STYLE, body)


def dead_page(status, message='dead'):
    """The page of a link that does not work, in the three languages, with
    nothing of the referral"""
    parts = []
    for language, _name in LANGUAGES:
        direction = 'rtl' if language in RTL else 'ltr'
        parts.append('<section lang="%s" dir="%s"><h1>%s</h1><p>%s</p>'
            '</section>' % (language, direction,
                e(_('dead_title', language)), e(_(message, language))))
    return status, document('ar', _('dead_title', 'ar'), ''.join(parts))


def throttled(address):
    "Whether address failed too often lately"
    failures = _failures[address]
    limit = time.monotonic() - WINDOW
    while failures and failures[0] < limit:
        failures.popleft()
    return len(failures) >= MAX_FAILURES


def failed(address):
    _failures[address].append(time.monotonic())


@contextlib.contextmanager
def all_or_nothing():
    """What the block writes is undone if it fails, and only that: the
    trail of the refused attempt is kept"""
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    tasks = list(transaction.tasks)
    cursor.execute('SAVEPOINT momd_answer_link')
    try:
        yield
    except Exception:
        cursor.execute('ROLLBACK TO SAVEPOINT momd_answer_link')
        for cache in transaction.cache.values():
            cache.clear()
        transaction.tasks[:] = tasks
        raise
    cursor.execute('RELEASE SAVEPOINT momd_answer_link')


def page_nonce(secret, link, referral):
    """The nonce of the page as it was shown: a form is taken only from the
    page of the link showing the referral as it stands"""
    stamp = referral.write_date or referral.create_date
    message = '%s:%s:%s:%s' % (link.id, link.token_hash, referral.state,
        stamp.isoformat() if stamp else '')
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


def answer(pool, token, method, args, form, address):
    "(HTTP status, HTML) of the request to the page of token"
    try:
        Link = pool.get('momd.referral.link')
    except KeyError:
        return dead_page(404)
    Log = pool.get('momd.access.log')
    Key = pool.get('momd.referral.link.key')
    if throttled(address):
        return dead_page(429, 'busy')
    link = Link.from_token(token)
    if link is None:
        failed(address)
        Log._insert('momd.referral.link', [None], 'denied',
            operation='answer_link', offices={})
        return dead_page(404)
    if link.dead_reason():
        Link.end([link])
        Log.log_link(link, 'denied', operation='answer_link')
        return dead_page(410)
    language = args.get('lang') or form.get('lang')
    if language not in dict(LANGUAGES):
        language = link.language or 'ar'
    secret = Key.secret()
    notice = None
    if method == 'POST':
        notice = take_step(pool, link, secret, form, language)
        link = Link(link.id)
        if link.dead_reason():
            # the answer ended the link (the referral completed...)
            Link.end([link])
            return 200, document(language, _('dead_title', language),
                notice + '<section><p>%s</p></section>' % e(
                    _('ended', language)))
    else:
        Log.log_link(link, 'read')
    return 200, render(pool, link, secret, language, notice)


def take_step(pool, link, secret, form, language):
    """Take the step of the form through the referral's own method, as the
    system; on a refusal nothing is written and the refusal is shown"""
    Referral = pool.get('momd.referral')
    Log = pool.get('momd.access.log')
    transaction = Transaction()
    step = form.get('step')
    referral = Referral(link.referral.id)
    given = form.get('nonce') or ''
    if step not in STEPS:
        return ''
    if not hmac.compare_digest(
            given.encode('ascii', 'ignore'),
            page_nonce(secret, link, referral).encode()):
        Log.log_link(link, 'denied', operation=step)
        return '<section class="error"><p>%s</p></section>' % e(
            _('stale', language))
    values = {name: form.get(name) or None for name in STEPS[step]}
    # the referral's answer log names the link's recipient as who said it
    answering = pool.get('momd.referral.answer').answering(
        'link', contact_name=link.recipient, recorded_by=None)
    try:
        with all_or_nothing(), answering, \
                transaction.set_context(language=language):
            if values:
                Referral.write([referral], values)
            getattr(Referral, step)([referral])
    except (UserError, ValidationError) as exception:
        Log.log_link(link, 'denied', operation=step)
        return '<section class="error" role="alert"><p>%s</p><p>%s</p>' \
            '</section>' % (e(_('refused', language)), e(exception.message))
    link.answered(step)
    Log.log_link(link, 'write', operation=step,
        changed=set(values) | {'state'})
    referral = Referral(referral.id)
    with transaction.set_context(language=language):
        state = Referral(referral.id).state_string
    return '<section class="done" role="status"><p>%s</p></section>' % e(
        _('done', language, state=state))


def render(pool, link, secret, language, notice):
    "The page of a working link: the referral as disclosed, the steps"
    Referral = pool.get('momd.referral')
    with Transaction().set_context(language=language):
        referral = Referral(link.referral.id)
        names = SHOWN + DISCLOSED
        row, = Referral.read([referral.id], names + [
                'provider_service.rec_name', 'need.category.rec_name'])
        definitions = Referral.fields_get(
            names + ['provider_service', 'category', 'decline_reason',
                'decline_note', 'outcome', 'outcome_feedback'])
        state = referral.state_string
    title = _('title', language, referral=row['code'])
    parts = ['<header><h1>%s</h1><nav>%s</nav></header>' % (
            e(title), ''.join(
                '<a href="?lang=%s" lang="%s" hreflang="%s">%s</a>' % (
                    code, code, code, e(name))
                for code, name in LANGUAGES if code != language))]
    if notice:
        parts.append(notice)
    parts.append('<p>%s</p>' % e(_('intro', language)))

    def rows(items):
        return '<dl>%s</dl>' % ''.join(
            '<dt>%s</dt><dd>%s</dd>' % (e(label), e(value))
            for label, value in items if value not in (None, ''))

    def label(name):
        return definitions[name]['string']

    def when(value):
        return value.strftime('%Y-%m-%d %H:%M') if value else None
    priority = dict(definitions['priority']['selection']).get(row['priority'])
    service = (row.get('provider_service.') or {}).get('rec_name')
    category = ((row.get('need.') or {}).get('category.') or {}).get(
        'rec_name')
    parts.append('<section id="referral">%s</section>' % rows([
                (label('code'), row['code']),
                (label('state'), state),
                (label('provider_service'), service),
                (label('category'), category),
                (label('priority'), priority),
                (label('sent_date'), when(row['sent_date'])),
                (label('acknowledge_before'),
                    when(row['acknowledge_before'])),
                (label('complete_before'), when(row['complete_before'])),
                (label('reason'), row['reason']),
                ]))
    parts.append('<section id="beneficiary"><h2>%s</h2>%s</section>' % (
            e(_('beneficiary', language)),
            rows([(label(n), row[n]) for n in DISCLOSED])))
    nonce = page_nonce(secret, link, referral)

    def form(step, fields=''):
        return ('<form method="post"><input type="hidden" name="nonce" '
            'value="%s"><input type="hidden" name="lang" value="%s">'
            '<input type="hidden" name="step" value="%s">%s'
            '<button type="submit" name="do" value="%s">%s</button>'
            '</form>') % (nonce, language, step, fields, step,
            e(_(step, language)))

    def select(name):
        options = ''.join('<option value="%s">%s</option>' % (
                e(value or ''), e(text))
            for value, text in definitions[name]['selection'])
        return '<label for="%s">%s</label><select id="%s" name="%s">%s' \
            '</select>' % (name, e(label(name)), name, name, options)

    def text(name):
        return '<label for="%s">%s</label><textarea id="%s" name="%s" ' \
            'rows="3"></textarea>' % (name, e(label(name)), name, name)
    for step in OFFERED.get(referral.state, []):
        fields = ''.join(
            select(n) if definitions[n]['type'] == 'selection' else text(n)
            for n in STEPS[step])
        parts.append('<section class="step" id="%s">%s</section>' % (
                step, form(step, fields)))
    return document(language, title, ''.join(parts))


__all__ = ['answer']

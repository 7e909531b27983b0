"""New submissions pulled from a KoboToolbox server on a schedule.

An administrator gives the server, the token of a KoboToolbox account that
may read the form, the form's asset id and the office its people are
registered in. The scheduled task reads the form's submissions from the
server's API (`/api/v2/assets/<asset>/data/`), page by page, and imports
them as a file would be: a batch of the office, checked row by row, each
submission known by its `_uuid` (those already imported and unchanged do
nothing). Nothing is pulled while the settings are incomplete, and a pull
that brings exactly what the last one brought makes no new batch.
"""
import csv
import hashlib
import io
import json
import urllib.parse
import urllib.request

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access

from ..kobo_form import VERSION

# the seconds a page of submissions may take to come
TIMEOUT = 60
PAGE_SIZE = 1000


class Configuration(metaclass=PoolMeta):
    __name__ = 'momd.configuration'

    kobo_server = fields.Char(
        "KoboToolbox Server",
        help="The address of the KoboToolbox server "
        "(https://kf.kobotoolbox.org, or the ministry's own).")
    kobo_token = fields.Char(
        "KoboToolbox Token",
        help="The API token of a KoboToolbox account that may read the "
        "form's submissions.")
    kobo_asset = fields.Char(
        "KoboToolbox Form",
        help="The asset id of the registration form on the server "
        "(the code in the address of the form).")
    kobo_office = fields.Many2One(
        'momd.office', "KoboToolbox Office", ondelete='RESTRICT',
        help="The office the pulled submissions register their people in. "
        "Empty: nothing is pulled.")


def fetch(url, token):
    "The JSON answer of the KoboToolbox API at url"
    request = urllib.request.Request(url, headers={
            'Authorization': 'Token %s' % token,
            'Accept': 'application/json',
            })
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        return json.load(response)


def submissions_csv(submissions):
    """The submissions of the API as the CSV export of KoboToolbox: one
    column per question path and the submission's own columns"""
    columns = []
    for submission in submissions:
        for key in submission:
            name = VERSION if key == '__version__' else key
            if name not in columns and not isinstance(
                    submission[key], (list, dict)):
                columns.append(name)
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(columns)
    for submission in submissions:
        values = dict(submission)
        if '__version__' in values:
            values.setdefault(VERSION, values['__version__'])
        writer.writerow([
                '' if values.get(c) is None else values[c]
                for c in columns])
    return output.getvalue().encode('utf-8')


class ImportBatch(metaclass=PoolMeta):
    __name__ = 'momd.kobo.import'

    @classmethod
    def pull(cls):
        """Import the submissions of the KoboToolbox server's form into the
        configured office (the scheduled task)"""
        pool = Pool()
        Configuration = pool.get('momd.configuration')
        with without_check_access():
            configuration = Configuration(1)
            server = configuration.kobo_server
            token = configuration.kobo_token
            asset = configuration.kobo_asset
            office = configuration.kobo_office
            if not (server and token and asset and office):
                return
            url = '%s/api/v2/assets/%s/data/?%s' % (
                server.rstrip('/'), urllib.parse.quote(asset),
                urllib.parse.urlencode({
                        'format': 'json', 'limit': PAGE_SIZE}))
            submissions = []
            while url:
                page = fetch(url, token)
                submissions.extend(page.get('results') or [])
                url = page.get('next')
            if not submissions:
                return
            data = submissions_csv(submissions)
            name = 'kobotoolbox-%s.csv' % asset
            last = cls.search([('file_name', '=', name)],
                order=[('id', 'DESC')], limit=1)
            if (last and last[0].state in {'running', 'done'}
                    and last[0].file_checksum == hashlib.sha256(
                        data).hexdigest()):
                return
            batch, = cls.create([{
                        'office': office.id,
                        'file': data,
                        'file_name': name,
                        }])
            cls._start([batch], dry_run=False)

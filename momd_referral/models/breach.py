"""Breach scoping: what a user, a provider or an address saw, printed or
exported in a period, and about whom, from the audit trail.

An administrator names the user (or the provider: its focal points and the
answer links sent to it, or the IP address) and the period; the answer is
a spreadsheet for the incident report: every line of the trail (opened,
printed, exported, answered through a link), and the people concerned,
each with how their records were disclosed and which columns. The lines
are found through the trail's indexes (user and date, address and date,
answer link), so that the answer takes seconds on millions of lines
(bench/bench_breach.py measures it on 10M).
"""
from collections import defaultdict

from sql import Null

from trytond.i18n import gettext
from trytond.model import Index, ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from ..exceptions import BreachScopeError
from .audit import line_records
from .export import xlsx
from .rule import is_admin
from .sensitivity import class_label

# what a disclosure is in the trail
DISCLOSURES = ['read', 'print', 'export']
# how the records of each model lead to their people: the table's column
# leading to a person, or to a case of the person
LEADS = {
    'momd.beneficiary': None,
    'momd.consent': ('beneficiary', None),
    'momd.case': ('beneficiary', None),
    'momd.need': ('case', 'momd.case'),
    'momd.referral': ('case', 'momd.case'),
    }


def shown(classes):
    "The labels of the data classes a read showed (comma separated)"
    return ','.join(class_label(c) for c in (classes or '').split(',') if c)


class AccessLog(metaclass=PoolMeta):
    __name__ = 'momd.access.log'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.ip_address, Index.Equality()),
                    (t.date, Index.Range())),
                Index(t, (t.answer_link, Index.Equality()),
                    (t.date, Index.Range()),
                    where=t.answer_link != Null),
                })

    @classmethod
    def disclosures(cls, start, end, users=(), address=None, links=()):
        """The lines of the period that disclosed something (opened,
        printed, exported) to the users, from the address or through the
        answer links, oldest first: dicts of their columns"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        columns = [table.id, table.date, table.user, table.action,
            table.model, table.record, table.records, table.record_count,
            table.exported_fields, table.changed_fields,
            table.shown_classes, table.ip_address,
            table.answer_link, table.recipient]
        period = (table.date >= start) & (table.date <= end)
        wanted = table.action.in_(DISCLOSURES) | (
            table.answer_link != Null)
        conditions = []
        for sub in grouped_slice(sorted(users), 500):
            conditions.append(table.user.in_(list(sub)))
        if address:
            conditions.append(table.ip_address == address)
        for sub in grouped_slice(sorted(links), 500):
            conditions.append(table.answer_link.in_(list(sub)))
        lines = {}
        names = [c.name for c in columns]
        # one query for each way in, each through its index
        for condition in conditions:
            cursor.execute(*table.select(*columns,
                    where=condition & period & wanted))
            for row in cursor:
                lines[row[0]] = dict(zip(names, row))
        return sorted(lines.values(), key=lambda l: (l['date'], l['id']))

    @classmethod
    def people_of(cls, lines):
        """{beneficiary id: {(action, model): set of columns}} of the people
        the records of the lines are about"""
        pool = Pool()
        wanted = defaultdict(set)
        for line in lines:
            if line['model'] in LEADS:
                wanted[line['model']].update(
                    line_records(line['record'], line['records']))
        persons = {}
        for model, ids in wanted.items():
            persons[model] = cls._persons(pool, model, ids)
        people = defaultdict(lambda: defaultdict(set))
        for line in lines:
            found = persons.get(line['model'], {})
            ids = line_records(line['record'], line['records'])
            # what a read showed is said by the classes of its fields
            columns = (line['exported_fields'] or line['changed_fields']
                or shown(line['shown_classes']))
            action = 'answer' if line['answer_link'] else line['action']
            for id_ in ids:
                person = found.get(id_)
                if person:
                    people[person][(action, line['model'])].update(
                        c for c in columns.split(',') if c)
        return people

    @classmethod
    def _persons(cls, pool, model, ids):
        "{id of a record of model: id of its person}"
        lead = LEADS[model]
        if lead is None:
            return {i: i for i in ids}
        column, through = lead
        table = pool.get(model).__table__()
        cursor = Transaction().connection.cursor()
        found = {}
        for sub in grouped_slice(sorted(ids), 1000):
            cursor.execute(*table.select(table.id, getattr(table, column),
                    where=table.id.in_(list(sub))))
            found.update(cursor)
        if through:
            cases = cls._persons(pool, through, set(found.values()) - {None})
            found = {i: cases.get(c) for i, c in found.items()}
        return found


class BreachStart(ModelView):
    "What to look for in the audit trail"
    __name__ = 'momd.access.log.breach.start'
    __string__ = "Breach Scoping"

    user = fields.Many2One('res.user', "User",
        help="The account whose disclosures are looked for.")
    provider = fields.Many2One('momd.provider', "Provider",
        help="Its focal points, and the answer links sent to it.")
    ip_address = fields.Char("IP Address")
    start = fields.DateTime("From", required=True)
    end = fields.DateTime("To", required=True)


class BreachResult(ModelView):
    "What the audit trail holds"
    __name__ = 'momd.access.log.breach.result'
    __string__ = "Breach Scoping"

    lines = fields.Integer("Lines", readonly=True)
    people = fields.Integer("People Concerned", readonly=True)
    file = fields.Binary("Report", filename='file_name', readonly=True)
    file_name = fields.Char("File Name", readonly=True)


class Breach(Wizard):
    "What a user, a provider or an address saw, printed or exported"
    __name__ = 'momd.access.log.breach'

    start = StateView('momd.access.log.breach.start',
        'momd_referral.access_log_breach_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Search", 'search', 'tryton-search', default=True),
            ])
    search = StateTransition()
    result = StateView('momd.access.log.breach.result',
        'momd_referral.access_log_breach_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_search(self):
        if not is_admin():
            raise AccessError(gettext('momd_referral.msg_breach_admin'))
        start = self.start
        if not (start.user or start.provider or start.ip_address):
            raise BreachScopeError(gettext('momd_referral.msg_breach_whom',
                    user=self._label('user'),
                    provider=self._label('provider'),
                    address=self._label('ip_address')))
        if start.end < start.start:
            raise BreachScopeError(gettext('momd_referral.msg_breach_period',
                    start=self._label('start'), end=self._label('end')))
        return 'result'

    def _label(self, name):
        Start = Pool().get('momd.access.log.breach.start')
        return Start.fields_get([name])[name]['string']

    def default_result(self, fields):
        pool = Pool()
        AccessLog = pool.get('momd.access.log')
        start = self.start
        users, links = set(), set()
        if start.user:
            users.add(start.user.id)
        if start.provider:
            users.update(u.id for u in start.provider.focal_points)
            links = self._links(start.provider)
        lines = AccessLog.disclosures(start.start, start.end, users=users,
            address=start.ip_address, links=links)
        people = AccessLog.people_of(lines)
        name = gettext('momd_referral.msg_breach_file',
            date=start.start.date().isoformat())
        return {
            'lines': len(lines),
            'people': len(people),
            'file': xlsx(self._sheets(lines, people)),
            'file_name': name + '.xlsx',
            }

    @staticmethod
    def _links(provider):
        "The answer links of the referrals sent to the provider"
        pool = Pool()
        Link = pool.get('momd.referral.link')
        Referral = pool.get('momd.referral')
        link = Link.__table__()
        referral = Referral.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*link.join(referral,
                condition=link.referral == referral.id).select(link.id,
                where=referral.provider == provider.id))
        return {i for i, in cursor}

    def _sheets(self, lines, people):
        pool = Pool()
        AccessLog = pool.get('momd.access.log')
        Beneficiary = pool.get('momd.beneficiary')
        User = pool.get('res.user')
        actions = dict(AccessLog.fields_get(['action'])['action']['selection'])
        actions['answer'] = gettext('momd_referral.msg_breach_answer')
        names = {}

        def model_name(model):
            if model not in names:
                try:
                    names[model] = pool.get(model).__names__()['model']
                except KeyError:
                    names[model] = model or ''
            return names[model]
        users = {u.id: u.rec_name for u in User.browse(
                {l['user'] for l in lines if l['user']})}
        strings = AccessLog.fields_get(['date', 'user', 'action', 'model',
                'record', 'record_count', 'exported_fields', 'ip_address',
                'recipient'])
        header = [strings[n]['string'] for n in ['date', 'user', 'action',
                'model', 'record', 'record_count', 'exported_fields',
                'ip_address', 'recipient']]
        rows = [header]
        for line in lines:
            rows.append([line['date'], users.get(line['user'], ''),
                    actions['answer'] if line['answer_link']
                    else actions.get(line['action'], line['action']),
                    model_name(line['model']), line['record'],
                    line['record_count'],
                    line['exported_fields'] or line['changed_fields']
                    or shown(line['shown_classes']),
                    line['ip_address'], line['recipient']])
        person_rows = [[gettext('momd_referral.msg_breach_person'),
                Beneficiary.fields_get(['office'])['office']['string'],
                gettext('momd_referral.msg_breach_how'),
                gettext('momd_referral.msg_breach_columns')]]
        with Transaction().set_context(active_test=False):
            persons = Beneficiary.browse(sorted(people))
            for person in persons:
                for (action, model), columns in sorted(
                        people[person.id].items()):
                    person_rows.append([person.code,
                            person.office.rec_name if person.office else '',
                            '%s: %s' % (actions.get(action, action),
                                model_name(model)),
                            ', '.join(sorted(columns))])
        return [
            (gettext('momd_referral.msg_breach_sheet_lines'), [], rows),
            (gettext('momd_referral.msg_breach_sheet_people'), [],
                person_rows),
            ]

"""Fields owned by the workflow or the system, tried as every role over real
HTTP: every field that the module's definitions make read-only (always, or
in the state the record is in) of every momd.* model is given by `write`,
`create`, `import_data` and the REST API; none may be accepted, and the
database must be the same afterwards.

The list of fields is not written here: it is read from the server's own
field definitions (fields_get) and their read-only conditions are evaluated
on the records as they stand, so a field added later is tried too."""
import json
import re
import urllib.error
import urllib.request

from trytond.pyson import PYSONDecoder

from momd_client import RPCError

ROLES = [
    'sinjar.caseworker', 'sinjar.supervisor', 'manager',
    'provider.legal.network', 'administrator', 'admin']
# The audit trail is written by the refusals themselves
UNCHECKED_TABLES = {'momd_access_log'}
# Models the administrator does not write to: refused before their fields
# are looked at
READ_ONLY_MODELS = {
    'momd.access.log', 'momd.access.summary', 'momd.mail',
    'momd.referral.statistic',
    'momd.beneficiary.statistic', 'momd.outreach.statistic',
    'momd.referral.kpi', 'momd.referral.answer', 'momd.referral.link',
    'momd.outbox.message', 'momd.provider.scorecard',
    # the review of possible duplicates is the supervisors' and managers'
    'momd.beneficiary.duplicate',
    # the rows of a KoboToolbox import are written by the import
    'momd.kobo.import.row'}
DATE = {'__class__': 'date', 'year': 2020, 'month': 2, 'day': 3}
DATETIME = dict(DATE, __class__='datetime', hour=4, minute=5, second=6,
    microsecond=0)


def _snapshot(connection):
    "Every row of the module's tables, as text, by table"
    cursor = connection.cursor()
    if hasattr(connection, 'info'):  # psycopg
        cursor.execute("SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_name LIKE 'momd%%'")
    else:
        cursor.execute("SELECT name FROM sqlite_master "
            "WHERE type = 'table' AND name LIKE 'momd%'")
    tables = sorted(r[0] for r in cursor.fetchall()
        if r[0] not in UNCHECKED_TABLES)
    snapshot = {}
    for table in tables:
        cursor.execute('SELECT * FROM "%s" ORDER BY 1' % table)
        snapshot[table] = [repr(r) for r in cursor.fetchall()]
    connection.commit()
    return snapshot


def _eval_names(states):
    "The names of the fields a PYSON read-only condition reads"
    return set(re.findall(
            r'"__class__":\s*"Eval",\s*"v":\s*"([a-z_0-9]+)"', states)) - {
        'context'}


class Owned:
    """The owned fields of a model, from its definitions as the server
    gives them"""

    def __init__(self, admin, model):
        self.model = model
        self.definitions = admin.model(model, 'fields_get', None)
        self.always, self.conditional = [], {}
        for name, definition in sorted(self.definitions.items()):
            if name in {'id', 'rec_name'} or name.startswith('_'):
                continue
            if definition.get('readonly'):
                self.always.append(name)
            elif definition.get('states') and '"readonly"' in (
                    definition['states']):
                self.conditional[name] = definition['states']
        names = set(self.always) | set(self.conditional)
        for states in self.conditional.values():
            names |= _eval_names(states)
        self.read_names = sorted(n for n in names if n in self.definitions
            and self.definitions[n]['type'] not in {
                'one2many', 'many2many', 'binary'})

    def holds(self, name, values):
        "Whether the field name is read-only for a record of values"
        if name in self.always:
            return True
        env = {k: v for k, v in values.items()}
        env['context'] = {}
        states = PYSONDecoder(env).decode(self.conditional[name])
        return bool(states.get('readonly'))


class Values:
    "A value for a field other than the record's"

    def __init__(self, admin):
        self.admin = admin
        self._ids = {}

    def ids(self, model):
        if model not in self._ids:
            try:
                self._ids[model] = self.admin.model(
                    model, 'search', [], 0, 5, None)
            except RPCError:
                self._ids[model] = []
        return self._ids[model]

    def other(self, definition, current):
        kind = definition['type']
        if kind == 'boolean':
            return not current
        if kind in {'char', 'text'}:
            return (current or '') + ' X'
        if kind == 'integer':
            return (current or 0) + 7
        if kind == 'float':
            return (current or 0) + 7.5
        if kind == 'numeric':
            return {'__class__': 'Decimal', 'decimal': '7.25'}
        if kind == 'selection':
            choices = [k for k, _ in definition.get('selection') or []
                if k and k != current] if isinstance(
                definition.get('selection'), list) else []
            return choices[0] if choices else None
        if kind == 'multiselection':
            keys = [k for k, _ in definition.get('selection') or []]
            return keys[:1] if list(current or []) != keys[:1] else keys[1:2]
        if kind == 'many2one':
            current_id = current if not isinstance(current, dict) else None
            choices = [i for i in self.ids(definition['relation'])
                if i != current_id]
            return choices[0] if choices else None
        if kind == 'many2many':
            choices = [i for i in self.ids(definition['relation'])
                if i not in (current or [])]
            return [['add', choices[:1]]] if choices else None
        if kind == 'one2many':
            return [['create', [{}]]]
        if kind == 'date':
            return DATE
        if kind in {'datetime', 'timestamp'}:
            return DATETIME
        if kind == 'dict':
            return {'x': 'y'}
        return None

    @staticmethod
    def as_text(definition, value):
        "value as import_data reads it, None for the kinds it cannot take"
        kind = definition['type']
        if kind == 'boolean':
            return 'True' if value else 'False'
        if kind in {'char', 'text', 'selection'}:
            return value
        if kind in {'integer', 'float'}:
            return str(value)
        if kind == 'date':
            return '2020-02-03'
        return None


def _rest_key(server, session, login):
    "A validated key of the REST API for the user"
    request = urllib.request.Request(
        '%s/momd_system_test/user/application/' % server, method='POST',
        data=json.dumps({'user': login, 'application': 'rest'}).encode(),
        headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=60) as response:
        key = json.load(response)
    applications = session.model('res.user.application', 'search',
        [('key', '=', key)], 0, None, None)
    session.model('res.user.application', 'validate_', applications)
    return key, applications


def _rest_put(server, key, model, id_, values):
    request = urllib.request.Request(
        '%s/momd_system_test/rest/model/%s/%s' % (server, model, id_),
        method='PUT', data=json.dumps(values).encode(),
        headers={'Content-Type': 'application/json',
            'Authorization': 'bearer %s' % key})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_owned_fields_refused_to_every_role(server, login, database):
    admin = login('administrator')
    models = []
    for model in sorted(m['name'] for m in admin.model(
                'ir.model', 'search_read', [('name', 'like', 'momd.%')],
                0, None, None, ['name'])):
        try:
            # the stored ones; a wizard's forms have no records
            admin.model(model, 'search_count', [])
        except RPCError:
            continue
        models.append(model)
    assert 'momd.referral' in models and 'momd.consent' in models
    owned = {m: Owned(admin, m) for m in models}
    assert sum(len(o.always) + len(o.conditional)
        for o in owned.values()) > 100
    values = Values(admin)
    records = {}
    for model, fields in owned.items():
        ids = values.ids(model)
        try:
            records[model] = admin.model(model, 'read', ids,
                fields.read_names)
        except RPCError:
            # the statistics, read only through their context
            records[model] = [{'id': i} for i in ids]

    before = _snapshot(database)
    accepted, attempts, named, other = [], 0, 0, []
    rest_key = None
    for login_ in ROLES:
        session = login(login_)
        administrator = login_ == 'administrator'
        if login_ == 'administrator':
            rest_key, applications = _rest_key(server, session, login_)

        def attempt(what, call, label=None):
            nonlocal attempts, named
            attempts += 1
            try:
                call()
            except RPCError as error:
                assert 'HTTP 500' not in error.kind, (what, error)
                if administrator:
                    # an administrator may change the rest: the refusal is
                    # the one of the owned field, but where no one writes
                    # (the audit trail, statistics)
                    if '"%s"' % label in error.message:
                        named += 1
                    else:
                        other.append((what, error.message))
            else:
                accepted.append((login_, what))

        for model, fields in owned.items():
            for name in fields.always + sorted(fields.conditional):
                definition = fields.definitions[name]
                label = definition['string']
                holding = [r for r in records[model]
                    if fields.holds(name, r)]
                if holding:
                    record = holding[0]
                    value = values.other(definition, record.get(name))
                    if value is not None:
                        attempt((model, name, 'write'),
                            lambda: session.model(model, 'write',
                                [record['id']], {name: value}), label)
                        text = values.as_text(definition, value)
                        if text is not None:
                            attempt((model, name, 'import_data'),
                                lambda: session.model(model, 'import_data',
                                    ['id', name],
                                    [[str(record['id']), text]]), label)
                        if rest_key:
                            status = _rest_put(server, rest_key, model,
                                record['id'], {name: value})
                            attempts += 1
                            assert status != 500, (model, name, 'REST')
                            if status < 400:
                                accepted.append(
                                    (login_, (model, name, 'REST')))
                new = {}
                if name in fields.conditional:
                    try:
                        new = session.model(model, 'default_get',
                            sorted(_eval_names(fields.conditional[name])
                                & set(fields.definitions)))
                    except RPCError:
                        new = {}
                if fields.holds(name, new):
                    value = values.other(definition, None)
                    if value is not None:
                        attempt((model, name, 'create'),
                            lambda: session.model(model, 'create',
                                [{name: value}]), label)
        if login_ == 'administrator':
            session.model('res.user.application', 'cancel', applications)
            rest_key = None
    after = _snapshot(database)

    print('%d attempts on %d models, %d refusals naming the field to the '
        'administrator' % (attempts, len(models), named))
    assert not accepted, accepted
    assert attempts > 2000, attempts
    assert named > 300, (named, other)
    assert {w[0] for w, _ in other} <= READ_ONLY_MODELS, other
    changed = [t for t in before if before[t] != after.get(t)]
    assert not changed, changed

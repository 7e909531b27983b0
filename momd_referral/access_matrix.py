"""The access matrix: what each role may do with each model of
momd_referral, computed from the module's own access records, record rules,
field limits and buttons (doc/en/access-matrix.md is written from it)."""
from trytond.model import ModelStorage
from trytond.pool import Pool
from trytond.transaction import Transaction

from .models.sensitivity import CLASSES, FIELD_CLASSES, GROUPS

# The roles as the demo and the ministry give them, by their groups
ROLES = [
    ("Caseworker", ['group_caseworker']),
    ("Office Supervisor", ['group_supervisor']),
    ("Ministry Manager", ['group_manager']),
    ("Provider Focal Point", ['group_provider']),
    ("Administrator", ['group_admin']),
    ]
PERMISSIONS = [('read', "R"), ('create', "C"), ('write', "W"),
    ('delete', "D")]


def role_users():
    "A user for each role, created in the current transaction (once)"
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    logins = ['access.matrix.%d' % i for i in range(len(ROLES))]
    users = User.search([('login', 'in', logins)], order=[('login', 'ASC')])
    if len(users) == len(ROLES):
        return list(zip([name for name, _ in ROLES], users))
    users = User.create([{
                'login': 'access.matrix.%d' % i, 'name': name,
                'groups': [('add', [
                            ModelData.get_id('momd_referral', g)
                            for g in groups])],
                } for i, (name, groups) in enumerate(ROLES)])
    return list(zip([name for name, _ in ROLES], users))


def models():
    "The stored models of the module, by name"
    pool = Pool()
    Model = pool.get('ir.model')
    return sorted(m.name for m in Model.search([
                ('module', '=', 'momd_referral'),
                ('name', 'like', 'momd.%'),
                ])
        if issubclass(pool.get(m.name), ModelStorage))


def rule_groups(model_name, group_ids):
    "Names of the record rule groups that apply to a user of these groups"
    pool = Pool()
    RuleGroup = pool.get('ir.rule.group')
    applied, defaults = [], []
    for rule_group in RuleGroup.search(
            [('model', '=', model_name), ('perm_read', '=', True)],
            order=[('name', 'ASC'), ('id', 'ASC')]):
        linked = {g.id for g in rule_group.groups}
        if rule_group.global_p or linked & group_ids:
            applied.append(rule_group)
        elif rule_group.default_p:
            defaults.append(rule_group)
    if not [r for r in applied if not r.global_p]:
        applied.extend(defaults)
    return [('always: ' if r.global_p else '') + r.name for r in applied]


def matrix():
    """Rows (model, {role: (permissions, record scope)}) for every model,
    and the buttons with the roles that may press them"""
    pool = Pool()
    ModelAccess = pool.get('ir.model.access')
    User = pool.get('res.user')
    Button = pool.get('ir.model.button')
    users = role_users()
    rows = []
    names = models()
    for name in names:
        cells = {}
        for role, user in users:
            with Transaction().set_user(user.id):
                access = ModelAccess.get_access([name])[name]
                groups = set(User.get_groups())
            letters = ''.join(
                letter if access[perm] else '·'
                for perm, letter in PERMISSIONS)
            scope = (', '.join(rule_groups(name, groups))
                if access['read'] else '')
            cells[role] = (letters, scope)
        rows.append((name, cells))
    buttons = []
    for button in Button.search([('model', 'in', names)],
            order=[('model', 'ASC'), ('name', 'ASC')]):
        ids = {g.id for g in button.groups}
        allowed = [role for role, user in users
            if not ids or ids & _groups(user)]
        buttons.append((button.model, button.name, allowed))
    return [role for role, _ in users], rows, buttons


def field_limits():
    """Rows (model, field, role, limit) of the limits on single fields: the
    module's field access records and the referral fields a provider reads,
    searches or exports only in part"""
    from .models.referral import (
        DISCLOSED_GROUPS, PERSONAL_FIELDS, PROVIDER_FIELDS, PROVIDER_WITHHELD)
    pool = Pool()
    FieldAccess = pool.get('ir.model.field.access')
    rows = []
    for access in FieldAccess.search([
                ('model', 'like', 'momd.%')],
            order=[('model', 'ASC'), ('field', 'ASC')]):
        perms = ''.join(letter if getattr(access, 'perm_' + perm) else '·'
            for perm, letter in PERMISSIONS)
        rows.append((access.model, access.field,
                access.group.name if access.group else 'all', perms))
    # the same order on every database: for all, then by role
    rows.sort(key=lambda r: (r[0], r[1], r[2] != 'all', r[2]))
    focal_point = "Provider Focal Point"
    # when the disclosure is in force (models/disclosure.py)
    in_force = (' (consent and agreement in force; after a decline or '
        'closing, for the days set), as today also in a history read; never '
        'searched nor exported')
    for field, group in sorted(DISCLOSED_GROUPS.items()):
        rows.append(('momd.referral', field, focal_point,
                'read only if the referral discloses "%s" and the '
                'disclosure is in force%s' % (group, in_force)))
    for field in sorted(PROVIDER_WITHHELD):
        rows.append(('momd.referral', field, focal_point,
                'read only while the disclosure is in force%s' % in_force))
    rows.append(('ir.attachment, ir.note', 'all', focal_point,
            'those on a referral only while its disclosure is in force'))
    for field in sorted(PERSONAL_FIELDS - set(DISCLOSED_GROUPS)
            - PROVIDER_WITHHELD):
        rows.append(('momd.referral', field, focal_point,
                'never searched nor exported; the record it points to is '
                'not readable'))
    rows.append(('momd.referral', ', '.join(PROVIDER_FIELDS), focal_point,
            'the only fields written (answering); the rest is the '
            "ministry's"))
    rows.append(('momd.activity, momd.need, momd.provider.service, '
            'momd.referral',
            'all', 'without Sensitive Data Access',
            'records of restricted categories are not found, not even by '
            'searching through a related record'))
    rows.append((', '.join(sorted(name for name, Model in pool.iterobject()
                    if name.startswith('momd.')
                    and getattr(Model, '_history', False))),
            'all', 'everyone', 'earlier versions (history) read only of the '
            'records the user may read today'))
    rows.append(('momd.access.log', 'all', 'everyone',
            'never written, changed or deleted through the application'))
    return rows


def _groups(user):
    with Transaction().set_user(user.id):
        return set(Pool().get('res.user').get_groups())


def markdown():
    "The access matrix as the Markdown page of doc/en/access-matrix.md"
    roles, rows, buttons = matrix()
    lines = [
        '# Access matrix',
        '',
        'Generated from the module by `python scripts/access_matrix.py`; '
        'a test fails when it is out of date. Permissions: R read, '
        'C create, W write, D delete (· refused). Scope: the record rules '
        'that limit what the role reads ("always" rules apply to every '
        'role; *Sensitive Data Access* lifts the restricted-category ones).',
        '',
        '| Model | ' + ' | '.join(roles) + ' |',
        '|---|' + '---|' * len(roles),
        ]
    for name, cells in rows:
        lines.append('| `%s` | ' % name + ' | '.join(
                cells[r][0] + ('<br>' + cells[r][1] if cells[r][1] else '')
                for r in roles) + ' |')
    lines += ['', '## Buttons', '',
        '| Model | Button | ' + ' | '.join(roles) + ' |',
        '|---|---|' + '---|' * len(roles)]
    for model, button, allowed in buttons:
        lines.append('| `%s` | %s | ' % (model, button) + ' | '.join(
                '✔' if r in allowed else '·' for r in roles) + ' |')
    lines += ['', '## Field limits', '',
        '| Model | Field | Role | Limit |', '|---|---|---|---|']
    for model, field, role, limit in field_limits():
        lines.append('| `%s` | %s | %s | %s |' % (model, field, role, limit))
    lines += ['', '## Data classes', '',
        'Exporting at all needs the group *%s*, whatever the role '
        '(administrators always may): without it every export is refused. '
        'What a user with it may export, by the class of each field '
        '(`models/sensitivity.py`; every other field is internal): every '
        'role exports public, internal and personal fields; a class above '
        'needs its group, on top of the role; administrators export all. '
        'A column of a class not given is refused by name, and left out '
        'of a list\'s own spreadsheet.' % group_name('group_export'), '',
        '| Class | Given by |', '|---|---|']
    for level, label in CLASSES:
        group = GROUPS.get(level)
        lines.append('| %s | %s |' % (label, ('*%s*' % group_name(group))
                if group else 'every role'))
    lines += ['', '| Model | Field | Class |', '|---|---|---|']
    for model, levels in sorted(FIELD_CLASSES.items()):
        for level, label in CLASSES:
            for field in sorted(levels.get(level, [])):
                lines.append('| `%s` | %s | %s |' % (model, field, label))
    return '\n'.join(lines) + '\n'


def group_name(xml_id):
    "The name of a group of the module"
    pool = Pool()
    Group = pool.get('res.group')
    ModelData = pool.get('ir.model.data')
    return Group(ModelData.get_id('momd_referral', xml_id)).name

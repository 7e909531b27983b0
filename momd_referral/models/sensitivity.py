"""The sensitivity class of each personal field, and who may export it.

Every field holds one class: public, internal (the default: codes, states,
dates, offices), personal (names, sex, birth, places), sensitive (phones,
documents, vulnerabilities, what a need or a referral says) or restricted
(case notes and the free text of decisions). Every role exports public,
internal and personal fields; a class above needs its group (Data Class:
Sensitive, Data Class: Restricted), which administrators give to users as
they give roles, and administrators export every class.

An export a user asks for (the list export, the export of a search, the
spreadsheet) is refused, naming the column, when a step of a column's path
is of a class the user is not given; the spreadsheet of a list's own
columns leaves such columns out. The subject access report, made for the
person, holds everything. doc/en/access-matrix.md lists the classes.

Exporting at all is a permission of its own: the Data Export group, given
by administrators whatever the role; without it every export (the list
export, the data route, the spreadsheet, the monthly report) is refused.
"""
from trytond.i18n import gettext
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.transaction import Transaction

CLASSES = [
    ('public', "Public"),
    ('internal', "Internal"),
    ('personal', "Personal"),
    ('sensitive', "Sensitive"),
    ('restricted', "Restricted"),
    ]
CLASS_ORDER = [c for c, _ in CLASSES]
# the classes every role may export
EVERYONE = {'public', 'internal', 'personal'}
# the group that gives each further class
GROUPS = {
    'sensitive': 'group_class_sensitive',
    'restricted': 'group_class_restricted',
    }
NAMES = ['first_name', 'father_name', 'grandfather_name', 'family_name',
    'first_name_latin', 'father_name_latin', 'grandfather_name_latin',
    'family_name_latin', 'full_name', 'full_name_latin']
# the class of each personal field, by model; the others are internal
FIELD_CLASSES = {
    'momd.beneficiary': {
        'personal': NAMES + [
            'name_key', 'match_key', 'sex', 'birth_date', 'estimated_age',
            'estimated_age_date', 'age', 'age_reference', 'nationality',
            'displacement_status', 'origin_location', 'current_location',
            'movement_date', 'returned_from', 'preferred_language',
            'contact_method', 'household', 'relationship'],
        'sensitive': ['phones', 'identifiers', 'vulnerabilities', 'email'],
        'restricted': ['notes', 'duplicate_reason'],
        },
    'momd.beneficiary.phone': {'sensitive': ['number', 'note']},
    'momd.beneficiary.identifier': {
        'sensitive': ['type', 'number', 'issued_at', 'issue_date']},
    'momd.beneficiary.duplicate': {'restricted': ['reason']},
    'momd.household': {'sensitive': ['address']},
    'momd.consent': {
        'personal': ['guardian_name', 'guardian_relationship'],
        'sensitive': ['purpose'],
        'restricted': ['revocation_reason'],
        },
    'momd.case': {
        'restricted': ['summary', 'closure_reason', 'reopen_reason']},
    'momd.need': {'sensitive': ['description']},
    'momd.referral': {
        'sensitive': ['reason'],
        'restricted': [
            'exception_reason', 'override_reason', 'decline_note',
            'outcome_feedback', 'provider_note', 'follow_up',
            'cancel_reason'],
        },
    }
_BY_FIELD = {(model, name): level
    for model, levels in FIELD_CLASSES.items()
    for level, names in levels.items() for name in names}


def step_field(step):
    "The field name of a step of an exported path (.translated, :lang= off)"
    return step.split('.')[0].split(':lang=')[0]


def column_label(Model, name):
    "The label of the exported column name (a path), as the file heads it"
    column, = Model._convert_field_names(
        [[step_field(s) for s in name.split('/')]])
    return column


def field_class(model, name):
    "The class of the field name of model"
    return _BY_FIELD.get((model, name), 'internal')


def _user_groups():
    """The groups of the current user, or None when every export is theirs:
    the module's own code, the subject access report (made for the person)
    and administrators"""
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    transaction = Transaction()
    if (not transaction.user or not transaction.check_access
            or transaction.context.get('_momd_subject_access')):
        return None
    groups = set(User.get_groups())
    if ModelData.get_id('momd_referral', 'group_admin') in groups:
        return None
    return groups


def granted_classes():
    "The classes the current user may export"
    ModelData = Pool().get('ir.model.data')
    groups = _user_groups()
    if groups is None:
        return {c for c, _ in CLASSES}
    return EVERYONE | {c for c, group in GROUPS.items()
        if ModelData.get_id('momd_referral', group) in groups}


def check_export_permission():
    """Refuse (AccessError) an export to a user without the Data Export
    group: exporting is a permission of its own, whatever the role"""
    ModelData = Pool().get('ir.model.data')
    groups = _user_groups()
    if (groups is not None and ModelData.get_id(
                'momd_referral', 'group_export') not in groups):
        raise AccessError(gettext('momd_referral.msg_export_permission'))


def shown_classes(model, fields_names):
    """The classes of the fields fields_names of model (a path's first
    step; every field of the model if None) a read shows"""
    if fields_names is None:
        levels = FIELD_CLASSES.get(model, {})
        return {'internal'} | {l for l, names in levels.items() if names}
    return {field_class(model, step_field(n.split('/')[0]))
        for n in fields_names if n != 'id'}


def class_label(level):
    return gettext('momd_referral.msg_data_class_%s' % level)


def refused_step(Model, path, granted):
    """The class of the first step of path (field names, as an export
    names a column) of a class not in granted, or None"""
    pool = Pool()
    for step in path:
        name = step_field(step)
        field = Model._fields.get(name)
        if field is None:
            return None
        level = field_class(Model.__name__, name)
        if level not in granted:
            return level
        if field._type == 'many2many':
            target = field.get_target().__name__
        else:
            target = getattr(field, 'model_name', None)
        if not target:
            return None
        Model = pool.get(target)
    return None


def check_export_classes(Model, fields_names):
    """Refuse (AccessError, naming the column and its class) an export of
    a column a step of which is of a class the user is not given"""
    granted = granted_classes()
    for name in fields_names:
        level = refused_step(Model, name.split('/'), granted)
        if level:
            raise AccessError(gettext(
                    'momd_referral.msg_export_class_refused',
                    column=column_label(Model, name),
                    data_class=class_label(level)))


def exportable(Model, names):
    "The columns of names the user may export (a list's own columns)"
    granted = granted_classes()
    return [n for n in names
        if not refused_step(Model, n.split('/'), granted)]

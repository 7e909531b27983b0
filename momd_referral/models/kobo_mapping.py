"""Mappings of KoboToolbox columns to the registry, one per form version,
and the reading of a submission's values through them."""
import datetime as dt
import re

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, fields, sequence_ordered)
from trytond.pool import Pool
from trytond.transaction import Transaction

from ..kobo_form import META_COLUMNS
from ..tools import normalize_text
from .beneficiary import IDENTIFIER_TYPES
from .mixins import sees_restricted

# The registry fields a column can fill
TARGETS = [
    ('first_name', "First Name"),
    ('father_name', "Father's Name"),
    ('grandfather_name', "Grandfather's Name"),
    ('family_name', "Family Name"),
    ('first_name_latin', "First Name (Latin)"),
    ('father_name_latin', "Father's Name (Latin)"),
    ('grandfather_name_latin', "Grandfather's Name (Latin)"),
    ('family_name_latin', "Family Name (Latin)"),
    ('sex', "Sex"),
    ('birth_date', "Date of Birth"),
    ('estimated_age', "Estimated Age"),
    ('nationality', "Nationality"),
    ('displacement_status', "Displacement Status"),
    ('origin_location', "Location of Origin"),
    ('current_location', "Current Location"),
    ('movement_date', "Return or Displacement Date"),
    ('returned_from', "Country Returned From"),
    ('vulnerabilities', "Vulnerabilities"),
    ('preferred_language', "Preferred Language"),
    ('contact_method', "Preferred Contact"),
    ('relationship', "Relationship to Head"),
    ('notes', "Notes"),
    ('phone', "Phone"),
    ('identifier_national_id', "Unified National Card"),
    ('identifier_civil_id', "Civil Status ID"),
    ('identifier_pds', "PDS Ration Card"),
    ('identifier_passport', "Passport"),
    ('identifier_momd_registration', "MoMD Displacement Registration"),
    ('household_size', "Household Size"),
    ('household_address', "Household Address"),
    ('needs', "Services Needed"),
    ]
TEXT_TARGETS = {
    'first_name', 'father_name', 'grandfather_name', 'family_name',
    'first_name_latin', 'father_name_latin', 'grandfather_name_latin',
    'family_name_latin', 'notes', 'household_address'}
DATE_TARGETS = {'birth_date', 'movement_date'}
INTEGER_TARGETS = {'estimated_age', 'household_size'}
SELECTION_TARGETS = {
    'sex', 'displacement_status', 'preferred_language', 'contact_method',
    'relationship'}
COUNTRY_TARGETS = {'nationality', 'returned_from'}
LOCATION_TARGETS = {'origin_location', 'current_location'}
IDENTIFIER_TARGETS = {'identifier_' + t: t for t, _ in IDENTIFIER_TYPES}
# the fields of the beneficiary itself
BENEFICIARY_TARGETS = (TEXT_TARGETS - {'household_address'}) | (
    DATE_TARGETS | SELECTION_TARGETS | COUNTRY_TARGETS | LOCATION_TARGETS
    | {'estimated_age', 'vulnerabilities'})
# what a row needs to be a person at all
REQUIRED_TARGETS = ('first_name', 'father_name', 'sex')
LANGUAGES = ('en', 'ar', 'kmr')


def _segment(column):
    return column.rsplit('/', 1)[-1].strip()


class Mapping(DeactivableMixin, ModelSQL, ModelView):
    "How the columns of one version of a KoboToolbox form fill the registry"
    __name__ = 'momd.kobo.mapping'
    __string__ = "KoboToolbox Mapping"

    name = fields.Char("Name", required=True, translate=True)
    form_id = fields.Char(
        "Form ID", required=True, strip=True,
        help="The form_id of the XLSForm's settings sheet.")
    version = fields.Char(
        "Form Version", strip=True,
        help="The version of the form whose submissions it reads "
        "(the _version column of the export); empty for any version.")
    lines = fields.One2Many('momd.kobo.mapping.line', 'mapping', "Columns")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.version, Index.Equality())))
        cls._order = [('version', 'DESC NULLS LAST'), ('id', 'DESC')]

    @classmethod
    def for_version(cls, version):
        """The mapping of the form version: the one saved for it, else the
        one for any version"""
        if version:
            mappings = cls.search([('version', '=', str(version))], limit=1)
            if mappings:
                return mappings[0]
        mappings = cls.search([('version', '=', None)], limit=1)
        if mappings:
            return mappings[0]

    def columns(self, header):
        """The column of the header each line reads, {line: column}: the
        column named as the line's (`group/field`), or by the same field
        name in another group, or by the line's Arabic or English label"""
        by_name, by_segment, by_label = {}, {}, {}
        for column in header:
            by_name.setdefault(column, column)
            by_segment.setdefault(_segment(column), column)
            by_label.setdefault(normalize_text(column), column)
            by_label.setdefault(normalize_text(_segment(column)), column)
        found = {}
        for line in self.lines:
            column = by_name.get(line.column) or by_segment.get(
                _segment(line.column))
            if not column:
                for label in (line.label_ar, line.label_en):
                    if label and normalize_text(label) in by_label:
                        column = by_label[normalize_text(label)]
                        break
            if column and column not in META_COLUMNS:
                found[line] = column
        return found


class MappingLine(sequence_ordered(), ModelSQL, ModelView):
    "A column of the KoboToolbox export and the registry field it fills"
    __name__ = 'momd.kobo.mapping.line'
    __string__ = "KoboToolbox Mapping Column"

    mapping = fields.Many2One(
        'momd.kobo.mapping', "Mapping", required=True, ondelete='CASCADE')
    column = fields.Char(
        "Column", required=True, strip=True,
        help="The question's name in the export, with its group "
        "(person/first_name).")
    label_ar = fields.Char(
        "Arabic Label", strip=True,
        help="The question's label when the export gives labels.")
    label_en = fields.Char("English Label", strip=True)
    target = fields.Selection(TARGETS, "Registry Field", required=True,
        sort=False)
    target_string = target.translated('target')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.mapping, Index.Range())))

    def get_rec_name(self, name):
        return '%s → %s' % (self.column, self.target_string)


class Reader:
    """Turns the raw values of a submission into registry values through a
    mapping, naming in the user's language every value it cannot read"""

    def __init__(self, mapping, header):
        pool = Pool()
        self.Beneficiary = pool.get('momd.beneficiary')
        self.columns = mapping.columns(header)
        self.targets = {line.target for line in self.columns}
        self.strings = {
            t: s for t, s in self._translated(TARGETS)}
        self._choices = {}
        self._lookups = {}
        self.restricted_allowed = sees_restricted(as_user=True)

    def _translated(self, selection):
        MappingLine = Pool().get('momd.kobo.mapping.line')
        strings = dict(MappingLine.fields_get(['target'])['target'][
                'selection'])
        return [(k, strings.get(k, v)) for k, v in selection]

    def missing(self):
        "The targets a row needs that no column of the file fills"
        return [t for t in REQUIRED_TARGETS if t not in self.targets]

    def raw(self, row):
        "The values of the mapped columns, as text, for the row's hash"
        return {column: _text(row.get(column))
            for column in sorted(self.columns.values())}

    def read(self, row):
        """(values, errors) of the row: values by target (phones and
        identifiers as lists), errors the translated messages"""
        values, errors = {'phone': [], 'identifiers': []}, []
        for line, column in sorted(
                self.columns.items(), key=lambda i: i[0].sequence or 0):
            raw = row.get(column)
            if raw is None or _text(raw) == '':
                continue
            target = line.target
            try:
                value = self._convert(target, raw)
            except _Refused as refused:
                errors.append(gettext(refused.message,
                        field=self.strings[target], column=column,
                        value=_text(raw), **refused.variables))
                continue
            if target == 'phone':
                values['phone'].append(value)
            elif target in IDENTIFIER_TARGETS:
                values['identifiers'].append(
                    (IDENTIFIER_TARGETS[target], value))
            else:
                values[target] = value
        return values, errors

    def _convert(self, target, raw):
        if target in TEXT_TARGETS or target == 'phone' or (
                target in IDENTIFIER_TARGETS):
            return _text(raw)
        if target in DATE_TARGETS:
            return _date(raw)
        if target in INTEGER_TARGETS:
            return _integer(raw)
        if target in SELECTION_TARGETS:
            return self._choice(target, _text(raw))
        if target == 'vulnerabilities':
            return sorted({self._choice(target, v)
                    for v in _text(raw).split()})
        if target in COUNTRY_TARGETS:
            return self._lookup('country.country', _text(raw))
        if target in LOCATION_TARGETS:
            return self._lookup('momd.location', _text(raw))
        if target == 'needs':
            return sorted({self._lookup('momd.service.category', v)
                    for v in _text(raw).split()})
        raise ValueError(target)

    def choices(self, field):
        "The codes of the selection field by code and by label, folded"
        if field not in self._choices:
            choices = {}
            for language in LANGUAGES:
                with Transaction().set_context(language=language):
                    selection = self.Beneficiary.fields_get([field])[field][
                        'selection']
                for code, label in selection:
                    if code:
                        choices.setdefault(normalize_text(code), code)
                        choices.setdefault(normalize_text(label), code)
            self._choices[field] = choices
        return self._choices[field]

    def _choice(self, field, value):
        choices = self.choices(field)
        code = choices.get(normalize_text(value))
        if code is None:
            raise _Refused('momd_referral.msg_kobo_value_choice',
                choices=', '.join(sorted(set(choices.values()))))
        return code

    def _lookup(self, model, value):
        "The id of the record of model with the code or name value"
        key = (model, normalize_text(value))
        if key not in self._lookups:
            Model = Pool().get(model)
            domain = {
                'country.country': ['OR',
                    ('code', '=', value.upper()), ('name', 'ilike', value)],
                'momd.location': ['OR',
                    ('pcode', '=', value.upper()),
                    ('rec_name', 'ilike', value)],
                'momd.service.category': [('code', '=', value.lower())],
                }[model]
            records = Model.search(domain, limit=2)
            self._lookups[key] = records[0] if len(records) == 1 else None
        record = self._lookups[key]
        if record is None:
            raise _Refused('momd_referral.msg_kobo_value_unknown')
        if (model == 'momd.service.category'
                and (record.restricted or record.parent_restricted)
                and not self.restricted_allowed):
            raise _Refused('momd_referral.msg_kobo_category_restricted')
        return record.id


class _Refused(Exception):
    def __init__(self, message, **variables):
        self.message = message
        self.variables = variables


def _text(value):
    if value is None:
        return ''
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


_DAY_FIRST = re.compile(r'^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$')


def _date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    match = _DAY_FIRST.match(text)
    if match:
        day, month, year = map(int, match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            pass
    raise _Refused('momd_referral.msg_kobo_value_date')


def _integer(value):
    if isinstance(value, bool):
        raise _Refused('momd_referral.msg_kobo_value_integer')
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value)
    if re.fullmatch(r'-?\d+(\.0+)?', text):
        return int(float(text))
    raise _Refused('momd_referral.msg_kobo_value_integer')

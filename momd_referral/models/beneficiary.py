"Beneficiaries: returnees and displaced people, their documents and phones."
import datetime as dt
import re

from sql import Literal, Null
from sql.conditionals import Coalesce
from sql.operators import Equal

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Exclude, Index, ModelSQL, ModelView, fields)
from trytond.pool import Pool
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction

from .. import names
from ..exceptions import BeneficiaryValidationError
from ..tools import normalize_identifier, normalize_phone, normalize_text
from .audit import AuditMixin
from .mixins import (
    OfficeScopedMixin, OfficeThroughMixin, RevisionsInScopeMixin,
    RoleButtonsMixin)

SEX = [
    ('female', "Female"),
    ('male', "Male"),
    ]
DISPLACEMENT_STATUS = [
    ('returnee_abroad', "Returnee from Abroad"),
    ('returned_idp', "Returned IDP"),
    ('idp_in_camp', "IDP in Camp"),
    ('idp_out_camp', "IDP out of Camp"),
    ('host_community', "Host Community"),
    ]
VULNERABILITIES = [
    ('wg_seeing', "Difficulty Seeing (WG)"),
    ('wg_hearing', "Difficulty Hearing (WG)"),
    ('wg_mobility', "Difficulty Walking or Climbing Steps (WG)"),
    ('wg_cognition', "Difficulty Remembering or Concentrating (WG)"),
    ('wg_selfcare', "Difficulty with Self-care (WG)"),
    ('wg_communication', "Difficulty Communicating (WG)"),
    ('female_headed_household', "Female-headed Household"),
    ('older_person', "Older Person"),
    ('unaccompanied_child', "Unaccompanied Child"),
    ('separated_child', "Separated Child"),
    ('chronic_illness', "Chronic Illness"),
    ('pregnant_lactating', "Pregnant or Lactating"),
    ('missing_documents', "Missing Civil Documents"),
    ]
LANGUAGES = [
    ('ar', "Arabic"),
    ('kmr', "Kurdish (Kurmanji)"),
    ('ckb', "Kurdish (Sorani)"),
    ('tk', "Turkmen"),
    ('syr', "Syriac"),
    ('en', "English"),
    ]
CONTACT_METHODS = [
    ('phone', "Phone Call"),
    ('sms', "SMS"),
    ('whatsapp', "WhatsApp"),
    ('in_person', "In Person"),
    ('relative', "Through a Relative"),
    ]
RELATIONSHIPS = [
    (None, ""),
    ('head', "Head of Household"),
    ('spouse', "Spouse"),
    ('child', "Son or Daughter"),
    ('parent', "Father or Mother"),
    ('sibling', "Brother or Sister"),
    ('grandchild', "Grandchild"),
    ('grandparent', "Grandparent"),
    ('other_relative', "Other Relative"),
    ('non_relative', "Not Related"),
    ]
MAX_AGE = 120
ADULT_AGE = 18

# Number formats of the identity documents, checked after removing spaces
IDENTIFIER_TYPES = [
    ('national_id', "Unified National Card"),
    ('civil_id', "Civil Status ID"),
    ('pds', "PDS Ration Card"),
    ('passport', "Passport"),
    ('momd_registration', "MoMD Displacement Registration"),
    ]
# (the expected format is told by the message msg_identifier_format_<type>)
IDENTIFIER_FORMATS = {
    'national_id': re.compile(r'^[0-9]{12}$'),
    'civil_id': re.compile(r'^[0-9]{5,12}$'),
    'pds': re.compile(r'^[0-9]{4,12}$'),
    'passport': re.compile(r'^[A-Z0-9]{6,9}$'),
    'momd_registration': re.compile(r'^[A-Z0-9][A-Z0-9/-]{2,19}$'),
    }


def years_between(start, end):
    return end.year - start.year - (
        (end.month, end.day) < (start.month, start.day))


class Beneficiary(
        AuditMixin, OfficeScopedMixin, RoleButtonsMixin, DeactivableMixin,
        ModelSQL, ModelView):
    __name__ = 'momd.beneficiary'
    __string__ = "Beneficiary"
    _history = True

    code = fields.Char(
        "Registration Number", readonly=True,
        help="Given from the office's sequence at registration.")
    office = fields.Many2One(
        'momd.office', "Office", required=True, ondelete='RESTRICT')
    first_name = fields.Char("First Name", required=True, strip=True)
    father_name = fields.Char("Father's Name", required=True, strip=True)
    grandfather_name = fields.Char("Grandfather's Name", strip=True)
    family_name = fields.Char("Family Name", strip=True)
    first_name_latin = fields.Char("First Name (Latin)", strip=True)
    father_name_latin = fields.Char("Father's Name (Latin)", strip=True)
    grandfather_name_latin = fields.Char(
        "Grandfather's Name (Latin)", strip=True)
    family_name_latin = fields.Char("Family Name (Latin)", strip=True)
    full_name = fields.Function(
        fields.Char("Full Name"), 'get_full_name')
    full_name_latin = fields.Function(
        fields.Char("Full Name (Latin)"), 'get_full_name')
    name_key = fields.Char(
        "Name Key", readonly=True,
        help="The Arabic and Latin names folded for matching.")
    sex = fields.Selection(SEX, "Sex", required=True)
    birth_date = fields.Date(
        "Date of Birth",
        help="Leave empty and give an estimated age when it is not known.")
    estimated_age = fields.Integer(
        "Estimated Age",
        states={'invisible': Bool(Eval('birth_date'))},
        help="In years, when the date of birth is not known.")
    estimated_age_date = fields.Date(
        "Age Estimated On", readonly=True)
    age = fields.Function(
        fields.Integer("Age"), 'get_age', searcher='search_age')
    age_reference = fields.Date(
        "Reference Date of Birth", readonly=True,
        help="The date of birth, or the one the estimated age gives; "
        "the statistics count age groups from it.")
    nationality = fields.Many2One(
        'country.country', "Nationality", ondelete='RESTRICT')
    identifiers = fields.One2Many(
        'momd.beneficiary.identifier', 'beneficiary', "Identity Documents")
    phones = fields.One2Many(
        'momd.beneficiary.phone', 'beneficiary', "Phones")
    displacement_status = fields.Selection(
        DISPLACEMENT_STATUS, "Displacement Status", required=True,
        sort=False)
    origin_location = fields.Many2One(
        'momd.location', "Location of Origin", ondelete='RESTRICT')
    current_location = fields.Many2One(
        'momd.location', "Current Location", ondelete='RESTRICT')
    movement_date = fields.Date(
        "Return or Displacement Date",
        help="When the person came back, or was displaced.")
    returned_from = fields.Many2One(
        'country.country', "Country Returned From", ondelete='RESTRICT',
        states={
            'invisible': Eval('displacement_status') != 'returnee_abroad',
            })
    vulnerabilities = fields.MultiSelection(
        VULNERABILITIES, "Vulnerabilities", sort=False)
    preferred_language = fields.Selection(
        LANGUAGES, "Preferred Language", sort=False)
    contact_method = fields.Selection(
        [(None, "")] + CONTACT_METHODS, "Preferred Contact", sort=False)
    household = fields.Many2One(
        'momd.household', "Household", ondelete='SET NULL',
        domain=[('office', '=', Eval('office', -1))])
    relationship = fields.Selection(
        RELATIONSHIPS, "Relationship to Head",
        states={'invisible': ~Eval('household')})
    consents = fields.One2Many('momd.consent', 'beneficiary', "Consents")
    cases = fields.One2Many('momd.case', 'beneficiary', "Cases")
    notes = fields.Text("Notes")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.office, Index.Range())),
                # the list's order, of all and of an office's people
                Index(t, (t.code, Index.Range())),
                Index(t, (t.office, Index.Range()), (t.code, Index.Range()),
                    (t.id, Index.Range()), where=t.active == Literal(True)),
                # a number or a name typed in the search box (Tryton
                # compares COALESCE(column, ''))
                Index(t, (Coalesce(t.code, ''), Index.Similarity())),
                Index(t, (Coalesce(t.name_key, ''), Index.Similarity())),
                Index(t, (t.displacement_status, Index.Equality())),
                })
        cls._order = [('code', 'DESC'), ('id', 'DESC')]

    @classmethod
    def __register__(cls, module):
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        filled = cls.__table_handler__(module).column_exist('age_reference')
        super().__register__(module)
        if filled:
            return
        cursor.execute(*table.select(
                table.id, table.birth_date, table.estimated_age,
                table.estimated_age_date,
                where=(table.birth_date != Null)
                | (table.estimated_age != Null)))
        for id_, birth_date, estimated_age, since in cursor.fetchall():
            reference = birth_date or _shift_years(
                since or dt.date.today(), -estimated_age)
            cursor.execute(*table.update(
                    [table.age_reference], [reference],
                    where=table.id == id_))

    @staticmethod
    def default_displacement_status():
        return 'returnee_abroad'

    @staticmethod
    def default_preferred_language():
        return 'ar'

    @classmethod
    def default_nationality(cls):
        Country = Pool().get('country.country')
        countries = Country.search([('code', '=', 'IQ')], limit=1)
        if countries:
            return countries[0].id

    def get_full_name(self, name):
        suffix = '_latin' if name.endswith('_latin') else ''
        return ' '.join(filter(None, (
                    getattr(self, part + suffix) for part in (
                        'first_name', 'father_name', 'grandfather_name',
                        'family_name'))))

    def get_rec_name(self, name):
        text = self.full_name
        if self.code:
            text = '%s [%s]' % (text, self.code)
        return text

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        negative = operator.startswith('not') or operator.startswith('!')
        domain = [('code', operator, operand, *extra)]
        if isinstance(operand, str):
            if negative:
                domain.append(('name_key', operator, normalize_text(operand)))
            else:
                domain.append(cls.search_name(operand))
        return ['AND' if negative else 'OR', *domain]

    @classmethod
    def search_name(cls, text):
        """A domain finding the people named text, a word at the start of
        any part (a Latin query finds Arabic names, an Arabic query Latin
        names)"""
        domain = []
        for word in re.split(r'[\s%_]+', text):
            tokens = names.query_tokens(word)
            if tokens:
                domain.append(['OR'] + [
                        ('name_key', 'like', '%% %s%%' % t) for t in tokens])
        return domain or [('id', '!=', None)]

    def get_age(self, name, today=None):
        today = today or Pool().get('ir.date').today()
        if self.birth_date:
            return years_between(self.birth_date, today)
        if self.estimated_age is not None:
            since = self.estimated_age_date or today
            return self.estimated_age + years_between(since, today)

    @classmethod
    def search_age(cls, name, clause):
        # Exact on birth dates; an estimated age is matched as given.
        _, operator, value = clause[:3]
        today = Pool().get('ir.date').today()
        if value is None or operator not in {'=', '>=', '<=', '>', '<'}:
            return [('estimated_age', operator, value)]
        latest = _shift_years(today, -value)
        earliest = _shift_years(today, -(value + 1)) + dt.timedelta(days=1)
        birth = {
            '=': [('birth_date', '>=', earliest),
                ('birth_date', '<=', latest)],
            '>=': [('birth_date', '<=', latest)],
            '>': [('birth_date', '<', earliest)],
            '<=': [('birth_date', '>=', earliest)],
            '<': [('birth_date', '>', latest)],
            }[operator]
        return ['OR',
            [('birth_date', '!=', None)] + birth,
            [('birth_date', '=', None), ('estimated_age', operator, value)],
            ]

    @classmethod
    def create(cls, vlist):
        # numbering is the system's doing, whoever registers (after the
        # check of what a client may give)
        vlist = Pool().get('momd.office').number(
            vlist, 'beneficiary_sequence')
        return super().create(vlist)

    @classmethod
    def preprocess_values(cls, mode, values):
        Date = Pool().get('ir.date')
        values = super().preprocess_values(mode, values)
        if values.get('estimated_age') is not None:
            values.setdefault('estimated_age_date', Date.today())
        return values

    def compute_fields(self, field_names=None):
        values = super().compute_fields(field_names=field_names)
        if field_names is None or {
                'birth_date', 'estimated_age', 'estimated_age_date'
                } & set(field_names):
            reference = self.birth_date
            if not reference and self.estimated_age is not None:
                since = (self.estimated_age_date
                    or Pool().get('ir.date').today())
                reference = _shift_years(since, -self.estimated_age)
            if getattr(self, 'age_reference', None) != reference:
                values['age_reference'] = reference
        sources = [
            'first_name', 'father_name', 'grandfather_name', 'family_name',
            'first_name_latin', 'father_name_latin',
            'grandfather_name_latin', 'family_name_latin']
        if field_names is None or set(sources) & set(field_names):
            tokens = []
            for part in sources:
                tokens.extend(names.search_tokens(getattr(self, part, None)))
            name_key = ' %s ' % ' '.join(dict.fromkeys(tokens))
            if getattr(self, 'name_key', None) != name_key:
                values['name_key'] = name_key
        return values

    @classmethod
    def validate_fields(cls, beneficiaries, field_names):
        super().validate_fields(beneficiaries, field_names)
        cls.check_age(beneficiaries, field_names)

    @classmethod
    def check_age(cls, beneficiaries, field_names=None):
        if field_names and not field_names & {
                'birth_date', 'estimated_age'}:
            return
        today = Pool().get('ir.date').today()
        for beneficiary in beneficiaries:
            if beneficiary.birth_date:
                if beneficiary.birth_date > today:
                    raise BeneficiaryValidationError(gettext(
                            'momd_referral.msg_beneficiary_birth_future',
                            beneficiary=beneficiary.rec_name,
                            date=beneficiary.birth_date))
                if years_between(beneficiary.birth_date, today) > MAX_AGE:
                    raise BeneficiaryValidationError(gettext(
                            'momd_referral.msg_beneficiary_birth_too_old',
                            beneficiary=beneficiary.rec_name,
                            date=beneficiary.birth_date, max=MAX_AGE))
            elif beneficiary.estimated_age is None:
                raise BeneficiaryValidationError(gettext(
                        'momd_referral.msg_beneficiary_age_required',
                        beneficiary=beneficiary.rec_name))
            if (beneficiary.estimated_age is not None
                    and not 0 <= beneficiary.estimated_age <= MAX_AGE):
                raise BeneficiaryValidationError(gettext(
                        'momd_referral.msg_beneficiary_estimated_age',
                        beneficiary=beneficiary.rec_name,
                        age=beneficiary.estimated_age, max=MAX_AGE))

    @classmethod
    def check_modification(cls, mode, beneficiaries, values=None,
            external=False):
        super().check_modification(
            mode, beneficiaries, values=values, external=external)
        if mode == 'create':
            cls.check_duplicates(beneficiaries)

    sex_string = sex.translated('sex')

    def birth_year(self):
        if self.birth_date:
            return self.birth_date.year
        age = self.age
        if age is not None:
            return Pool().get('ir.date').today().year - age

    def age_band(self):
        age = self.age
        if age is None:
            return '?'
        for low, high in [(0, 5), (6, 17), (18, 59)]:
            if low <= age <= high:
                return '%d-%d' % (low, high)
        return '60+'


def _shift_years(date, years):
    try:
        return date.replace(year=date.year + years)
    except ValueError:  # 29 February
        return date.replace(year=date.year + years, day=28)


class BeneficiaryLineMixin(RevisionsInScopeMixin, OfficeThroughMixin):
    "A line of a beneficiary, scoped by the beneficiary's office"
    __slots__ = ()
    _history = True
    _office_through = 'beneficiary'

    beneficiary = fields.Many2One(
        'momd.beneficiary', "Beneficiary", required=True,
        ondelete='CASCADE')


class BeneficiaryIdentifier(BeneficiaryLineMixin, ModelSQL, ModelView):
    __name__ = 'momd.beneficiary.identifier'
    __string__ = "Identity Document"
    type = fields.Selection(IDENTIFIER_TYPES, "Type", required=True,
        sort=False)
    number = fields.Char("Number", required=True, strip=True)
    issued_at = fields.Char("Issuing Place", strip=True)
    issue_date = fields.Date("Issue Date")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('type_number_unique',
                Exclude(t, (t.type, Equal), (t.number, Equal)),
                'momd_referral.msg_identifier_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.number, Index.Equality()), (t.type, Index.Equality())))

    def get_rec_name(self, name):
        return '%s %s' % (self.type_string, self.number)

    type_string = type.translated('type')

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('number'):
            values['number'] = normalize_identifier(values['number'])
        return values

    @classmethod
    def validate_fields(cls, identifiers, field_names):
        super().validate_fields(identifiers, field_names)
        if field_names and not field_names & {'type', 'number'}:
            return
        for identifier in identifiers:
            if not IDENTIFIER_FORMATS[identifier.type].match(
                    identifier.number):
                raise BeneficiaryValidationError(gettext(
                        'momd_referral.msg_identifier_format',
                        number=identifier.number,
                        type=identifier.type_string,
                        expected=gettext(
                            'momd_referral.msg_identifier_format_'
                            + identifier.type)))


class BeneficiaryPhone(BeneficiaryLineMixin, ModelSQL, ModelView):
    __name__ = 'momd.beneficiary.phone'
    __string__ = "Beneficiary Phone"
    number = fields.Char(
        "Number", required=True, strip=True,
        help="An Iraqi mobile (07XX XXX XXXX) or an international number "
        "starting with + or 00.")
    note = fields.Char("Note", help="Whose phone it is, when to call...")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.number, Index.Equality())))

    def get_rec_name(self, name):
        return self.number

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('number'):
            values['number'] = normalize_phone(values['number']) or values[
                'number']
        return values

    @classmethod
    def validate_fields(cls, phones, field_names):
        super().validate_fields(phones, field_names)
        if field_names and 'number' not in field_names:
            return
        for phone in phones:
            if normalize_phone(phone.number) != phone.number:
                raise BeneficiaryValidationError(gettext(
                        'momd_referral.msg_phone_format',
                        number=phone.number,
                        beneficiary=phone.beneficiary.rec_name))

"MoMD offices and the users who work in them."
import re

from sql.operators import Equal

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Exclude, ModelSQL, ModelView, fields)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, Id
from trytond.transaction import without_check_access

from ..exceptions import OfficeValidationError
from .mixins import BilingualNameMixin
from .rule import UserScopeMixin

CODE = re.compile(r'^[A-Z0-9]{2,10}$')


class Office(BilingualNameMixin, DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'momd.office'
    __string__ = "Office"
    _search_key_extra = ('code',)

    code = fields.Char(
        "Code", required=True, strip=True,
        help="A short upper-case code used in case and referral numbers.")
    governorate = fields.Many2One(
        'momd.location', "Governorate", required=True, ondelete='RESTRICT',
        domain=[('level', '=', 'governorate')])
    locations = fields.Many2Many(
        'momd.office-momd.location', 'office', 'location',
        "Covered Locations",
        domain=[('governorate', '=', Eval('governorate', -1))],
        help="The districts, sub-districts and communities the office serves.")
    address = fields.Text("Address")
    phone = fields.Char("Phone")
    members = fields.Many2Many(
        'momd.office-res.user', 'office', 'user', "Members",
        help="The users who work on this office's cases.")
    beneficiary_sequence = fields.Many2One(
        'ir.sequence', "Beneficiary Sequence", readonly=True,
        domain=[('sequence_type', '=', Id(
                    'momd_referral', 'sequence_type_beneficiary'))],
        help="Numbers the beneficiaries registered by the office.")
    case_sequence = fields.Many2One(
        'ir.sequence', "Case Sequence", readonly=True,
        domain=[('sequence_type', '=', Id(
                    'momd_referral', 'sequence_type_case'))],
        help="Numbers the case files opened by the office.")
    supervisors = fields.Many2Many(
        'momd.office-res.user.supervisor', 'office', 'user', "Supervisors",
        help="The users who approve this office's sensitive referrals "
        "and case closures.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Exclude(t, (t.code, Equal)),
                'momd_referral.msg_office_code_unique'),
            ]
        cls._order = [('name_en', 'ASC'), ('id', 'ASC')]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('code'):
            values['code'] = values['code'].strip().upper()
        return values

    @classmethod
    def on_modification(cls, mode, offices, field_names=None):
        super().on_modification(mode, offices, field_names=field_names)
        if mode == 'create':
            cls.create_sequences(offices)

    @classmethod
    @without_check_access
    def create_sequences(cls, offices):
        "Give each office its own numbering of beneficiaries and cases"
        pool = Pool()
        Sequence = pool.get('ir.sequence')
        ModelData = pool.get('ir.model.data')
        to_write = []
        for office in offices:
            values = {}
            for field, kind, type_ in [
                    ('beneficiary_sequence', 'BEN',
                        'sequence_type_beneficiary'),
                    ('case_sequence', 'CASE', 'sequence_type_case'),
                    ]:
                if getattr(office, field):
                    continue
                sequence, = Sequence.create([{
                            'name': '%s %s' % (office.code, kind),
                            'sequence_type': ModelData.get_id(
                                'momd_referral', type_),
                            'prefix': '%s-%s-${year}-' % (office.code, kind),
                            'padding': 5,
                            }])
                values[field] = sequence.id
            if values:
                to_write.extend(([office], values))
        if to_write:
            cls.write(*to_write)

    @classmethod
    def number(cls, vlist, sequence):
        """The values of the new records of vlist, each with the next
        number of its office's sequence (the field named) as code unless it
        has one: the numbers of one office taken together"""
        vlist = [dict(v) for v in vlist]
        wanted = {}
        for values in vlist:
            if values.get('office') and not values.get('code'):
                wanted.setdefault(int(values['office']), []).append(values)
        with without_check_access():
            for office, records in wanted.items():
                numbers = getattr(cls(office), sequence).get_many(
                    len(records))
                for values, code in zip(records, numbers):
                    values['code'] = code
        return vlist

    @classmethod
    def validate_fields(cls, offices, field_names):
        super().validate_fields(offices, field_names)
        cls.check_code(offices, field_names)

    @classmethod
    def check_code(cls, offices, field_names=None):
        if field_names and 'code' not in field_names:
            return
        for office in offices:
            if not CODE.match(office.code):
                raise OfficeValidationError(gettext(
                        'momd_referral.msg_office_code_format',
                        office=office.rec_name, code=office.code))


class OfficeLocation(ModelSQL):
    __name__ = 'momd.office-momd.location'
    __string__ = "Office Location"
    office = fields.Many2One(
        'momd.office', "Office", required=True, ondelete='CASCADE')
    location = fields.Many2One(
        'momd.location', "Location", required=True, ondelete='CASCADE')


class OfficeMember(UserScopeMixin, ModelSQL):
    __name__ = 'momd.office-res.user'
    __string__ = "Office Member"
    office = fields.Many2One(
        'momd.office', "Office", required=True, ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('office_user_unique', Exclude(
                    t, (t.office, Equal), (t.user, Equal)),
                'momd_referral.msg_office_member_unique'),
            ]


class OfficeSupervisor(OfficeMember):
    __name__ = 'momd.office-res.user.supervisor'
    __string__ = "Office Supervisor"


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    offices = fields.Many2Many(
        'momd.office-res.user', 'user', 'office', "Offices",
        help="The offices whose cases the user works on.")
    supervised_offices = fields.Many2Many(
        'momd.office-res.user.supervisor', 'user', 'office',
        "Supervised Offices",
        help="The offices where the user approves referrals and closures.")
    digits = fields.Selection([
            (None, ""),
            ('latn', "Latin (0 1 2 3)"),
            ('arab', "Arabic-Indic (٠ ١ ٢ ٣)"),
            ], "Digits",
        help="How the web client writes numbers and dates for a user working "
        "in Arabic; empty: Latin. Either kind of digit may be typed.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # sent to the web client with the language, and set by the user
        cls._context_fields.append('digits')

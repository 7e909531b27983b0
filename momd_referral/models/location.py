"Administrative locations: governorate, district, sub-district, community."
import re

from sql.conditionals import Case
from sql.operators import Equal

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Exclude, Index, ModelSQL, ModelView, fields)
from trytond.pyson import Eval

from ..exceptions import LocationValidationError
from .mixins import BilingualNameMixin, ParentTreeMixin

LEVELS = [
    ('governorate', "Governorate"),
    ('district', "District"),
    ('subdistrict', "Sub-district"),
    ('community', "Community"),
    ]
LEVEL_CODES = [code for code, _ in LEVELS]
PCODE = re.compile(r'^[A-Z]{2,4}[0-9]{0,12}[A-Z0-9]*$')


class Location(
        ParentTreeMixin, BilingualNameMixin, DeactivableMixin, ModelSQL,
        ModelView):
    __name__ = 'momd.location'
    __string__ = "Location"
    _search_key_extra = ('pcode',)

    level = fields.Selection(LEVELS, "Level", required=True, sort=False)
    level_string = level.translated('level')
    pcode = fields.Char(
        "P-code", strip=True,
        help="The OCHA common operational dataset code, if any.")
    parent = fields.Many2One(
        'momd.location', "Parent", ondelete='RESTRICT',
        states={
            'required': Eval('level') != 'governorate',
            'invisible': Eval('level') == 'governorate',
            },
        help="The location one level up.")
    children = fields.One2Many('momd.location', 'parent', "Children")
    governorate = fields.Function(
        fields.Many2One('momd.location', "Governorate"), 'get_governorate',
        searcher='search_governorate')
    full_name = fields.Function(
        fields.Char("Full Name"), 'get_full_name',
        searcher='search_full_name')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('pcode_unique', Exclude(t, (t.pcode, Equal),
                    where=t.pcode != None),  # noqa: E711
                'momd_referral.msg_location_pcode_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.parent, Index.Range())),
                Index(t, (t.search_key, Index.Similarity())),
                })
        cls._order = [('level', 'ASC'), ('name_en', 'ASC'), ('id', 'ASC')]

    @staticmethod
    def default_level():
        return 'community'

    @classmethod
    def order_level(cls, tables):
        table, _ = tables[None]
        return [Case(
                *((table.level == code, i)
                    for i, code in enumerate(LEVEL_CODES)),
                else_=len(LEVEL_CODES))]

    def get_governorate(self, name):
        return ([self] + list(self.ancestors()))[-1].id

    @classmethod
    def search_governorate(cls, name, clause):
        _, operator, value = clause[:3]
        values = value if isinstance(value, (list, tuple)) else [value]
        negative = operator in {'!=', 'not in'}
        if (operator in {'=', '!=', 'in', 'not in'}
                and not any(isinstance(v, str) for v in values)):
            ids = [v for v in values if v is not None]
        else:
            ids = [g.id for g in cls.search([
                        ('level', '=', 'governorate'),
                        ('rec_name', operator, value),
                        ])]
            negative = False
        inside = ['OR', ('id', 'in', ids), ('parent', 'child_of', ids)]
        if negative:
            return [('id', 'not in', [l.id for l in cls.search(inside)])]
        return inside

    @classmethod
    def search_full_name(cls, name, clause):
        return [('rec_name',) + tuple(clause[1:])]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('pcode'):
            values['pcode'] = values['pcode'].upper()
        return values

    @classmethod
    def validate_fields(cls, locations, field_names):
        super().validate_fields(locations, field_names)
        cls.check_parent(locations, field_names)
        cls.check_pcode(locations, field_names)

    @classmethod
    def check_parent(cls, locations, field_names=None):
        if field_names and not field_names & {'parent', 'level'}:
            return
        for location in locations:
            parent = location.parent
            if location.in_cycle():
                raise LocationValidationError(gettext(
                        'momd_referral.msg_location_parent_cycle',
                        location=location.rec_name,
                        parent=parent.rec_name))
            index = LEVEL_CODES.index(location.level)
            if index == 0:
                if parent:
                    raise LocationValidationError(gettext(
                            'momd_referral'
                            '.msg_location_governorate_parent',
                            location=location.rec_name))
                continue
            parent_level = LEVEL_CODES[index - 1]
            if not parent:
                raise LocationValidationError(gettext(
                        'momd_referral.msg_location_parent_required',
                        location=location.rec_name,
                        level=location.level_string))
            # A community may hang directly under a district when the
            # sub-district is not known.
            allowed = {parent_level}
            if location.level == 'community':
                allowed.add('district')
            if parent.level not in allowed:
                raise LocationValidationError(gettext(
                        'momd_referral.msg_location_parent_level',
                        location=location.rec_name,
                        level=location.level_string,
                        parent=parent.rec_name,
                        parent_level=dict(
                            cls.fields_get(['level'])['level']['selection']
                            )[parent_level]))

    @classmethod
    def check_pcode(cls, locations, field_names=None):
        if field_names and 'pcode' not in field_names:
            return
        for location in locations:
            if location.pcode and not PCODE.match(location.pcode):
                raise LocationValidationError(gettext(
                        'momd_referral.msg_location_pcode_format',
                        location=location.rec_name,
                        pcode=location.pcode))

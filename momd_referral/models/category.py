"Service categories: what a person may need and a provider may offer."
from sql.operators import Equal

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Exclude, ModelSQL, ModelView, fields)
from trytond.pyson import Eval

from ..exceptions import CategoryValidationError
from .mixins import BilingualNameMixin, ParentTreeMixin


class ServiceCategory(
        ParentTreeMixin, BilingualNameMixin, DeactivableMixin, ModelSQL,
        ModelView):
    __name__ = 'momd.service.category'
    __string__ = "Service Category"
    _search_key_extra = ('code',)

    code = fields.Char(
        "Code", required=True, strip=True,
        help="A stable code used by imports and reports, like hlp.rent.")
    parent = fields.Many2One(
        'momd.service.category', "Parent", ondelete='RESTRICT')
    children = fields.One2Many(
        'momd.service.category', 'parent', "Children")
    restricted = fields.Boolean(
        "Restricted",
        states={'readonly': Eval('parent_restricted', False)},
        help="Needs and referrals of this category (GBV, child protection...) "
        "are seen only by users with sensitive-data access.")
    parent_restricted = fields.Function(
        fields.Boolean("Parent Restricted"), 'on_change_with_parent_restricted')
    full_name = fields.Function(fields.Char("Full Name"), 'get_full_name')
    description = fields.Text("Description")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Exclude(t, (t.code, Equal)),
                'momd_referral.msg_category_code_unique'),
            ]
        cls._order = [('code', 'ASC'), ('id', 'ASC')]

    @staticmethod
    def default_restricted():
        return False

    @fields.depends('parent', '_parent_parent.restricted')
    def on_change_with_parent_restricted(self, name=None):
        return bool(self.parent and self.parent.restricted)

    @fields.depends('parent', '_parent_parent.restricted', 'restricted')
    def on_change_parent(self):
        if self.parent and self.parent.restricted:
            self.restricted = True

    @classmethod
    def validate_fields(cls, categories, field_names):
        super().validate_fields(categories, field_names)
        cls.check_parent(categories, field_names)

    @classmethod
    def check_parent(cls, categories, field_names=None):
        if field_names and not field_names & {'parent', 'restricted'}:
            return
        for category in categories:
            if category.in_cycle():
                raise CategoryValidationError(gettext(
                        'momd_referral.msg_category_parent_cycle',
                        category=category.rec_name,
                        parent=category.parent.rec_name))
            if (category.parent and category.parent.restricted
                    and not category.restricted):
                raise CategoryValidationError(gettext(
                        'momd_referral.msg_category_restricted_parent',
                        category=category.rec_name,
                        parent=category.parent.rec_name))

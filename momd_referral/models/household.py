"Households: the people registered together, with a head."
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pyson import Eval

from ..exceptions import BeneficiaryValidationError
from .audit import AuditMixin
from .content import ContentMixin
from .mixins import OfficeScopedMixin


class Household(
        ContentMixin, AuditMixin, OfficeScopedMixin, ModelSQL, ModelView):
    __name__ = 'momd.household'
    __string__ = "Household"
    _history = True
    # the office alone is no household: its people, or where it lives
    _content_fields = (
        'members', 'head', 'declared_size', 'location', 'address')

    office = fields.Many2One(
        'momd.office', "Office", required=True, ondelete='RESTRICT')
    head = fields.Many2One(
        'momd.beneficiary', "Head of Household", ondelete='RESTRICT',
        domain=[('id', 'in', Eval('members', []))],
        help="One of the members.")
    members = fields.One2Many(
        'momd.beneficiary', 'household', "Members",
        domain=[('office', '=', Eval('office', -1))])
    declared_size = fields.Integer(
        "Declared Size",
        domain=[['OR',
                ('declared_size', '=', None),
                ('declared_size', '>=', 1)]],
        help="How many people live in the household, registered or not.")
    size = fields.Function(
        fields.Integer("Registered Members"), 'get_size')
    location = fields.Many2One(
        'momd.location', "Location", ondelete='RESTRICT')
    address = fields.Text("Address")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.office, Index.Range())))

    def get_rec_name(self, name):
        if self.head:
            return gettext(
                'momd_referral.msg_household_of', head=self.head.full_name)
        return str(self.id)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('head.rec_name',) + tuple(clause[1:])]

    def get_size(self, name):
        return len(self.members)

    @classmethod
    def validate_fields(cls, households, field_names):
        super().validate_fields(households, field_names)
        if field_names and not field_names & {'declared_size', 'members'}:
            return
        for household in households:
            if (household.declared_size
                    and household.declared_size < len(household.members)):
                raise BeneficiaryValidationError(gettext(
                        'momd_referral.msg_household_size',
                        household=household.rec_name,
                        size=household.declared_size,
                        members=len(household.members)))

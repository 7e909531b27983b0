"""Statistics for managers and supervisors: counts computed by the database,
read-only, under the same record rules as the records they count."""
from sql import Cast, Literal, Null
from sql.aggregate import Count, Min
from sql.conditionals import Coalesce
from sql.functions import CurrentTimestamp, ToChar
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool

from .case import PRIORITIES
from .provider import PROVIDER_TYPES
from .referral import STATES


class ReferralStatistic(ModelSQL, ModelView):
    "Referrals counted by month, office, district, category, provider type, "
    "state and priority"
    __name__ = 'momd.referral.statistic'
    __string__ = "Referral Statistics"

    month = fields.Char("Month", help="Of sending, or of creation for drafts.")
    office = fields.Many2One('momd.office', "Office")
    district = fields.Many2One('momd.location', "District")
    category = fields.Many2One('momd.service.category', "Service Category")
    provider_type = fields.Selection(PROVIDER_TYPES, "Provider Type")
    state = fields.Selection(STATES, "State")
    priority = fields.Selection(PRIORITIES, "Priority")
    referrals = fields.Integer("Referrals")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('month', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        referral = pool.get('momd.referral').__table__()
        case = pool.get('momd.case').__table__()
        need = pool.get('momd.need').__table__()
        provider = pool.get('momd.provider').__table__()
        month = ToChar(
            Coalesce(referral.sent_date, referral.create_date), 'YYYY-MM')
        # one row per referral first: PostgreSQL groups by the columns of
        # a subquery, not by an expression passed twice with parameters
        rows = (referral
            .join(case, condition=referral.case == case.id)
            .join(need, condition=referral.need == need.id)
            .join(provider, condition=referral.provider == provider.id)
            .select(
                referral.id.as_('id'),
                month.as_('month'),
                case.office.as_('office'),
                referral.district.as_('district'),
                need.category.as_('category'),
                provider.type.as_('provider_type'),
                referral.state.as_('state'),
                referral.priority.as_('priority')))
        groups = [rows.month, rows.office, rows.district, rows.category,
            rows.provider_type, rows.state, rows.priority]
        return rows.select(
            Min(rows.id).as_('id'),
            Cast(Literal(0), 'INTEGER').as_('create_uid'),
            CurrentTimestamp().as_('create_date'),
            Cast(Null, 'INTEGER').as_('write_uid'),
            Cast(Null, 'TIMESTAMP').as_('write_date'),
            *groups,
            Count(rows.id).as_('referrals'),
            group_by=groups)

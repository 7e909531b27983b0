"""The referral's scope on the records about a referral (its answer
links, its answer log): the record rules test these fields of the record
itself, since an export evaluates the rules on each record and reaches no
further than the record's own fields."""
from trytond.model import Model, fields
from trytond.pool import Pool
from trytond.transaction import without_check_access


class ReferralScopeMixin:
    "Who may read the record: as for its referral"
    __slots__ = ()

    office = fields.Function(fields.Many2One(
            'momd.office', "Sending Office"),
        'get_referral_scope', searcher='search_referral_scope')
    provider = fields.Function(fields.Many2One(
            'momd.provider', "Provider"),
        'get_referral_scope', searcher='search_referral_scope')
    sent_date = fields.Function(fields.Timestamp("Sent On"),
        'get_referral_scope', searcher='search_referral_scope')
    restricted = fields.Function(fields.Boolean("Restricted Category"),
        'get_referral_scope', searcher='search_referral_scope')

    @classmethod
    def get_referral_scope(cls, records, names):
        "The office, provider, sending date, restricted flag of the referral"
        Referral = Pool().get('momd.referral')
        with without_check_access():
            referrals = {r.id: r for r in Referral.browse(
                    list({x.referral.id for x in records}))}
            result = {}
            for name in names:
                values = result[name] = {}
                for record in records:
                    value = getattr(referrals[record.referral.id], name)
                    values[record.id] = (
                        value.id if isinstance(value, Model) else value)
        return result

    @classmethod
    def search_referral_scope(cls, name, clause):
        return [('referral.' + name,) + tuple(clause[1:])]

"""What a provider sees of the beneficiary of a referral, and until when.

One decision, Referral.disclosure_domain, says which referrals still show
their provider what was disclosed of the person: sent and not cancelled, on
an active consent (or an approved SOP exception), to a provider whose
data-sharing agreement is in force, and, once declined or closed, for the
days the administrators set. The person's fields, the free text about them,
the notes and files on the referral (record rules), the referral form and
reads of the past (history) all follow it, always on today's records."""
import datetime as dt


from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .referral import DISCLOSED_GROUPS, PROVIDER_WITHHELD, now
from .rule import provider_only

# Nothing of these referrals is shared with the provider
UNSHARED_STATES = ['draft', 'to_approve', 'waiting', 'cancelled']
# The steps after which the provider keeps the person for a time, each with
# the date the time runs from
ENDING_STEPS = {'declined': 'answered_date', 'closed': 'closed_date'}
DEFAULT_ACCESS_DAYS = 30


def today():
    """The context to read today's records, also from within a read of the
    past (_datetime) or of the user's restricted scope"""
    return Transaction().set_context(
        _datetime=None, active_test=False, _momd_hide_restricted=False)


class Configuration(metaclass=PoolMeta):
    __name__ = 'momd.configuration'

    provider_access_days = fields.Integer(
        "Provider Access After Decline or Close (days)", required=True,
        domain=[('provider_access_days', '>=', 0)],
        help="For how many days after a referral is declined or closed its "
        "provider still sees what was disclosed of the beneficiary, and the "
        "notes and files on the referral; then only its number, state, "
        "dates and outcome. A revoked or expired consent, or an expired "
        "data-sharing agreement, ends it at once.")

    @classmethod
    def default_provider_access_days(cls):
        return DEFAULT_ACCESS_DAYS


class Referral(metaclass=PoolMeta):
    __name__ = 'momd.referral'

    disclosure_active = fields.Function(fields.Boolean(
            "Disclosure in Force",
            help="Whether the provider still sees what was disclosed of the "
            "beneficiary, and the notes and files on the referral."),
        'get_disclosure_active', searcher='search_disclosure_active')

    @classmethod
    def disclosure_domain(cls):
        """The referrals whose provider still sees what was disclosed, as a
        domain on today's records"""
        pool = Pool()
        Configuration = pool.get('momd.configuration')
        date = pool.get('ir.date').today()
        with without_check_access():
            days = Configuration(1).provider_access_days
        if days is None:
            days = DEFAULT_ACCESS_DAYS
        since = now() - dt.timedelta(days=days)
        return [
            ('state', 'not in', UNSHARED_STATES),
            ['OR',
                [('legal_basis', '=', 'sop_exception'),
                    ('approved_by', '!=', None)],
                [('legal_basis', '=', 'consent'),
                    ('consent.state', '=', 'active'),
                    ('consent.date', '<=', date),
                    ['OR', ('consent.expiry_date', '=', None),
                        ('consent.expiry_date', '>', date)]],
                ],
            ('provider.agreement_date', '<=', date),
            ['OR', ('provider.agreement_expiry', '=', None),
                ('provider.agreement_expiry', '>', date)],
            ['OR', ('state', 'not in', list(ENDING_STEPS))] + [
                [('state', '=', state), (field, '>', since)]
                for state, field in ENDING_STEPS.items()],
            ]

    @classmethod
    def disclosure_in_force(cls, referrals):
        "The ids of the referrals whose provider still sees the person"
        ids = [r.id for r in referrals if r.id is not None and r.id >= 0]
        result = set()
        if not ids:
            return result
        with without_check_access(), today():
            domain = cls.disclosure_domain()
            for sub_ids in grouped_slice(ids, 1000):
                result.update(r.id for r in cls.search(
                        [('id', 'in', list(sub_ids)), domain], order=[]))
        return result

    def disclosure_stands(self):
        "Whether the provider may still see what was disclosed"
        return self.id in self.disclosure_in_force([self])

    @classmethod
    def get_disclosure_active(cls, referrals, name):
        in_force = cls.disclosure_in_force(referrals)
        return {r.id: r.id in in_force for r in referrals}

    @classmethod
    def search_disclosure_active(cls, name, clause):
        _, operator, value = clause[:3]
        with without_check_access(), today():
            query = cls.search(cls.disclosure_domain(), order=[], query=True)
        return [('id', 'in' if (operator == '=') == bool(value) else 'not in',
                query)]

    @classmethod
    def get_disclosed(cls, referrals, names):
        """What the referral shows of the person: the disclosed groups while
        the disclosure is in force, of the person as now recorded (a read
        of the past shows no more than today's)"""
        result = {n: {r.id: None for r in referrals} for n in names}
        in_force = cls.disclosure_in_force(referrals)
        if not in_force:
            return result
        with today():
            referrals = cls.browse(sorted(in_force))
        for referral in referrals:
            disclosed = set(referral.disclosed_groups or ())
            beneficiary = referral.case.beneficiary
            values = {
                'beneficiary_name': lambda: beneficiary.full_name,
                'beneficiary_sex': lambda: beneficiary.sex_string,
                'beneficiary_age': lambda: beneficiary.age,
                'beneficiary_phones': lambda: ', '.join(
                    p.number for p in beneficiary.phones),
                'beneficiary_location': lambda: (
                    beneficiary.current_location.full_name
                    if beneficiary.current_location else None),
                'need_description': lambda: referral.need.description,
                'beneficiary_documents': lambda: ', '.join(
                    i.rec_name for i in beneficiary.identifiers),
                'beneficiary_vulnerabilities': lambda: ', '.join(
                    dict(beneficiary.fields_get(['vulnerabilities'])[
                            'vulnerabilities']['selection'])[v]
                    for v in beneficiary.vulnerabilities or ()),
                }
            for name in names:
                if DISCLOSED_GROUPS[name] in disclosed:
                    result[name][referral.id] = values[name]()
        return result

    @classmethod
    def read(cls, ids, fields_names):
        result = super().read(ids, fields_names)
        withheld = PROVIDER_WITHHELD & set(fields_names or ())
        if withheld and Transaction().check_access and provider_only():
            # the free text about the person: while the disclosure is in
            # force today, also in a read of the past
            in_force = cls.disclosure_in_force(
                cls.browse([row['id'] for row in result]))
            for row in result:
                if row['id'] not in in_force:
                    row.update(dict.fromkeys(withheld))
        return result

"What record rules know of the user: the offices they work in."
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

# Models whose record rules scope by office
OFFICE_SCOPED = {
    'momd.beneficiary', 'momd.beneficiary.identifier',
    'momd.beneficiary.phone', 'momd.household', 'momd.consent',
    'momd.case', 'momd.need', 'momd.outreach.event', 'momd.referral',
    }

# Models whose record rules scope by the providers the user is a focal
# point of (a list of ids, so that the rules evaluate the same in SQL and in
# Python, as export_data does)
PROVIDER_SCOPED = {'momd.provider', 'momd.provider.service', 'momd.referral'}


def user_offices():
    "Ids of the offices the user is a member or a supervisor of"
    pool = Pool()
    Member = pool.get('momd.office-res.user')
    Supervisor = pool.get('momd.office-res.user.supervisor')
    user = Transaction().user
    offices = set()
    for Relation in (Member, Supervisor):
        relation = Relation.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*relation.select(
                relation.office, where=relation.user == user))
        offices.update(o for o, in cursor)
    return sorted(offices)


def user_providers():
    "Ids of the providers the user answers referrals for"
    FocalPoint = Pool().get('momd.provider-res.user')
    relation = FocalPoint.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*relation.select(
            relation.provider, where=relation.user == Transaction().user))
    return sorted({p for p, in cursor})


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name in OFFICE_SCOPED:
            context['offices'] = user_offices()
        if model_name in PROVIDER_SCOPED:
            context['providers'] = user_providers()
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if model_names & OFFICE_SCOPED:
            key = (*key, tuple(user_offices()))
        if model_names & PROVIDER_SCOPED:
            key = (*key, tuple(user_providers()))
        return key

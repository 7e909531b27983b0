"What record rules know of the user: the offices they work in."
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

# Models whose record rules scope by office
OFFICE_SCOPED = {
    'momd.beneficiary', 'momd.beneficiary.identifier',
    'momd.beneficiary.phone', 'momd.household', 'momd.consent',
    'momd.case', 'momd.need', 'momd.outreach.event', 'momd.referral',
    }

# Models whose record rules scope by the user (focal points of a provider)
USER_SCOPED = {'momd.provider', 'momd.provider.service', 'momd.referral'}


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


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name in OFFICE_SCOPED:
            context['offices'] = user_offices()
        if model_name in USER_SCOPED:
            context['user_id'] = Transaction().user
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if model_names & OFFICE_SCOPED:
            key = (*key, tuple(user_offices()))
        if model_names & USER_SCOPED:
            key = (*key, Transaction().user)
        return key

"What record rules know of the user: the offices they work in."
from trytond.cache import Cache
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

# Models whose record rules scope by office
OFFICE_SCOPED = {
    'momd.beneficiary', 'momd.beneficiary.identifier',
    'momd.beneficiary.phone', 'momd.household', 'momd.consent',
    'momd.case', 'momd.need', 'momd.outreach.event', 'momd.referral',
    'momd.activity', 'momd.access.log',
    'momd.referral.answer', 'momd.referral.link', 'momd.outbox.message',
    'momd.beneficiary.duplicate',
    'momd.kobo.import', 'momd.kobo.import.row',
    }

# Models whose record rules scope by the providers the user is a focal
# point of (a list of ids, so that the rules evaluate the same in SQL and in
# Python, as export_data does)
PROVIDER_SCOPED = {
    'momd.provider', 'momd.provider.service', 'momd.referral',
    'momd.activity', 'momd.provider.scorecard',
    'momd.referral.answer',
    }

# Models whose record rules name the user
USER_SCOPED = {'momd.activity'}


# Rules are applied many times per request: the user's offices and
# providers are kept until a membership changes (see clear_user_scopes)
_offices_cache = Cache('momd_referral.user_offices', context=False)
_providers_cache = Cache('momd_referral.user_providers', context=False)


def _user_ids(cache, tables, column):
    user = Transaction().user
    ids = cache.get(user)
    if ids is None:
        cursor = Transaction().connection.cursor()
        ids = set()
        for table in tables:
            cursor.execute(*table.select(
                    getattr(table, column), where=table.user == user))
            ids.update(i for i, in cursor)
        ids = cache.set(user, tuple(sorted(ids)))
    return list(ids)


def user_offices():
    "Ids of the offices the user is a member or a supervisor of"
    pool = Pool()
    return _user_ids(_offices_cache, [
            pool.get('momd.office-res.user').__table__(),
            pool.get('momd.office-res.user.supervisor').__table__()],
        'office')


def user_providers():
    "Ids of the providers the user answers referrals for"
    return _user_ids(_providers_cache,
        [Pool().get('momd.provider-res.user').__table__()], 'provider')


def clear_user_scopes():
    "To call when office members, supervisors or focal points change"
    _offices_cache.clear()
    _providers_cache.clear()


class UserScopeMixin:
    "A relation of users to offices or providers: the rules follow it"
    __slots__ = ()

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        clear_user_scopes()


def _reads_nothing(domain):
    "Whether a rule's domain is the one that lets nothing be read"
    return (isinstance(domain, (list, tuple)) and len(domain) == 1
        and isinstance(domain[0], (list, tuple))
        and list(domain[0]) == ['id', '=', None])


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def get(cls, model_name, mode='read'):
        clause, clause_global = super().get(model_name, mode=mode)
        # the rule of the users of no role, ('id', '=', None), lets nothing
        # be read: beside the rules of a role it adds nothing, and left out
        # the database is not asked "or id is null", which keeps it from
        # counting a caseworker's referrals from the index alone (288 ms
        # against 64 ms for 300,000)
        nothing = [group for group, domain in clause.items()
            if len(domain) > 1
            and all(_reads_nothing(d) for d in domain[1:])]
        if nothing and len(nothing) < len(clause):
            for group in nothing:
                del clause[group]
        return clause, clause_global

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name in OFFICE_SCOPED:
            context['offices'] = user_offices()
        if model_name in PROVIDER_SCOPED:
            context['providers'] = user_providers()
        if model_name in USER_SCOPED:
            context['user_id'] = Transaction().user
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if model_names & OFFICE_SCOPED:
            key = (*key, tuple(user_offices()))
        if model_names & PROVIDER_SCOPED:
            key = (*key, tuple(user_providers()))
        if model_names & USER_SCOPED:
            key = (*key, Transaction().user)
        return key


# the group of each role a user may have
ROLE_GROUPS = {
    'caseworker': 'group_caseworker',
    'supervisor': 'group_supervisor',
    'manager': 'group_manager',
    'focal_point': 'group_provider',
    }


def user_roles():
    "The roles of the user, from their groups"
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    groups = set(User.get_groups())
    return [role for role, xml_id in ROLE_GROUPS.items()
        if ModelData.get_id('momd_referral', xml_id) in groups]


def is_admin():
    "Whether the user is an administrator of the referral system"
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    return ModelData.get_id('momd_referral', 'group_admin') in set(
        User.get_groups())


def provider_only():
    "Whether the user answers referrals for a provider and is no ministry staff"
    return user_roles() == ['focal_point']

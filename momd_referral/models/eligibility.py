"""Whether a referral's service can take its beneficiary.

When a referral leaves the ministry (Send, and Approve for the referrals
that wait for a supervisor), its service is checked against the person by
the criteria of Find Providers (ProviderService._match_criteria): the
service and its provider active, the person's location covered (a district
covers its sub-districts and communities), their sex, age and displacement
status eligible. A service or provider that is not active is refused. A
service that does not cover or fit the person takes the referral only with
an office supervisor's override: the caseworker writes the Override Reason,
Send moves the referral to To Approve, and the supervisor who approves it is
recorded with the date. Redirect, and the service of any draft of the need,
leave out the providers that already declined the need."""
from sql.aggregate import Max
from sql.conditionals import Case

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access

from ..exceptions import ReferralEligibilityError
from .provider import person_profile
from .referral import now


def ages(service):
    "The age range of a service as a short text: 6–17, 18+"
    if service.age_max is not None:
        return '%s–%s' % (service.age_min or 0, service.age_max)
    return '%s+' % service.age_min


class ProviderService(metaclass=PoolMeta):
    __name__ = 'momd.provider.service'

    def misfits(self, beneficiary, date=None):
        """What keeps the service from taking a referral of beneficiary,
        each said in a sentence: (what no one overrides — the service or its
        provider is not active —, what an office supervisor may override —
        coverage and eligibility)"""
        pool = Pool()
        Provider = pool.get('momd.provider')
        Coverage = pool.get('momd.provider.service-momd.location')
        date = date or pool.get('ir.date').today()
        person = person_profile(beneficiary)
        location = person['location']
        places = ([location.id] + [p.id for p in location.ancestors()]
            if location else [])

        # one row: whether each criterion of Find Providers holds
        service = self.__table__()
        provider = Provider.__table__()
        coverage = Coverage.__table__()
        criteria = self._match_criteria(service, provider, coverage, places,
            sex=person['sex'], age=person['age'], date=date)
        cursor = Transaction().connection.cursor()
        cursor.execute(*service
            .join(provider, condition=provider.id == service.provider)
            .join(coverage, 'LEFT', condition=coverage.service == service.id)
            .select(*(Max(Case((c, 1), else_=0)) for c in criteria.values()),
                where=service.id == self.id))
        met = dict(zip(criteria, cursor.fetchone()))

        closed, unfit = [], []
        if not met['provider']:
            closed.append(gettext('momd_referral.msg_service_unfit_provider',
                    provider=self.provider.rec_name,
                    state=self.provider.state_string))
        if not met['service']:
            closed.append(gettext('momd_referral.msg_service_unfit_inactive'))
        coverage_names = ', '.join(sorted(l.rec_name for l in self.locations))
        if not location:
            unfit.append(gettext('momd_referral.msg_service_unfit_location',
                    coverage=coverage_names))
        elif not met['coverage']:
            unfit.append(gettext('momd_referral.msg_service_unfit_coverage',
                    coverage=coverage_names, location=location.full_name))
        if not met.get('sex', True):
            unfit.append(gettext('momd_referral.msg_service_unfit_sex',
                    open_to=self.sex_string, sex=beneficiary.sex_string))
        if not met.get('age', True):
            unfit.append(gettext('momd_referral.msg_service_unfit_age',
                    ages=ages(self), age=person['age']))
        if not self.open_to_status(person['displacement_status']):
            statuses = dict(self.fields_get(['displacement_statuses'])[
                    'displacement_statuses']['selection'])
            status = dict(beneficiary.fields_get(['displacement_status'])[
                    'displacement_status']['selection'])
            unfit.append(gettext('momd_referral.msg_service_unfit_status',
                    statuses=', '.join(
                        '"%s"' % statuses[s]
                        for s in self.displacement_statuses),
                    status=status[person['displacement_status']]))
        return closed, unfit


class Referral(metaclass=PoolMeta):
    __name__ = 'momd.referral'

    override_reason = fields.Text(
        "Override Reason",
        states={
            'readonly': ~Eval('state').in_(['draft', 'to_approve']),
            'invisible': (~Eval('state').in_(['draft', 'to_approve'])
                & ~Eval('override_reason')),
            },
        help="Why the referral should go to a service that does not cover "
        "where the beneficiary lives, or is not open to their sex, age or "
        "displacement status: an office supervisor approves it.")
    overridden_by = fields.Many2One(
        'res.user', "Override Approved By", readonly=True,
        ondelete='RESTRICT', states={'invisible': ~Eval('overridden_by')},
        help="The office supervisor who approved the referral with its "
        "override reason.")
    overridden_date = fields.Timestamp(
        "Override Approved On", readonly=True,
        states={'invisible': ~Eval('overridden_by')})
    declined_providers = fields.Function(fields.Many2Many(
            'momd.provider', None, None, "Declined By",
            help="The providers that declined this need: not offered "
            "again."),
        'on_change_with_declined_providers')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        service = cls.provider_service
        # a redirected referral has no service until another is chosen
        service.required = False
        service.states = dict(
            service.states, required=Eval('state') != 'draft')
        service.domain = service.domain + [
            If(Eval('state') == 'draft',
                [('provider', 'not in', Eval('declined_providers', []))],
                []),
            ]

    @classmethod
    def decliners(cls, need):
        "The providers that declined a referral of need, with the referral"
        with without_check_access():
            return {r.provider: r for r in cls.search([
                        ('need', '=', need.id),
                        ('state', '=', 'declined'),
                        ], order=[('id', 'ASC')])}

    @fields.depends('need', 'state')
    def on_change_with_declined_providers(self, name=None):
        if self.need and self.need.id >= 0 and self.state == 'draft':
            return [p.id for p in self.decliners(self.need)]
        return []

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if 'provider_service' in values and not values['provider_service']:
            values['provider'] = None
        return values

    @classmethod
    def check_duplicate(cls, referrals, field_names=None):
        # a draft without a service duplicates nothing yet
        super().check_duplicate(
            [r for r in referrals if r.provider_service], field_names)

    def get_focal_points(self, name):
        return super().get_focal_points(name) if self.provider else []

    @classmethod
    def copy(cls, referrals, default=None):
        default = dict(default or {})
        # an override is a supervisor's decision about one referral
        for name in ['override_reason', 'overridden_by', 'overridden_date']:
            default.setdefault(name, None)

        def unless_declined(name):
            return lambda data: (
                None if data['state'] == 'declined' else data[name])
        # the copy of a declined referral (Redirect) goes to another
        # provider, chosen anew
        for name in ['provider_service', 'provider']:
            default.setdefault(name, unless_declined(name))
        return super().copy(referrals, default=default)

    def needs_approval(self):
        return super().needs_approval() or bool(self.override_reason)

    @classmethod
    def check_fit(cls, referrals):
        """Refuse the referrals whose service cannot take their beneficiary:
        one not active, or, without an override reason, one that does not
        cover or fit the person; nothing is written"""
        for referral in referrals:
            service = referral.provider_service
            if not service:
                raise ReferralEligibilityError(gettext(
                        'momd_referral.msg_referral_service_required',
                        referral=referral.rec_name))
            closed, unfit = service.misfits(referral.case.beneficiary)
            if closed:
                raise ReferralEligibilityError(gettext(
                        'momd_referral.msg_referral_service_closed',
                        referral=referral.rec_name, service=service.rec_name,
                        reasons='; '.join(closed)))
            if unfit and not referral.override_reason:
                raise ReferralEligibilityError(gettext(
                        'momd_referral.msg_referral_unfit',
                        referral=referral.rec_name, service=service.rec_name,
                        reasons='; '.join(unfit)))

    @classmethod
    def check_sending(cls, referrals):
        for referral in referrals:
            declined = cls.decliners(referral.need).get(referral.provider)
            if declined:
                raise ReferralEligibilityError(gettext(
                        'momd_referral.msg_referral_declined_provider',
                        referral=referral.rec_name,
                        provider=referral.provider.rec_name,
                        declined=declined.rec_name))
        return super().check_sending(referrals)

    @classmethod
    def submit(cls, referrals):
        cls.check_fit(referrals)
        super().submit(referrals)

    @classmethod
    def _send(cls, referrals, values=None):
        cls.check_fit(referrals)
        # (one approved onto a waiting list keeps its approver)
        overridden = [r for r in referrals
            if r.override_reason and not r.overridden_by]
        if overridden:
            # the override is of who lets the referral leave with its
            # reason: the supervisor who approves it
            super()._send(overridden, dict(values or {},
                    overridden_by=Transaction().user,
                    overridden_date=now()))
        others = [r for r in referrals if r not in overridden]
        if others:
            super()._send(others, values)

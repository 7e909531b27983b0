"The provider network: organisations and their services."
from sql import Literal, Null
from sql.operators import Equal

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Exclude, Index, ModelSQL, ModelView, Workflow, fields)
from trytond.pool import Pool
from trytond.pyson import Eval, If

from ..exceptions import ProviderValidationError
from ..tools import normalize_phone, valid_email
from .beneficiary import DISPLACEMENT_STATUS, LANGUAGES
from .mixins import (
    BilingualNameMixin, RestrictedCategoryMixin, RoleButtonsMixin,
    UserScopeSearchMixin, require)
from .rule import UserScopeMixin

PROVIDER_TYPES = [
    ('government', "Government Directorate or Programme"),
    ('moi_referral_centre', "MoI Referral Guidance Centre"),
    ('moi_women_legal', "MoI Women's Legal Counselling Office"),
    ('moi_hlp_centre', "MoI Housing, Land and Property Assistance Centre"),
    ('local_cso', "Local CSO"),
    ('national_ngo', "National NGO"),
    ('international_ngo', "International NGO"),
    ('un_agency', "UN or International Organisation"),
    ('faith_based', "Faith-based Organisation"),
    ('private', "Private Sector"),
    ]
PROVIDER_STATES = [
    ('draft', "Draft"),
    ('verified', "Verified"),
    ('active', "Active"),
    ('suspended', "Suspended"),
    ]
REFERRAL_METHODS = [
    ('system', "Through the Referral System"),
    ('phone', "Phone"),
    ('email', "E-mail"),
    ('in_person', "In Person"),
    ]
# The languages the system writes to providers in
MESSAGE_LANGUAGES = [
    ('ar', "Arabic"),
    ('en', "English"),
    ('kmr', "Kurdish (Kurmanji)"),
    ]
SEX_ELIGIBILITY = [
    ('any', "Anyone"),
    ('female', "Women and Girls"),
    ('male', "Men and Boys"),
    ]


def person_profile(beneficiary):
    """Where the beneficiary lives (the current location, else the
    household's) and who they are, as the services are matched to them"""
    location = beneficiary.current_location or (
        beneficiary.household.location if beneficiary.household else None)
    return {
        'location': location,
        'sex': beneficiary.sex,
        'age': beneficiary.age,
        'displacement_status': beneficiary.displacement_status,
        }


class Provider(
        UserScopeSearchMixin, BilingualNameMixin, RoleButtonsMixin, Workflow,
        ModelSQL, ModelView):
    __name__ = 'momd.provider'
    __string__ = "Provider"

    party = fields.Many2One(
        'party.party', "Organisation", required=True, ondelete='RESTRICT',
        help="Addresses and contact details of the organisation.")
    type = fields.Selection(
        PROVIDER_TYPES, "Type", required=True, sort=False)
    parent_agency = fields.Char(
        "Parent Ministry or Agency", strip=True,
        help="For directorates, MoI centres and country offices.")
    agreement_date = fields.Date(
        "Agreement Date",
        states={'required': Eval('state').in_(['verified', 'active'])},
        help="When the referral and data-sharing agreement (MoU) was "
        "signed; the agreement itself goes in the attachments.")
    agreement_reference = fields.Char("Agreement Reference", strip=True)
    agreement_expiry = fields.Date(
        "Agreement Expiry",
        domain=[If(Eval('agreement_expiry') & Eval('agreement_date'),
                ('agreement_expiry', '>', Eval('agreement_date')), ())],
        help="After this date no referral is sent to the provider.")
    focal_points = fields.Many2Many(
        'momd.provider-res.user', 'provider', 'user', "Focal Points",
        help="The provider's staff who answer the referrals sent to it.")
    languages = fields.MultiSelection(LANGUAGES, "Languages Spoken",
        sort=False)
    language = fields.Selection(
        MESSAGE_LANGUAGES, "Language of Messages", required=True,
        help="The language of the e-mails and messages sent to the "
        "provider: answer links, reminders, escalations.")
    intake_email = fields.Char(
        "Intake E-mail", strip=True,
        help="Where referrals are sent to the provider: each sent referral "
        "gets a link to answer it there, without an account.")
    intake_phone = fields.Char(
        "Intake Phone", strip=True,
        help="The provider's number for SMS and WhatsApp.")
    accessibility = fields.Text(
        "Accessibility", help="Physical access, sign language, transport...")
    complaints_mechanism = fields.Text(
        "Complaints and Feedback",
        help="How beneficiaries can complain or give feedback.")
    services = fields.One2Many(
        'momd.provider.service', 'provider', "Services")
    suspension_reason = fields.Text(
        "Suspension Reason",
        states={
            'invisible': ~Eval('state').in_(['active', 'suspended']),
            'readonly': Eval('state') != 'active',
            })
    state = fields.Selection(
        PROVIDER_STATES, "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.state, Index.Equality())))
        cls._order = [('name_en', 'ASC'), ('id', 'ASC')]
        cls._transitions |= {
            ('draft', 'verified'),
            ('verified', 'active'),
            ('active', 'suspended'),
            ('suspended', 'active'),
            ('verified', 'draft'),
            }
        cls._buttons.update({
                'verify': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'activate': {
                    'invisible': ~Eval('state').in_(['verified', 'suspended']),
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'suspend': {
                    'invisible': Eval('state') != 'active',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'verified',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'draft'

    @staticmethod
    def default_languages():
        return ['ar']

    @staticmethod
    def default_language():
        return 'ar'

    type_string = type.translated('type')
    state_string = state.translated('state')

    def agreement_valid(self, date=None):
        date = date or Pool().get('ir.date').today()
        return bool(self.agreement_date and self.agreement_date <= date
            and (not self.agreement_expiry or self.agreement_expiry > date))

    # (e-mail field, phone field) of each way to reach the provider
    _contacts = [('intake_email', 'intake_phone')]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        for _, phone in cls._contacts:
            if values.get(phone):
                values[phone] = normalize_phone(values[phone]) or values[
                    phone]
        return values

    @classmethod
    def validate_fields(cls, providers, field_names):
        super().validate_fields(providers, field_names)
        cls.check_contacts(providers, field_names)

    @classmethod
    def check_contacts(cls, providers, field_names=None):
        "Refuse an address or a number no message could reach"
        for email, phone in cls._contacts:
            if field_names and not {email, phone} & set(field_names):
                continue
            labels = cls.fields_get([email, phone])
            for provider in providers:
                address, number = getattr(provider, email), getattr(
                    provider, phone)
                if address and not valid_email(address):
                    raise ProviderValidationError(gettext(
                            'momd_referral.msg_provider_email_format',
                            field=labels[email]['string'], email=address,
                            provider=provider.rec_name))
                if number and normalize_phone(number) != number:
                    raise ProviderValidationError(gettext(
                            'momd_referral.msg_provider_phone_format',
                            field=labels[phone]['string'], number=number,
                            provider=provider.rec_name))

    @classmethod
    def check_agreement(cls, providers):
        for provider in providers:
            if not provider.agreement_date:
                raise ProviderValidationError(gettext(
                        'momd_referral.msg_provider_agreement_required',
                        provider=provider.rec_name))
            if not provider.agreement_valid():
                raise ProviderValidationError(gettext(
                        'momd_referral.msg_provider_agreement_expired',
                        provider=provider.rec_name,
                        date=provider.agreement_expiry))

    @classmethod
    @ModelView.button
    @Workflow.transition('verified')
    def verify(cls, providers):
        cls.check_agreement(providers)

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    def activate(cls, providers):
        cls.check_agreement(providers)
        for provider in providers:
            if not provider.services:
                raise ProviderValidationError(gettext(
                        'momd_referral.msg_provider_no_service',
                        provider=provider.rec_name))
        cls.write(providers, {'suspension_reason': None})

    @classmethod
    @ModelView.button
    @Workflow.transition('suspended')
    def suspend(cls, providers):
        require(providers, 'suspension_reason',
            'momd_referral.msg_provider_suspension_reason',
            ProviderValidationError, 'provider')

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, providers):
        pass


class ProviderFocalPoint(UserScopeMixin, ModelSQL):
    __name__ = 'momd.provider-res.user'
    __string__ = "Provider Focal Point"
    provider = fields.Many2One(
        'momd.provider', "Provider", required=True, ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('provider_user_unique', Exclude(
                    t, (t.provider, Equal), (t.user, Equal)),
                'momd_referral.msg_provider_focal_point_unique'),
            ]


class ProviderService(
        RestrictedCategoryMixin, DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'momd.provider.service'
    __string__ = "Provider Service"

    provider = fields.Many2One(
        'momd.provider', "Provider", required=True, ondelete='CASCADE')
    provider_state = fields.Function(
        fields.Selection(PROVIDER_STATES, "Provider State"),
        'get_provider_field', searcher='search_provider_field')
    provider_type = fields.Function(
        fields.Selection(PROVIDER_TYPES, "Provider Type"),
        'get_provider_field', searcher='search_provider_field')
    category = fields.Many2One(
        'momd.service.category', "Service Category", required=True,
        ondelete='RESTRICT')
    description = fields.Text("Description")
    locations = fields.Many2Many(
        'momd.provider.service-momd.location', 'service', 'location',
        "Coverage",
        help="Where the service is offered; a district covers its "
        "sub-districts and communities.")
    sex = fields.Selection(SEX_ELIGIBILITY, "Open To", required=True)
    age_min = fields.Integer(
        "Minimum Age",
        domain=['OR', ('age_min', '=', None), ('age_min', '>=', 0)])
    age_max = fields.Integer(
        "Maximum Age",
        domain=[If((Eval('age_max', None) != None)  # noqa: E711
                & (Eval('age_min', None) != None),  # noqa: E711
                ('age_max', '>=', Eval('age_min', 0)), ())])
    displacement_statuses = fields.MultiSelection(
        DISPLACEMENT_STATUS, "Displacement Statuses", sort=False,
        help="Empty: everyone, whatever their displacement status.")
    other_criteria = fields.Text("Other Criteria")
    free_of_charge = fields.Boolean("Free of Charge")
    capacity = fields.Integer(
        "Capacity per Month",
        domain=['OR', ('capacity', '=', None), ('capacity', '>=', 0)],
        help="How many referrals a month the provider can take. "
        "Empty: not limited.")
    opening_hours = fields.Char("Opening Hours")
    referral_method = fields.Selection(
        REFERRAL_METHODS, "Referrals Received", required=True)
    acknowledgement_hours = fields.Integer(
        "Acknowledgement Time (hours)", required=True,
        domain=[('acknowledgement_hours', '>', 0)],
        help="The provider commits to accept or decline within this time.")
    completion_days = fields.Integer(
        "Completion Time (days)", required=True,
        domain=[('completion_days', '>', 0)],
        help="The provider commits to deliver the service within this time.")
    active_from = fields.Date("Active From")
    active_to = fields.Date(
        "Active To",
        domain=[If(Eval('active_to') & Eval('active_from'),
                ('active_to', '>=', Eval('active_from')), ())])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.category, Index.Range())),
                Index(t, (t.provider, Index.Range())),
                })

    @staticmethod
    def default_sex():
        return 'any'

    @staticmethod
    def default_free_of_charge():
        return True

    @staticmethod
    def default_referral_method():
        return 'system'

    @staticmethod
    def default_acknowledgement_hours():
        return 72

    @staticmethod
    def default_completion_days():
        return 14

    sex_string = sex.translated('sex')

    def get_rec_name(self, name):
        return '%s — %s' % (self.provider.rec_name, self.category.rec_name)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, *rest = clause
        negative = operator.startswith('not') or operator.startswith('!')
        return ['AND' if negative else 'OR',
            ('provider.rec_name', operator, *rest),
            ('category.rec_name', operator, *rest),
            ]

    def get_provider_field(self, name):
        return getattr(self.provider, name[len('provider_'):])

    @classmethod
    def search_provider_field(cls, name, clause):
        return [('provider.' + name[len('provider_'):],) + tuple(clause[1:])]

    @classmethod
    def validate_fields(cls, services, field_names):
        super().validate_fields(services, field_names)
        if field_names and not field_names & {'locations'}:
            return
        for service in services:
            if not service.locations:
                raise ProviderValidationError(gettext(
                        'momd_referral.msg_service_coverage_required',
                        service=service.rec_name))

    # What Find Providers and sending check

    @classmethod
    def _match_criteria(cls, service, provider, coverage, places, sex=None,
            age=None, date=None):
        """What a service must meet to take a person, by criterion, as SQL
        conditions on the service, its provider and one of its coverage
        rows (places: the person's location and those above it): Find
        Providers keeps the services that meet them all, sending names
        those a referral's service fails"""
        criteria = {
            'provider': provider.state == 'active',
            'service': ((service.active == Literal(True))
                & ((service.active_from == Null)
                    | (service.active_from <= date))
                & ((service.active_to == Null)
                    | (service.active_to >= date))),
            }
        if places:
            criteria['coverage'] = coverage.location.in_(list(places))
        if sex:
            criteria['sex'] = service.sex.in_(['any', sex])
        if age is not None:
            criteria['age'] = (
                ((service.age_min == Null) | (service.age_min <= age))
                & ((service.age_max == Null) | (service.age_max >= age)))
        return criteria

    def open_to_status(self, displacement_status):
        "Whether the service takes people of the displacement status"
        return (not displacement_status or not self.displacement_statuses
            or displacement_status in self.displacement_statuses)


class ProviderServiceLocation(ModelSQL):
    __name__ = 'momd.provider.service-momd.location'
    __string__ = "Provider Service Coverage"
    service = fields.Many2One(
        'momd.provider.service', "Service", required=True,
        ondelete='CASCADE')
    location = fields.Many2One(
        'momd.location', "Location", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(
                t, (t.location, Index.Range()), (t.service, Index.Range())))

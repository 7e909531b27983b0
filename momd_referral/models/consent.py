"Consent: what a beneficiary agreed to share, with whom, until when."
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from ..exceptions import ConsentValidationError
from .beneficiary import ADULT_AGE
from .provider import PROVIDER_TYPES
from .audit import AuditMixin
from .mixins import OfficeThroughMixin, require

INFORMATION_GROUPS = [
    ('identity', "Identity"),
    ('contact', "Contact Details"),
    ('needs', "Needs"),
    ('documents', "Identity Documents"),
    ('vulnerabilities', "Vulnerabilities"),
    ]
METHODS = [
    ('verbal', "Verbal"),
    ('written', "Written"),
    ('thumbprint', "Thumbprint"),
    ]
GIVEN_BY = [
    ('beneficiary', "The Beneficiary"),
    ('guardian', "A Parent or Guardian"),
    ]
STATES = [
    ('draft', "Draft"),
    ('active', "Active"),
    ('expired', "Expired"),
    ('revoked', "Revoked"),
    ]
# Once active, a consent is not edited: it is revoked and replaced.
EDITABLE_WHEN_ACTIVE = {'state', 'revoked_on', 'revoked_by', 'revocation_reason'}


class Consent(
        OfficeThroughMixin, AuditMixin, Workflow, ModelSQL, ModelView):
    __name__ = 'momd.consent'
    __string__ = "Consent"
    _history = True
    _office_through = 'beneficiary'

    _states = {'readonly': Eval('state') != 'draft'}

    beneficiary = fields.Many2One(
        'momd.beneficiary', "Beneficiary", required=True,
        ondelete='RESTRICT', states=_states)
    given_by = fields.Selection(
        GIVEN_BY, "Given By", required=True, states=_states)
    guardian_name = fields.Char(
        "Guardian's Name", strip=True,
        states={
            'readonly': _states['readonly'],
            'required': Eval('given_by') == 'guardian',
            'invisible': Eval('given_by') != 'guardian',
            })
    guardian_relationship = fields.Char(
        "Guardian's Relationship", strip=True,
        states={
            'readonly': _states['readonly'],
            'invisible': Eval('given_by') != 'guardian',
            })
    date = fields.Date("Date", required=True, states=_states)
    method = fields.Selection(METHODS, "Method", required=True,
        states=_states)
    obtained_by = fields.Many2One(
        'res.user', "Obtained By", required=True, ondelete='RESTRICT',
        states=_states)
    purpose = fields.Text(
        "Purpose", required=True, states=_states,
        help="What the information will be used for, as told to the person.")
    notice_version = fields.Char(
        "Notice Version", states=_states,
        help="The version of the privacy notice read to the person.")
    information_groups = fields.MultiSelection(
        INFORMATION_GROUPS, "Information Shared", sort=False,
        states=_states,
        help="What may be shared with the providers below. "
        "Empty: nothing leaves the ministry.")
    categories = fields.Many2Many(
        'momd.consent-momd.service.category', 'consent', 'category',
        "Service Categories", states=_states,
        help="The services the sharing is for. Empty: any service.")
    providers = fields.Many2Many(
        'momd.consent-momd.provider', 'consent', 'provider', "Providers",
        states=_states,
        help="The providers the information may go to. "
        "Empty: any provider of the types below.")
    provider_types = fields.MultiSelection(
        PROVIDER_TYPES, "Provider Types", sort=False, states=_states,
        help="The kinds of provider the information may go to. "
        "Empty, with no provider named: any provider.")
    expiry_date = fields.Date(
        "Expiry Date", states=_states,
        domain=[If(Eval('expiry_date') & Eval('date'),
                ('expiry_date', '>', Eval('date')), ())])
    revoked_on = fields.Date("Revoked On", readonly=True)
    revoked_by = fields.Many2One(
        'res.user', "Revoked By", readonly=True, ondelete='RESTRICT')
    revocation_reason = fields.Text(
        "Revocation Reason",
        states={
            'readonly': Eval('state') != 'active',
            'invisible': Eval('state') == 'draft',
            })
    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(
                t, (t.beneficiary, Index.Range()), (t.state, Index.Equality())))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'active'),
            ('active', 'revoked'),
            ('active', 'expired'),
            }
        cls._buttons.update({
                'activate': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'revoke': {
                    'invisible': Eval('state') != 'active',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'draft'

    @staticmethod
    def default_given_by():
        return 'beneficiary'

    @staticmethod
    def default_method():
        return 'verbal'

    @staticmethod
    def default_obtained_by():
        return Transaction().user

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    def get_rec_name(self, name):
        return '%s — %s' % (self.beneficiary.rec_name, self.date)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('beneficiary.rec_name',) + tuple(clause[1:])]

    @classmethod
    def check_modification(cls, mode, consents, values=None, external=False):
        super().check_modification(
            mode, consents, values=values, external=external)
        changed = sorted(set(values or ()) - EDITABLE_WHEN_ACTIVE)
        if mode == 'write' and changed:
            for consent in consents:
                if consent.state != 'draft':
                    raise ConsentValidationError(gettext(
                            'momd_referral.msg_consent_not_editable',
                            consent=consent.rec_name,
                            field=cls.__names__(field=changed[0])['field']))
        if mode == 'delete':
            for consent in consents:
                if consent.state != 'draft':
                    raise ConsentValidationError(gettext(
                            'momd_referral.msg_consent_not_deletable',
                            consent=consent.rec_name))

    @classmethod
    def validate_fields(cls, consents, field_names):
        super().validate_fields(consents, field_names)
        for consent in consents:
            if (consent.revoked_on and consent.date
                    and consent.revoked_on < consent.date):
                raise ConsentValidationError(gettext(
                        'momd_referral.msg_consent_revoked_before_given',
                        consent=consent.rec_name,
                        revoked_on=consent.revoked_on, date=consent.date))
            if consent.date and consent.date > Pool().get(
                    'ir.date').today():
                raise ConsentValidationError(gettext(
                        'momd_referral.msg_consent_date_future',
                        consent=consent.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    def activate(cls, consents):
        for consent in consents:
            age = consent.beneficiary.age
            if (consent.given_by == 'beneficiary' and age is not None
                    and age < ADULT_AGE):
                raise ConsentValidationError(gettext(
                        'momd_referral.msg_consent_child_guardian',
                        beneficiary=consent.beneficiary.rec_name,
                        age=age))

    @classmethod
    @ModelView.button
    @Workflow.transition('revoked')
    def revoke(cls, consents):
        pool = Pool()
        Date = pool.get('ir.date')
        require(consents, 'revocation_reason',
            'momd_referral.msg_consent_revocation_reason',
            ConsentValidationError, 'consent')
        cls.write(consents, {
                'revoked_on': Date.today(),
                'revoked_by': Transaction().user,
                })

    @classmethod
    def expire(cls, date=None):
        "Expire the active consents whose expiry date has passed (cron)"
        date = date or Pool().get('ir.date').today()
        consents = cls.search([
                ('state', '=', 'active'),
                ('expiry_date', '<', date),
                ])
        cls._expire(consents)

    @classmethod
    @Workflow.transition('expired')
    def _expire(cls, consents):
        pass

    def is_active(self, date=None):
        date = date or Pool().get('ir.date').today()
        return (self.state == 'active'
            and self.date <= date
            and (not self.expiry_date or self.expiry_date > date))

    def covers_sharing(self, information_groups, category=None,
            provider=None, date=None):
        """Does this consent allow sharing information_groups with provider
        for a service of category? A category is covered by itself or an
        ancestor; a provider by its name or its type."""
        if not self.is_active(date):
            return False
        if provider and (self.providers or self.provider_types):
            if (provider not in self.providers
                    and provider.type not in (self.provider_types or ())):
                return False
        if not set(information_groups) <= set(self.information_groups or ()):
            return False
        if category and self.categories:
            covered = {c.id for c in self.categories}
            lineage = {category.id} | {c.id for c in category.ancestors()}
            if not covered & lineage:
                return False
        return True

    @classmethod
    def find_covering(cls, beneficiary, information_groups, category=None,
            provider=None, date=None):
        """Return an active consent of beneficiary that covers sharing
        information_groups with provider for category, or None."""
        for consent in cls.search([
                    ('beneficiary', '=', beneficiary.id),
                    ('state', '=', 'active'),
                    ]):
            if consent.covers_sharing(
                    information_groups, category, provider, date):
                return consent
        return None


class ConsentCategory(ModelSQL):
    __name__ = 'momd.consent-momd.service.category'
    __string__ = "Consent Category"
    consent = fields.Many2One(
        'momd.consent', "Consent", required=True, ondelete='CASCADE')
    category = fields.Many2One(
        'momd.service.category', "Category", required=True,
        ondelete='CASCADE')


class ConsentProvider(ModelSQL):
    __name__ = 'momd.consent-momd.provider'
    __string__ = "Consent Provider"
    consent = fields.Many2One(
        'momd.consent', "Consent", required=True, ondelete='CASCADE')
    provider = fields.Many2One(
        'momd.provider', "Provider", required=True, ondelete='CASCADE')

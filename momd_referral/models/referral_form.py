"""The referral form: the paper an inter-agency referral travels on, with
only what its provider may see of the beneficiary."""
from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.report import Report
from trytond.transaction import Transaction, without_check_access

from ..exceptions import ReferralFormError
from .disclosure import UNSHARED_STATES


def isolate(text):
    """text kept in its own direction inside a sentence (an Arabic name in
    English, a Latin one in Arabic), the punctuation around it in place"""
    return '\u2068%s\u2069' % text


class ReferralForm(Report):
    "The referral form printed for the provider, in the user's language"
    __name__ = 'momd.referral.form'

    @classmethod
    def _execute(cls, records, header, data, action):
        pool = Pool()
        AccessLog = pool.get('momd.access.log')
        cls.check_shared(records)
        transaction = Transaction()
        # the template reads as the system: the print is logged here
        if transaction.user and transaction.check_access:
            AccessLog.log(
                'momd.referral', [r.id for r in records], action='print')
        return super()._execute(records, header, data, action)

    @classmethod
    def check_shared(cls, records):
        for record in records:
            if record.state in UNSHARED_STATES:
                raise ReferralFormError(gettext(
                        'momd_referral.msg_referral_form_state',
                        referral=record.rec_name,
                        state=record.state_string))

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Lang = pool.get('ir.lang')
        context = super().get_context(records, header, data)
        lang = Lang.get()
        context['lang'] = lang
        context['sides'] = cls.sides(records)

        def format_timestamp(value):
            if value:
                return cls.format_datetime(
                    value, lang, format=lang.date + ' %H:%M',
                    timezone=Transaction().context.get('timezone'))
        context['format_timestamp'] = format_timestamp
        context['isolate'] = isolate
        return context

    @classmethod
    def sides(cls, records):
        """What the form tells of each referral beyond its own fields: the
        names of the office, users and service, the consent's date and who
        gave it, which groups were disclosed and whether the disclosure
        still stands. Read as the system: the provider has no access to
        these records, only to the referral, checked before printing."""
        pool = Pool()
        Referral = pool.get('momd.referral')
        result = {}
        with without_check_access():
            groups = Referral.fields_get(['disclosed_groups'])[
                'disclosed_groups']['selection']
            for referral in Referral.browse([r.id for r in records]):
                consent = referral.consent
                approved_by = referral.approved_by
                stands = referral.disclosure_stands()
                disclosed = set(referral.disclosed_groups or ())
                given_by = consent.given_by if consent else None
                # the guardian is named as the person is: only while the
                # identity is disclosed
                guardian = given_by == 'guardian' and stands and (
                    'identity' in disclosed)
                result[referral.id] = {
                    'office': referral.office.rec_name,
                    'caseworker': referral.caseworker.rec_name,
                    'provider': referral.provider.rec_name,
                    'service': referral.provider_service.category.full_name,
                    'category': referral.category.full_name,
                    'groups': [
                        label for group, label in groups
                        if group in disclosed],
                    'disclosed': disclosed if stands else set(),
                    'consent_date': consent.date if consent else None,
                    'consent_given_by': given_by,
                    'guardian_name': (
                        consent.guardian_name if guardian else None),
                    'guardian_relationship': (
                        consent.guardian_relationship if guardian else None),
                    'approved_by': (
                        approved_by.rec_name if approved_by else None),
                    'stands': stands,
                    }
        return result

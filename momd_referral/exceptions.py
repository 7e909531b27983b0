from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class LocationValidationError(ValidationError):
    pass


class OfficeValidationError(ValidationError):
    pass


class CategoryValidationError(ValidationError):
    pass


class BeneficiaryValidationError(ValidationError):
    pass


class ConsentValidationError(ValidationError):
    pass


class CaseValidationError(ValidationError):
    pass


class DuplicateReviewError(UserError):
    "A review of possible duplicates refused (reason, office)"
    pass


class OutreachValidationError(ValidationError):
    pass


class ProviderValidationError(ValidationError):
    pass


class ReferralValidationError(ValidationError):
    pass


class ReferralEligibilityError(ReferralValidationError):
    "The service cannot take the beneficiary (coverage, eligibility, state)"
    pass


class ReferralCapacityError(ReferralValidationError):
    "The service is full this month, or the waiting list refuses the step"
    pass


class SLAValidationError(ValidationError):
    pass


class ActivityValidationError(ValidationError):
    pass


class StatisticsError(UserError):
    pass


class ReferralFormError(UserError):
    pass


class ErasureError(UserError):
    pass


class OwnedFieldError(AccessError):
    "A client gave a field that the workflow or the system sets"
    pass


class RequestError(UserError):
    "A request a client sent malformed: refused before anything is written"
    pass


class ContentValidationError(ValidationError):
    "A record saved without anything that makes it one"
    pass


class AnswerLinkError(UserError):
    pass


class OutboxValidationError(ValidationError):
    "Settings of the gateway for messages to beneficiaries"
    pass


class MergeError(UserError):
    "A merge of two records of one person refused: nothing is written"
    pass


class KoboImportError(UserError):
    "A KoboToolbox export the import cannot read, or a review it refuses"
    pass


class BreachScopeError(UserError):
    "A breach scoping without anyone to look for, or a period backwards"
    pass

from trytond.model.exceptions import ValidationError


class LocationValidationError(ValidationError):
    pass


class OfficeValidationError(ValidationError):
    pass

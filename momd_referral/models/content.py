"A record holds something: the fields that make it one are not all empty."
from trytond.i18n import gettext

from ..exceptions import ContentValidationError


def _filled(value):
    return value not in (None, '', 0, False) and value != ()


class ContentMixin:
    """A record is refused when none of _content_fields holds a value: a
    household of nobody, an outreach event of nothing. The message names
    the fields, one of which must be given."""
    __slots__ = ()
    _content_fields = ()

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        if field_names and not field_names & set(cls._content_fields):
            return
        for record in records:
            if not any(_filled(getattr(record, name))
                    for name in cls._content_fields):
                separator = gettext('momd_referral.msg_list_separator')
                raise ContentValidationError(gettext(
                        'momd_referral.msg_content_missing',
                        model=cls.__names__()['model'],
                        fields=separator.join(
                            '"%s"' % cls.__names__(name)['field']
                            for name in cls._content_fields)))

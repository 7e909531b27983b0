"Text helpers shared by the registry models."
import re
import unicodedata

# Arabic spelling variants that users type interchangeably: every hamza
# carrier of alef becomes a bare alef, ta marbuta becomes ha, alef maqsura
# becomes ya, hamza on waw / ya becomes the bare letter.
_ARABIC_FOLD = str.maketrans({
        'أ': 'ا', 'إ': 'ا', 'آ': 'ا', 'ٱ': 'ا',
        'ة': 'ه',
        'ى': 'ي',
        'ؤ': 'و',
        'ئ': 'ي',
        'ـ': None,  # tatweel
        })
# Harakat, tanwin, shadda, sukun, superscript alef and Quranic marks
_ARABIC_MARKS = re.compile('[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]')
_SPACES = re.compile(r'\s+')


def normalize_text(value):
    """Return value folded for matching: Arabic variants unified, Latin
    accents removed, lower case, single spaces.

    >>> normalize_text('  الموصِل  ')
    'الموصل'
    >>> normalize_text('أكرة') == normalize_text('اكره')
    True
    >>> normalize_text("Ba'aj  Centre")
    "ba'aj centre"
    """
    if not value:
        return ''
    value = _ARABIC_MARKS.sub('', value).translate(_ARABIC_FOLD)
    value = unicodedata.normalize('NFKD', value)
    value = ''.join(c for c in value if not unicodedata.combining(c))
    return _SPACES.sub(' ', value).strip().lower()


def normalize_identifier(value):
    """Return an identity document number as it is kept: without spaces,
    in capitals.

    >>> normalize_identifier(' a12 345 6')
    'A123456'
    """
    return re.sub(r'\s+', '', value or '').upper()


_DIGITS = str.maketrans('٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹', '01234567890123456789')
_IRAQI_MOBILE = re.compile(r'^7[3-9][0-9]{8}$')


def normalize_phone(value):
    """Return the phone number in international form (+9647XXXXXXXXX for an
    Iraqi mobile), or None when it is not a valid number.

    >>> normalize_phone('0770 123 4567')
    '+9647701234567'
    >>> normalize_phone('٠٧٥٠١٢٣٤٥٦٧')
    '+9647501234567'
    >>> normalize_phone('00964-780-123-4567')
    '+9647801234567'
    >>> normalize_phone('+49 151 23456789')
    '+4915123456789'
    >>> normalize_phone('0770 123') is None
    True
    """
    if not value:
        return None
    value = value.translate(_DIGITS).strip()
    international = value.startswith('+') or value.startswith('00')
    digits = re.sub(r'[\s\-().]', '', value)
    if not re.fullmatch(r'\+?[0-9]+', digits):
        return None
    digits = digits.lstrip('+')
    if digits.startswith('00'):
        digits = digits[2:]
    if international and not digits.startswith('964'):
        # a foreign number of a returnee: E.164, 8 to 15 digits
        return '+' + digits if 8 <= len(digits) <= 15 else None
    if digits.startswith('964'):
        digits = digits[3:]
    if digits.startswith('0'):
        digits = digits[1:]
    if _IRAQI_MOBILE.match(digits):
        return '+964' + digits
    return None


_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def valid_email(value):
    """Whether value is an e-mail address a message can be sent to: one
    local part, one domain with a dot, no spaces (no DNS lookup: the
    offices may have no connection when they record it)"""
    return bool(value) and len(value) <= 254 and bool(_EMAIL.match(value))

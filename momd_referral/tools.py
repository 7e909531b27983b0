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

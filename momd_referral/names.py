"""Iraqi names folded for matching, in Arabic and in Latin script.

A name is compared part by part (first, father, grandfather, family):
each part folded (hamza and alef forms, ta marbuta, alef maqsura,
diacritics, tatweel, the article, compounds such as عبد الله written
joined or spaced), and its Latin spellings known from the table
`data/names/latin.csv` (or spelled by rule when the name is not in it).
"""
import csv
import functools
import os
import re
import unicodedata

from rapidfuzz.distance import Levenshtein

from .tools import normalize_text

PARTS = ('first_name', 'father_name', 'grandfather_name', 'family_name')
# how much each part tells of the person; a missing part weighs nothing
WEIGHTS = {
    'first_name': 0.35,
    'father_name': 0.30,
    'grandfather_name': 0.15,
    'family_name': 0.20,
    }
_TABLE = os.path.join(os.path.dirname(__file__), 'data', 'names', 'latin.csv')

# Kurdish and Persian letter forms typed on other keyboards
_LETTERS = str.maketrans({
        'ک': 'ك', 'ی': 'ي', 'ە': 'ه', 'ۆ': 'و', 'ێ': 'ي', 'ڕ': 'ر',
        'ڵ': 'ل', 'ء': None,
        })
_ARABIC = re.compile('[\u0600-\u06ff]')
_NOT_LETTER = re.compile(r"[\s\-'’`.]+")
_ARTICLE = re.compile(r'^(ال|al|el)(?=..)')

# Arabic letters as Latin keys: the consonants people write for them
_ROMAN = {
    'ا': 'a', 'ب': 'b', 'ت': 't', 'ث': 'th', 'ج': 'j', 'ح': 'h',
    'خ': 'kh', 'د': 'd', 'ذ': 'dh', 'ر': 'r', 'ز': 'z', 'س': 's',
    'ش': 'sh', 'ص': 's', 'ض': 'd', 'ط': 't', 'ظ': 'z', 'ع': '',
    'غ': 'gh', 'ف': 'f', 'ق': 'k', 'ك': 'k', 'ل': 'l', 'م': 'm',
    'ن': 'n', 'ه': 'h', 'و': 'u', 'ي': 'i', 'پ': 'p', 'چ': 'ch',
    'گ': 'g', 'ڤ': 'v',
    }
# Latin spellings folded so that usual variants meet: Hussein, Husain
# and Hussain; Qasim and Kasim; Omar and Umar; Fatima and Fatimah
_LATIN_RULES = [
    (re.compile(r'ph'), 'f'),
    (re.compile(r'[qc]'), 'k'),
    (re.compile(r'(ou|oo|o|w)'), 'u'),
    (re.compile(r'(ee|ie|ei|ai|ay|ey|e|y)'), 'i'),
    (re.compile(r'(?<=[aiu])h$'), ''),
    (re.compile(r'(.)\1+'), r'\1'),
    ]
_VOWELS = re.compile('[aiu]')


def is_arabic(value):
    return bool(value and _ARABIC.search(value))


@functools.lru_cache(maxsize=100000)
def fold(part):
    """Return one name part folded: Arabic variants unified, spaces and
    hyphens inside the part removed, the article dropped.

    >>> fold('عبد الله') == fold('عبدالله')
    True
    >>> fold('الحمداني') == fold('حمداني')
    True
    >>> fold('Al-Hamdani')
    'hamdani'
    """
    value = normalize_text((part or '').translate(_LETTERS))
    value = _NOT_LETTER.sub('', value)
    if value.startswith('ئ'):
        value = 'ا' + value[1:]
    return _ARTICLE.sub('', value)


def latin_key(value):
    """Return the Latin spelling of a part folded so that usual variants
    meet.

    >>> latin_key('Hussein') == latin_key('Husain') == latin_key('Hussain')
    True
    >>> latin_key('Qasim') == latin_key('Kassim')
    True
    """
    value = unicodedata.normalize('NFKD', fold(value))
    value = ''.join(c for c in value if 'a' <= c <= 'z')
    for pattern, replace in _LATIN_RULES:
        value = pattern.sub(replace, value)
    return value


def skeleton(key):
    "The consonants of a Latin key: what an Arabic spelling writes surely"
    return _VOWELS.sub('', key[:1]) + _VOWELS.sub('', key[1:]) if key else ''


@functools.lru_cache(maxsize=None)
def _table():
    "{folded Arabic: Latin keys}, {Latin key: folded Arabic names}"
    spellings, names = {}, {}
    if not os.path.exists(_TABLE):
        return spellings, names
    with open(_TABLE, encoding='utf-8', newline='') as file:
        for row in csv.DictReader(file):
            arabic = fold(row['arabic'])
            keys = {latin_key(v) for v in row['latin'].split('|') if v}
            keys.discard('')
            spellings.setdefault(arabic, set()).update(keys)
            for key in keys:
                names.setdefault(key, set()).add(arabic)
    return spellings, names


@functools.lru_cache(maxsize=20000)
def latin_keys(part):
    """The Latin keys of a part: from the table for a known Arabic name,
    by rule (consonants and long vowels) otherwise; a Latin part gives
    its own key."""
    folded = fold(part)
    if not folded:
        return frozenset()
    if not is_arabic(folded):
        return frozenset([latin_key(folded)])
    known = _table()[0].get(folded)
    if known:
        return frozenset(known)
    roman = ''.join(_ROMAN.get(c, '') for c in folded)
    for pattern, replace in _LATIN_RULES[-2:]:
        roman = pattern.sub(replace, roman)
    return frozenset([roman])


def arabic_names(latin):
    "The folded Arabic names the table gives for a Latin spelling"
    return frozenset(_table()[1].get(latin_key(latin), ()))


def search_tokens(part):
    """The words the registry keeps of a part for its search: the folded
    part, its Latin keys and, for a spelled-by-rule Arabic name, the
    consonants"""
    folded = fold(part)
    if not folded:
        return []
    tokens = [folded]
    for key in sorted(latin_keys(part)):
        tokens.append(key)
        if is_arabic(folded) and folded not in _table()[0]:
            tokens.append(skeleton(key))
    return list(dict.fromkeys(tokens))


def query_tokens(word):
    """The words to look for when a user searches for word: its folded
    form, and across scripts the other script's keys"""
    folded = fold(word)
    if not folded:
        return []
    if is_arabic(folded):
        return list(dict.fromkeys([folded] + sorted(latin_keys(word))))
    key = latin_key(folded)
    tokens = [folded, key] + sorted(arabic_names(folded))
    if not arabic_names(folded):
        # a name the table lacks: the consonants its Arabic spelling gives
        tokens.append(skeleton(key))
    return list(dict.fromkeys(t for t in tokens if t))


@functools.lru_cache(maxsize=50000)
def part_similarity(first, second):
    """How alike two parts are, from 0 to 1: 1 when they fold to the same
    name; else the better of the spelling distance of the folded parts
    and of their Latin keys (which joins the two scripts)."""
    a, b = fold(first), fold(second)
    if not a or not b:
        return None
    if a == b:
        return 1.0
    best = 0.0
    if is_arabic(a) == is_arabic(b):
        best = Levenshtein.normalized_similarity(a, b)
    for x in latin_keys(first):
        for y in latin_keys(second):
            best = max(best, 1.0 if x == y
                else Levenshtein.normalized_similarity(x, y) * 0.95)
    return best


def name_similarity(first, second):
    """Compare two names given as {part: value} (Arabic parts, and Latin
    parts under the same names with the suffix _latin); return (score
    from 0 to 1, {part: similarity}) — the first and father's names in
    their place, the grandfather's and family names also against each
    other, as a three-part name may carry the family name third."""
    details = {}
    for part in PARTS:
        values = [s for s in (
                part_similarity(first.get(part), second.get(part)),
                part_similarity(
                    first.get(part + '_latin'), second.get(part + '_latin')))
            if s is not None]
        if values:
            details[part] = max(values)
    tail = ('grandfather_name', 'family_name')
    for mine, theirs in [tail, tail[::-1]]:
        crossed = part_similarity(first.get(mine), second.get(theirs))
        if crossed is not None and (
                details.get(mine) is None or crossed > details[mine]):
            if first.get(theirs) and second.get(mine):
                continue
            details[mine] = crossed
    weight = sum(WEIGHTS[p] for p in details)
    if not weight or 'first_name' not in details:
        return 0.0, details
    score = sum(WEIGHTS[p] * s for p, s in details.items()) / weight
    # a name of two known parts says less than one of four
    score *= min(1.0, 0.85 + weight * 0.15)
    return score, details

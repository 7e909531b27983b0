"""The name block of the duplicate search on PostgreSQL: the people who
share two name parts with a registration, found through one index.

Each person is indexed by a few words made of sex, birth year (or '?'),
whether that year comes from an estimated age, and two folded name parts:
first and father's names; the first name with the grandfather's or the
family name; the father's name with either of them, or the grandfather's
with the family name (these two kinds also carry the first letter of the
first name). A registration with one part mistyped or missing, or with
the family name given third, still shares a word with the record of the
same person, while the search reads a few dozen people where a trigram
search on common names (محمد, علي, الجبوري...) reads tens of thousands.
"""
from contextlib import contextmanager

from sql import Expression, Flavor

from trytond import backend

INDEX = 'momd_beneficiary_name_block'
# the year of a person as the words carry it
_YEAR = ("COALESCE(CAST(CAST(EXTRACT(YEAR FROM age_reference) AS INTEGER) "
    "AS VARCHAR), '?')")
_KIND = "CASE WHEN estimated_age IS NULL THEN 'x' ELSE 'e' END"


# the pairs of name parts of the words: kind, whether the kind carries the
# first letter of the first name, the two parts (1 to 4; the third and the
# fourth give no word when missing, '-')
PAIRS = [
    ('A', False, 1, 2),
    ('B', False, 1, 3),
    ('B', False, 1, 4),
    ('C', True, 2, 3),
    ('C', True, 2, 4),
    ('D', True, 3, 4),
    ]


def words(sex, kind, year, key):
    "SQL of the array of words of a person (each argument an SQL text)"
    def part(n):
        text = "split_part(%s, ' ', %d)" % (key, n)
        return "NULLIF(%s, '-')" % text if n > 2 else text
    head = "%s || '|' || %s || '|' || %s || '|'" % (sex, kind, year)
    initial = 'left(%s, 1)' % part(1)
    return 'ARRAY[%s]' % ', '.join(
        "%s || %s || '|' || %s || '|' || %s" % (head,
            "'%s' || %s" % (kind_, initial) if lettered else "'%s'" % kind_,
            part(a), part(b))
        for kind_, lettered, a, b in PAIRS)


def create_index(cursor, table='momd_beneficiary'):
    """Create the index of the words of every person, when it is missing,
    each new person written into it at once (without fastupdate's list of
    pending entries, which each search reads whole: an import searching
    the registry after each group of new people would read thousands)"""
    cursor.execute('CREATE INDEX IF NOT EXISTS "%s" ON "%s" USING GIN ((%s)) '
        'WITH (fastupdate = off)'
        % (INDEX, table, words('sex', _KIND, _YEAR, 'match_key')))
    cursor.execute('ALTER INDEX "%s" SET (fastupdate = off)' % INDEX)


def person_words(sex, kind, year, key):
    """The words of words() for one person, computed here: sex, kind ('x'
    or 'e'), year (text) and key (the folded name parts) as the index
    reads them"""
    if sex is None or key is None:
        return []
    parts = key.split(' ')

    def part(n):
        text = parts[n - 1] if n <= len(parts) else ''
        return None if n > 2 and text == '-' else text
    initial = part(1)[:1]
    found = []
    for kind_, lettered, a, b in PAIRS:
        if part(a) is not None and part(b) is not None:
            found.append('%s|%s|%s|%s|%s|%s' % (sex, kind, year,
                    kind_ + initial if lettered else kind_, part(a),
                    part(b)))
    return found


def query_words(sex, key, exact, estimated):
    """The words a registration's near people carry: exact and estimated
    are (first, last) birth years of the people to find with a date of
    birth and with an estimated age, or None for any year"""
    years = [('x', '?'), ('e', '?')]
    for kind, span in (('x', exact), ('e', estimated)):
        if span:
            years.extend((kind, str(y)) for y in range(span[0], span[1] + 1))
    return list(dict.fromkeys(w for kind, year in years
            for w in person_words(sex, kind, year, key)))


@contextmanager
def serial(cursor):
    """Run the queries within without parallel workers on PostgreSQL: the
    block is a few dozen rows, which workers only delay (by their start)"""
    if backend.name != 'postgresql':
        yield
        return
    setting = 'max_parallel_workers_per_gather'
    cursor.execute('SELECT current_setting(%s), set_config(%s, %s, true)'
        .replace('%s', Flavor.get().param), (setting, setting, '0'))
    before, _ = cursor.fetchone()
    # after an error the transaction is rolled back, and the setting too
    yield
    cursor.execute('SELECT set_config(%s, %s, true)'.replace(
            '%s', Flavor.get().param), (setting, before))


class SharesWord(Expression):
    "The person of table carries one of the words"
    __slots__ = ('table', 'words')

    def __init__(self, table, words):
        super().__init__()
        self.table = table
        self.words = words

    def __str__(self):
        t = self.table
        # the same expression as the index's, the columns of the query
        year = _YEAR.replace('age_reference', str(t.age_reference))
        kind = _KIND.replace('estimated_age', str(t.estimated_age))
        return '(%s && CAST(%s AS TEXT[]))' % (
            words(str(t.sex), kind, year, str(t.match_key)),
            Flavor.get().param)

    @property
    def params(self):
        return (list(self.words),)

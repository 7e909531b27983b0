"""People generated as a registry holds them, for the benchmarks and for
`make scale`: Iraqi names drawn with the skew of real registries, births,
phones and, on request, households, offices and registration dates spread
as the offices registered them. Loaded by COPY."""
import csv
import datetime as dt
import functools
import io
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 50000
STATUSES = ['idp_in_camp', 'idp_out_camp', 'returned_idp',
    'returnee_abroad', 'host_community']
# the members of a household after its head, in the order they are drawn
MEMBERS = ['spouse', 'child', 'child', 'child', 'child', 'parent', 'sibling',
    'grandchild']


class Names:
    "Pools of Iraqi names, each drawn with a Zipf skew"

    def __init__(self, rng):
        from momd_referral.tests import name_pairs
        self.rng = rng
        table = ROOT / 'momd_referral' / 'data' / 'names' / 'latin.csv'
        with open(table, encoding='utf-8', newline='') as file:
            self.latin = {r['arabic']: r['latin'].split('|')
                for r in csv.DictReader(file)}
        for arabic, spellings in name_pairs.LATIN.items():
            self.latin.setdefault(arabic, spellings)
        known = list(self.latin)
        family = [n for n in known if n.startswith('ال')]
        female = [n for n in known if not n.startswith('ال')
            and n.endswith(('ة', 'اء', 'ى')) and n not in name_pairs.MALE]
        male = [n for n in known if not n.startswith('ال')
            and n not in female and n not in name_pairs.FEMALE]
        # the pools of the labelled pairs first: the commonest names
        self.male = self._pool(name_pairs.MALE, male, 1.05)
        self.female = self._pool(name_pairs.FEMALE, female, 1.0)
        self.family = self._pool(name_pairs.FAMILY, family, 0.8)

    def _pool(self, common, rare, skew):
        names = list(dict.fromkeys(common + rare))
        weights, total = [], 0.0
        for rank in range(1, len(names) + 1):
            total += 1 / rank ** skew
            weights.append(total)
        return names, weights

    def draw(self, pool):
        names, weights = pool
        return self.rng.choices(names, cum_weights=weights)[0]

    def person(self, sex=None):
        r = self.rng
        sex = sex or r.choice(['male', 'female'])
        person = {
            'sex': sex,
            'first_name': self.draw(
                self.male if sex == 'male' else self.female),
            'father_name': self.draw(self.male),
            'grandfather_name': (self.draw(self.male)
                if r.random() < 0.9 else None),
            'family_name': (self.draw(self.family)
                if r.random() < 0.85 else None),
            }
        if r.random() < 0.3:
            for part in ('first_name', 'father_name', 'grandfather_name',
                    'family_name'):
                spellings = self.latin.get(person[part])
                if spellings:
                    person[part + '_latin'] = r.choice(spellings[:3])
        # more young people than old, as in the camps
        year = 2024 - min(int(r.expovariate(1 / 24)), 84)
        birth = dt.date(year, r.randint(1, 12), r.randint(1, 28))
        if r.random() < 0.8:
            person['birth_date'], person['estimated_age'] = birth, None
        else:
            person['birth_date'] = None
            person['estimated_age'] = max(0, 2025 - year)
        person['phone'] = ('077%08d' % r.randrange(10 ** 8)
            if r.random() < 0.6 else None)
        return person


def drop_indexes(cursor, tables):
    """Drop the secondary indexes of tables (to load them faster); return
    the statements that make them again"""
    cursor.execute("SELECT indexdef, indexname FROM pg_indexes "
        "WHERE tablename = ANY(%s) AND indexname NOT LIKE '%%pkey' "
        "AND indexdef NOT LIKE '%%UNIQUE%%'", (list(tables),))
    indexes = cursor.fetchall()
    for _, name in indexes:
        cursor.execute('DROP INDEX "%s"' % name)
    return [definition for definition, _ in indexes]


def load(cursor, connection, rng, count, offices=None, period=None,
        households=False, numbered=False):
    """Insert count people and their phones by COPY, the keys folded by
    the module's functions (cached per name part: the folding of a part
    does not depend on the rest of the name); return the first id.

    offices: [(office id, weight)], all offices alike when not given;
    period: (first, last) datetimes of registration, spread evenly in
    that order (now when not given); households: group the people in
    households of 1 to 9 of one office and family, the first its head;
    numbered: codes as the offices give them (MSL-BEN-2025-000123), not
    B0000123."""
    from momd_referral import names
    from momd_referral.models.duplicate import NAME_FIELDS
    from momd_referral.tools import normalize_phone
    fold = functools.lru_cache(maxsize=None)(names.fold)
    tokens_of = functools.lru_cache(maxsize=None)(names.search_tokens)
    pool = Names(rng)
    if not offices:
        cursor.execute("SELECT id, 1 FROM momd_office ORDER BY id")
        offices = cursor.fetchall()
    cursor.execute("SELECT id, code FROM momd_office")
    office_codes = dict(cursor.fetchall())
    numbers = dict.fromkeys(office_codes, 0)
    office_ids = [o for o, _ in offices]
    office_weights = [w for _, w in offices]
    cursor.execute("SELECT id FROM country_country WHERE code = 'IQ'")
    iraq = (cursor.fetchone() or [None])[0]
    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM momd_beneficiary")
    first_id, = cursor.fetchone()
    first_id += 1
    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM momd_household")
    household_id, = cursor.fetchone()
    indexes = drop_indexes(cursor, ['momd_beneficiary',
            'momd_beneficiary_phone', 'momd_household'])
    # a person and a household name each other: the rows are checked by
    # their making, not by the foreign keys' triggers, while they load
    cursor.execute("SET session_replication_role = replica")
    columns = ('id', 'code', 'office', 'sex') + NAME_FIELDS + (
        'match_key', 'name_key', 'birth_date', 'estimated_age',
        'estimated_age_date', 'age_reference', 'nationality',
        'displacement_status', 'preferred_language', 'contact_method',
        'active', 'household', 'relationship', 'create_uid', 'create_date')
    now = dt.datetime.now()
    first, last = period or (now, now)
    step = (last - first) / max(count - 1, 1)

    def text(value):
        return '\\N' if value is None else str(value)
    # the household being filled: its id, office, family, members to come
    family = {'left': 0}
    for start in range(0, count, CHUNK):
        people, phones, homes = io.StringIO(), io.StringIO(), io.StringIO()
        for i in range(start, min(count, start + CHUNK)):
            id_ = first_id + i
            created = first + step * i
            relationship = None
            if households and family['left']:
                family['left'] -= 1
                relationship = MEMBERS[min(
                        family['size'] - family['left'] - 2,
                        len(MEMBERS) - 1)]
                p = pool.person(
                    sex='female' if relationship == 'spouse' else None)
                p['family_name'] = family['name']
                p['family_name_latin'] = family['latin']
                if relationship == 'child':
                    p['father_name'] = family['father']
                office = family['office']
            else:
                p = pool.person()
                office = rng.choices(
                    office_ids, weights=office_weights)[0]
                if households:
                    household_id += 1
                    size = min(1 + int(rng.expovariate(1 / 4)), 9)
                    family.update(id=household_id, office=office,
                        size=size, left=size - 1,
                        name=p['family_name'],
                        latin=p.get('family_name_latin'),
                        father=p['first_name'] if p['sex'] == 'male'
                        else p['father_name'])
                    relationship = 'head'
                    homes.write('%d\t%d\t%d\t%d\t0\t%s\n' % (
                            household_id, id_, office, size,
                            created.isoformat(' ')))
            match_key = ' '.join(fold(p.get(f)) or '-'
                for f in names.PARTS)
            tokens = []
            for f in NAME_FIELDS:
                tokens.extend(tokens_of(p.get(f)))
            name_key = ' %s ' % ' '.join(dict.fromkeys(tokens))
            if p['birth_date']:
                reference, age_date = p['birth_date'], None
            else:
                age_date = created.date()
                reference = age_date.replace(
                    year=age_date.year - p['estimated_age'], day=1)
            if numbered:
                numbers[office] += 1
                code = '%s-BEN-%d-%06d' % (
                    office_codes[office], created.year, numbers[office])
            else:
                code = 'B%07d' % id_
            row = [id_, code, office, p['sex']]
            row += [p.get(f) for f in NAME_FIELDS]
            row += [match_key, name_key, p['birth_date'],
                p['estimated_age'], age_date, reference, iraq,
                STATUSES[i % len(STATUSES)], 'ar', 'phone', 't',
                family['id'] if relationship else None, relationship,
                0, created.isoformat(' ')]
            people.write('\t'.join(map(text, row)) + '\n')
            if p['phone']:
                phones.write('%d\t%s\t0\t%s\n' % (
                        id_, normalize_phone(p['phone']),
                        created.isoformat(' ')))
        # the heads are people of this chunk or of the one before: the
        # households go in after their people
        with cursor.copy('COPY momd_beneficiary (%s) FROM STDIN' % ', '.join(
                    '"%s"' % c for c in columns)) as copy:
            copy.write(people.getvalue())
        with cursor.copy('COPY momd_household (id, head, office, '
                'declared_size, create_uid, create_date) FROM STDIN') as copy:
            copy.write(homes.getvalue())
        with cursor.copy('COPY momd_beneficiary_phone (beneficiary, '
                'number, create_uid, create_date) FROM STDIN') as copy:
            copy.write(phones.getvalue())
    for table in ['momd_beneficiary', 'momd_household']:
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            "GREATEST((SELECT MAX(id) FROM " + table + "), 1))", (table,))
    cursor.execute("SET session_replication_role = DEFAULT")
    cursor.execute("SET maintenance_work_mem = '512MB'")
    for definition in indexes:
        cursor.execute(definition)
    connection.commit()
    return first_id

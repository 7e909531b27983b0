"""One person, one record: the people likely registered already, scored
by name parts, birth, phones and documents, while a caseworker registers
(the review of the pairs: duplicate_review.py)."""
import contextlib
import contextvars
import datetime as dt
import logging
from collections import namedtuple

from rapidfuzz import fuzz, process
from sql import Column, Literal, Null
from sql.conditionals import Coalesce
from sql.operators import And, Or

from trytond import backend
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .. import names
from ..exceptions import BeneficiaryValidationError
from ..tools import normalize_identifier, normalize_phone
from .beneficiary import _shift_years
from . import name_block

logger = logging.getLogger(__name__)
Candidate = namedtuple('Candidate', ['beneficiary', 'score', 'reasons'])

# how many people the name search brings for scoring, at most, and how
# alike their folded names must be at least (out of 100, without trigrams)
BLOCK = 100
BLOCK_SIMILARITY = 55
# first names less alike than this are two people: the score stays at most
# FIRST_NAME_CAP, whatever else is alike
FIRST_NAME_ALIKE, FIRST_NAME_CAP = 0.75, 60
NAME_FIELDS = names.PARTS + tuple(p + '_latin' for p in names.PARTS)
# set by module code only (the KoboToolbox import), never by a client: the
# people created within were checked against the registry and among
# themselves, and their likely duplicates held for review
_checked = contextvars.ContextVar('momd_duplicates_checked', default=False)


@contextlib.contextmanager
def checked_before():
    "Create people whose likely duplicates the caller has checked"
    token = _checked.set(True)
    try:
        yield
    finally:
        _checked.reset(token)


def match_key(record):
    "The Arabic name parts folded, in their order, for the trigram search"
    return ' '.join(names.fold(getattr(record, p, None)) or '-'
        for p in names.PARTS)


def birth_score(first, second):
    """Points a pair of people gains or loses by their births, each given
    as (reference date of birth, whether it comes from an estimated age),
    and the reason shown"""
    (a, a_estimated), (b, b_estimated) = first, second
    if not a or not b:
        return 0, None
    years = abs(a.year - b.year)
    if not a_estimated and not b_estimated:
        if a == b:
            return 8, 'msg_duplicate_reason_birth_same'
        if years == 0:
            return -8, 'msg_duplicate_reason_birth_year'
        return (-25 if years <= 2 else -60), 'msg_duplicate_reason_birth_far'
    if years <= 2:
        return 0, 'msg_duplicate_reason_birth_estimated'
    return (-15 if years <= 5 else -60), 'msg_duplicate_reason_birth_far'


def pair_score(first, second, same_phone=False, same_document=False):
    """Score from 0 to 100 of two people given as {field: value} (the name
    parts, 'birth' as for birth_score), and the reasons as (message id,
    arguments)"""
    similarity, parts = names.name_similarity(first, second)
    score = 100 * similarity
    reasons = [('msg_duplicate_reason_part',
            {'part': p, 'percent': round(100 * s)})
        for p, s in parts.items()]
    points, reason = birth_score(first['birth'], second['birth'])
    score += points
    if reason:
        reasons.append((reason, {}))
    if same_phone:
        score += 20
        reasons.append(('msg_duplicate_reason_phone', {}))
    # another first name is another person, whatever else is alike
    if parts.get('first_name', 0) < FIRST_NAME_ALIKE:
        score = min(score, FIRST_NAME_CAP)
    if same_document:
        score = 100
        reasons.append(('msg_duplicate_reason_document', {}))
    return max(0.0, min(100.0, score)), reasons


def may_reach(first, second, threshold, same_document=False):
    """Whether pair_score of the two people (as for pair_score) can reach
    threshold: not above the cap of first names not alike. A test of the
    first names only, to leave most people of a block unscored"""
    if same_document or threshold <= FIRST_NAME_CAP:
        return True
    alike = [s for s in (
            names.part_similarity(first.get(p), second.get(p))
            for p in ('first_name', 'first_name_latin')) if s is not None]
    return bool(alike) and max(alike) >= FIRST_NAME_ALIKE


class Configuration(metaclass=PoolMeta):
    __name__ = 'momd.configuration'

    duplicate_threshold = fields.Integer(
        "Likely Duplicate From (score)", required=True,
        domain=[('duplicate_threshold', '>=', 50),
            ('duplicate_threshold', '<=', 100)],
        help="A person already registered whose name, birth, phones and "
        "documents score at least this much (out of 100) against a new "
        "registration is shown as a likely duplicate.")
    duplicate_scan_date = fields.Timestamp(
        "Last Duplicate Scan", readonly=True,
        help="The nightly scan looks at the people registered or changed "
        "since then.")

    @classmethod
    def default_duplicate_threshold(cls):
        return 80


class Beneficiary(metaclass=PoolMeta):
    __name__ = 'momd.beneficiary'

    match_key = fields.Char(
        "Match Key", readonly=True,
        help="The Arabic name parts folded, for finding duplicates.")
    duplicate_reason = fields.Char(
        "Reason for a New Registration", strip=True,
        states={'readonly': Eval('id', -1) >= 0},
        help="Why this person is registered although likely duplicates "
        "were found.")
    likely_duplicates = fields.Function(
        fields.Text("Likely Duplicates"), 'get_likely_duplicates')

    @classmethod
    def __register__(cls, module):
        transaction = Transaction()
        database = transaction.database
        if backend.name == 'postgresql' and not database.has_extension(
                'pg_trgm'):
            # a trusted extension: the database's owner may create it;
            # the names are then searched by trigrams from this update on
            cursor = transaction.connection.cursor()
            cursor.execute('SAVEPOINT momd_pg_trgm')
            try:
                cursor.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
            except Exception:
                cursor.execute('ROLLBACK TO SAVEPOINT momd_pg_trgm')
                logger.warning("pg_trgm could not be created: duplicate "
                    "search scans each sex and birth year")
            else:
                cursor.execute('RELEASE SAVEPOINT momd_pg_trgm')
                database._extensions[database.name]['pg_trgm'] = True
        filled = cls.__table_handler__(module).column_exist('match_key')
        super().__register__(module)
        if not filled:
            cls.refresh_name_keys()
        if backend.name == 'postgresql':
            name_block.create_index(transaction.connection.cursor())

    @classmethod
    def refresh_name_keys(cls, size=1000):
        "Fold again the names of every person (after the rules changed)"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.id, order_by=[table.id]))
        ids = [i for i, in cursor]
        for start in range(0, len(ids), size):
            for record in cls.browse(ids[start:start + size]):
                values = record.compute_fields(
                    {'first_name', 'match_key'})
                values = {k: v for k, v in values.items()
                    if k in {'name_key', 'match_key'}}
                if values:
                    cursor.execute(*table.update(
                            [getattr(table, k) for k in values],
                            list(values.values()),
                            where=table.id == record.id))

    def compute_fields(self, field_names=None):
        values = super().compute_fields(field_names=field_names)
        if field_names is None or set(names.PARTS) & set(field_names):
            key = match_key(self)
            if getattr(self, 'match_key', None) != key:
                values['match_key'] = key
        return values

    @fields.depends(*NAME_FIELDS, 'sex', 'birth_date', 'estimated_age',
        'phones', 'identifiers', 'id')
    def on_change_with_likely_duplicates(self, name=None):
        if not self.first_name or not self.sex:
            return None
        return self.describe_candidates(self.duplicate_candidates(self))

    @classmethod
    def get_likely_duplicates(cls, beneficiaries, name):
        "Of a saved person: the pairs waiting in the review queue"
        Duplicate = Pool().get('momd.beneficiary.duplicate')
        table = Duplicate.__table__()
        cursor = Transaction().connection.cursor()
        ids = [b.id for b in beneficiaries]
        pending = {i: [] for i in ids}
        for start in range(0, len(ids), 1000):
            sub = ids[start:start + 1000]
            cursor.execute(*table.select(
                    table.beneficiary, table.match, table.score,
                    table.reasons,
                    where=(table.state == 'open') & (
                        table.beneficiary.in_(sub) | table.match.in_(sub)),
                    order_by=[table.score.desc, table.id]))
            for first, second, score, reasons in cursor:
                for mine, other in [(first, second), (second, first)]:
                    if mine in pending and other:
                        pending[mine].append(Candidate(
                                other, score, (reasons or '').splitlines()))
        return {i: cls.describe_candidates(c) for i, c in pending.items()}

    @classmethod
    def describe_candidates(cls, candidates):
        """One line a candidate: number, office, sex, age band and score;
        never a name, a need or a vulnerability of another office's
        person"""
        if not candidates:
            return None
        with without_check_access():
            records = {r.id: r for r in cls.browse(
                    [c.beneficiary for c in candidates])}
            return '\n'.join(gettext('momd_referral.msg_duplicate_line',
                    code=records[c.beneficiary].code,
                    office=records[c.beneficiary].office.rec_name,
                    sex=records[c.beneficiary].sex_string,
                    age=records[c.beneficiary].age_band(),
                    score=round(c.score),
                    reasons=gettext('momd_referral.msg_list_separator').join(
                        c.reasons))
                for c in candidates)

    @classmethod
    def duplicate_candidates(cls, beneficiary, limit=10):
        """The people already registered, in any office, likely to be this
        one: scored by name parts, birth, phones and documents, at least
        the configured threshold, best first; pairs decided "different
        people" are left out"""
        return cls.duplicate_candidates_many([beneficiary], limit=limit)[0]

    @classmethod
    def duplicate_candidates_many(cls, people, limit=10):
        """The duplicate_candidates of each of the people (records, saved
        or not), the registry searched once for all of them"""
        pool = Pool()
        Configuration = pool.get('momd.configuration')
        Duplicate = pool.get('momd.beneficiary.duplicate')
        with without_check_access():
            threshold = Configuration(1).duplicate_threshold or 80
            items = [(p, p.reference_birth()) + cls._phones_documents(p)
                for p in people]
            blocks = [cls._name_block(p, r) for p, r, _, _ in items]
            by_phone = cls._sharing('momd.beneficiary.phone', ['number'],
                {(n,) for i in items for n in i[2]})
            by_document = cls._sharing('momd.beneficiary.identifier',
                ['type', 'number'], set().union(*(i[3] for i in items)))
            found = []
            for (person, reference, phones, documents), block in zip(
                    items, blocks):
                phone_ids = set().union(
                    *(by_phone.get((n,), ()) for n in phones))
                document_ids = set().union(
                    *(by_document.get(d, ()) for d in documents))
                ids = set(block) | phone_ids | document_ids
                ids -= Duplicate.decided(person)
                if getattr(person, 'id', None) and person.id >= 0:
                    ids.discard(person.id)
                found.append((person, reference, ids, phone_ids, document_ids))
            others = {o['id']: o for o in cls._read_people(
                    set().union(*(f[2] for f in found)))}
            return [cls._scored(cls._match_values(person, reference),
                    [others[i] for i in ids if i in others], phone_ids,
                    document_ids, threshold, limit)
                for person, reference, ids, phone_ids, document_ids in found]

    @classmethod
    def _scored(cls, mine, others, by_phone, by_document, threshold, limit):
        """The candidates among others ({field: value} of _read_people)
        scoring at least threshold against mine, best first"""
        candidates = []
        for other in others:
            same_document = other['id'] in by_document
            if not may_reach(mine, other, threshold, same_document):
                continue
            score, reasons = pair_score(mine, other,
                same_phone=other['id'] in by_phone,
                same_document=same_document)
            if score >= threshold:
                candidates.append(Candidate(other['id'], score, reasons))
        candidates.sort(key=lambda c: (-c.score, c.beneficiary))
        # the reasons put in words for the people shown only
        return [c._replace(reasons=cls._reason_texts(c.reasons))
            for c in candidates[:limit]]

    @classmethod
    def duplicates_among(cls, people):
        """The pairs (i, j), i < j, of the people (records, saved or not)
        likely to be one person: the same phone or document, or names and
        births scoring at least the configured threshold"""
        Configuration = Pool().get('momd.configuration')
        with without_check_access():
            threshold = Configuration(1).duplicate_threshold or 80
        items = []
        for person in people:
            reference = person.reference_birth()
            items.append((person, cls._match_values(person, reference),
                    match_key(person)) + cls._phones_documents(person))
        pairs = []
        for j, (second, values, key, phones, documents) in enumerate(items):
            for i in range(j):
                first, other, other_key, other_phones, other_documents = (
                    items[i])
                same_phone = bool(phones & other_phones)
                same_document = bool(documents & other_documents)
                if not (same_phone or same_document) and (
                        getattr(first, 'sex', None)
                        != getattr(second, 'sex', None)
                        or fuzz.ratio(key, other_key) < BLOCK_SIMILARITY):
                    continue
                if not may_reach(values, other, threshold, same_document):
                    continue
                score, _ = pair_score(values, other,
                    same_phone=same_phone, same_document=same_document)
                if score >= threshold:
                    pairs.append((i, j))
        return pairs

    @classmethod
    def _phones_documents(cls, person):
        "The phones and (type, number) documents of a person, as kept"
        phones = {normalize_phone(p.number)
            for p in (getattr(person, 'phones', None) or [])
            if p.number} - {None}
        documents = {(i.type, normalize_identifier(i.number))
            for i in (getattr(person, 'identifiers', None) or [])
            if i.type and i.number}
        return phones, documents

    def reference_birth(self):
        "(reference date of birth, estimated) of the record as it stands"
        birth_date = getattr(self, 'birth_date', None)
        age = getattr(self, 'estimated_age', None)
        if birth_date:
            return birth_date, False
        if age is not None:
            Date = Pool().get('ir.date')
            since = getattr(self, 'estimated_age_date', None) or Date.today()
            return _shift_years(since, -age), True
        return None, False

    @classmethod
    def _match_values(cls, record, reference):
        values = {f: getattr(record, f, None) for f in NAME_FIELDS}
        values['birth'] = reference
        return values

    @classmethod
    def _name_block(cls, person, reference):
        """The ids of the active people of the same sex born around the
        same year as person whose folded names are near, the most alike
        first (on PostgreSQL among those sharing two name parts, see
        name_block). One query a person, also when many are searched: the
        query of many reads more than their blocks (on SQLite the people
        of most years, on PostgreSQL the words of all of them compared
        with each person's)"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        sex = getattr(person, 'sex', None)
        key = match_key(person)
        where = (table.active == Literal(True)) & (table.sex == sex)
        birth, estimated = reference
        # the years around the birth of those with a date of birth, and of
        # those of an estimated age (who may be further off)
        spreads = (5 if estimated else 2), 5
        if birth:
            # born from the first day of one year to the last of another
            # (no function called on each row)
            def years(spread):
                first = dt.date(max(birth.year - spread, dt.MINYEAR), 1, 1)
                last = dt.date(min(birth.year + spread, dt.MAXYEAR), 12, 31)
                return ((table.age_reference >= first)
                    & (table.age_reference <= last))
            where &= (table.age_reference == Null) | (
                (table.estimated_age == Null) & years(spreads[0])) | (
                (table.estimated_age != Null) & years(spreads[1]))
        if backend.name == 'postgresql':
            if birth:
                spans = [(birth.year - s, birth.year + s) for s in spreads]
            else:
                today = Pool().get('ir.date').today()
                spans = [(today.year - 130, today.year)] * 2
            where &= name_block.SharesWord(
                table, name_block.query_words(sex, key, *spans))
        with name_block.serial(cursor):
            cursor.execute(*table.select(
                    table.id, table.match_key, where=where))
            # in the order of the ids whatever the query's plan: the first
            # registered first among those as alike
            keys = {i: k or '' for i, k in sorted(cursor)}
        # the most alike folded names first
        return [i for _, _, i in process.extract(key, keys,
                scorer=fuzz.ratio, score_cutoff=BLOCK_SIMILARITY,
                limit=BLOCK)]

    @classmethod
    def _sharing(cls, model, columns, values):
        """{value: ids of the active people with a line of model whose
        columns have the value} of values (tuples, a value a column)"""
        line = Pool().get(model).__table__()
        person = cls.__table__()
        cursor = Transaction().connection.cursor()
        found = {}
        values = sorted(values)
        for start in range(0, len(values), 200):
            cursor.execute(*line.join(person,
                    condition=line.beneficiary == person.id).select(
                    *(Column(line, c) for c in columns), line.beneficiary,
                    where=Or([And([Column(line, c) == v
                                    for c, v in zip(columns, value)])
                            for value in values[start:start + 200]])
                    & (person.active == Literal(True))))
            for *value, id_ in cursor:
                found.setdefault(tuple(value), set()).add(id_)
        return found

    @classmethod
    def _read_people(cls, ids):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        ids = list(ids)
        columns = [table.id] + [getattr(table, f) for f in NAME_FIELDS] + [
            Coalesce(table.birth_date, table.age_reference),
            table.birth_date]
        for start in range(0, len(ids), 1000):
            cursor.execute(*table.select(*columns,
                    where=table.id.in_(ids[start:start + 1000])))
            for row in cursor:
                values = dict(zip(('id',) + NAME_FIELDS, row))
                birth, exact = row[-2:]
                if isinstance(birth, str):  # SQLite
                    birth = dt.date.fromisoformat(birth)
                values['birth'] = (birth, exact is None)
                yield values

    @classmethod
    def _reason_texts(cls, reasons):
        strings = cls.fields_get(list(names.PARTS))
        texts = []
        for message, arguments in reasons:
            if 'part' in arguments:
                arguments = dict(arguments,
                    part=strings[arguments['part']]['string'])
            texts.append(gettext('momd_referral.' + message, **arguments))
        return texts

    @classmethod
    def check_duplicates(cls, beneficiaries):
        """A person likely registered already is registered again only
        with a reason; the pair then waits in the supervisors' review"""
        Duplicate = Pool().get('momd.beneficiary.duplicate')
        if _checked.get():
            return
        proposed = []
        for beneficiary, candidates in zip(beneficiaries,
                cls.duplicate_candidates_many(beneficiaries)):
            if not candidates:
                continue
            if not beneficiary.duplicate_reason:
                raise BeneficiaryValidationError(gettext(
                        'momd_referral.msg_beneficiary_duplicate',
                        beneficiary=beneficiary.full_name,
                        field=cls.fields_get(['duplicate_reason'])[
                            'duplicate_reason']['string'],
                        matches=cls.describe_candidates(candidates)))
            proposed.extend((beneficiary, c) for c in candidates)
        if proposed:
            Duplicate.propose(proposed, 'registration')

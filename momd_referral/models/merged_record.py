"""A record merged into another is a dead end: nothing is added to it.

After a merge everything about the person is on the kept record, and the
merged one stays only so that its number finds the person and its history
stays readable. The server refuses, by every path a client or the system
takes (create, write, copy, import_data, the REST routes), to link anything
new to it: a case, a consent, a phone, a document, a household, a note, a
file, an activity, a message, a review line... The links are found in the
pool as the merge finds them (every stored many2one to the beneficiary and
every reference field), so that a model added later is covered too. Nor is
the merged record brought back (un-archived) or copied.

The merged record still holds the person's former names, phones and
history: it is the same person's, so an erasure (on request or at the end
of retention) erases it with the kept record, and a subject access request
on the kept record lists it.

A provider never reads which beneficiary record a referral is about (the
registry's internal number): two referrals of records merged into one would
otherwise show their provider that they are one person."""
import weakref

from sql.operators import In

from trytond.i18n import gettext
from trytond.model import ModelStorage, fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import (
    Transaction, inactive_records, without_check_access)

from ..exceptions import MergeError
from .rule import provider_only

BENEFICIARY = 'momd.beneficiary'
# Models that record what happened, not links: Tryton's log of the
# changes made and of the buttons pressed
RECORDS_OF_EVENTS = {'ir.model.log'}
# The links of each model to a beneficiary: the names of its fields
_links = weakref.WeakKeyDictionary()


def beneficiary_links(Model):
    """The stored fields of Model that can name a beneficiary: its
    many2one to it and its reference fields (as the merge moves them)"""
    if Model not in _links:
        names = []
        if (Model.__name__ not in RECORDS_OF_EVENTS
                and not callable(getattr(Model, 'table_query', None))):
            for name, field in Model._fields.items():
                if isinstance(field, fields.Function):
                    continue
                if ((field._type == 'many2one'
                            and field.model_name == BENEFICIARY)
                        or field._type == 'reference'):
                    names.append(name)
        _links[Model] = tuple(names)
    return _links[Model]


def _beneficiary_id(field, value):
    "The beneficiary a value of the field names, or None"
    if field._type == 'many2one':
        value = getattr(value, 'id', value)
        return value if isinstance(value, int) and value >= 0 else None
    if isinstance(value, ModelStorage):
        model, id_ = value.__name__, value.id
    elif isinstance(value, str) and ',' in value:
        model, id_ = value.split(',', 1)
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        model, id_ = value
    else:
        return None
    if model != BENEFICIARY:
        return None
    try:
        id_ = int(id_)
    except (TypeError, ValueError):
        return None
    return id_ if id_ >= 0 else None


def merged_numbers(ids):
    """{id: (its number, the number of the record it was merged into)} of
    the beneficiaries of ids that were merged into another"""
    Beneficiary = Pool().get(BENEFICIARY)
    merged = Beneficiary.__table__()
    kept = Beneficiary.__table__()
    cursor = Transaction().connection.cursor()
    result = {}
    for sub_ids in grouped_slice(sorted(set(ids)), 1000):
        cursor.execute(*merged.join(
                kept, condition=merged.merged_into == kept.id).select(
                merged.id, merged.code, kept.code,
                where=In(merged.id, list(sub_ids))))
        result.update((i, (code, kept_code))
            for i, code, kept_code in cursor)
    return result


class MergedLinkMixin:
    "No record of any model is linked to a beneficiary merged into another"
    __slots__ = ()

    @classmethod
    def _before_create(cls, vlist):
        # checked before anything is inserted, once for all the records
        vlist = super()._before_create(vlist)
        cls.check_merged_links(vlist)
        return vlist

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if mode == 'write' and values:
            cls.check_merged_links([values])

    @classmethod
    def check_merged_links(cls, vlist):
        """Refuse values (of the records created or written) that link a
        record to a beneficiary merged into another, naming both
        beneficiaries, the model and the field"""
        links = beneficiary_links(cls)
        if not links:
            return
        named = {}
        for values in vlist:
            for name in links:
                if values.get(name):
                    id_ = _beneficiary_id(cls._fields[name], values[name])
                    if id_ is not None:
                        named.setdefault(id_, name)
        if not named:
            return
        for id_, (code, kept) in sorted(merged_numbers(named).items()):
            raise MergeError(gettext(
                    'momd_referral.msg_beneficiary_merged_link',
                    beneficiary=code, kept=kept,
                    **cls.__names__(field=named[id_])))


class Beneficiary(metaclass=PoolMeta):
    __name__ = 'momd.beneficiary'

    @classmethod
    def check_modification(cls, mode, beneficiaries, values=None,
            external=False):
        if mode == 'write' and values and values.get('active'):
            # said before any other change is refused
            cls.check_not_merged(
                beneficiaries, 'msg_beneficiary_merged_active')
        super().check_modification(
            mode, beneficiaries, values=values, external=external)

    @classmethod
    def copy(cls, beneficiaries, default=None):
        "A record merged into another is not copied: the kept one may be"
        cls.check_not_merged(beneficiaries, 'msg_beneficiary_merged_copy')
        return super().copy(beneficiaries, default=default)

    @classmethod
    def merged_records(cls, beneficiaries):
        """The records merged into the people, and those merged into them
        in turn"""
        found, ids = [], {b.id for b in beneficiaries}
        with without_check_access(), inactive_records():
            while ids:
                merged = cls.search([
                        ('merged_into', 'in', sorted(ids)),
                        ], order=[('id', 'ASC')])
                found.extend(merged)
                ids = {m.id for m in merged}
        return found

    @classmethod
    def anonymise(cls, beneficiaries, reason):
        """The records merged into the people are theirs: erased with
        them"""
        merged = [m for m in cls.merged_records(beneficiaries)
            if not m.anonymised]
        super().anonymise(list(beneficiaries) + merged, reason)


class PersonalData(metaclass=PoolMeta):
    __name__ = 'momd.beneficiary.personal_data'

    @classmethod
    def _related(cls, beneficiary):
        "The person's records merged into this one are listed too"
        related = super()._related(beneficiary)
        merged = beneficiary.merged_records([beneficiary])
        if merged:
            related.append((BENEFICIARY, merged,
                    gettext('momd_referral.msg_personal_data_merged')))
        return related


class Referral(metaclass=PoolMeta):
    __name__ = 'momd.referral'

    @classmethod
    def read(cls, ids, fields_names):
        result = super().read(ids, fields_names)
        if ('beneficiary' in (fields_names or ())
                and Transaction().check_access and provider_only()):
            # which record of the registry the referral is about tells
            # nothing of the person, but that two referrals are of one
            # person (also once two records are merged into one)
            for row in result:
                row['beneficiary'] = None
        return result

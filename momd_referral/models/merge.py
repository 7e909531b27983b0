"""Merging two records of one person: a supervisor (across offices, a
ministry manager) compares them side by side, chooses each value, and
everything about the person follows the kept record; the other record
stays, archived, pointing to the kept one, so its number still finds the
person and its history stays readable. A provider with a referral of either
record learns nothing new from the merge."""
from sql import Literal, Null

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.model.modelstorage import is_leaf
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import (
    Transaction, inactive_records, without_check_access)
from trytond.wizard import Button, StateTransition, StateView, Wizard

from ..exceptions import MergeError
from .referral import now
from .rule import user_roles

# The values chosen field by field in the merge, each a group of fields of
# the beneficiary taken together from one record
CHOICES = [
    ('name', ['first_name', 'father_name', 'grandfather_name',
            'family_name']),
    ('name_latin', ['first_name_latin', 'father_name_latin',
            'grandfather_name_latin', 'family_name_latin']),
    ('sex', ['sex']),
    ('age', ['birth_date', 'estimated_age', 'estimated_age_date']),
    ('nationality', ['nationality']),
    ('displacement_status', ['displacement_status']),
    ('origin_location', ['origin_location']),
    ('current_location', ['current_location']),
    ('movement_date', ['movement_date']),
    ('returned_from', ['returned_from']),
    ('vulnerabilities', ['vulnerabilities']),
    ('preferred_language', ['preferred_language']),
    ('contact', ['contact_method', 'email', 'contact_consent']),
    ('household', ['household', 'relationship']),
    ('notes', ['notes']),
    ]
# The label of each choice: that of this field of the beneficiary
CHOICE_LABELS = {
    'name': 'full_name', 'name_latin': 'full_name_latin',
    'age': 'birth_date', 'contact': 'contact_method',
    }
# What a referral shows its provider of the person, by information group
# (see disclosure.py): the fields it is made of, and the lines
DISCLOSED_INPUTS = {
    'identity': ['first_name', 'father_name', 'grandfather_name',
        'family_name', 'sex', 'birth_date', 'estimated_age',
        'estimated_age_date'],
    'contact': ['current_location', 'phones'],
    'documents': ['identifiers'],
    'vulnerabilities': ['vulnerabilities'],
    }
# Operators of a search on the registration number that also find the
# record a number was merged into
FINDING = {'=', 'like', 'ilike', 'in'}


def _plain(value):
    "A value as compared: records by id, lists as sorted tuples"
    if isinstance(value, ModelSQL):
        return value.id
    if isinstance(value, (list, tuple)):
        return tuple(sorted(value))
    return value


def _lines(beneficiary):
    "The phones and documents of a person, as compared"
    return {
        'phones': frozenset(p.number for p in beneficiary.phones),
        'identifiers': frozenset(
            (i.type, i.number) for i in beneficiary.identifiers),
        }


class Beneficiary(metaclass=PoolMeta):
    __name__ = 'momd.beneficiary'

    merged_into = fields.Many2One(
        'momd.beneficiary', "Merged Into", readonly=True,
        ondelete='RESTRICT',
        help="The record of the same person this one was merged into: "
        "everything about the person is there now.")
    merged_date = fields.Timestamp("Merged On", readonly=True)
    merged_by = fields.Many2One(
        'res.user', "Merged By", readonly=True, ondelete='RESTRICT')

    @classmethod
    def search_domain(cls, domain, active_test=None, tables=None):
        # a registration number merged into another record finds it
        return super().search_domain(cls._with_merged_numbers(domain),
            active_test=active_test, tables=tables)

    @classmethod
    def _with_merged_numbers(cls, domain):
        if is_leaf(domain):
            if domain[0] == 'code' and domain[1] in FINDING:
                return ['OR', domain, ('id', 'in', cls._merged_query(domain))]
            return domain
        if isinstance(domain, (list, tuple)):
            return [cls._with_merged_numbers(d) for d in domain]
        return domain

    @classmethod
    def _merged_query(cls, clause):
        "SELECT the records the numbers of clause were merged into"
        table = cls.__table__()
        expression = cls._fields['code'].convert_domain(
            clause, {None: (table, None)}, cls)
        return table.select(table.merged_into,
            where=expression & (table.merged_into != Null))

    @classmethod
    def check_modification(cls, mode, beneficiaries, values=None,
            external=False):
        super().check_modification(
            mode, beneficiaries, values=values, external=external)
        if mode in {'write', 'delete'}:
            cls.check_not_merged(beneficiaries)

    @classmethod
    def check_not_merged(cls, beneficiaries,
            message='msg_beneficiary_merged_readonly'):
        "Refuse a change (or what message names) of records merged"
        for beneficiary in beneficiaries:
            if beneficiary.merged_into:
                raise MergeError(gettext(
                        'momd_referral.' + message,
                        beneficiary=beneficiary.code,
                        kept=beneficiary.merged_into.code))

    @classmethod
    def merge_allowed(cls, kept, other):
        """Refuse the user a merge unless they supervise the office of both
        records, or are a ministry manager (the only ones across offices)"""
        pool = Pool()
        User = pool.get('res.user')
        roles = user_roles()
        if 'manager' in roles:
            return
        if 'supervisor' not in roles:
            raise AccessError(gettext('momd_referral.msg_merge_role'))
        if kept.office != other.office:
            raise AccessError(gettext(
                    'momd_referral.msg_merge_across_offices',
                    kept=kept.code, kept_office=kept.office.rec_name,
                    other=other.code, other_office=other.office.rec_name))
        supervised = User(Transaction().user).supervised_offices
        if kept.office not in supervised:
            raise AccessError(gettext(
                    'momd_referral.msg_merge_office',
                    office=kept.office.rec_name,
                    kept=kept.code, other=other.code))

    @classmethod
    def check_mergeable(cls, kept, other):
        "Refuse the same record twice, or a record already merged"
        if kept == other:
            raise MergeError(gettext(
                    'momd_referral.msg_merge_same', beneficiary=kept.code))
        for beneficiary in (kept, other):
            if beneficiary.merged_into:
                raise MergeError(gettext(
                        'momd_referral.msg_merge_merged',
                        beneficiary=beneficiary.code,
                        kept=beneficiary.merged_into.code))

    @classmethod
    def merge_watchers(cls, beneficiaries):
        """The referrals of the people whose provider sees them today, each
        with the person it is about"""
        Referral = Pool().get('momd.referral')
        with without_check_access(), inactive_records():
            referrals = Referral.search([
                    ('case.beneficiary', 'in', [b.id for b in beneficiaries]),
                    ], order=[('id', 'ASC')])
            in_force = Referral.disclosure_in_force(referrals)
        return [(r, r.case.beneficiary) for r in referrals if r.id in in_force]

    @classmethod
    def merge_defaults(cls, kept, other):
        """Which record each value comes from by default: the kept record's,
        or the other's where the kept one has none; a value a provider sees
        stays the one it sees"""
        watched = {}
        for referral, person in cls.merge_watchers([kept, other]):
            for group in referral.disclosed_groups or ():
                watched.setdefault(group, set()).add(
                    'kept' if person == kept else 'other')
        choices = {}
        for key, names in CHOICES:
            empty = all(getattr(kept, n) in (None, '', (), []) for n in names)
            filled = any(
                getattr(other, n) not in (None, '', (), []) for n in names)
            choice = 'other' if empty and filled else 'kept'
            sides = set()
            for group, inputs in DISCLOSED_INPUTS.items():
                if set(names) & set(inputs):
                    sides |= watched.get(group, set())
            if len(sides) == 1:
                choice, = sides
            choices[key] = choice
        return choices

    @classmethod
    def merged_values(cls, kept, other, choices):
        "The values of the fields the kept record takes from the other"
        values = {}
        for key, names in CHOICES:
            if choices.get(key, 'kept') != 'other':
                continue
            for name in names:
                value = getattr(other, name)
                if isinstance(value, ModelSQL):
                    value = value.id
                elif isinstance(value, tuple):
                    value = list(value)
                if _plain(value) != _plain(getattr(kept, name)):
                    values[name] = value
        return values

    @classmethod
    def check_merge_disclosure(cls, kept, other, values):
        """Refuse a merge that would show a provider, on a referral of
        either record in force, a value of the person it has not seen"""
        lines = {kept: _lines(kept), other: _lines(other)}
        merged = {
            'phones': lines[kept]['phones'] | lines[other]['phones'],
            'identifiers': (
                lines[kept]['identifiers'] | lines[other]['identifiers']),
            }
        labels = cls.fields_get(
            [n for names in DISCLOSED_INPUTS.values() for n in names])
        for referral, person in cls.merge_watchers([kept, other]):
            changed = []
            for group in referral.disclosed_groups or ():
                for name in DISCLOSED_INPUTS.get(group, []):
                    if name in merged:
                        seen, after = lines[person][name], merged[name]
                    else:
                        seen = _plain(getattr(person, name))
                        after = _plain(values[name]) if name in values else (
                            _plain(getattr(kept, name)))
                    if seen != after:
                        changed.append(labels[name]['string'])
            if changed:
                raise MergeError(gettext(
                        'momd_referral.msg_merge_disclosure',
                        provider=referral.provider.rec_name,
                        referral=referral.code,
                        fields=gettext('momd_referral.msg_list_separator')
                        .join(dict.fromkeys(changed))))

    @classmethod
    def merge(cls, kept, other, choices, reason):
        """Merge other into kept: the values chosen, then every record that
        names the other (cases and through them needs and referrals,
        consents, phones, documents, households, messages, activities,
        notes, files...) names the kept one; the other is archived with a
        pointer to it; one line in the audit trail"""
        pool = Pool()
        AccessLog = pool.get('momd.access.log')
        Household = pool.get('momd.household')
        cls.check_mergeable(kept, other)
        values = cls.merged_values(kept, other, choices)
        household = values.get(
            'household', getattr(kept.household, 'id', None))
        for headed in Household.search([('head', '=', other.id)]):
            if headed.id != household:
                raise MergeError(gettext(
                        'momd_referral.msg_merge_household_head',
                        other=other.code, household=headed.rec_name))
        cls.check_merge_disclosure(kept, other, values)
        if values:
            cls.write([kept], values)
        cls._merge_lines(kept, other)
        cls._merge_references(kept, other)
        for _, Model in Pool().iterobject():
            if hasattr(Model, 'follow_merge'):
                Model.follow_merge(kept, other, reason)
        cls._archive_merged(kept, other)
        for cache in Transaction().cache.values():
            cache.clear()
        AccessLog.log_merge(kept, other, reason)

    @classmethod
    def _merge_lines(cls, kept, other):
        "A phone or a document the two records share is kept once"
        pool = Pool()
        for model, key in [
                ('momd.beneficiary.phone', lambda l: l.number),
                ('momd.beneficiary.identifier',
                    lambda l: (l.type, l.number))]:
            Line = pool.get(model)
            known = {key(l) for l in Line.search(
                    [('beneficiary', '=', kept.id)])}
            twins = [l for l in Line.search([('beneficiary', '=', other.id)])
                if key(l) in known]
            if twins:
                Line.delete(twins)

    @classmethod
    def merge_references(cls):
        """Every stored field of every model that can name a beneficiary:
        (Model, field name), found in the pool so that a model added later
        follows the merge too; a model with a follow_merge(kept, other,
        reason) method of its own follows it so instead"""
        references = []
        for _, Model in Pool().iterobject():
            if (not issubclass(Model, ModelSQL)
                    or callable(getattr(Model, 'table_query', None))
                    or hasattr(Model, 'follow_merge')):
                continue
            for name, field in Model._fields.items():
                if isinstance(field, fields.Function) or not field.sql_type():
                    continue
                if ((field._type == 'many2one'
                            and field.model_name == cls.__name__)
                        or field._type == 'reference'):
                    references.append((Model, name))
        return sorted(references, key=lambda r: (r[0].__name__, r[1]))

    @classmethod
    def _merge_references(cls, kept, other):
        "Point every link to the other record to the kept one, in history"
        cursor = Transaction().connection.cursor()
        for Model, name in cls.merge_references():
            table = Model.__table__()
            column = getattr(table, name)
            if Model._fields[name]._type == 'reference':
                old, new = ('%s,%s' % (cls.__name__, r.id)
                    for r in (other, kept))
            else:
                old, new = other.id, kept.id
            cursor.execute(*table.select(table.id, where=column == old))
            ids = [i for i, in cursor]
            for sub_ids in grouped_slice(ids, 1000):
                sub_ids = list(sub_ids)
                cursor.execute(*table.update([column], [new],
                        where=fields.SQL_OPERATORS['in'](table.id, sub_ids)))
                # the change is in the record's past as any change is
                Model._insert_history(sub_ids)

    @classmethod
    def _archive_merged(cls, kept, other):
        "The other record stays, archived, pointing to the kept one"
        transaction = Transaction()
        table = cls.__table__()
        cursor = transaction.connection.cursor()
        cursor.execute(*table.update(
                [table.active, table.merged_into, table.merged_date,
                    table.merged_by, table.household, table.relationship,
                    table.write_uid, table.write_date],
                [Literal(False), kept.id, now(), transaction.user or None,
                    Null, Null, transaction.user, now()],
                where=table.id == other.id))
        cls._insert_history([other.id])


class BeneficiaryLine:
    "No phone nor document is added to a record merged into another"
    __slots__ = ()

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        if mode in {'create', 'write'}:
            Pool().get('momd.beneficiary').check_not_merged(
                [l.beneficiary for l in lines])


class BeneficiaryIdentifier(BeneficiaryLine, metaclass=PoolMeta):
    __name__ = 'momd.beneficiary.identifier'


class BeneficiaryPhone(BeneficiaryLine, metaclass=PoolMeta):
    __name__ = 'momd.beneficiary.phone'


class AccessLog(metaclass=PoolMeta):
    __name__ = 'momd.access.log'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.action.selection.append(('merge', "Merged"))

    @classmethod
    def log_merge(cls, kept, other, reason):
        """The line of a merge, on the kept record: both registration
        numbers and the reason given"""
        cls._insert(kept.__name__, [kept.id], 'merge', reason=gettext(
                'momd_referral.msg_merge_log',
                other=other.code, kept=kept.code, reason=reason))


class Duplicate(metaclass=PoolMeta):
    __name__ = 'momd.beneficiary.duplicate'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'merge': {
                    'invisible': (Eval('state') != 'open')
                    | ~Eval('beneficiary'),
                    'depends': ['state', 'beneficiary'],
                    },
                })

    @classmethod
    @ModelView.button_action(
        'momd_referral.wizard_beneficiary_merge_duplicate')
    def merge(cls, duplicates):
        "Same person: the merge of the pair, the record registered before kept"
        pass

    @staticmethod
    def _pair_domain(first, second):
        "The lines pairing first and second, either way"
        return ['OR',
            [('beneficiary', '=', first.id), ('match', '=', second.id)],
            [('beneficiary', '=', second.id), ('match', '=', first.id)]]

    @classmethod
    def follow_merge(cls, kept, other, reason):
        """The pair merged is decided one person; the other pairs of the
        merged record are the kept record's, unless the kept record has
        that pair already"""
        with without_check_access():
            pairs = cls.search([
                    ('state', '=', 'open'), cls._pair_domain(kept, other)])
            if pairs:
                cls.write(pairs, {
                        'state': 'same', 'reason': reason,
                        **cls._decision()})
            for name, office, partner in [
                    ('beneficiary', 'office', 'match'),
                    ('match', 'match_office', 'beneficiary')]:
                for line in cls.search([(name, '=', other.id)]):
                    third = getattr(line, partner)
                    if third in (None, kept) or cls.search([
                                ('id', '!=', line.id),
                                cls._pair_domain(kept, third)], limit=1):
                        continue
                    cls.write([line], {
                            name: kept.id, office: kept.office.id})


class MergeStart(ModelView):
    __name__ = 'momd.beneficiary.merge.start'
    __string__ = "Merge Beneficiaries"

    kept = fields.Many2One(
        'momd.beneficiary', "Kept Record", readonly=True,
        help="The record that stays: everything about the person follows it.")
    other = fields.Many2One(
        'momd.beneficiary', "Other Record", readonly=True,
        help="The record archived: its number finds the kept record.")
    values = fields.One2Many(
        'momd.beneficiary.merge.value', None, "Values",
        help="For each value, the record it is kept from.")
    reason = fields.Text(
        "Reason", required=True,
        help="Why the two records are one person (same documents, the "
        "person confirmed...).")


class MergeValue(ModelView):
    __name__ = 'momd.beneficiary.merge.value'
    __string__ = "Merged Value"

    name = fields.Char("Field Name", readonly=True)
    label = fields.Char("Field", readonly=True)
    kept_value = fields.Char("Kept Record's Value", readonly=True)
    other_value = fields.Char("Other Record's Value", readonly=True)
    choice = fields.Selection([
            ('kept', "Kept Record's"),
            ('other', "Other Record's"),
            ], "Keep", required=True)


class Merge(Wizard):
    "Merge two records of one person"
    __name__ = 'momd.beneficiary.merge'

    start = StateView('momd.beneficiary.merge.start',
        'momd_referral.merge_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Swap", 'swap', 'tryton-refresh'),
            Button("Merge", 'merge', 'tryton-ok', default=True),
            ])
    swap = StateTransition()
    merge = StateTransition()

    def _pair(self):
        "The kept and the other record, refused to whom may not merge them"
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        kept = getattr(self.start, 'kept', None)
        other = getattr(self.start, 'other', None)
        if not (kept and other):
            kept, other = self._selected()
        with without_check_access(), inactive_records():
            kept, other = Beneficiary.browse([kept.id, other.id])
            Beneficiary.merge_allowed(kept, other)
            Beneficiary.check_mergeable(kept, other)
        return kept, other

    def _selected(self):
        "The two records the wizard was started from"
        records = list(self.records)
        if self.model.__name__ != 'momd.beneficiary':
            # a line of the review queue: the record registered before is
            # kept
            records = [(r.match, r.beneficiary) for r in records]
            if len(records) != 1 or not all(records[0]):
                raise MergeError(gettext('momd_referral.msg_merge_two'))
            return records[0]
        if len(records) != 2:
            raise MergeError(gettext('momd_referral.msg_merge_two'))
        # the record registered first is kept by default
        return sorted(records, key=lambda r: r.id)

    def default_start(self, fields):
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        kept, other = self._pair()
        with without_check_access(), inactive_records():
            choices = Beneficiary.merge_defaults(kept, other)
            labels = Beneficiary.fields_get()
            values = []
            for key, names in CHOICES:
                label = labels[CHOICE_LABELS.get(key, names[0])]['string']
                values.append({
                        'name': key,
                        'label': label,
                        'kept_value': self._show(kept, key, names, labels),
                        'other_value': self._show(other, key, names, labels),
                        'choice': choices[key],
                        })
        return {
            'kept': kept.id,
            'other': other.id,
            'values': values,
            }

    @staticmethod
    def _show(beneficiary, key, names, labels):
        "The values of names on beneficiary, as the user reads them"
        lang = Pool().get('ir.lang').get()
        shown = []
        for name in names:
            value = getattr(beneficiary, name)
            if value in (None, '', (), []):
                continue
            selection = dict(labels[name].get('selection') or [])
            if isinstance(value, ModelSQL):
                value = value.rec_name
            elif isinstance(value, (list, tuple)):
                value = ', '.join(selection.get(v, v) for v in value)
            elif selection:
                value = selection.get(value, value)
            elif hasattr(value, 'isoformat'):
                value = lang.strftime(value)
            shown.append(str(value))
        # the parts of a name make one name
        return (' ' if key.startswith('name') else ' / ').join(shown)

    def transition_swap(self):
        kept, other = self._pair()
        self.start.kept, self.start.other = other, kept
        self.start.values = []
        return 'start'

    def transition_merge(self):
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        kept, other = self._pair()
        if not (self.start.reason or '').strip():
            raise MergeError(gettext('momd_referral.msg_merge_reason',
                    field=self.start.__class__.fields_get(['reason'])[
                        'reason']['string'],
                    kept=kept.code, other=other.code))
        choices = {v.name: v.choice for v in self.start.values}
        with without_check_access(), inactive_records():
            kept, other = Beneficiary.browse([kept.id, other.id])
            Beneficiary.merge(kept, other, choices, self.start.reason.strip())
        return 'end'

    def end(self):
        return 'reload'

"Pieces shared by several models."
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from ..tools import normalize_text


def user_language():
    "The two-letter code of the language the user works in."
    return (Transaction().context.get('language') or 'en').split('_')[0]


def require(records, field, message, error, name):
    """Refuse the step when a record lacks field (a reason, an outcome...):
    raise error with message, the record named as its argument name"""
    for record in records:
        if not getattr(record, field):
            raise error(gettext(message, **{name: record.rec_name}))


class BilingualNameMixin:
    """A record named in Arabic and in English, shown in the user's language
    and found by either name, whatever the spelling variant."""
    __slots__ = ()

    name_ar = fields.Char("Arabic Name", required=True, strip=True)
    name_en = fields.Char("English Name", required=True, strip=True)
    search_key = fields.Char(
        "Search Key", readonly=True,
        help="The names and code folded for spelling-tolerant search.")

    # Fields, beside the names, that the search key holds
    _search_key_extra = ()

    def get_rec_name(self, name):
        if user_language() == 'ar':
            return self.name_ar or self.name_en
        return self.name_en or self.name_ar

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        negative = operator.startswith('not') or operator.startswith('!')
        domain = [
            ('name_ar', operator, operand, *extra),
            ('name_en', operator, operand, *extra),
            ]
        if operator.endswith('like') and isinstance(operand, str):
            domain.append(('search_key', operator, normalize_text(operand)))
        domain.extend(
            (fname, operator, operand, *extra)
            for fname in cls._search_key_extra)
        return ['AND' if negative else 'OR', *domain]

    @classmethod
    def _search_key(cls, values):
        return ' | '.join(
            normalize_text(values[f])
            for f in ('name_ar', 'name_en', *cls._search_key_extra)
            if values.get(f))

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            values['search_key'] = cls._search_key(values)
        return values

    def compute_fields(self, field_names=None):
        values = super().compute_fields(field_names=field_names)
        sources = {'name_ar', 'name_en', *self._search_key_extra}
        if field_names is None or sources & field_names:
            search_key = self._search_key({
                    f: getattr(self, f, None) for f in sources})
            if getattr(self, 'search_key', None) != search_key:
                values['search_key'] = search_key
        return values


class OfficeScopedMixin:
    """A record that belongs to a MoMD office: the office defaults to the
    user's and the record rules of security/rules.xml scope on it."""
    __slots__ = ()

    @classmethod
    def default_office(cls):
        pool = Pool()
        User = pool.get('res.user')
        user = User(Transaction().user)
        offices = user.offices or user.supervised_offices
        if offices:
            return offices[0].id


class OfficeThroughMixin:
    """A record whose office is that of the record it belongs to, named by
    _office_through ('beneficiary', 'case'): the record rules scope on it."""
    __slots__ = ()
    _office_through = None

    office = fields.Function(
        fields.Many2One('momd.office', "Office"), 'get_office',
        searcher='search_office')

    def get_office(self, name):
        return getattr(self, self._office_through).office.id

    @classmethod
    def search_office(cls, name, clause):
        return [(cls._office_through + '.office',) + tuple(clause[1:])]


class ParentTreeMixin:
    "A record under a parent of its own model, shown with its whole path"
    __slots__ = ()

    def ancestors(self):
        "The parents up to the root, nearest first; stops at a cycle"
        seen, parent = {self.id}, self.parent
        while parent and parent.id not in seen:
            yield parent
            seen.add(parent.id)
            parent = parent.parent

    def in_cycle(self):
        "Whether the record would be its own ancestor"
        parent = self.parent
        for ancestor in self.ancestors():
            parent = ancestor.parent
        return bool(parent)

    def get_full_name(self, name):
        return ' / '.join(
            [r.rec_name for r in reversed(list(self.ancestors()))]
            + [self.rec_name])


def notify(records, users, message, icon='tryton-notification',
        description=None, **variables):
    """Tell users, each in their language, about records (of one model) in
    the application; message is the id of the label's ir.message"""
    if not records:
        return
    Model = records[0].__class__
    current = Transaction().user
    seen = set()
    for user in users:
        if not user or user.id in seen or user.id == current:
            continue
        seen.add(user.id)
        language = user.language.code if user.language else None
        with Transaction().set_context(language=language):
            label = gettext(message, **variables)
        Model.notify_user(records, icon, label, description=description,
            user=user.id)


class OverdueListMixin:
    "Records whose Overdue field is true stand out in red in the lists"
    __slots__ = ()

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual', If(Eval('overdue', False), 'danger', ''),
                ['overdue']),
            ]

"Pieces shared by several models."
import contextlib

from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import ModelStorage, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import (
    Transaction, inactive_records, without_check_access)

from ..tools import normalize_text


def user_language():
    "The two-letter code of the language the user works in."
    return (Transaction().context.get('language') or 'en').split('_')[0]


def written_by_system(Model):
    """Take the calls that create, change, delete, copy or import records of
    Model out of the clients' reach: only the module's own code writes
    them"""
    for method in ['create', 'write', 'delete', 'copy', 'import_data']:
        Model.__rpc__.pop(method, None)


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
        # a record without its names (refused, being validated) has none
        if user_language() == 'ar':
            return self.name_ar or self.name_en or ''
        return self.name_en or self.name_ar or ''

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
    the application; message is the id of the label's ir.message. A record
    given as description or variable is named in each user's language (a
    category, a provider), not in the language of who acted."""
    if not records:
        return
    Model = records[0].__class__
    current = Transaction().user
    seen = set()

    def named(value):
        if isinstance(value, ModelStorage):
            return value.__class__(value.id).rec_name
        return value
    for user in users:
        if not user or user.id in seen or user.id == current:
            continue
        seen.add(user.id)
        language = user.language.code if user.language else None
        with Transaction().set_context(language=language):
            label = gettext(message, **{
                    k: named(v) for k, v in variables.items()})
            text = named(description)
        Model.notify_user(records, icon, label, description=text,
            user=user.id)


class RoleButtonsMixin:
    """The buttons of other roles are left out of the user's views (a
    caseworker has no Accept, a focal point no Send), not shown greyed"""
    __slots__ = ()

    @classmethod
    def parse_view(cls, tree, type, *args, **kwargs):
        pool = Pool()
        Button = pool.get('ir.model.button')
        User = pool.get('res.user')
        if Transaction().user:
            groups = set(User.get_groups())
            for element in tree.xpath('//button[@name]'):
                allowed = Button.get_groups(cls.__name__, element.get('name'))
                if allowed and not groups & allowed:
                    element.getparent().remove(element)
        return super().parse_view(tree, type, *args, **kwargs)


class OverdueListMixin:
    "Records whose Overdue field is true stand out in red in the lists"
    __slots__ = ()

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual', If(Eval('overdue', False), 'danger', ''),
                ['overdue']),
            ]


class RevisionsInScopeMixin:
    """The past of a record (the list of its versions; a read, search or
    export with _datetime) only for who may read the record today: the
    record rules of today apply as well as those of then"""
    __slots__ = ()

    @classmethod
    def _reads_the_past(cls):
        transaction = Transaction()
        return bool(cls._history and transaction.check_access
            and transaction.context.get('_datetime'))

    @classmethod
    def history_revisions(cls, ids):
        if Transaction().check_access:
            # refused, as a read is, outside the user's offices or provider
            cls.read(list(ids), ['id'])
        return super().history_revisions(ids)

    @classmethod
    def read(cls, ids, fields_names):
        if ids and cls._reads_the_past():
            # refused, as a read of today is, outside today's scope
            with Transaction().set_context(_datetime=None):
                Pool().get('ir.rule').check(cls.__name__, list(ids))
        return super().read(ids, fields_names)

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        if records and cls._reads_the_past():
            # export reads the records without the rules of today
            with Transaction().set_context(_datetime=None):
                Pool().get('ir.rule').check(
                    cls.__name__, [int(r) for r in records])
        return super().export_data(records, fields_names, header=header)

    @classmethod
    def search(cls, domain, offset=0, limit=None, order=None, count=False,
            query=False):
        if cls._reads_the_past():
            # only among the records the user may read today
            with Transaction().set_context(_datetime=None), \
                    inactive_records():
                today = cls.search([], order=[], query=True)
            domain = [domain, ('id', 'in', today)]
        return super().search(domain, offset=offset, limit=limit,
            order=order, count=count, query=query)


class ReferencesInScopeMixin:
    """The form's computations (on_change) read the confidential records it
    names only when the user may read them: a caseworker naming another
    office's beneficiary learns nothing from the answer"""
    __slots__ = ()

    def _check_references(self):
        if not Transaction().check_access:
            return
        values = self._values or {}
        for name, field in self._fields.items():
            if field._type != 'many2one' or name not in values:
                continue
            Target = field.get_target()
            target = values[name]
            target_id = getattr(target, 'id', target)
            if (hasattr(Target, '_audit_office_query')
                    and isinstance(target_id, int) and target_id >= 0):
                Target.read([target_id], ['id'])

    def on_change(self, fieldnames):
        self._check_references()
        return super().on_change(fieldnames)

    def on_change_with(self, fieldnames):
        self._check_references()
        return super().on_change_with(fieldnames)


def restricted_groups():
    "Ids of the groups whose members may know of restricted categories"
    ModelData = Pool().get('ir.model.data')
    return {ModelData.get_id('momd_referral', g)
        for g in ['group_sensitive', 'group_admin']}


def sees_restricted(as_user=False):
    """Whether the user may know of restricted categories (GBV, child
    protection): sensitive-data access or administrator, or the system;
    as_user: the user of the request also where the code runs as the system
    (a button's body)"""
    User = Pool().get('res.user')
    transaction = Transaction()
    if not transaction.user or (
            not as_user and not transaction.check_access):
        return True
    return bool(set(User.get_groups()) & restricted_groups())


def may_know(users, restricted):
    """Those of users who may know of a record: all, or of a restricted one
    only those with sensitive-data access (or administrators)"""
    if not restricted:
        return list(users)
    allowed = restricted_groups()
    return [u for u in users if allowed & {g.id for g in u.groups}]


def hide_restricted(domain):
    """domain, and not restricted for a user who may not know of them: also
    when the search comes through a related record or fills a list of a
    record read, which the record rules do not reach"""
    hide = Transaction().context.get('_momd_hide_restricted')
    if hide is None:
        hide = not sees_restricted()
    if not hide:
        return domain
    return [domain, ('restricted', '=', False)] if domain else [
        ('restricted', '=', False)]


class UserScopeSearchMixin:
    """What a user searches, reads or exports of this model keeps, down to
    the related records it reaches (which Tryton reads without the record
    rules), the user's own right to know of restricted categories"""
    __slots__ = ()

    @classmethod
    def _in_user_scope(cls):
        transaction = Transaction()
        if transaction.check_access:
            # computed at each call the user makes: a value a client put in
            # the context (the REST route passes it on) is not trusted
            return transaction.set_context(
                _momd_hide_restricted=not sees_restricted())
        return contextlib.nullcontext()

    @classmethod
    def search_domain(cls, domain, active_test=None, tables=None):
        with cls._in_user_scope():
            return super().search_domain(
                domain, active_test=active_test, tables=tables)

    @classmethod
    def read(cls, ids, fields_names):
        with cls._in_user_scope():
            return super().read(ids, fields_names)

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        with cls._in_user_scope():
            # the records read their lists in the scope's context
            records = cls.browse(list(map(int, records)))
            return super().export_data(records, fields_names, header=header)


class HiddenIfRestrictedMixin:
    """Records with a restricted flag are not found by who may not know of
    restricted categories, also through related records"""
    __slots__ = ()

    @classmethod
    def search_domain(cls, domain, active_test=None, tables=None):
        return super().search_domain(hide_restricted(domain),
            active_test=active_test, tables=tables)


class RestrictedFlagMixin(HiddenIfRestrictedMixin):
    """A stored restricted flag: filled from the existing rows when the
    column is added (an upgrade), kept in step by the model"""
    __slots__ = ()

    @classmethod
    def _restricted_source(cls, table):
        "The SQL query of the flag of the row of table"
        raise NotImplementedError

    @classmethod
    def __register__(cls, module):
        table = cls.__table__()
        filled = cls.__table_handler__(module).column_exist('restricted')
        super().__register__(module)
        if not filled:
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update([table.restricted], [Coalesce(
                            cls._restricted_source(table), False)]))


class RestrictedCategoryMixin(RestrictedFlagMixin,
        UserScopeSearchMixin, ReferencesInScopeMixin, RevisionsInScopeMixin):
    """A record of a service category, restricted when its category is: the
    flag is kept in a column the record rules read (in SQL and in Python)"""
    __slots__ = ()

    restricted = fields.Boolean("Restricted", readonly=True,
        help="Its category is restricted: only users with sensitive-data "
        "access know of it.")

    @classmethod
    def _restricted_source(cls, table):
        Category = Pool().get('momd.service.category')
        category = Category.__table__()
        return category.select(category.restricted,
            where=category.id == table.category)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('category'):
            Category = Pool().get('momd.service.category')
            with without_check_access():
                values['restricted'] = bool(
                    Category(values['category']).restricted)
        return values

    @classmethod
    def follow_categories(cls, categories):
        "Flag the records of categories as the categories now are"
        with without_check_access():
            for restricted in [True, False]:
                records = cls.search([
                        ('category', 'in', [
                                c.id for c in categories
                                if bool(c.restricted) == restricted]),
                        ('restricted', '!=', restricted),
                        ])
                if records:
                    cls.write(records, {'restricted': restricted})


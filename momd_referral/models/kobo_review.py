"""The supervisor's review of an import row held as a likely duplicate:
"different people" registers the row's person, "same person" links the row
to the person already registered."""
import contextlib
import contextvars

from trytond.i18n import gettext
from trytond.model import ModelView, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import without_check_access

from ..exceptions import KoboImportError

# the import row whose person "different people" registers: set by the
# decision only, never by a client
_registering = contextvars.ContextVar('momd_kobo_row', default=None)


@contextlib.contextmanager
def registering(row):
    "Register the person of the import row (its decided pairs known)"
    token = _registering.set(row.id)
    try:
        yield
    finally:
        _registering.reset(token)


class Duplicate(metaclass=PoolMeta):
    __name__ = 'momd.beneficiary.duplicate'

    import_row = fields.Many2One(
        'momd.kobo.import.row', "Import Row", readonly=True,
        ondelete='CASCADE',
        help="The row of a KoboToolbox import held for this review.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'same_person': {
                    'invisible': (Eval('state') != 'open')
                    | ~Eval('import_row'),
                    'depends': ['state', 'import_row'],
                    },
                })

    @classmethod
    def different(cls, lines):
        """Different people: once no review of a held row is open, the
        row's person is registered"""
        super().different(lines)
        rows = {l.import_row for l in lines if l.import_row}
        for row in sorted(rows, key=lambda r: r.id):
            row = row.__class__(row.id)
            if row.status != 'held' or row.beneficiary:
                continue
            if cls.search([
                        ('import_row', '=', row.id),
                        ('state', '=', 'open'),
                        ], limit=1):
                continue
            with without_check_access(), registering(row):
                beneficiary = row.create_beneficiary_from_row()
                row.status = 'created'
                row.beneficiary = beneficiary
                row.save()
                # the pairs stay decided for the person now registered
                cls.write(cls.search([('import_row', '=', row.id)]), {
                        'beneficiary': beneficiary.id,
                        })

    @classmethod
    def decided(cls, beneficiary):
        """The people decided different from the person of an import row
        being registered are those of the row's reviews"""
        decided = super().decided(beneficiary)
        row = _registering.get()
        if row:
            decided |= {l.match.id for l in cls.search([
                        ('import_row', '=', row),
                        ('state', '=', 'different'),
                        ])}
        return decided

    @classmethod
    @ModelView.button
    @Workflow.transition('same')
    def same_person(cls, lines):
        """Same person: the held row is the person already registered; the
        phones and documents the row brings and the person lacks are added,
        nothing of the person is overwritten"""
        Row = Pool().get('momd.kobo.import.row')
        for line in lines:
            if not line.import_row:
                raise KoboImportError(gettext(
                        'momd_referral.msg_kobo_same_person_held',
                        line=line.rec_name))
        cls.check_decider(lines)
        with without_check_access():
            for line in lines:
                row = Row(line.import_row.id)
                Row.add_lines(line.match, row.submitted())
                row.status = 'linked'
                row.beneficiary = line.match
                row.save()
        cls.write(list(lines), cls._decision())


class ImportRow(metaclass=PoolMeta):
    __name__ = 'momd.kobo.import.row'

    reviews = fields.One2Many(
        'momd.beneficiary.duplicate', 'import_row', "Reviews",
        readonly=True)

    def create_beneficiary_from_row(self):
        "Register the person of the held row as new, in the batch's office"
        from .kobo_import import _RowRefused
        try:
            return self.create_beneficiary(self.submitted())
        except _RowRefused as refused:
            raise KoboImportError(str(refused)) from refused

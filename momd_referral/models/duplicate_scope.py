"""What an export of the review of possible duplicates shows of the two
records of a pair: what the review shows, their number, office, sex and
age band. The other record of a pair is often of an office the supervisor
does not read; an export of the pair's records by name would give its
name. What else a pair names (the row of another office's import) is
exported only to whom may read it, as a read of its name is: Tryton names
the record at the end of an exported path without its access rules (see
models/export_scope.py, which refuses it for every model)."""
from trytond.pool import PoolMeta
from trytond.transaction import Transaction

# The record of each side of a pair, as the review shows it
SUMMARIES = {
    'beneficiary': 'beneficiary_summary',
    'match': 'match_summary',
    }


class Duplicate(metaclass=PoolMeta):
    __name__ = 'momd.beneficiary.duplicate'

    @classmethod
    def export_scope_names(cls, fields_names):
        """The columns exported for fields_names: the record of each side
        as its summary (see export_data)"""
        return [SUMMARIES.get(n, n) for n in fields_names]

    @classmethod
    def export_data(cls, duplicates, fields_names, header=False):
        if Transaction().check_access:
            # a path through the record (match/full_name) is refused by the
            # record rules as a read is (models/export_scope.py); the record
            # itself is its summary
            fields_names = [SUMMARIES.get(n, n) for n in fields_names]
        return super().export_data(duplicates, fields_names, header=header)

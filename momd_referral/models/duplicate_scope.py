"""What an export of the review of possible duplicates shows of the two
records of a pair: what the review shows, their number, office, sex and
age band. The other record of a pair is often of an office the supervisor
does not read; an export of the pair's records by name would give its
name. What else a pair names (the row of another office's import) is
exported only to whom may read it, as a read of its name is: Tryton names
the record at the end of an exported path without its access rules."""
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

# The record of each side of a pair, as the review shows it
SUMMARIES = {
    'beneficiary': 'beneficiary_summary',
    'match': 'match_summary',
    }
LINKS = {'many2one', 'one2one', 'reference', 'one2many', 'many2many'}


def check_named_records(Model, ids, path):
    """Refuse (AccessError) an export of path from the records ids of
    Model if it ends on records the user may not read"""
    pool = Pool()
    for position, name in enumerate(path):
        name = name.split('.')[0].split(':')[0]
        field = Model._fields[name]
        if field._type not in LINKS or not ids:
            return
        targets = []
        for row in Model.read(list(ids), [name]):
            value = row[name]
            if field._type == 'reference':
                if value and ',' in value:
                    target, id_ = value.split(',', 1)
                    if int(id_) >= 0:
                        pool.get(target).read([int(id_)], ['id'])
                continue
            if isinstance(value, (list, tuple)):
                targets.extend(value)
            elif value is not None:
                targets.append(value)
        if field._type == 'reference':
            return
        Model = field.get_target()
        ids = sorted(set(targets))
        if position == len(path) - 1 and ids:
            # as a read of the records' names
            Model.read(ids, ['id'])


class Duplicate(metaclass=PoolMeta):
    __name__ = 'momd.beneficiary.duplicate'

    @classmethod
    def export_data(cls, duplicates, fields_names, header=False):
        if Transaction().check_access:
            # a path through the record (match/full_name) is refused by the
            # record rules as a read is; the record itself is its summary
            fields_names = [SUMMARIES.get(n, n) for n in fields_names]
            ids = [int(d) for d in duplicates]
            for name in fields_names:
                check_named_records(cls, ids, name.split('/'))
        return super().export_data(duplicates, fields_names, header=header)

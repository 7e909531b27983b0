"Notes and files attached to records: exported only as they are read."
from trytond.pool import PoolMeta
from trytond.transaction import Transaction


class ResourceExportMixin:
    __slots__ = ()

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        if Transaction().check_access:
            # the check reading them makes: the record they are attached to
            # must be readable by the user
            cls.read([r.id for r in records], ['resource'])
        return super().export_data(records, fields_names, header=header)


class Attachment(ResourceExportMixin, metaclass=PoolMeta):
    __name__ = 'ir.attachment'


class Note(ResourceExportMixin, metaclass=PoolMeta):
    __name__ = 'ir.note'

"""Records made without Tryton's check of each against all the others.

A record made with others (browse, or the records a read of a relation
field makes) gets the list of their ids, to read their fields together;
Tryton's constructor then checks that its id is in the list and that all
the list's ids are integers, again for each record: for 1,000 records, two
million steps. The web client's list of 1,000 referrals makes them several
times (the search, each computed column, the records its columns point
to): about 1 s of its time; the statistics of three years, 5,000 rows or
more, took 18 s. Here the records get the list without the check: the ids
are those Tryton gives, and the records are the same.
"""


class BrowseMixin:
    __slots__ = ()

    def __init__(self, id=None, **kwargs):
        ids = kwargs.pop('_ids', None)
        super().__init__(id, **kwargs)
        if ids is not None:
            self._ids = ids

"""The supervisors' review of possible duplicates: pairs found at
registration, at import and by the nightly scan, decided one person (the
merge) or two."""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from ..exceptions import DuplicateReviewError
from .mixins import RoleButtonsMixin

SOURCES = [
    ('registration', "Registration"),
    ('import', "Import"),
    ('scan', "Nightly Scan"),
    ]
# the people the nightly scan looks for together
SCAN_GROUP = 100


class Duplicate(RoleButtonsMixin, Workflow, ModelSQL, ModelView):
    "A pair of records that may be one person, for a supervisor to decide"
    __name__ = 'momd.beneficiary.duplicate'
    __string__ = "Possible Duplicate"

    beneficiary = fields.Many2One(
        'momd.beneficiary', "Beneficiary", readonly=True,
        ondelete='CASCADE')
    match = fields.Many2One(
        'momd.beneficiary', "Registered Before", readonly=True,
        required=True, ondelete='CASCADE')
    office = fields.Many2One(
        'momd.office', "Office", readonly=True, ondelete='RESTRICT')
    match_office = fields.Many2One(
        'momd.office', "Office Registered Before", readonly=True,
        required=True, ondelete='RESTRICT')
    beneficiary_summary = fields.Function(
        fields.Char("Beneficiary"), 'get_summary')
    match_summary = fields.Function(
        fields.Char("Registered Before"), 'get_summary')
    score = fields.Float(
        "Score", digits=(3, 0), readonly=True, required=True)
    reasons = fields.Text("Why", readonly=True)
    source = fields.Selection(
        SOURCES, "Found By", readonly=True, required=True)
    source_string = source.translated('source')
    state = fields.Selection([
            ('open', "To Review"),
            ('different', "Different People"),
            ('same', "Same Person"),
            ], "State", readonly=True, required=True, sort=False)
    reason = fields.Char(
        "Decision Reason", strip=True,
        states={'readonly': Eval('state') != 'open'},
        help="Why the records are, or are not, one person.")
    decided_by = fields.Many2One(
        'res.user', "Decided By", readonly=True, ondelete='RESTRICT')
    decided_date = fields.Timestamp("Decided On", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.match, Index.Equality())),
                Index(t, (t.beneficiary, Index.Equality())),
                Index(t, (t.state, Index.Equality()),
                    where=t.state == 'open'),
                })
        cls._order = [('score', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {('open', 'different'), ('open', 'same')}
        cls._buttons.update({
                'different': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'open'

    def get_summary(self, name):
        "Number, office, sex, age band: what any office may know of a match"
        record = self.match if name == 'match_summary' else self.beneficiary
        if not record:
            return None
        with without_check_access():
            Beneficiary = Pool().get('momd.beneficiary')
            record = Beneficiary(record.id)
            return gettext('momd_referral.msg_beneficiary_match',
                code=record.code, office=record.office.rec_name,
                sex=record.sex_string, age=record.age_band())

    def get_rec_name(self, name):
        return ' / '.join(filter(None, (
                    self.beneficiary_summary, self.match_summary)))

    @classmethod
    def decided(cls, beneficiary):
        "Ids of the people decided different from beneficiary"
        if getattr(beneficiary, 'id', None) is None or beneficiary.id < 0:
            return set()
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.beneficiary, table.match,
                where=(table.state == 'different')
                & ((table.beneficiary == beneficiary.id)
                    | (table.match == beneficiary.id))))
        return {i for row in cursor for i in row} - {beneficiary.id}

    @classmethod
    def propose(cls, pairs, source):
        """Open a review line for each (beneficiary or None, Candidate)
        not already proposed or decided; return the lines created"""
        Beneficiary = Pool().get('momd.beneficiary')
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        to_create = []
        seen = set()
        with without_check_access():
            for beneficiary, candidate in pairs:
                other = beneficiary.id if beneficiary else None
                pair = frozenset([other, candidate.beneficiary])
                if other is not None:
                    if pair in seen:
                        continue
                    cursor.execute(*table.select(table.id, where=(
                                ((table.beneficiary == other)
                                    & (table.match == candidate.beneficiary))
                                | ((table.match == other)
                                    & (table.beneficiary
                                        == candidate.beneficiary))),
                            limit=1))
                    if cursor.fetchone():
                        continue
                seen.add(pair)
                match = Beneficiary(candidate.beneficiary)
                to_create.append({
                        'beneficiary': other,
                        'office': beneficiary.office.id if beneficiary
                        else None,
                        'match': match.id,
                        'match_office': match.office.id,
                        'score': round(candidate.score),
                        'reasons': '\n'.join(candidate.reasons),
                        'source': source,
                        })
            return cls.create(to_create)

    @classmethod
    @ModelView.button
    @Workflow.transition('different')
    def different(cls, duplicates):
        "Not one person: the pair is not proposed again"
        cls.check_decider(duplicates)
        cls.write(duplicates, cls._decision())

    @classmethod
    def _decision(cls):
        return {
            'decided_by': Transaction().user,
            'decided_date': dt.datetime.now(),
            }

    @classmethod
    def check_decider(cls, duplicates):
        """A supervisor decides for the pairs of their offices, a manager
        for any; a decision needs its reason"""
        pool = Pool()
        User = pool.get('res.user')
        transaction = Transaction()
        if transaction.user == 0:
            return
        user = User(transaction.user)
        groups = {g.id for g in user.groups}
        ModelData = pool.get('ir.model.data')
        manager = ModelData.get_id('momd_referral', 'group_manager')
        offices = {o.id for o in user.supervised_offices}
        for duplicate in duplicates:
            if not duplicate.reason:
                raise DuplicateReviewError(gettext(
                        'momd_referral.msg_duplicate_reason_required',
                        duplicate=duplicate.rec_name,
                        field=cls.fields_get(['reason'])['reason'][
                            'string']))
            mine = {o.id for o in (duplicate.office, duplicate.match_office)
                if o}
            if manager not in groups and not mine & offices:
                raise DuplicateReviewError(gettext(
                        'momd_referral.msg_duplicate_not_supervisor',
                        duplicate=duplicate.rec_name))

    @classmethod
    def scan(cls):
        """The nightly scan: the people registered or changed since the
        last scan, each against the whole registry"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Configuration = pool.get('momd.configuration')
        config = Configuration(1)
        started = dt.datetime.now()
        domain = [('active', '=', True)]
        if config.duplicate_scan_date:
            domain.append(['OR',
                    ('create_date', '>=', config.duplicate_scan_date),
                    ('write_date', '>=', config.duplicate_scan_date),
                    ])
        with without_check_access():
            people = Beneficiary.search(domain, order=[('id', 'ASC')])
            pairs = []
            for start in range(0, len(people), SCAN_GROUP):
                group = people[start:start + SCAN_GROUP]
                for person, candidates in zip(group,
                        Beneficiary.duplicate_candidates_many(group)):
                    pairs.extend((person, c) for c in candidates)
            cls.propose(pairs, 'scan')
            Configuration.write([config], {'duplicate_scan_date': started})

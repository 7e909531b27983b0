"""KoboToolbox imports: tests mixed into the module test case."""
import csv
import datetime as dt
import io
import random

from openpyxl import Workbook, load_workbook

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from ..exceptions import KoboImportError, OwnedFieldError
from ..kobo_form import FORM_VERSION, questions
from .registry_tests import office, register
from .tools import create_user

MALE = ['محمد', 'أحمد', 'علي', 'حسين', 'حسن', 'عمر', 'خالد', 'مصطفى',
    'محمود', 'يوسف', 'إبراهيم', 'عبدالله', 'عبد الرحمن', 'سعد', 'زيد',
    'كريم', 'سلام', 'جاسم', 'قاسم', 'فاضل', 'رعد', 'باسم', 'نبيل', 'وليد',
    'هشام', 'ماجد', 'طارق', 'ليث', 'مهند', 'أنس', 'بكر', 'عثمان', 'صالح',
    'حيدر', 'عباس', 'مرتضى', 'سجاد', 'أيمن', 'فراس', 'نزار']
FEMALE = ['فاطمة', 'زينب', 'مريم', 'نور', 'سارة', 'هدى', 'رنا', 'آمنة',
    'خديجة', 'عائشة', 'رقية', 'سناء', 'ليلى', 'نادية', 'سهى', 'إيمان',
    'أسماء', 'حنان', 'شيماء', 'دعاء', 'ضحى', 'غادة', 'منى', 'وفاء', 'بشرى']
FATHERS = ['جمال', 'عادل', 'كاظم', 'ناصر', 'فيصل', 'منير', 'رياض', 'شاكر',
    'هاني', 'عدنان', 'غازي', 'صباح', 'مزهر', 'لطيف', 'حميد', 'رشيد', 'نجم',
    'سالم', 'ياسين', 'عبد الكريم', 'عبدالحسين', 'ثامر', 'مالك', 'جبار',
    'ستار', 'كامل', 'نعمان', 'وسام', 'أكرم', 'مؤيد', 'فؤاد', 'سمير', 'عامر',
    'بشير', 'خليل', 'إسماعيل', 'داود', 'سليمان', 'يونس', 'موسى']
FAMILIES = ['الجبوري', 'العبيدي', 'الدليمي', 'الشمري', 'الطائي', 'الحمداني',
    'السبعاوي', 'اللهيبي', 'الزبيدي', 'التميمي', 'الخزرجي', 'العزاوي',
    'البياتي', 'النعيمي', 'الراوي', 'الحديثي', 'المشهداني', 'الكبيسي',
    'الجميلي', 'العاني']
NEEDS = ['hlp.rent', 'livelihoods.job_placement', 'education',
    'civil_documentation', 'legal.aid', 'health.care', 'basic_needs.cash']
# the faults of the bad rows: (column, value, text the error holds)
FAULTS = [
    ('first_name', '', '"First Name"'),
    ('sex', 'unknown', '"Sex" (column'),
    ('birth_date', 'yesterday', 'is not a date'),
    ('birth_date', 'future', 'Date of Birth'),
    ('phone', '12345', '12345'),
    ('identifier_national_id', 'AB-12', 'AB-12'),
    ('needs', 'no.such.service', 'no.such.service'),
    ('household_size', 'many', 'is not a whole number'),
    ('household_size', '0', '"Declared Size"'),
    ('birth_date', 'none', '"Estimated Age"'),
    ]


def person(index):
    """The values of the index-th generated submission (names, birth date,
    phone, documents, household, needs): nobody else's likely duplicate"""
    female = index % 3 == 0
    firsts = FEMALE if female else MALE
    # the people of one block are siblings; namesakes differ in every
    # other part
    block, place = divmod(index, len(firsts))
    first = firsts[place]
    father = FATHERS[block % len(FATHERS)]
    today = dt.date.today()
    born = dt.date(today.year - 18 - (index * 7) % 60, 1 + index % 12,
        1 + (index * 5) % 28)
    return {
        'first_name': first,
        'father_name': father,
        'grandfather_name': FATHERS[(block * 7 + place + 3) % len(FATHERS)],
        'family_name': FAMILIES[(block * 3 + place) % len(FAMILIES)],
        'sex': 'female' if female else 'male',
        'birth_date': born,
        'displacement_status': ['returnee_abroad', 'returned_idp',
            'idp_in_camp', 'idp_out_camp'][index % 4],
        'phone': '077%08d' % (index * 37 + 11),
        'identifier_national_id': '%012d' % (199000000000 + index),
        'relationship': 'head' if index % 2 else 'spouse',
        'household_size': 1 + index % 7,
        'needs': ' '.join(sorted({NEEDS[index % len(NEEDS)],
                    NEEDS[(index // 3) % len(NEEDS)]})),
        }


def submissions(count, bad=(), edits=None, people=person):
    """count submissions of generated people (people(index) the values of
    each): the rows of bad (indices) with one fault of FAULTS each, those
    of edits (index → values) changed"""
    rows = []
    bad = sorted(bad)
    for index in range(count):
        values = people(index)
        if index in bad:
            column, value, _ = FAULTS[bad.index(index) % len(FAULTS)]
            if value == 'future':
                value = dt.date.today() + dt.timedelta(days=30)
            elif value == 'none':
                value = None
            values[column] = value
        if edits and index in edits:
            values.update(edits[index])
        values['_uuid'] = 'uuid-%05d-kobo' % index
        values['_id'] = 5000 + index
        values['_submission_time'] = '2026-01-%02dT10:%02d:00' % (
            1 + index % 28, index % 60)
        values['_version'] = FORM_VERSION
        rows.append(values)
    return rows


def kobo_xlsx(rows, headers='arabic'):
    """The rows as KoboToolbox exports them to XLSX: columns by Arabic
    label, or by group/name ('xml'), then the submission's own columns"""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet('momd_registration')
    items = list(questions())
    names = [n for _, _, n, _, _, _ in items]
    if headers == 'arabic':
        header = [label_ar for _, _, _, label_ar, _, _ in items]
    else:
        header = ['%s/%s' % (g, n) for g, _, n, _, _, _ in items]
    meta = ['_id', '_uuid', '_submission_time', '_version', '_index']
    sheet.append(header + meta)
    for index, values in enumerate(rows, 1):
        sheet.append([values.get(n) for n in names]
            + [values.get(m) for m in meta[:-1]] + [index])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def kobo_csv(rows, delimiter=';'):
    "The rows as KoboToolbox exports them to CSV (group/name headers)"
    items = list(questions())
    output = io.StringIO()
    writer = csv.writer(output, delimiter=delimiter)
    meta = ['_id', '_uuid', '_submission_time', '_version']
    writer.writerow(['%s/%s' % (g, n) for g, _, n, _, _, _ in items] + meta)
    for values in rows:
        writer.writerow([_csv(values.get(n)) for _, _, n, _, _, _ in items]
            + [values.get(m) for m in meta])
    return output.getvalue().encode('utf-8')


def _csv(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return '' if value is None else value


def run_queue():
    """Run the queued imports as trytond-worker would, within the test's
    transaction (their progress is not committed)"""
    Queue = Pool().get('ir.queue')
    transaction = Transaction()
    while transaction.tasks:
        task = Queue(transaction.tasks.pop())
        data = dict(task.data)
        data['context'] = {k: v for k, v in data['context'].items()
            if k != 'momd_kobo_commit'}
        task.data = data
        task.save()
        task.run()


def new_batch(data, file_name='submissions.xlsx', office_code='SNJ'):
    Batch = Pool().get('momd.kobo.import')
    batch, = Batch.create([{
                'office': office(office_code).id, 'file': data,
                'file_name': file_name}])
    return batch


def import_file(data, dry_run=False, **values):
    "A batch of the file, checked or imported, and its rows by number"
    Batch = Pool().get('momd.kobo.import')
    batch = new_batch(data, **values)
    (Batch.check if dry_run else Batch.run)([batch])
    run_queue()
    batch = Batch(batch.id)
    return batch, {r.number: r for r in batch.rows}


def registry_counts():
    pool = Pool()
    return {name: pool.get(name).search([], count=True) for name in [
            'momd.beneficiary', 'momd.beneficiary.phone',
            'momd.beneficiary.identifier', 'momd.household', 'momd.case',
            'momd.need', 'momd.beneficiary.duplicate']}


class KoboImportTestMixin:

    @with_transaction()
    def test_kobo_import_thousand_rows(self):
        """1,000 submissions with Arabic headers, 3 % bad rows and 5 % of
        people already registered: the dry run reports exactly the bad rows
        and writes nothing; the import creates the others and holds the
        duplicates; the same file again changes nothing; an edited
        submission updates its beneficiary"""
        pool = Pool()
        Beneficiary = pool.get('momd.beneficiary')
        Duplicate = pool.get('momd.beneficiary.duplicate')
        count = 1000
        rng = random.Random(22)
        indices = list(range(count))
        rng.shuffle(indices)
        bad = set(indices[:30])
        # people registered in another office, whom 50 submissions repeat
        registered = {}
        for index in indices[30:80]:
            values = person(index)
            register('MSL', **{k: values[k] for k in [
                        'first_name', 'father_name', 'grandfather_name',
                        'family_name', 'sex', 'birth_date']},
                phones=[('create', [{'number': values['phone']}])])
            registered[index] = values
        rows = submissions(count, bad=bad)
        data = kobo_xlsx(rows)
        before = registry_counts()

        batch, by_number = import_file(data, dry_run=True)
        self.assertEqual(batch.state, 'checked')
        self.assertEqual(registry_counts(), before)
        errors = {n - 2 for n, r in by_number.items() if r.status == 'error'}
        self.assertEqual(errors, bad)
        for index in sorted(bad):
            row = by_number[index + 2]
            _, _, text = FAULTS[sorted(bad).index(index) % len(FAULTS)]
            self.assertIn(text, row.errors)
        self.assertEqual(
            {n - 2 for n, r in by_number.items() if r.status == 'held'},
            set(registered))
        self.assertEqual((batch.rows_total, batch.rows_done, batch.progress),
            (count, count, 1))
        self.assertEqual((batch.created, batch.errors, batch.held),
            (count - 80, 30, 50))

        batch, by_number = import_file(data)
        self.assertEqual(batch.state, 'done')
        self.assertEqual((batch.created, batch.updated, batch.unchanged,
                batch.errors, batch.held), (count - 80, 0, 0, 30, 50))
        after = registry_counts()
        self.assertEqual(
            after['momd.beneficiary'], before['momd.beneficiary'] + 920)
        held = Duplicate.search([('import_row.batch', '=', batch.id)])
        self.assertEqual(
            {d.import_row.number - 2 for d in held}, set(registered))
        self.assertTrue(all(d.source == 'import' and d.state == 'open'
                and d.beneficiary is None for d in held))
        for index, values in registered.items():
            row = by_number[index + 2]
            self.assertEqual(row.status, 'held')
            self.assertIn(row.reviews[0].match.code, row.errors)
        created = by_number[indices[80] + 2].beneficiary
        self.assertEqual(created.office, office('SNJ'))
        self.assertEqual(created.phones[0].number[:6], '+96477')
        self.assertEqual(len(created.identifiers), 1)
        self.assertTrue(created.household)
        self.assertTrue(created.cases[0].needs)
        self.assertEqual(batch.file_checksum.__len__(), 64)

        again, _ = import_file(data)
        self.assertEqual((again.created, again.updated, again.unchanged,
                again.errors, again.held), (0, 0, count - 80, 30, 50))
        self.assertEqual(registry_counts(), after)

        edited = indices[81]
        rows = submissions(count, bad=bad, edits={
                edited: {'family_name': 'الموصلي',
                    'phone_2': '07901234567'}})
        last, by_number = import_file(kobo_xlsx(rows))
        self.assertEqual((last.created, last.updated, last.unchanged),
            (0, 1, count - 81))
        beneficiary = Beneficiary(by_number[edited + 2].beneficiary.id)
        self.assertEqual(beneficiary.family_name, 'الموصلي')
        self.assertIn('+9647901234567', [p.number for p in beneficiary.phones])
        self.assertEqual(
            registry_counts()['momd.beneficiary'], after['momd.beneficiary'])

    @with_transaction()
    def test_kobo_import_held_row_decided(self):
        """A held row: "different people" registers it; "same person" links
        it to the registered one, adding the phone it lacks"""
        pool = Pool()
        Duplicate = pool.get('momd.beneficiary.duplicate')
        values = person(7)
        first = register('SNJ', **{k: values[k] for k in [
                    'first_name', 'father_name', 'grandfather_name',
                    'family_name', 'sex', 'birth_date']},
            phones=[('create', [{'number': values['phone']}])])
        second_values = person(8)
        second = register('SNJ', **{k: second_values[k] for k in [
                    'first_name', 'father_name', 'grandfather_name',
                    'family_name', 'sex', 'birth_date']},
            phones=[('create', [{'number': second_values['phone']}])])
        rows = [dict(values), dict(second_values)]
        rows[0]['phone_2'] = '07801112233'
        for index, row in enumerate(rows):
            row.update({'_uuid': 'held-%d' % index, '_version': FORM_VERSION})
        batch, by_number = import_file(kobo_xlsx(rows))
        self.assertEqual(batch.held, 2)
        supervisor = create_user('kobo.sup', ['group_supervisor'])
        Office = pool.get('momd.office')
        Office.write([office('SNJ')], {
                'supervisors': [('add', [supervisor.id])]})
        same, = [d for d in by_number[2].reviews if d.match == first]
        different = [d for d in by_number[3].reviews if d.state == 'open']
        self.assertEqual({d.office for d in different}, {office('SNJ')})
        with Transaction().set_user(supervisor.id), \
                Transaction().set_context(_check_access=True):
            Duplicate.write([same] + different, {'reason': "Met them"})
            Duplicate.same_person([Duplicate(same.id)])
            Duplicate.different(Duplicate.browse(different))
        row = by_number[2].__class__(by_number[2].id)
        self.assertEqual((row.status, row.beneficiary), ('linked', first))
        self.assertIn('+9647801112233',
            [p.number for p in first.__class__(first.id).phones])
        self.assertEqual(Duplicate(same.id).state, 'same')
        row = by_number[3].__class__(by_number[3].id)
        self.assertEqual(row.status, 'created')
        self.assertNotEqual(row.beneficiary, second)
        self.assertEqual(row.beneficiary.first_name, second.first_name)
        # the pair stays decided for the person registered from the row
        self.assertEqual(
            {d.beneficiary for d in Duplicate.browse(different)},
            {row.beneficiary})
        Beneficiary = pool.get('momd.beneficiary')
        self.assertEqual(Beneficiary.duplicate_candidates(
                Beneficiary(row.beneficiary.id)), [])
        # the same submissions again: nothing more
        again, _ = import_file(kobo_xlsx(rows))
        self.assertEqual((again.created, again.unchanged, again.held),
            (0, 2, 0))
        # "Same Person" is for held import rows only
        third = register('SNJ', **{k: values[k] for k in [
                    'first_name', 'father_name', 'grandfather_name',
                    'family_name', 'sex', 'birth_date']})
        line = Duplicate.search([('beneficiary', '=', third.id)])[0]
        with self.assertRaises(KoboImportError):
            Duplicate.same_person([line])

    @with_transaction()
    def test_kobo_import_same_person_twice_in_file(self):
        """A person twice in one file, the name spelled otherwise and
        another phone: the dry run says the second row would be held naming
        the first; the import creates the first and holds the second with
        it for review, as if it were registered before"""
        pool = Pool()
        Duplicate = pool.get('momd.beneficiary.duplicate')
        values = person(11)
        self.assertEqual(values['first_name'], 'عبدالله')
        again = dict(values, first_name='عبد الله',
            family_name=values['family_name'].removeprefix('ال'),
            phone='07719998877', identifier_national_id='299000000011')
        rows = [person(5), values, person(6), again]
        for index, row in enumerate(rows):
            row.update({'_uuid': 'twice-%d' % index, '_version': FORM_VERSION})
        data = kobo_xlsx(rows)
        before = registry_counts()
        batch, by_number = import_file(data, dry_run=True)
        self.assertEqual(registry_counts(), before)
        self.assertEqual({n: r.status for n, r in by_number.items()},
            {2: 'to_create', 3: 'to_create', 4: 'to_create', 5: 'held'})
        self.assertIn(' 3 ', by_number[5].errors)
        self.assertEqual((batch.created, batch.held), (3, 1))

        batch, by_number = import_file(data)
        self.assertEqual({n: r.status for n, r in by_number.items()},
            {2: 'created', 3: 'created', 4: 'created', 5: 'held'})
        line, = Duplicate.search([('import_row', '=', by_number[5].id)])
        self.assertEqual(line.match, by_number[3].beneficiary)
        self.assertIsNone(line.beneficiary)
        self.assertEqual(registry_counts()['momd.beneficiary'],
            before['momd.beneficiary'] + 3)

        # both rows of a person registered before: each held with them for
        # review (the second found in the registry, not only in the file)
        registered = register('SNJ', **{k: person(8)[k] for k in [
                    'first_name', 'father_name', 'grandfather_name',
                    'family_name', 'sex', 'birth_date']})
        rows = [dict(person(8), _uuid='again-0'), dict(person(8),
                first_name=person(8)['first_name'] + 'ى', _uuid='again-1',
                phone='07719998866', identifier_national_id='299000000008')]
        for row in rows:
            row['_version'] = FORM_VERSION
        batch, by_number = import_file(kobo_xlsx(rows))
        self.assertEqual([r.status for r in by_number.values()],
            ['held', 'held'])
        for row in by_number.values():
            line, = Duplicate.search([('import_row', '=', row.id)])
            self.assertEqual(line.match, registered)

    @with_transaction()
    def test_kobo_import_bad_file(self):
        """A file that is no KoboToolbox export, or one without the
        submissions' _uuid, is refused naming what is wrong; nothing is
        queued or written"""
        Batch = Pool().get('momd.kobo.import')
        before = registry_counts()
        for data, name, text in [
                (b'\x89PNG\r\n\x1a\n\x00\x00binary', 'photo.png',
                    'neither an XLSX workbook nor a CSV file'),
                (b'PK\x03\x04 broken zip', 'broken.xlsx',
                    'neither an XLSX workbook nor a CSV file'),
                ('person/first_name;person/sex\nعلي;male\n'.encode(),
                    'old.csv',
                    'has no column "_uuid"'),
                (b'_uuid;person/sex\nabc;male\n', 'names.csv',
                    'no column for First Name, Father\'s Name'),
                ]:
            batch = new_batch(data, file_name=name)
            with self.subTest(file=name), \
                    self.assertRaisesRegex(KoboImportError, text) as cm:
                Batch.check([batch])
            self.assertIn(name, str(cm.exception))
            self.assertEqual(Batch(batch.id).state, 'draft')
        self.assertFalse(Transaction().tasks)
        self.assertEqual(registry_counts(), before)

    @with_transaction()
    def test_kobo_import_csv_groups(self):
        """A CSV export with group/name headers and ';' imports as the
        XLSX; a column missing from the file is left empty"""
        rows = submissions(3)
        rows[1]['needs'] = None
        batch, by_number = import_file(kobo_csv(rows), file_name='kobo.csv')
        self.assertEqual((batch.created, batch.errors), (3, 0))
        beneficiary = by_number[2].beneficiary
        self.assertEqual(beneficiary.first_name, rows[0]['first_name'])
        self.assertEqual(beneficiary.birth_date, rows[0]['birth_date'])
        self.assertFalse(by_number[3].beneficiary.cases)
        # the file of everyone's values is not kept, its checksum is
        self.assertEqual((batch.file, len(batch.file_checksum)), (None, 64))
        # what is held of a person lists the rows that brought them
        PersonalData = Pool().get(
            'momd.beneficiary.personal_data', type='report')
        _, content, _, _ = PersonalData.execute(
            [by_number[3].beneficiary.id], {})
        sheet = load_workbook(io.BytesIO(content))['KoboToolbox Import Row']
        self.assertIn(rows[1]['_uuid'], [
                c for r in sheet.iter_rows(values_only=True) for c in r])
        # erasing a person erases what their row holds
        Beneficiary = Pool().get('momd.beneficiary')
        Beneficiary.anonymise([by_number[3].beneficiary], 'Asked for it')
        row = by_number[3].__class__(by_number[3].id)
        self.assertEqual((row.values, row.errors), (None, None))
        self.assertIn(rows[0]['first_name'], by_number[2].values)
        # the same submissions exported again, the first edited since
        edited = submissions(1, edits={0: {'household_size': 6}})
        comma, _ = import_file(
            kobo_csv(edited, delimiter=','), file_name='comma.csv')
        self.assertEqual(
            (comma.created, comma.updated, comma.unchanged), (0, 1, 0))
        self.assertEqual(beneficiary.__class__(
            beneficiary.id).household.declared_size, 6)
        # and as XLSX with Arabic labels: the same values, unchanged
        arabic, _ = import_file(kobo_xlsx(edited + submissions(3)[2:]))
        self.assertEqual(
            (arabic.created, arabic.updated, arabic.unchanged), (0, 0, 2))

    @with_transaction()
    def test_kobo_import_access(self):
        """Caseworkers import for their offices and only see those batches;
        focal points see none; nobody sets what the import sets"""
        pool = Pool()
        Batch = pool.get('momd.kobo.import')
        Row = pool.get('momd.kobo.import.row')
        Mapping = pool.get('momd.kobo.mapping')
        sinjar = create_user('kobo.snj', ['group_caseworker'],
            [office('SNJ')])
        mosul = create_user('kobo.msl', ['group_caseworker'],
            [office('MSL')])
        focal = create_user('kobo.focal', ['group_provider'])
        data = kobo_xlsx(submissions(2))
        with Transaction().set_user(sinjar.id), \
                Transaction().set_context(_check_access=True):
            batch, = Batch.create([{'office': office('SNJ').id,
                        'file': data, 'file_name': 'a.xlsx'}])
            Batch.run([batch])
            with self.assertRaises(OwnedFieldError):
                Batch.write([batch], {'state': 'done'})
            with self.assertRaises(AccessError):
                Row.create([{'batch': batch.id, 'status': 'created'}])
            with self.assertRaises(AccessError):
                Mapping.write(Mapping.search([]), {'version': '9'})
        run_queue()
        with Transaction().set_user(sinjar.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Batch.search([]), [batch])
            self.assertEqual(len(Row.search([])), 2)
        with Transaction().set_user(mosul.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Batch.search([]), [])
            self.assertEqual(Row.search([]), [])
            with self.assertRaises(AccessError):
                Batch.create([{'office': office('SNJ').id,
                            'file': data, 'file_name': 'b.xlsx'}])
            # nor run another office's import
            with self.assertRaises(AccessError):
                Batch.check(Batch.browse([batch.id]))
        with Transaction().set_user(focal.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError):
                Batch.search([])
            with self.assertRaises(AccessError):
                Row.search([])


    @with_transaction()
    def test_kobo_import_pull(self):
        """The scheduled pull reads the form's submissions page by page from
        the KoboToolbox server once configured and imports them into the
        office; the same submissions again make no batch, an edited one
        updates; the token is the administrators' only"""
        from ..models import kobo_pull
        pool = Pool()
        Batch = pool.get('momd.kobo.import')
        Configuration = pool.get('momd.configuration')
        names = [(g, n) for g, _, n, _, _, _ in questions()]
        api = [{
                **{'%s/%s' % (g, n): _csv(row[n])
                    for g, n in names if row.get(n) is not None},
                '_uuid': row['_uuid'], '_id': row['_id'],
                '_submission_time': row['_submission_time'],
                '__version__': FORM_VERSION, '_attachments': [],
                } for row in submissions(3)]
        calls = []

        def fetch(url, token):
            calls.append((url, token))
            if url.endswith('page=2'):
                return {'results': api[2:], 'next': None}
            return {'results': api[:2],
                'next': 'https://kobo.example/api/v2/assets/aX/data/?page=2'}
        original, kobo_pull.fetch = kobo_pull.fetch, fetch
        try:
            Batch.pull()
            self.assertEqual(calls, [])
            configuration = Configuration(1)
            configuration.kobo_server = 'https://kobo.example/'
            configuration.kobo_token = 'secret'
            configuration.kobo_asset = 'aX'
            configuration.kobo_office = office('SNJ')
            configuration.save()
            Batch.pull()
            run_queue()
            self.assertEqual(calls[0], ('https://kobo.example/api/v2/assets'
                    '/aX/data/?format=json&limit=1000', 'secret'))
            self.assertEqual(len(calls), 2)
            batch, = Batch.search([('file_name', '=', 'kobotoolbox-aX.csv')])
            self.assertEqual((batch.state, batch.created, batch.form_version),
                ('done', 3, FORM_VERSION))
            Batch.pull()
            run_queue()
            self.assertEqual(len(Batch.search([])), 1)
            api[0]['person/family_name'] = 'الموصلي'
            Batch.pull()
            run_queue()
            last, _ = Batch.search([], order=[('id', 'DESC')])
            self.assertEqual((last.created, last.updated, last.unchanged),
                (0, 1, 2))
        finally:
            kobo_pull.fetch = original
        caseworker = create_user('kobo.pull', ['group_caseworker'],
            [office('SNJ')])
        with Transaction().set_user(caseworker.id), \
                Transaction().set_context(_check_access=True), \
                self.assertRaises(AccessError):
            Configuration.read([1], ['kobo_token'])

class KoboImportArabicTestMixin:

    @with_transaction(context={'language': 'ar'})
    def test_kobo_import_errors_in_arabic(self):
        """An Arabic user's dry run gives each row's errors in Arabic, and
        reads choices exported by their Arabic labels"""
        Batch = Pool().get('momd.kobo.import')
        rows = submissions(2)
        rows[0]['sex'] = 'ذكر'
        rows[0]['first_name'] = 'علي'
        rows[1]['birth_date'] = 'أمس'
        batch, by_number = import_file(kobo_xlsx(rows), dry_run=True)
        self.assertEqual(by_number[2].status, 'to_create')
        self.assertEqual(by_number[3].status, 'error')
        self.assertIn('"تاريخ الميلاد"', by_number[3].errors)
        self.assertIn('أمس', by_number[3].errors)
        bad = new_batch(b'_id;person/sex\n1;male\n', file_name='x.csv')
        with self.assertRaisesRegex(KoboImportError, '"_uuid"') as cm:
            Batch.check([bad])
        self.assertIn('x.csv', str(cm.exception))
        self.assertNotIn('has no column', str(cm.exception))

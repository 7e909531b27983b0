"""The ministry's registration form for KoboToolbox and the reading of the
submissions KoboToolbox exports (pure Python: no database).

The form (FORM_ID, SURVEY) is what scripts/kobo_form.py writes as the
XLSForm data/kobo/momd_registration.xlsx and what data/kobo_mapping.xml maps
to the registry. KoboToolbox exports its submissions as XLSX or CSV, one row
per submission, the columns named by the question's path (`person/sex`), by
its name alone, or by its label in the form's language (`الجنس`), followed
by the submission's own columns (`_id`, `_uuid`, `_submission_time`,
`_version`...).
"""
import csv
import datetime as dt
import io
import zipfile

FORM_ID = 'momd_registration'
FORM_VERSION = '2026.1'
FORM_TITLE_AR = 'استمارة تسجيل المستفيدين - وزارة الهجرة والمهجرين'
FORM_TITLE_EN = (
    'Beneficiary Registration - Ministry of Migration and Displaced')

# Submission columns KoboToolbox adds to every export
UUID = '_uuid'
SUBMISSION_TIME = '_submission_time'
SUBMISSION_ID = '_id'
VERSION = '_version'
META_COLUMNS = (UUID, SUBMISSION_TIME, SUBMISSION_ID, VERSION)

# (group, [(type, name, Arabic label, English label, required)])
# the names are those of the registry's fields (and mapping targets)
SURVEY = [
    ('person', 'المعلومات الشخصية', 'Personal Information', [
            ('text', 'first_name', 'الاسم الأول', 'First Name', True),
            ('text', 'father_name', 'اسم الأب', "Father's Name", True),
            ('text', 'grandfather_name', 'اسم الجد', "Grandfather's Name",
                False),
            ('text', 'family_name', 'اللقب', 'Family Name', False),
            ('text', 'first_name_latin', 'الاسم الأول (بالحروف اللاتينية)',
                'First Name (Latin)', False),
            ('text', 'father_name_latin', 'اسم الأب (بالحروف اللاتينية)',
                "Father's Name (Latin)", False),
            ('text', 'grandfather_name_latin',
                'اسم الجد (بالحروف اللاتينية)',
                "Grandfather's Name (Latin)", False),
            ('text', 'family_name_latin', 'اللقب (بالحروف اللاتينية)',
                'Family Name (Latin)', False),
            ('select_one sex', 'sex', 'الجنس', 'Sex', True),
            ('date', 'birth_date', 'تاريخ الميلاد', 'Date of Birth', False),
            ('integer', 'estimated_age', 'العمر التقريبي (بالسنوات)',
                'Estimated Age (years)', False),
            ('select_one country', 'nationality', 'الجنسية', 'Nationality',
                False),
            ]),
    ('displacement', 'النزوح والعودة', 'Displacement and Return', [
            ('select_one displacement_status', 'displacement_status',
                'حالة النزوح', 'Displacement Status', True),
            ('text', 'origin_location', 'المنطقة الأصلية (الرمز أو الاسم)',
                'Location of Origin (P-code or name)', False),
            ('text', 'current_location', 'الموقع الحالي (الرمز أو الاسم)',
                'Current Location (P-code or name)', False),
            ('date', 'movement_date', 'تاريخ العودة أو النزوح',
                'Return or Displacement Date', False),
            ('select_one country', 'returned_from', 'البلد العائد منه',
                'Country Returned From', False),
            ]),
    ('contact', 'الاتصال', 'Contact', [
            ('text', 'phone', 'رقم الهاتف', 'Phone Number', False),
            ('text', 'phone_2', 'رقم هاتف آخر', 'Other Phone Number', False),
            ('select_one language', 'preferred_language', 'اللغة المفضلة',
                'Preferred Language', False),
            ('select_one contact_method', 'contact_method',
                'طريقة الاتصال المفضلة', 'Preferred Contact', False),
            ]),
    ('documents', 'الوثائق الثبوتية', 'Identity Documents', [
            ('text', 'identifier_national_id', 'رقم البطاقة الوطنية الموحدة',
                'Unified National Card Number', False),
            ('text', 'identifier_civil_id', 'رقم هوية الأحوال المدنية',
                'Civil Status ID Number', False),
            ('text', 'identifier_pds', 'رقم البطاقة التموينية',
                'PDS Ration Card Number', False),
            ('text', 'identifier_passport', 'رقم جواز السفر',
                'Passport Number', False),
            ('text', 'identifier_momd_registration',
                'رقم تسجيل النزوح في الوزارة',
                'MoMD Displacement Registration Number', False),
            ]),
    ('household', 'الأسرة', 'Household', [
            ('select_one relationship', 'relationship', 'الصلة برب الأسرة',
                'Relationship to Head', False),
            ('integer', 'household_size', 'عدد أفراد الأسرة',
                'Household Size', False),
            ('text', 'household_address', 'عنوان الأسرة',
                'Household Address', False),
            ]),
    ('needs', 'الاحتياجات', 'Needs', [
            ('select_multiple vulnerability', 'vulnerabilities',
                'أوجه الضعف', 'Vulnerabilities', False),
            ('select_multiple category', 'needs', 'الخدمات المطلوبة',
                'Services Needed', False),
            ('text', 'notes', 'ملاحظات', 'Notes', False),
            ]),
    ]

# Countries the form offers (ISO codes: the names come from the registry)
COUNTRIES = [
    ('IQ', 'العراق', 'Iraq'),
    ('SY', 'سوريا', 'Syria'),
    ('TR', 'تركيا', 'Turkey'),
    ('IR', 'إيران', 'Iran'),
    ('JO', 'الأردن', 'Jordan'),
    ('LB', 'لبنان', 'Lebanon'),
    ('DE', 'ألمانيا', 'Germany'),
    ]


def questions():
    "Yield (group, type, name, Arabic label, English label, required)"
    for group, _, _, items in SURVEY:
        for type_, name, label_ar, label_en, required in items:
            yield group, type_, name, label_ar, label_en, required


class KoboFileError(Exception):
    "A file that is no KoboToolbox export (not XLSX, not CSV)"


def _cell(value):
    "A cell of XLSX as its text, date or number"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    return value


class Submissions:
    """The submissions of a KoboToolbox export (XLSX or CSV bytes): the
    header, and the rows as lists read one at a time (the whole file is
    never held as rows, so a large export takes little memory)."""

    def __init__(self, data, filename=''):
        self.data = data
        self._opened = None
        self.is_xlsx = data[:4] == b'PK\x03\x04'
        if self.is_xlsx:
            try:
                zipfile.ZipFile(io.BytesIO(data)).getinfo(
                    '[Content_Types].xml')
            except (zipfile.BadZipFile, KeyError) as exception:
                raise KoboFileError(filename) from exception
        else:
            try:
                self.text = data.decode('utf-8-sig')
            except UnicodeDecodeError as exception:
                raise KoboFileError(filename) from exception
            if '\x00' in self.text:
                raise KoboFileError(filename)
            sample = self.text[:4096]
            try:
                self.dialect = csv.Sniffer().sniff(sample, delimiters=',;\t')
            except csv.Error:
                if '\n' in sample or ',' in sample:
                    self.dialect = csv.excel
                else:
                    raise KoboFileError(filename)
        header = next(self._rows(), None)
        if not header:
            raise KoboFileError(filename)
        self.header = [str(h).strip() if h is not None else '' for h in header]

    def _rows(self):
        if self.is_xlsx:
            for row in self._sheet().iter_rows(values_only=True):
                yield [_cell(v) for v in row]
        else:
            yield from csv.reader(io.StringIO(self.text), self.dialect)

    def _sheet(self):
        """The first sheet, opened once: each opening reads the whole sheet
        for its size when the file does not give it"""
        if self._opened is None:
            from openpyxl import load_workbook
            workbook = load_workbook(
                io.BytesIO(self.data), read_only=True, data_only=True)
            self._opened = workbook.worksheets[0]
        return self._opened

    def __iter__(self):
        "The rows after the header, each a dict column → value; empty rows "
        "are skipped"
        rows = self._rows()
        next(rows, None)
        header = self.header
        for row in rows:
            if not any(v not in (None, '') for v in row):
                continue
            yield {h: v for h, v in zip(header, row) if h}

    def __len__(self):
        return sum(1 for _ in self)

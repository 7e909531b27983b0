"""A labelled set of pairs of registrations: the same person registered
twice (spelling variants, a dropped grandfather or family name, typos,
Latin variants, a birth date against an estimated age...) and different
people easily taken for one (brothers and sisters, twins, cousins,
namesakes born in other years).

The set is generated from a seed, so every run measures the same pairs.
"""
import datetime as dt
import random
from collections import namedtuple

Pair = namedtuple('Pair', ['kind', 'same', 'first', 'second'])

MALE = [
    'محمد', 'أحمد', 'علي', 'حسن', 'حسين', 'عمر', 'خالد', 'محمود',
    'مصطفى', 'إبراهيم', 'يوسف', 'عبدالله', 'عبد الرحمن', 'عبد الكريم',
    'عبد الستار', 'عبد الجبار', 'سعد', 'سعيد', 'ياسين', 'إسماعيل',
    'قاسم', 'جاسم', 'حميد', 'رشيد', 'صالح', 'طارق', 'زياد', 'فراس',
    'مهند', 'نبيل', 'وليد', 'هاشم', 'جمال', 'كريم', 'ماجد', 'مازن',
    'عادل', 'فاضل', 'نزار', 'ثامر', 'رعد', 'سامي', 'باسم', 'حازم',
    'لؤي', 'أنس', 'بلال', 'حمزة', 'عثمان', 'يونس', 'ذنون', 'شيت',
    'خضر', 'خدر', 'إلياس', 'حجي', 'دخيل', 'ميرزا', 'جرجيس', 'متي',
    'بهنام', 'يعقوب', 'سليمان', 'داود', 'نوري', 'فيصل', 'غانم', 'سالم',
    'مرعي', 'عواد', 'فارس', 'منذر', 'أيمن', 'عمار', 'ياسر', 'أسامة',
    'نايف', 'هيثم', 'صدام', 'عدنان', 'جبار', 'كاظم', 'عباس', 'جعفر',
    'صباح', 'نجم', 'شاكر', 'ضياء', 'علاء', 'رائد', 'مؤيد', 'قصي',
    ]
FEMALE = [
    'فاطمة', 'زينب', 'مريم', 'نور', 'هدى', 'رقية', 'سارة', 'آمنة',
    'خديجة', 'عائشة', 'أسماء', 'رنا', 'سعاد', 'سناء', 'ليلى', 'هناء',
    'إيمان', 'أمل', 'وفاء', 'نادية', 'سميرة', 'بشرى', 'شيماء', 'دعاء',
    'رحمة', 'ضحى', 'غادة', 'لمياء', 'منى', 'نهى', 'هالة', 'ياسمين',
    'شيرين', 'نازدار', 'روناك', 'بيريفان', 'فيان', 'خانم', 'جميلة',
    'حليمة', 'صبيحة', 'نجلاء', 'سهام', 'إسراء', 'آيات', 'تبارك', 'زهراء',
    'حنان', 'كوثر', 'ابتسام', 'انتصار', 'أنوار', 'رشا', 'سجى', 'عبير',
    ]
FAMILY = [
    'الجبوري', 'العبيدي', 'الشمري', 'الطائي', 'الحمداني', 'السبعاوي',
    'اللهيبي', 'البياتي', 'التميمي', 'الدليمي', 'العزاوي', 'النعيمي',
    'الحديدي', 'العكيدي', 'الجحيشي', 'البدراني', 'الزبيدي', 'الخزرجي',
    'الراوي', 'العاني', 'الموصلي', 'السنجاري', 'التلعفري', 'الكبيسي',
    'المشهداني', 'الجميلي', 'الحيالي', 'الصفار', 'النجار', 'الحداد',
    'العلي', 'الحسيني', 'الربيعي', 'العنزي', 'الساعدي', 'الكعبي',
    'الخفاجي', 'الفهداوي', 'المحمدي', 'الدوري', 'السامرائي', 'الشيخ',
    'القيسي', 'الأعرجي', 'البغدادي', 'الطائي', 'الهاشمي', 'الكردي',
    ]
# Latin spellings people use for some of the names above
LATIN = {
    'محمد': ['Mohammed', 'Muhammad', 'Mohamed', 'Mohammad'],
    'أحمد': ['Ahmed', 'Ahmad'],
    'علي': ['Ali', 'Aly'],
    'حسن': ['Hassan', 'Hasan'],
    'حسين': ['Hussein', 'Husain', 'Hussain'],
    'عمر': ['Omar', 'Umar'],
    'خالد': ['Khalid', 'Khaled'],
    'محمود': ['Mahmoud', 'Mahmood'],
    'مصطفى': ['Mustafa', 'Mostafa'],
    'إبراهيم': ['Ibrahim', 'Ebrahim'],
    'يوسف': ['Yousif', 'Yusuf', 'Yousef'],
    'عبدالله': ['Abdullah', 'Abdulla'],
    'قاسم': ['Qasim', 'Kasim', 'Qassim'],
    'جاسم': ['Jassim', 'Jasim'],
    'فاطمة': ['Fatima', 'Fatimah'],
    'زينب': ['Zainab', 'Zeinab'],
    'مريم': ['Maryam', 'Mariam'],
    'الجبوري': ['Al-Jubouri', 'Aljuboori', 'Jubouri'],
    'العبيدي': ['Al-Obaidi', 'Al-Ubaidi', 'Obaidi'],
    'الحمداني': ['Al-Hamdani', 'Hamdani'],
    'الشمري': ['Al-Shammari', 'Shammari'],
    }
# letters typed in place of their neighbours on the Arabic keyboard
KEYBOARD = ['ضصثقفغعهخحجد', 'شسيبلاتنمكط', 'ئءؤرىةوزظ']
HAMZA = {'أ': 'ا', 'إ': 'ا', 'آ': 'ا', 'ة': 'ه', 'ى': 'ي'}


def _neighbours():
    near = {}
    for row in KEYBOARD:
        for i, letter in enumerate(row):
            near[letter] = row[max(0, i - 1):i] + row[i + 1:i + 2]
    return near


NEAR = _neighbours()


class Generator:
    def __init__(self, seed=2026):
        self.random = random.Random(seed)
        self.phones = set()

    def phone(self):
        while True:
            number = '077%08d' % self.random.randrange(10 ** 8)
            if number not in self.phones:
                self.phones.add(number)
                return number

    def birth(self, year=None):
        year = year or self.random.randint(1945, 2018)
        year = min(max(year, 1930), 2024)
        return dt.date(year, self.random.randint(1, 12),
            self.random.randint(1, 28))

    def person(self, sex=None, **values):
        r = self.random
        sex = sex or r.choice(['male', 'female'])
        person = {
            'sex': sex,
            'first_name': r.choice(MALE if sex == 'male' else FEMALE),
            'father_name': r.choice(MALE),
            'grandfather_name': r.choice(MALE),
            'family_name': r.choice(FAMILY),
            'birth_date': self.birth(),
            'estimated_age': None,
            'phone': self.phone(),
            }
        if r.random() < 0.3:
            for part in ('first_name', 'father_name', 'family_name'):
                spellings = LATIN.get(person[part])
                if spellings:
                    person[part + '_latin'] = spellings[0]
        person.update(values)
        return person

    # what changes between two registrations of one person
    def spacing(self, person):
        for part in ('first_name', 'father_name', 'grandfather_name'):
            name = person[part] or ''
            if name.startswith('عبد '):
                return dict(person, **{part: name.replace(' ', '')})
            if name.startswith('عبد') and len(name) > 3:
                return dict(person, **{part: 'عبد ' + name[3:]})
        return self.typo(person)

    def hamza(self, person):
        changed = dict(person)
        for part in ('first_name', 'father_name', 'grandfather_name',
                'family_name'):
            name = changed[part] or ''
            for letter, bare in HAMZA.items():
                if letter in name:
                    changed[part] = name.replace(letter, bare)
                    return changed
        return self.typo(person)

    def article(self, person):
        family = person['family_name']
        if family and family.startswith('ال'):
            return dict(person, family_name=family[2:])
        return self.typo(person)

    def no_grandfather(self, person):
        return dict(person, grandfather_name=None)

    def no_family(self, person):
        return dict(person, family_name=None)

    def family_third(self, person):
        "A three-part name: the family name given in the grandfather's place"
        return dict(person, grandfather_name=person['family_name'],
            family_name=None)

    def typo(self, person):
        r = self.random
        part = r.choice(['first_name', 'father_name', 'father_name',
                'grandfather_name', 'family_name'])
        name = person[part]
        if not name or len(name) < 4:
            part, name = 'father_name', person['father_name']
        letters = list(name)
        i = r.randrange(1, len(letters))
        kind = r.choice(['swap', 'near', 'drop', 'double'])
        if kind == 'swap' and i < len(letters) - 1 and ' ' not in (
                letters[i], letters[i + 1]):
            letters[i], letters[i + 1] = letters[i + 1], letters[i]
        elif kind == 'near' and NEAR.get(letters[i]):
            letters[i] = r.choice(NEAR[letters[i]])
        elif kind == 'drop' and len(letters) > 4 and letters[i] != ' ':
            del letters[i]
        else:
            letters.insert(i, letters[i] if letters[i] != ' ' else 'ا')
        return dict(person, **{part: ''.join(letters)})

    def diacritics(self, person):
        name = person['first_name']
        return dict(person, first_name=name[:1] + '\u064e' + name[1:-1]
            + 'ـ' + name[-1:])

    def estimated(self, person):
        "Registered again with an estimated age, off by up to a year"
        if not person['birth_date']:
            return self.typo(person)
        age = dt.date.today().year - person['birth_date'].year
        age += self.random.choice([-1, 0, 0, 1])
        return dict(person, birth_date=None, estimated_age=max(age, 0))

    def birth_typo(self, person):
        birth = person['birth_date']
        if not birth:
            return self.typo(person)
        if birth.day <= 12 and birth.day != birth.month:
            return dict(person, birth_date=birth.replace(
                    day=birth.month, month=birth.day))
        return dict(person, birth_date=birth.replace(
                day=self.random.choice(
                    [d for d in range(1, 29) if d != birth.day])))

    def latin(self, person):
        "Registered again with the Latin names spelled another way"
        changed = dict(person)
        for part in ('first_name', 'father_name', 'family_name'):
            spellings = LATIN.get(person[part])
            if spellings:
                current = person.get(part + '_latin')
                changed[part + '_latin'] = self.random.choice(
                    [s for s in spellings if s != current])
        return changed

    CHANGES = ['spacing', 'hamza', 'article', 'no_grandfather', 'no_family',
        'family_third', 'typo', 'typo', 'diacritics', 'estimated',
        'estimated', 'birth_typo', 'latin']

    def same_person(self):
        r = self.random
        first = self.person()
        changes = r.sample(self.CHANGES, r.choice([1, 1, 2, 2, 3]))
        second = dict(first)
        for change in changes:
            second = getattr(self, change)(second)
        if r.random() < 0.3:
            second['phone'] = self.phone()  # a new number since
        return Pair('+'.join(changes), True, first, second)

    # different people easily taken for one
    def sibling(self):
        r = self.random
        first = self.person()
        sex = r.choice(['male', 'female'])
        names = MALE if sex == 'male' else FEMALE
        kind = 'sibling'
        if r.random() < 0.08:
            kind, birth = 'twin', first['birth_date']
        else:
            birth = self.birth(first['birth_date'].year + r.choice(
                    [-1, 1]) * r.randint(1, 15))
        second = self.person(sex=sex,
            first_name=r.choice([n for n in names
                    if n != first['first_name']]),
            father_name=first['father_name'],
            grandfather_name=first['grandfather_name'],
            family_name=first['family_name'], birth_date=birth)
        if r.random() < 0.5:
            second['phone'] = first['phone']  # the family's phone
        return Pair(kind, False, first, second)

    def cousin(self):
        r = self.random
        first = self.person()
        second = self.person(sex=first['sex'],
            father_name=r.choice([n for n in MALE
                    if n != first['father_name']]),
            grandfather_name=first['grandfather_name'],
            family_name=first['family_name'],
            birth_date=self.birth(first['birth_date'].year + r.randint(-4, 4)))
        if r.random() < 0.2:
            second['phone'] = first['phone']
        return Pair('cousin', False, first, second)

    def namesake(self):
        "The same common name, born three or more years apart"
        r = self.random
        first = self.person()
        year = first['birth_date'].year + r.choice([-1, 1]) * r.randint(3, 25)
        second = self.person(sex=first['sex'],
            first_name=first['first_name'],
            father_name=first['father_name'],
            grandfather_name=r.choice([first['grandfather_name'], None]),
            family_name=first['family_name'],
            birth_date=self.birth(year))
        return Pair('namesake', False, first, second)

    def father_son(self):
        "A son named, as often, after his grandfather"
        r = self.random
        father = self.person(sex='male', birth_date=self.birth(
                r.randint(1945, 1984)))
        son = self.person(sex='male', first_name=father['father_name'],
            father_name=father['first_name'],
            grandfather_name=father['father_name'],
            family_name=father['family_name'],
            birth_date=self.birth(father['birth_date'].year
                + r.randint(18, 40)))
        if r.random() < 0.5:
            son['phone'] = father['phone']
        return Pair('father_son', False, father, son)

    def pairs(self, same=1100, different=1000):
        pairs = [self.same_person() for _ in range(same)]
        makers = [self.sibling] * 4 + [self.cousin] * 2 + [
            self.namesake] * 3 + [self.father_son]
        pairs += [self.random.choice(makers)() for _ in range(different)]
        return pairs

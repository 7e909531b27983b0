"""Users of the whole stack at work, for tests/test_deploy_stack.py: what
caseworkers, focal points, supervisors and managers send from the web
client, each user a thread with its own connection (tests/deploy_client.py),
for a given time.

The mix, per client: caseworkers page through the beneficiaries and the
referrals, search a name, open a record, register a person (beneficiary,
consent, case with a need) and refer one of the needs they registered to
the check's provider; its focal points read their inbox and accept the
referrals of their share (two of them never answer the same one); the demo
providers' focal points read their inbox; supervisors and managers read the
lists and the statistics. Each logs in at the start and again now and then.
"""
import collections
import datetime as dt
import random
import statistics
import threading
import time
import traceback

from deploy_client import Client

FIRST_NAMES = {
    'male': ['محمد', 'أحمد', 'علي', 'حسين', 'عمر', 'خالد', 'يوسف', 'سالم',
        'إبراهيم', 'كريم', 'حيدر', 'مصطفى', 'داود', 'خضر', 'نوري'],
    'female': ['فاطمة', 'زينب', 'مريم', 'نور', 'سارة', 'هدى', 'رنا', 'شيماء',
        'آمنة', 'خديجة', 'نادية', 'ليلى', 'جميلة', 'سميرة', 'وفاء'],
    }
FATHER_NAMES = ['عبد الله', 'جاسم', 'حسن', 'قاسم', 'يونس', 'خليل', 'عباس',
    'إسماعيل', 'متي', 'حنا', 'خلف', 'رشيد', 'صالح', 'كاظم', 'فاضل']
FAMILY_NAMES = ['الجبوري', 'الحيالي', 'العبيدي', 'الطائي', 'البياتي',
    'الشمري', 'الدليمي', 'بطرس', 'خديدا', 'التركماني', 'اللهيبي',
    'الحمداني', 'السبعاوي', 'النعيمي', 'الزبيدي']
# the offices of the demo, their caseworker and district
OFFICES = [
    ('MSL', 'mosul.caseworker', 'Mosul'),
    ('HMD', 'hamdaniya.caseworker', 'Hamdaniya'),
    ('SNJ', 'sinjar.caseworker', 'Sinjar'),
    ('TLF', 'talafar.caseworker', 'Tal Afar'),
    ]
SUPERVISORS = ['mosul.supervisor', 'sinjar.supervisor']
DEMO_FOCAL_POINTS = ['provider.sinjar.women', 'provider.legal.network']
FOCAL_PASSWORD = 'Deploy-check-2026!'
PAGE = 20


def stack_env(directory):
    """{name: value} of the stack.env deploy/run-local.sh wrote in the
    stack's directory (MOMD_STACK_DB, MOMD_STACK_HTTPS...)"""
    return dict(line.split('=', 1) for line in (
            directory / 'stack.env').read_text().splitlines() if line)


def search_ids(client, model, domain):
    "The ids of model the client finds with domain"
    return client.model(model, 'search', domain, 0, None, None)


def new_provider(admin, network, name, focal_points=()):
    "An active provider of the network's category in Nineveh; its service"
    party, = admin.model('party.party', 'create', [{'name': name}])
    provider, = admin.model('momd.provider', 'create', [{
                'name_ar': 'منظمة %s' % name, 'name_en': name,
                'party': party, 'type': 'local_cso',
                'agreement_date': str(dt.date.today() - dt.timedelta(days=30)),
                'focal_points': [('add', list(focal_points))],
                'services': [('create', [{
                                'category': network['category'],
                                'locations': [('add', [network['nineveh']])],
                                }])],
                }])
    admin.model('momd.provider', 'verify', [provider])
    admin.model('momd.provider', 'activate', [provider])
    service, = search_ids(admin, 'momd.provider.service', [
            ('provider', '=', provider)])
    return provider, service


def make_network(admin, demo_password, focal_points=2):
    """What the users of the load work with, made by admin (a client of
    the administrator): a provider of rent support in Nineveh with
    focal_points new focal points (with e-mail addresses, FOCAL_PASSWORD),
    the demo offices and their districts, and what registering needs"""
    group, = search_ids(admin, 'res.group', [('name', '=', 'Provider Focal Point')])
    # (named anew each time: a database used before has those of the runs
    # before)
    run = random.randrange(10 ** 6)
    logins = ['deploy%d.focal%d' % (run, i)
        for i in range(1, focal_points + 1)]
    users = admin.model('res.user', 'create', [{
                'login': login, 'name': 'Focal Point %d' % i,
                'groups': [('add', [group])],
                'email': '%s@provider.example' % login,
                'password': FOCAL_PASSWORD}
            for i, login in enumerate(logins, 1)])
    network = {
        'focal_points': logins,
        'demo_password': demo_password,
        'category': search_ids(admin, 'momd.service.category', [
                ('code', '=', 'hlp.rent')])[0],
        'nineveh': search_ids(admin, 'momd.location', [('pcode', '=', 'IQG15')])[0],
        'offices': {}, 'districts': {},
        'displacement_statuses': [key for key, _ in admin.model(
                'momd.beneficiary', 'fields_get', ['displacement_status'])[
                'displacement_status']['selection'] if key],
        }
    for code, _, district in OFFICES:
        network['offices'][code], = search_ids(admin, 'momd.office', [
                ('code', '=', code)])
        network['districts'][code], = search_ids(admin, 'momd.location', [
                ('level', '=', 'district'), ('rec_name', '=', district)])
    network['provider'], network['service'] = new_provider(
        admin, network, 'Deploy Check Rent Support %d' % run, users)
    return network


def register(client, network, office, rng):
    """A person registered by client at office (a code of OFFICES), with an
    active consent and a case with a need of the network's category;
    return (case, need)"""
    sex = rng.choice(['male', 'female'])
    beneficiary, = client.model('momd.beneficiary', 'create', [{
                'office': network['offices'][office],
                'first_name': rng.choice(FIRST_NAMES[sex]),
                'father_name': rng.choice(FATHER_NAMES),
                'grandfather_name': rng.choice(FATHER_NAMES),
                'family_name': rng.choice(FAMILY_NAMES),
                'sex': sex,
                'estimated_age': rng.randint(18, 75),
                'displacement_status': rng.choice(
                    network['displacement_statuses']),
                'current_location': network['districts'][office],
                # names are drawn from short lists: some repeat
                'duplicate_reason': "Another person of the same name",
                }])
    consent, = client.model('momd.consent', 'create', [{
                'beneficiary': beneficiary,
                'purpose': 'Referral for services',
                'information_groups': ['identity', 'needs'],
                }])
    client.model('momd.consent', 'activate', [consent])
    case, = client.model('momd.case', 'create', [{
                'beneficiary': beneficiary,
                'office': network['offices'][office],
                'needs': [('create', [{'category': network['category']}])],
                }])
    need, = client.model('momd.need', 'search', [('case', '=', case)],
        0, None, None)
    return case, need


def refer(client, case, need, service, priority='normal'):
    "Create and send the referral of need to service; return its id"
    referral, = client.model('momd.referral', 'create', [{
                'case': case, 'need': need, 'provider_service': service,
                'priority': priority,
                'reason': 'Help with the rent of a home after return',
                'disclosed_groups': ['identity'],
                }])
    client.model('momd.referral', 'send', [referral])
    return referral


def percentile(values, share):
    "The value below which share (0..1) of the values lie"
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(share * len(values)))]


class User:
    "One client of the load: its login, its actions and what they cost"

    def __init__(self, load, index, role, login, password, rng):
        self.load = load
        self.index = index
        self.role = role
        self.login_name = login
        self.password = password
        self.rng = rng
        self.client = None
        self.views = {}
        # (case, need) registered and not referred yet
        self.needs = []
        self.seen = {}

    def connect(self):
        "Log in (again), on a new connection"
        if self.client:
            self.client.close()
        self.client = Client(self.load.url, self.load.db, self.login_name,
            self.password)

    def fields(self, model):
        "The fields of the model's list, as the web client reads them once"
        if model not in self.views:
            view = self.client.model(model, 'fields_view_get', None, 'tree')
            self.views[model] = sorted(view['fields'])
        return self.views[model]

    def list(self, model, domain, pages=1):
        "A page of the list, as the web client shows it; return its ids"
        offset = PAGE * self.rng.randrange(pages)
        ids = self.client.model(model, 'search', domain, offset, PAGE, None)
        if ids:
            self.client.model(model, 'read', ids, self.fields(model))
        if len(ids) == PAGE:
            # a full page: how many there are, as far as 1000
            self.client.model(model, 'search_count', domain, 0, 1000)
        self.seen[model] = ids
        return ids

    # the actions: (name, weight) by role
    MIX = {
        'caseworker': [('beneficiaries', 25), ('search name', 10),
            ('open beneficiary', 10), ('referrals', 20), ('register', 15),
            ('refer', 15), ('login', 5)],
        'focal point': [('inbox', 50), ('accept', 30), ('in progress', 15),
            ('login', 5)],
        'provider': [('inbox', 70), ('in progress', 25), ('login', 5)],
        'supervisor': [('referrals', 35), ('beneficiaries', 30),
            ('statistics', 30), ('login', 5)],
        'manager': [('statistics', 60), ('referrals', 35), ('login', 5)],
        }

    def act(self, name):
        client = self.client
        network = self.load.network
        if name == 'login':
            self.connect()
        elif name == 'beneficiaries':
            self.list('momd.beneficiary', [], pages=5)
        elif name == 'search name':
            sex = self.rng.choice(['male', 'female'])
            self.list('momd.beneficiary', [
                    ('rec_name', 'ilike',
                        '%%%s%%' % self.rng.choice(FIRST_NAMES[sex]))])
        elif name == 'open beneficiary':
            ids = self.seen.get('momd.beneficiary') or self.list(
                'momd.beneficiary', [])
            if ids:
                view = client.model(
                    'momd.beneficiary', 'fields_view_get', None, 'form')
                client.model('momd.beneficiary', 'read',
                    [self.rng.choice(ids)], sorted(view['fields']))
        elif name == 'referrals':
            self.list('momd.referral', [], pages=3)
        elif name == 'register':
            self.needs.append(register(
                    client, network, self.office, self.rng))
        elif name == 'refer':
            if not self.needs:
                self.needs.append(register(
                        client, network, self.office, self.rng))
            case, need = self.needs.pop(0)
            refer(client, case, need, network['service'],
                self.rng.choice(['normal', 'normal', 'urgent']))
        elif name == 'inbox':
            self.list('momd.referral', [
                    ('provider.focal_points', '=', client.uid),
                    ('state', '=', 'sent')])
        elif name == 'in progress':
            self.list('momd.referral', [
                    ('provider.focal_points', '=', client.uid),
                    ('state', 'in', ['accepted', 'in_progress'])])
        elif name == 'accept':
            # this client's share of the referrals to answer
            sent = client.model('momd.referral', 'search', [
                    ('provider.focal_points', '=', client.uid),
                    ('state', '=', 'sent')], 0, None, [('id', 'ASC')])
            mine = [i for i in sent
                if i % self.load.answering == self.share]
            if mine:
                client.model('momd.referral', 'accept', [mine[0]])
        elif name == 'statistics':
            model = self.rng.choice(['momd.referral.statistic',
                    'momd.beneficiary.statistic', 'momd.referral.kpi'])
            self.list(model, [])
        else:
            raise ValueError(name)

    def run(self):
        actions, weights = zip(*self.MIX[self.role])
        if not self.timed('login', self.connect):
            return
        while time.monotonic() < self.load.deadline:
            name = self.rng.choices(actions, weights)[0]
            # after an error the user goes on, as a person would
            self.timed(name, lambda: self.act(name))

    def timed(self, name, func):
        "Run func as the action name; return whether it went through"
        start = time.perf_counter()
        client = self.client
        before = len(client.times) if client else 0
        try:
            func()
            return True
        except Exception as error:
            self.load.error(self, name, error)
            return False
        finally:
            # the requests of a new login are those of the new client
            times = client.times[before:] if client else []
            if self.client is not client:
                times += self.client.times
            self.load.record(self, name, time.perf_counter() - start, times)


class Load:
    """clients users of url for seconds: run() returns the summary (requests,
    errors, p50/p95 of the requests and of each action)"""

    def __init__(self, url, db, network, seconds, clients=20, seed=1):
        self.url = url
        self.db = db
        self.network = network
        self.seconds = seconds
        self.deadline = None
        self.lock = threading.Lock()
        self.requests = []
        self.actions = collections.defaultdict(list)
        self.errors = []
        rng = random.Random(seed)
        demo = network['demo_password']
        # half of them caseworkers, the others answer or read
        roles = (['caseworker'] * 10 + ['focal point'] * 4 + ['provider'] * 2
            + ['supervisor'] * 2 + ['manager'] * 2)
        roles = (roles * (clients // len(roles) + 1))[:clients]
        self.users = []
        counts = collections.Counter()
        for index, role in enumerate(roles):
            n = counts[role]
            counts[role] += 1
            user_rng = random.Random(rng.random())
            if role == 'caseworker':
                office, login, _ = OFFICES[n % len(OFFICES)]
                user = User(self, index, role, login, demo, user_rng)
                user.office = office
            elif role == 'focal point':
                logins = network['focal_points']
                user = User(self, index, role, logins[n % len(logins)],
                    FOCAL_PASSWORD, user_rng)
                user.share = n
            elif role == 'provider':
                user = User(self, index, role,
                    DEMO_FOCAL_POINTS[n % len(DEMO_FOCAL_POINTS)], demo,
                    user_rng)
            elif role == 'supervisor':
                user = User(self, index, role,
                    SUPERVISORS[n % len(SUPERVISORS)], demo, user_rng)
            else:
                user = User(self, index, role, 'manager', demo, user_rng)
            self.users.append(user)
        self.answering = counts['focal point'] or 1

    def record(self, user, name, seconds, requests):
        with self.lock:
            self.actions[name].append(seconds)
            self.requests.extend(requests)

    def error(self, user, name, error):
        with self.lock:
            self.errors.append('%s (%s) %s: %s' % (
                    user.login_name, user.role, name,
                    ''.join(traceback.format_exception_only(
                            type(error), error)).strip()))

    def run(self):
        self.deadline = time.monotonic() + self.seconds
        started = dt.datetime.now()
        threads = [threading.Thread(target=self._run, args=(user,),
                name='load-%d' % user.index, daemon=True)
            for user in self.users]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=self.seconds + 900)
        elapsed = time.perf_counter() - start
        stuck = [t.name for t in threads if t.is_alive()]
        if stuck:
            self.errors.append('clients still waiting: %s' % stuck)
        return {
            'started': started.isoformat(timespec='seconds'),
            'seconds': round(elapsed, 1),
            'clients': len(self.users),
            'requests': len(self.requests),
            'requests_per_second': round(len(self.requests) / elapsed, 1),
            'errors': len(self.errors),
            'error_messages': self.errors[:20],
            'p50_ms': _ms(percentile(self.requests, 0.5)),
            'p95_ms': _ms(percentile(self.requests, 0.95)),
            'max_ms': _ms(max(self.requests, default=None)),
            'actions': {name: {
                    'count': len(times),
                    'p50_ms': _ms(statistics.median(times)),
                    'p95_ms': _ms(percentile(times, 0.95)),
                    } for name, times in sorted(self.actions.items())},
            }

    def _run(self, user):
        try:
            user.run()
        finally:
            if user.client:
                user.client.close()


def _ms(seconds):
    return None if seconds is None else round(seconds * 1000)

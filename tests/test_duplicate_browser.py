"""Finding a person across scripts, and a likely duplicate while
registering, in real headless Chromium.

A Mosul caseworker working in Arabic registers (through JSON-RPC) three
men written in Arabic only, first names محمد, مصطفى and محمود, family name
القصاب. In sao, the search box of the Beneficiaries list finds each of them
by the Latin spellings people type (Mohammed, Muhammad, Mustafa,
Mahmood), alone or with the family name, without bringing the brothers of
another first name; an Arabic query finds all three. Then the caseworker
types one of them again in a new registration: the form shows the
"Likely Duplicates" with the existing registration number before saving,
saving without the "Reason for a New Registration" is refused with an error
naming that field, and leaving without saving writes nothing.
"""
import re

import pytest

playwright_api = pytest.importorskip('playwright.sync_api')
expect = playwright_api.expect

from conftest import DB  # noqa: E402
from momd_client import RPCError, Session  # noqa: E402
from webclient import PASSWORD, label  # noqa: E402

CASEWORKER = 'mosul.caseworker'
FAMILY = 'القصاب'
# Arabic only (no Latin names); each with father's and grandfather's names
# of their own, unusual enough that only these records answer the queries
PEOPLE = {
    'mohammed': {'first_name': 'محمد', 'father_name': 'زهير',
        'grandfather_name': 'نعمان', 'family_name': FAMILY,
        'estimated_age': 34},
    'mustafa': {'first_name': 'مصطفى', 'father_name': 'غسان',
        'grandfather_name': 'ضرغام', 'family_name': FAMILY,
        'estimated_age': 41},
    'mahmood': {'first_name': 'محمود', 'father_name': 'فرقد',
        'grandfather_name': 'صفوان', 'family_name': FAMILY,
        'estimated_age': 29},
    }
# (what is typed in the search box, who must be found, who must not be);
# in this order each query leaves out someone the previous one showed, so
# that the list is known to show the new search's answer
QUERIES = [
    ('Mohammed', ['mohammed'], ['mustafa', 'mahmood']),
    ('Mustafa', ['mustafa'], ['mohammed', 'mahmood']),
    ('Muhammad', ['mohammed'], ['mustafa', 'mahmood']),
    ('Mahmood', ['mahmood'], ['mohammed', 'mustafa']),
    (FAMILY, ['mohammed', 'mustafa', 'mahmood'], []),
    ('Mohammed Al-Qassab', ['mohammed'], ['mustafa', 'mahmood']),
    ('Mustafa القصاب', ['mustafa'], ['mohammed', 'mahmood']),
    ('Mahmood Al-Qassab', ['mahmood'], ['mohammed', 'mustafa']),
    ]


def name_domain(person):
    return [(part, '=', person[part]) for part in (
            'first_name', 'father_name', 'grandfather_name', 'family_name')]


@pytest.fixture(scope='module')
def people(server):
    """{key: (id, registration number)} of the three men, registered by
    the caseworker (once, should the database have them already)"""
    rpc = Session(server, DB, CASEWORKER, PASSWORD, 'ar')
    office, = rpc.model('momd.office', 'search', [('code', '=', 'MSL')],
        0, None, None)
    registered = {}
    for key, person in PEOPLE.items():
        found = rpc.model('momd.beneficiary', 'search', name_domain(person),
            0, None, None)
        if not found:
            values = dict(person, office=office, sex='male')
            try:
                found = rpc.model('momd.beneficiary', 'create', [values])
            except RPCError as error:
                # alike someone registered: registered with the reason
                field = label(
                    'field:momd.beneficiary,duplicate_reason:')
                if field not in error.message:
                    raise
                values['duplicate_reason'] = (
                    'شخص آخر يحمل اسماً مشابهاً، تحقق منه الباحث')
                found = rpc.model('momd.beneficiary', 'create', [values])
        record, = rpc.model('momd.beneficiary', 'read', found,
            ['code', 'first_name_latin', 'family_name_latin', 'name_key'])
        assert not record['first_name_latin'], record
        assert not record['family_name_latin'], record
        registered[key] = (record['id'], record['code'])
    return rpc, registered


def test_latin_queries_find_arabic_names(web, people):
    """Mohammed, Muhammad, Mustafa and Mahmood typed in the search box of
    the Beneficiaries list find the men written in Arabic only, and not
    their brothers of another first name; القصاب finds all three"""
    rpc, registered = people
    # the server answers the search sao sends as it should
    for query, found, not_found in QUERIES:
        domain = [('rec_name', 'ilike', '%%%s%%' % word)
            for word in query.split()]
        ids = rpc.model('momd.beneficiary', 'search', domain, 0, None, None)
        for key in found:
            assert registered[key][0] in ids, (query, key)
        for key in not_found:
            assert registered[key][0] not in ids, (query, key)

    client = web(CASEWORKER, 'ar')
    page = client.page
    expect(page.locator('html')).to_have_attribute('dir', 'rtl')
    client.open_tab('menu_momd', 'menu_beneficiary_form')
    expect(client.tab.locator('.tab-domain')).to_be_visible()
    client.tab.locator('.tab-domain a', has_text=label(
            'model:ir.action.act_window.domain,name:'
            'act_beneficiary_form_domain_all')).click()
    client.settle()
    search = client.tab.get_by_placeholder(client.sao_text('Search'))
    expect(search).to_be_visible()
    rows = client.tab.locator('.treeview tbody tr:visible')
    for query, found, not_found in QUERIES:
        search.fill(query)
        search.press('Enter')
        client.list_rows()
        # first who must not be there: the previous answer had them
        for key in not_found:
            expect(rows.filter(has_text=registered[key][1]),
                '%s: %s not shown' % (query, key)).to_have_count(0)
        for key in found:
            expect(rows.filter(has_text=registered[key][1]),
                '%s: %s shown' % (query, key)).to_have_count(1)
            expect(rows.filter(has_text=registered[key][1])).to_contain_text(
                PEOPLE[key]['first_name'])
        client.expect_no_dialog()
    client.screenshot('duplicate-search-latin')


def test_registration_shows_likely_duplicate(web, people):
    """Typing again the names of a registered man in a new registration
    shows the likely duplicate's number; saving without the reason is
    refused naming the field; leaving without saving writes nothing"""
    rpc, registered = people
    person = PEOPLE['mohammed']
    _, code = registered['mohammed']
    domain = name_domain(person)
    before = rpc.model('momd.beneficiary', 'search_count', domain)
    assert before == 1, before

    client = web(CASEWORKER, 'ar')
    page = client.page
    expect(page.locator('html')).to_have_attribute('dir', 'rtl')
    client.open_tab('menu_momd', 'menu_beneficiary_form')
    client.toolbar('new_')
    for name in ['first_name', 'father_name', 'grandfather_name',
            'family_name']:
        client.write(name, person[name])
    client.select('sex', 'male')
    client.write('estimated_age', str(person['estimated_age']))

    # the likely duplicate, shown before saving
    expect(client.tab.locator('.form-separator', has_text=label(
                'field:momd.beneficiary,likely_duplicates:'))).to_be_visible()
    assert label('field:momd.beneficiary,likely_duplicates:') == (
        'سجلات مكررة محتملة')
    expect(client.field('likely_duplicates')).to_have_value(
        re.compile(re.escape(code)))
    for key in ['mustafa', 'mahmood']:
        expect(client.field('likely_duplicates')).not_to_have_value(
            re.compile(re.escape(registered[key][1])))
    client.screenshot('duplicate-form-likely')

    # saved without the reason: refused, naming the field
    field = label('field:momd.beneficiary,duplicate_reason:')
    assert field == 'سبب التسجيل الجديد'
    client.settle()
    client.tab.locator('button#save').click()
    message = client.popup()
    expect(message).to_contain_text(field)
    expect(message).to_contain_text(code)
    client.screenshot('duplicate-form-refused')
    message.locator('.modal-footer button').last.click()
    client.settle()
    client.expect_no_dialog()
    client.expect_value('sex', 'male')
    expect(client.field('code')).to_have_value('')

    # left without saving: the tab closed, answering No to saving it
    tabs = page.locator('#tablist > li')
    count = tabs.count()
    page.locator('#tablist > li.active button.close').click()
    question = client.popup()
    question.locator('.modal-footer button', has_text=re.compile(
            r'^\s*%s\s*$' % re.escape(client.sao_text('No')))).click()
    client.settle()
    client.expect_no_dialog()
    expect(tabs).to_have_count(count - 1)
    assert rpc.model('momd.beneficiary', 'search_count', domain) == before
    assert rpc.model('momd.beneficiary', 'search_count', [
            ('first_name', '=', person['first_name']),
            ('family_name', '=', FAMILY)]) == 1

"""No English on the screens of a caseworker working in Arabic.

A Mosul caseworker logs in to sao in Arabic and opens every entry of their
menu: each list, the form of its first record (or, when the list is empty, a
new one; for an empty list they may only read, its form's labels as the
server gives them), the Find Providers wizard, their preferences. On each
screen the labels a user reads — menu entries, tab titles, column headings,
field labels, notebook tabs, separators, buttons and their tooltips, choices
of selection fields, help texts, placeholders, entries of the toolbar's
menus — are collected from the page, leaving out data (cells, field values),
and none may be written in Latin letters, but for the abbreviations the
Arabic strings keep (WG for the Washington Group questions, P-code...). The
login screen is checked first. Screenshots of each screen are kept in the
test artifacts (arabic-*.png).

So does the administrator, switched to Arabic, on the screens of the Data
Protection menu (the audit trail, its summaries, its verification, the
breach scoping, the people past their retention period) and the
configuration of the referral system (arabic-admin-*.png).
"""
import re

import pytest

playwright_api = pytest.importorskip('playwright.sync_api')
expect = playwright_api.expect

import momd_setup  # noqa: E402
from conftest import DB  # noqa: E402
from webclient import TIMEOUT, label, menu  # noqa: E402

# Abbreviations that stay in Latin letters in the Arabic strings: the
# Washington Group (WG) disability questions, UN place codes (P-code), the
# standard operating procedures (SOP), file formats, the Iraqi mobile
# number pattern shown as an example in a help text, the names of the SMS
# alphabets and gateways of the outbox (GSM, UCS-2, SMPP, HTTP, and the
# methods of an HTTP gateway, GET and POST), and the name of the field
# teams' collection tool as its app shows it (KoboToolbox), the column of
# its exports that identifies a submission (_uuid) and the checksum kept of
# an imported file (SHA-256)
ABBREVIATIONS = re.compile(
    r'\b(?:WG|P-codes?|SOP|PDF|XLSX|CSV|JSON|ID|07XX|XXX|XXXX'
    r'|GSM|UCS-2|SMPP|HTTP|GET|POST|KoboToolbox|_uuid|SHA-256)\b'
    # and examples of the codes a field takes (hlp.rent), of the addresses
    # (https://kf.kobotoolbox.org) and of the placeholders ({to}) a gateway's
    # address takes
    r'|\bhttps?://[\w.-]+|\{[a-z_]+\}|\b[a-z]+(?:\.[a-z_]+)+\b')
LATIN = re.compile(r'[A-Za-z]')
# The languages a user may choose are named in their own language
AUTONYMS = {'English', 'Kurmancî'}

# The labels of a part of the page: (what, text). Values of fields and cells
# of lists are data, and left out; so are the titles of inputs (their value)
COLLECT = '''root => {
    const found = [];
    const add = (what, text) => {
        text = (text || '').trim();
        if (text) found.push([what, text]);
    };
    // the main menu is a list too, of labels; the databases of the login
    // screen are data
    const data = element => !element.closest('#menu') && element.closest(
        'td, input, textarea, #user-preferences > a, [name="database"]');
    const selectors = [
        'label', 'legend', 'th', '.nav-tabs a', 'button',
        '.dropdown-menu a', '.form-separator', '.help-block',
        '.modal-title', '.panel-heading', 'h1, h2, h3, h4, h5',
        '#menu td', '.navbar a'];
    for (const element of root.querySelectorAll(selectors.join(', '))) {
        if (data(element) && element.tagName != 'TH') continue;
        const what = element.tagName.toLowerCase() + (
            element.name ? '[name=' + element.name + ']' : '');
        add(what, element.innerText || element.textContent);
    }
    for (const element of root.querySelectorAll('select option')) {
        // choices are labels, in lists too; not the databases
        if (element.closest('[name="database"]')) continue;
        add('choice', element.textContent);
    }
    for (const element of root.querySelectorAll('[placeholder]')) {
        add('placeholder', element.getAttribute('placeholder'));
    }
    for (const attribute of ['title', 'aria-label', 'data-original-title']) {
        for (const element of root.querySelectorAll('[' + attribute + ']')) {
            if (data(element)) continue;
            add(attribute, element.getAttribute(attribute));
        }
    }
    return found;
}'''


def latin_labels(scope, least=1):
    """The labels of scope (a locator) that have Latin letters; there are
    at least least labels"""
    found = scope.evaluate(COLLECT)
    assert len({text for _, text in found}) >= least, found
    return sorted({(what, text) for what, text in found
            if LATIN.search(ABBREVIATIONS.sub('', text))
            and not (what == 'choice' and text in AUTONYMS)})


def menu_entries(session):
    """The path of names, id, action type and action id of the user's menu
    entries"""
    context = {'language': 'ar'}
    roots = session.call('model.ir.ui.menu.search',
        [['parent', '=', None]], 0, None, None, context)
    entries = session.call('model.ir.ui.menu.search_read',
        [['parent', 'child_of', roots]],
        0, None, None, ['complete_name', 'action'], context)
    return sorted(
        (e['complete_name'].split(' / '), e['id'],
            e['action'] and e['action'].split(',')[0],
            e['action'] and int(e['action'].split(',')[1]))
        for e in entries)


def calendar_actions(session):
    "The ids of the window actions that have a calendar view"
    actions = session.call('model.ir.action.act_window.search_read',
        [], 0, None, None, ['views'], {'language': 'ar'})
    return {a['id'] for a in actions
        if any(kind == 'calendar' for _, kind in a['views'] or [])}


def form_labels(session, action_id):
    """The labels with Latin letters of the form of the window action's
    model in Arabic, as the server gives them to sao: field labels, help
    texts, choices, and the strings of the view (pages, separators,
    buttons)"""
    context = {'language': 'ar'}
    action, = session.call('model.ir.action.act_window.read',
        [action_id], ['res_model'], context)
    view = session.call('model.%s.fields_view_get' % action['res_model'],
        None, 'form', context)
    texts = re.findall(r'(?:string|help|confirm)="([^"]*)"', view['arch'])
    for field in view['fields'].values():
        texts += [field.get('string'), field.get('help')]
        selection = field.get('selection')
        if isinstance(selection, list):
            texts += [text for _, text in selection]
    return sorted({('form', t) for t in texts
            if t and LATIN.search(ABBREVIATIONS.sub('', t))})


# What a click on a menu entry does
OPEN_MENU = """id => Sao.Action.exec_keyword(
    'tree_open', {'model': 'ir.ui.menu', 'id': id}, null, false)"""

# The type of the view of the tab shown (tree, form, calendar...)
VIEW_TYPE = """() => Sao.Tab.tabs.get_current().screen.current_view
    .view_type"""


class Screens:
    """The screens a user working in Arabic opens in sao: the labels with
    Latin letters each shows (found, by screen) and a screenshot of each
    (arabic-<prefix><picture>.png in the artifacts). A menu entry is opened
    as a click on it does, or by clicking the names of its path in the menu
    (click)."""

    def __init__(self, client, session, artifacts, prefix='', click=False):
        self.client = client
        self.session = session
        self.artifacts = artifacts
        self.prefix = prefix
        self.click = click
        self.calendars = calendar_actions(session)
        self.found = {}

    def check(self, screen, scope, picture, least=10):
        "The labels of scope (at least least of them); a screenshot"
        labels = latin_labels(scope, least)
        if labels:
            self.found[screen] = labels
        self.client.page.screenshot(path=str(self.artifacts / (
                    'arabic-%s%s.png' % (self.prefix, picture))))

    def check_names(self, entries):
        "The names of the menu entries, also those of their folders"
        names = sorted({(name,) for path, _, _, _ in entries for name in path
                if LATIN.search(ABBREVIATIONS.sub('', name))})
        if names:
            self.found['menu entries'] = [('menu',) + n for n in names]

    def open(self, path, menu_id):
        "Open the menu entry"
        if self.click:
            self.client.open_menu_path(path)
        else:
            self.client.page.evaluate(OPEN_MENU, menu_id)

    def open_wizard(self, path, menu_id, picture, least=10):
        "Open the wizard of the menu entry, check its dialog; the dialog"
        self.open(path, menu_id)
        popup = self.client.popup()
        self.check(' ‹ '.join(path), popup, picture, least)
        return popup

    def close_wizard(self, popup):
        "Leave the wizard by its dialog's first button (cancel or close)"
        popup.locator('.modal-footer button').first.click()
        self.client.settle()
        self.client.expect_no_dialog()

    def open_window(self, path, menu_id, action_id, picture):
        """Open the window action of the menu entry, check its views (its
        form only, or its list and the form of its first record or of a
        new one, its calendar) and close its tab"""
        client = self.client
        screen = ' ‹ '.join(path)
        tabs = client.page.locator('#tablist > li')
        count = tabs.count()
        self.open(path, menu_id)
        expect(tabs).to_have_count(count + 1, timeout=TIMEOUT)
        client.settle()
        new = False
        if client.page.evaluate(VIEW_TYPE) == 'form':
            # an action showing a form only (a configuration)
            expect(client.tab.locator('div.form:visible').first).to_be_visible(
                timeout=TIMEOUT)
            client.settle()
            self.check(screen + ' (form)', client.tab, picture + '-form')
        else:
            new = self.check_list(screen, action_id, picture)
        client.page.locator('#tablist > li.active button.close').click()
        client.settle()
        if new:
            # the new record (its defaults) is not kept
            popup = client.popup()
            popup.get_by_role('button', name=client.sao_text('No')).click()
            client.settle()
        client.expect_no_dialog()
        expect(tabs).to_have_count(count, timeout=TIMEOUT)

    def check_list(self, screen, action_id, picture):
        """Check the list of the tab shown, the form of its first record and
        its calendar; whether a new record was opened"""
        client = self.client
        self.check(screen + ' (list)', client.tab, picture + '-list')
        rows = client.list_rows()
        filled = bool(rows.count())
        # an empty list: a new record when the user may create one; a list
        # they only read (its New greyed out, as the system writes its
        # records) shows no form while empty: the labels of its form are
        # read from the server instead
        new = not filled and client.tab.locator('button#new_').is_enabled()
        if filled:
            cell = rows.first.locator(
                'td[headers]:visible:not(:has(a)):not(:has(input))').first
            cell.click()
            client.settle()
            client.toolbar('switch_')
        elif new:
            client.toolbar('new_')
        if filled or new:
            expect(client.tab.locator('div.form:visible').first).to_be_visible(
                timeout=TIMEOUT)
            client.settle()
            self.check(screen + ' (form)', client.tab, picture + '-form')
        else:
            labels = form_labels(self.session, action_id)
            if labels:
                self.found[screen + ' (form)'] = labels
        if filled and action_id in self.calendars:
            # the next view: the calendar of the list
            client.toolbar('switch_')
            expect(client.tab.locator('.fc-toolbar h2')).to_be_visible(
                timeout=TIMEOUT)
            client.settle()
            self.check(screen + ' (calendar)', client.tab,
                picture + '-calendar')
        return new

    def report(self):
        "The labels found, by screen"
        return '\n'.join(
            '%s: %s' % (screen, '; '.join('%s %r' % l for l in labels))
            for screen, labels in self.found.items())


def test_caseworker_screens_have_no_latin_labels(web, login, server,
        artifacts):
    client = web('mosul.caseworker', 'ar')
    session = login('mosul.caseworker', language='ar')
    screens = Screens(client, session, artifacts)
    entries = menu_entries(session)
    # the caseworker's registry, cases, referrals, providers and activities
    assert len(entries) >= 12, entries

    # the login screen, in a browser of its own
    anonymous = client.context.browser.new_context(locale='ar')
    page = anonymous.new_page()
    page.goto('%s/#%s' % (server, DB))
    dialog = page.locator('.login-dialog')
    expect(dialog.locator('#login')).to_be_visible(timeout=TIMEOUT)
    expect(page.locator('html')).to_have_attribute('dir', 'rtl')
    # the dialog, the application's name above it
    labels = latin_labels(page.locator('body'), 4)
    if labels:
        screens.found['login'] = labels
    anonymous.close()

    # the menu and the top bar; the names of the entries, also folded
    screens.check('menu', client.page.locator('body'), '00-menu', 5)
    screens.check_names(entries)

    for number, (path, menu_id, action, action_id) in enumerate(entries, 1):
        picture = '%02d' % number
        if action == 'ir.action.wizard':
            screens.close_wizard(
                screens.open_wizard(path, menu_id, picture))
        elif action:
            screens.open_window(path, menu_id, action_id, picture)

    # the preferences
    client.page.locator('#user-preferences > a').click()
    client.page.locator('#user-preferences').get_by_text(
        client.sao_text('Preferences...'), exact=True).click()
    popup = client.popup()
    screens.check('preferences', popup, 'zz-preferences')

    # the same collection finds the labels of a user working in English
    english = web('provider.legal.network', 'en')
    english.open_tab('menu_momd', 'menu_referral_inbox')
    english.page.screenshot(path=str(artifacts / 'arabic-zz-english.png'))
    labels = {text for _, text in latin_labels(
                english.page.locator('body'), 5)}
    assert 'Referral System' in labels, labels

    assert not screens.found, screens.report()


# The entries of the Data Protection menu
DATA_PROTECTION = ['menu_access_log_form', 'menu_access_summary_form',
    'menu_access_log_verify', 'menu_access_log_breach',
    'menu_retention_expired']


def test_administrator_data_protection_screens_have_no_latin_labels(
        web, login, artifacts):
    """The administrator, working in Arabic, opens from the menu every entry
    of Data Protection: the audit trail (its list, the form of its first
    line), its summaries, the people past their retention period, the
    verification of the audit trail (its result), the breach scoping (what
    to look for, then what it found); and the configuration of the referral
    system. Screenshots: arabic-admin-*.png"""
    session = login('administrator', language='ar')
    # the demo's administrator works in English: in Arabic for the test
    session.call('model.res.user.set_preferences', {'language': 'ar'}, {})
    try:
        client = web('administrator', 'ar')
        screens = Screens(client, session, artifacts, 'admin-', click=True)
        root = menu('menu_momd')
        folder = [root, menu('menu_data_protection')]
        configuration = [
            root, menu('menu_configuration'), menu('menu_configuration_form')]
        entries = [e for e in menu_entries(session)
            if e[0][:2] == folder and e[0] != folder or e[0] == configuration]
        assert sorted(path[-1] for path, _, _, _ in entries) == sorted(
            [menu(x) for x in DATA_PROTECTION] + [configuration[-1]]), entries

        # the menu and the top bar; the names of the entries
        screens.check('menu', client.page.locator('body'), '00-menu', 5)
        screens.check_names(entries)

        for number, (path, menu_id, action, action_id) in enumerate(
                entries, 1):
            picture = '%02d' % number
            if action != 'ir.action.wizard':
                screens.open_window(path, menu_id, action_id, picture)
                continue
            # the verification shows its result at once
            popup = screens.open_wizard(path, menu_id, picture, 5)
            if path[-1] == menu('menu_access_log_breach'):
                # what the Mosul caseworker saw, from 2020 on
                caseworker = momd_setup.OFFICE_USERS[0][2]
                client.choose('user', caseworker, scope=popup)
                client.write('start', '01/01/2020 00:00:00', scope=popup)
                client.write('end', '31/12/2099 23:59:59', scope=popup)
                popup.locator('.modal-footer button', has_text=label(
                        'wizard_button:momd.access.log.breach,start,search:')
                    ).click()
                expect(popup.locator('[name="people"]:visible')).to_be_visible(
                    timeout=TIMEOUT)
                client.settle()
                # no message or error over it
                expect(client.dialog).to_have_count(1)
                screens.check(' ‹ '.join(path) + ' (result)', popup,
                    picture + '-result', 5)
            screens.close_wizard(popup)

        assert not screens.found, screens.report()
    finally:
        session.call('model.res.user.set_preferences', {'language': 'en'}, {})


ARABIC_INDIC = re.compile('[٠-٩]')
LATIN_DIGIT = re.compile('[0-9]')


def column_texts(client, kind):
    "The texts of the list's cells of the columns of kind (date, integer...)"
    return client.tab.locator('.treeview tbody td[headers]').evaluate_all(
        '''(cells, kind) => cells.filter(cell => document.getElementById(
                cell.getAttribute('headers')).classList.contains(kind))
            .map(cell => cell.innerText)''', kind)


def test_digits_as_the_user_chose(web, login):
    """Latin digits by default, in dates as in numbers; Arabic-Indic ones
    in both once the user chooses them; a number may be typed in either"""
    session = login('hamdaniya.caseworker', language='ar')

    def figures(client):
        "The opening dates of the cases and the ages of the people"
        client.open_tab('menu_momd', 'menu_case_form')
        client.tab.locator('.treeview tbody tr').first.wait_for()
        dates = ' '.join(column_texts(client, 'date'))
        assert dates.strip(), 'no date shown'
        client.open_tab('menu_momd', 'menu_beneficiary_form')
        client.tab.locator('.treeview tbody tr').first.wait_for()
        ages = ' '.join(column_texts(client, 'integer'))
        assert ages.strip(), 'no age shown'
        return dates, ages

    client = web('hamdaniya.caseworker', 'ar')
    for text in figures(client):
        assert LATIN_DIGIT.search(text) and not ARABIC_INDIC.search(text), (
            text)
    client.close()

    session.call('model.res.user.set_preferences', {'digits': 'arab'}, {})
    try:
        client = web('hamdaniya.caseworker', 'ar')
        for text in figures(client):
            assert ARABIC_INDIC.search(text) and not LATIN_DIGIT.search(
                text), text
        # an age typed in Arabic-Indic digits is the number
        client.toolbar('new_')
        client.settle()
        client.field('estimated_age').click()
        # the number is typed in the input that takes the place of the one
        # showing it, once clicked
        age = client.tab.locator(
            'input[name="estimated_age"][type="number"]:visible')
        expect(age).to_have_count(1, timeout=TIMEOUT)
        age.fill('')
        age.press_sequentially('٣٧')
        expect(age).to_have_value('37')
        age.press('Tab')
        client.settle()
        client.page.wait_for_function('''() => Sao.Tab.tabs.get_current()
            .screen.current_record.field_get('estimated_age') === 37''',
            timeout=TIMEOUT)
        # and so is a date
        birth = client.field('birth_date')
        birth.click()
        birth.fill('١٢/٠٥/١٩٩٠')
        birth.press('Tab')
        client.settle()
        client.page.wait_for_function('''() => {
            const date = Sao.Tab.tabs.get_current().screen.current_record
                .field_get('birth_date');
            return date && [date.year(), date.month() + 1, date.date()]
                .join('-') == '1990-5-12';
        }''', timeout=TIMEOUT)
    finally:
        session.call('model.res.user.set_preferences', {'digits': None}, {})


def test_registration_number_whole_in_arabic_message(web, login):
    """In a message in Arabic a registration number stays whole, left to
    right on one line: the refusal of a likely duplicate names the person
    already registered"""
    session = login('talafar.caseworker', language='ar')
    person, = session.model('momd.beneficiary', 'search_read', [
            ('birth_date', '!=', None), ('grandfather_name', '!=', None),
            ('family_name', '!=', None)], 0, 1, None, [
            'code', 'first_name', 'father_name', 'grandfather_name',
            'family_name', 'birth_date', 'sex'])
    birth = person['birth_date']
    client = web('talafar.caseworker', 'ar')
    client.open_tab('menu_momd', 'menu_beneficiary_form')
    client.toolbar('new_')
    for name in ['first_name', 'father_name', 'grandfather_name',
            'family_name']:
        client.write(name, person[name])
    client.select('sex', person['sex'])
    client.write('birth_date', '%02d/%02d/%d' % (
            birth['day'], birth['month'], birth['year']))
    client.tab.locator('button#save').click()
    refusal = client.popup()
    code = refusal.locator('bdi', has_text=person['code'])
    expect(code).to_have_count(1, timeout=TIMEOUT)
    assert code.inner_text() == person['code']
    assert code.evaluate('e => getComputedStyle(e).whiteSpace') == 'nowrap'
    # not registered twice without a reason
    refusal.locator('.modal-footer button').last.click()
    client.settle()
    client.expect_no_dialog()

"""A user in sao, the Tryton web client, in real headless Chromium.

Steps are clicks and key presses; each waits for the client to have its
answers (it counts the requests in flight). Buttons and fields are found by
their names, menus and column titles by the module's own translations
(momd_referral/locale/ar.po, English from its source strings), the client's
own labels from sao's translations.
"""
import json
import os
import re

import polib
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from conftest import DB, ROOT

CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
CHROMIUM_ARGS = [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--disable-dev-shm-usage',
    ]
PASSWORD = os.environ.get('MOMD_DEMO_PASSWORD', 'demo')
# ms: how long a step may wait for what the screen must show. Generous, as
# the machine running the tests may be busy with other processes; a passing
# step waits only as long as the screen takes.
TIMEOUT = int(os.environ.get('MOMD_BROWSER_TIMEOUT', 60000))
# Every expect() waits as long, not Playwright's 5 seconds
expect.set_options(timeout=TIMEOUT)
ARABIC_DIGITS = str.maketrans('٠١٢٣٤٥٦٧٨٩', '0123456789')

_PO = {language: {e.msgctxt: e for e in polib.pofile(
            str(ROOT / 'momd_referral' / 'locale' / ('%s.po' % language)))}
    for language in ['ar', 'kmr']}


def label(context, language='ar'):
    "The module's string of context (msgctxt in ar.po) in language"
    if language in _PO:
        return _PO[language][context].msgstr
    return _PO['ar'][context].msgid


def menu(xml_id, language='ar'):
    "The name of the menu entry"
    return label('model:ir.ui.menu,name:%s' % xml_id, language)


def has_class(name):
    "XPath condition: the element has the class name"
    return 'contains(concat(" ", normalize-space(@class), " "), " %s ")' % (
        name)


# From a many2one or many2many input, its completion drop-down
COMPLETION = 'xpath=ancestor::div[%s][1]' % has_class('dropdown')


def digits(text):
    "text with Arabic-Indic digits written as ASCII ones"
    return text.translate(ARABIC_DIGITS).strip()


def as_typed(value):
    """A pattern of value as a field shows it: its digits in either
    script"""
    pattern = ''
    for char in digits(value):
        if char.isdigit():
            pattern += '[%s%s]' % (char, chr(ord('٠') + int(char)))
        else:
            pattern += re.escape(char)
    return re.compile(r'^\s*%s\s*$' % pattern)


# Counts the requests sao has in flight (but the bus' long polling) and the
# work it has queued for the next moments (the steps of its promises, which
# jQuery runs from timers, and its short delays), so that a step waits for
# the client to be done before the next one: a busy machine may leave more
# than a moment between an answer and the request or redraw that follows it;
# marks the dialogs once shown (sao redraws a dialog's form then, which would
# wipe what was typed before).
IDLE_SCRIPT = '''(() => {
    document.addEventListener('DOMContentLoaded', () => {
        if (!window.jQuery) return;
        jQuery(document).on('shown.bs.modal', event => {
            event.target.setAttribute('data-shown', '1');
        });
    });
    let pending = 0, last = Date.now();
    const timers = new Set();
    window.__saoIdle = () => (
        pending === 0 && timers.size === 0 && Date.now() - last > 250);
    const setTimeout = window.setTimeout;
    const clearTimeout = window.clearTimeout;
    window.setTimeout = function(callback, delay, ...args) {
        if (typeof callback != 'function' || delay > 300) {
            return setTimeout.call(window, callback, delay, ...args);
        }
        const id = setTimeout.call(window, (...values) => {
            timers.delete(id);
            last = Date.now();
            return callback(...values);
        }, delay, ...args);
        timers.add(id);
        return id;
    };
    window.clearTimeout = function(id) {
        timers.delete(id);
        return clearTimeout.call(window, id);
    };
    const open = XMLHttpRequest.prototype.open;
    const send = XMLHttpRequest.prototype.send;
    XMLHttpRequest.prototype.open = function(method, url, ...args) {
        this.__counted = !/\\/bus$/.test(String(url));
        return open.call(this, method, url, ...args);
    };
    XMLHttpRequest.prototype.send = function(...args) {
        if (this.__counted) {
            pending++;
            last = Date.now();
            this.addEventListener('loadend', () => {
                pending--;
                last = Date.now();
            });
        }
        return send.apply(this, args);
    };
})();'''

# The notebook pages (outermost first) holding the field, and whether each
# is the one shown
FIELD_PAGES = '''([root, name]) => {
    const field = root.querySelector('[name="' + name + '"]');
    const selector = '.form-notebook > .tab-content > [role=tabpanel]';
    const pages = [];
    for (let page = field.closest(selector); page;
            page = page.parentElement.closest(selector)) {
        pages.unshift([page.id, page.classList.contains('active')]);
    }
    return pages;
}'''


# The completion of a many2one's input shows choice for the text typed;
# 'retype' when the input no longer holds the text
CHOICE_SHOWN = '''([input, search, choice]) => {
    if (input.value !== search) return 'retype';
    const entries = input.closest('.dropdown').querySelectorAll(
        'li.completion');
    return [...entries].some(
        entry => entry.offsetParent && entry.textContent.includes(choice))
        && 'shown';
}'''

# The list of the tab shown has drawn the records it holds (none, or rows);
# true at once for a tab that shows no list
LIST_SHOWN = '''() => {
    const tab = Sao.Tab.tabs.get_current();
    const view = tab && tab.screen && tab.screen.current_view;
    if (!view || view.view_type != 'tree') return true;
    const pane = document.querySelector('#tabcontent > .tab-pane.active');
    return !tab.screen.group.length
        || pane.querySelectorAll('.treeview tbody tr').length > 0;
}'''


class WebClient:
    "One user in sao, in a browser context of their own"

    def __init__(self, browser, server, login, language, artifacts,
            password=PASSWORD):
        self.language = language
        self.artifacts = artifacts
        self.context = browser.new_context(
            viewport={'width': 1366, 'height': 900}, locale=language,
            accept_downloads=True)
        self.context.add_init_script(IDLE_SCRIPT)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT)
        self.errors = []
        self.page.on('pageerror', lambda error: self.errors.append(
                'script error: %s' % error))
        self.page.on('response', lambda response: self.errors.append(
                'HTTP %s %s' % (response.status, response.url))
            if response.status >= 500 else None)
        self.login(server, login, password)

    def login(self, server, login, password=PASSWORD):
        "Log in through sao's two steps: user name, then password"
        page = self.page
        page.goto('%s/#%s' % (server, DB))
        dialog = page.locator('.login-dialog')
        expect(dialog.locator('[name="database"]:visible')).to_have_value(
            DB, timeout=TIMEOUT)
        dialog.locator('#login').fill(login)
        dialog.locator('button[type="submit"]').click()
        password_input = page.locator('input[type="password"]:visible')
        password_input.fill(password)
        password_input.press('Enter')
        # logged in once the menu lists the user's entries
        expect(page.locator('#menu').get_by_text(
                menu('menu_momd', self.language), exact=True)).to_be_visible(
            timeout=TIMEOUT)
        expect(page.locator('html')).to_have_attribute(
            'dir', 'rtl' if self.language == 'ar' else 'ltr')
        self.settle()

    def close(self):
        self.context.close()

    def settle(self):
        "Wait for sao to have its answers and to have shown them"
        # polled at each frame: a timer polling would keep it from being idle
        self.page.wait_for_function(
            '() => window.__saoIdle()', polling='raf', timeout=TIMEOUT)

    def sao_text(self, text):
        "One of the client's own labels, in the user's language"
        return self.page.evaluate('text => Sao.i18n.gettext(text)', text)

    @property
    def tab(self):
        "The tab shown"
        return self.page.locator('#tabcontent > .tab-pane.active')

    @property
    def dialog(self):
        return self.page.locator('.modal:visible')

    def popup(self):
        "The dialog just opened, once shown and drawn"
        dialog = self.page.locator('.modal[data-shown]:visible')
        expect(dialog).to_have_count(1, timeout=TIMEOUT)
        self.settle()
        return dialog

    def save_popup(self, popup):
        "Press the dialog's save (or add) button: it closes, no error"
        self.settle()
        popup.locator('.modal-footer button#save').click()
        self.settle()
        self.expect_no_dialog()

    def open_menu(self, *xml_ids):
        "Open the menu entry at the path of xml_ids, unfolding the folders"
        self.open_menu_path([menu(x, self.language) for x in xml_ids])

    def open_menu_path(self, names):
        "Open the menu entry at the path of names, unfolding the folders"
        entries = self.page.locator('#menu')
        for name, child in zip(names, names[1:]):
            if not entries.get_by_text(child, exact=True).is_visible():
                entries.locator('tr', has=self.page.get_by_text(
                        name, exact=True)).locator('.expander').click()
            expect(entries.get_by_text(child, exact=True)).to_be_visible(
                timeout=TIMEOUT)
        entries.get_by_text(names[-1], exact=True).click()
        self.settle()

    def open_tab(self, *xml_ids, names=None):
        "Open the menu entry (or the entry at names) and wait for its new tab"
        tabs = self.page.locator('#tablist > li')
        count = tabs.count()
        self.open_menu_path(names or [menu(x, self.language) for x in xml_ids])
        expect(tabs).to_have_count(count + 1, timeout=TIMEOUT)
        self.settle()

    def list_rows(self):
        """The rows of the tab's list, once it has drawn what it found (it
        may find none)"""
        self.settle()
        self.page.wait_for_function(LIST_SHOWN, timeout=TIMEOUT)
        return self.tab.locator('.treeview tbody tr:visible')

    def toolbar(self, name):
        "Press a button of the tab's toolbar (new_, save, action...)"
        self.settle()
        self.tab.locator('button#%s' % name).click()
        self.settle()
        self.no_message()

    def open_row(self, row):
        """Open the list's row in the form, in the same tab (clicked away
        from its links, which open their target)"""
        tabs = self.page.locator('#tablist > li')
        count = tabs.count()
        cell = row.locator(
            'td[headers]:visible:not(:has(a)):not(:has(input))').first
        # selected first, as a person's double click leaves sao the time to
        # follow the selection in the address (else it opens the list again
        # in a new tab)
        self.settle()
        cell.click()
        self.settle()
        cell.dblclick()
        expect(self.tab.locator('div.form:visible').first).to_be_visible(
            timeout=TIMEOUT)
        self.settle()
        expect(tabs).to_have_count(count)

    def field(self, name, scope=None):
        "The widget of the field, its notebook page brought to the front"
        scope = scope or self.tab
        expect(scope.locator('[name="%s"]' % name).first).to_be_attached(
            timeout=TIMEOUT)
        for page_id, shown in self.page.evaluate(
                FIELD_PAGES, [scope.element_handle(), name]):
            if not shown:
                scope.locator('a[aria-controls="%s"]' % page_id).click()
                expect(scope.locator('#' + page_id)).to_be_visible()
        return scope.locator('[name="%s"]:visible' % name)

    def write(self, name, value, scope=None):
        "Type value in a text, number or date field and leave it"
        self.settle()
        widget = self.field(name, scope)
        # a number is typed in an input that takes the place of the one
        # showing it, once clicked
        widget.click()
        widget.fill(value)
        widget.press('Tab')
        self.settle()
        # shown once the client has taken it (a number in the input showing
        # it again)
        expect(widget, 'field %s' % name).to_have_value(as_typed(value))

    def choose(self, name, search, choice=None, scope=None):
        """Type search in a many2one (or many2many) field and pick choice
        (search by default) from the completion"""
        self.settle()
        widget = self.field(name, scope)
        choice = choice or search
        # The client searches once the text has stayed 300 ms in the input;
        # typed again if a redraw of the form took it away or the
        # completion closed before showing the choice
        for attempt in range(4):
            widget.fill(search)
            arg = [widget.element_handle(), search, choice]
            try:
                shown = self.page.wait_for_function(
                    CHOICE_SHOWN, arg=arg, timeout=TIMEOUT / 4).json_value()
            except PlaywrightTimeoutError:
                shown = None
            if shown == 'shown':
                break
        else:
            raise AssertionError('%s: no choice %r for %r' % (
                    name, choice, search))
        widget.locator(COMPLETION).locator(
            'li.completion:visible', has_text=choice).first.click()
        self.settle()
        return widget

    def select(self, name, *keys, scope=None):
        "Pick the selection values of keys"
        self.settle()
        self.field(name, scope).select_option([json.dumps(k) for k in keys])
        self.settle()

    def expect_value(self, name, key, scope=None):
        "The selection field shows the value of key"
        expect(self.field(name, scope)).to_have_value(
            json.dumps(key), timeout=TIMEOUT)

    def press(self, name, scope=None):
        "Press the form button of name"
        self.settle()
        (scope or self.tab).locator('button[name="%s"]:visible' % name).click()
        self.settle()
        self.no_message()

    def no_message(self):
        "Fail at once, with its text, if sao shows a message or an error"
        if self.dialog.count():
            raise AssertionError(
                'dialog open: %s' % self.dialog.all_inner_texts())

    def expect_no_dialog(self):
        "No message, warning nor error dialog is open"
        try:
            expect(self.dialog).to_have_count(0, timeout=TIMEOUT)
        except AssertionError:
            raise AssertionError(
                'dialog open: %s' % self.dialog.all_inner_texts())
        assert not self.errors, self.errors

    def screenshot(self, name):
        self.page.screenshot(
            path=str(self.artifacts / ('e2e-%s.png' % name)), full_page=True)

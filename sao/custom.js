/* momd_referral: additions to the web client, loaded after sao.
   This file is part of momd_referral. */
(function() {
    'use strict';

    // The application's name in the user's language, in the top bar and the
    // browser's title, instead of "Tryton"
    Object.defineProperty(Sao.config, 'title', {
        'get': () => Sao.i18n.gettext('MoMD Referral System'),
        'configurable': true,
    });

    // moment knows Kurmanji as ku-kmr: sao takes the first two letters of
    // the language's code, which for kmr are Khmer's (km)
    const MOMENT_LOCALES = {'kmr': 'ku-kmr'};

    // ... shown again once the translations of the language are loaded
    // (the login screen is drawn before, and a user may change language)
    const setlang = Sao.i18n.setlang;
    Sao.i18n.setlang = function(lang, ...args) {
        const result = setlang.call(this, lang, ...args);
        const code = (lang || '').split(/[_-]/)[0];
        if (MOMENT_LOCALES[code] && moment.locales().includes(
                MOMENT_LOCALES[code])) {
            moment.locale(MOMENT_LOCALES[code]);
        }
        return result.always(() => {
            jQuery('#title').text(Sao.config.title);
        });
    };

    // sao gives some dialogs an English title ("Preferences"): translated
    // here, as its own labels are
    const dialog_init = Sao.Dialog.prototype.init;
    Sao.Dialog.prototype.init = function(title, ...args) {
        return dialog_init.call(
            this, title ? Sao.i18n.gettext(title) : title, ...args);
    };

    // nor does it translate the fonts of its rich text toolbar (the font
    // applied is still the one of the entry's closure, not its text)
    const FONTS = ['Normal', 'Serif', 'Sans', 'Monospace'];
    const richtext_toolbar = Sao.common.richtext_toolbar;
    Sao.common.richtext_toolbar = function(...args) {
        const toolbar = richtext_toolbar.apply(this, args);
        toolbar.find('.dropdown-menu a').each((i, entry) => {
            if (FONTS.includes(entry.textContent)) {
                entry.textContent = Sao.i18n.gettext(entry.textContent);
            }
        });
        return toolbar;
    };

    // In a right-to-left message, a registration number (MSL-BEN-2026-00051,
    // NIN-REF-2026-000047) is kept whole, left to right, on one line
    const CODE = /[A-Z]{2,4}-[A-Z]{2,4}-\d{4}-\d+/g;
    jQuery(document).on('shown.bs.modal', '.modal', event => {
        if (!Sao.i18n.rtl) {
            return;
        }
        const walker = document.createTreeWalker(
            event.target, NodeFilter.SHOW_TEXT);
        const nodes = [];
        while (walker.nextNode()) {
            CODE.lastIndex = 0;
            if (CODE.test(walker.currentNode.nodeValue) &&
                    !walker.currentNode.parentElement.closest(
                        'bdi, input, textarea')) {
                nodes.push(walker.currentNode);
            }
        }
        for (const node of nodes) {
            const text = node.nodeValue;
            const fragment = document.createDocumentFragment();
            let last = 0;
            CODE.lastIndex = 0;
            for (const match of text.matchAll(CODE)) {
                fragment.append(text.slice(last, match.index));
                const code = document.createElement('bdi');
                code.textContent = match[0];
                code.style.whiteSpace = 'nowrap';
                fragment.append(code);
                last = match.index + match[0].length;
            }
            fragment.append(text.slice(last));
            node.replaceWith(fragment);
        }
    });

    // the tab shown is brought into view in the top bar, where the tabs
    // scroll when there are many (custom.css)
    jQuery(document).on('shown.bs.tab', '#tablist a', event => {
        event.target.scrollIntoView({'block': 'nearest', 'inline': 'nearest'});
    });

    // Digits: Latin (0 1 2 3) or Arabic-Indic (٠ ١ ٢ ٣), as the user chose
    // in their preferences (res.user digits, sent with the context), the
    // same in dates and in numbers, for a user working in Arabic
    const ARABIC_INDIC = /[\u0660-\u0669]/g;
    const has_arabic_indic = text => /[\u0660-\u0669]/.test(text);
    let digits = 'latn';
    const arabic = lang => /^ar(\b|_|-)/.test(lang || '');
    // the months by the names used in Iraq, as the server writes them
    // (كانون الثاني, Kanûna Paşîn...), not those of moment's Arabic (يناير)
    // or Kurmanji (Rêbendan); the week from Saturday, as in Iraq
    const update_locale = (locale, config) => {
        if (moment.locales().includes(locale)) {
            // updateLocale also makes it the current locale: not for now
            const current = moment.locale();
            moment.updateLocale(locale, config);
            moment.locale(current);
        }
    };
    const IRAQI_MONTHS = [
        'كانون الثاني', 'شباط', 'آذار', 'نيسان', 'أيار', 'حزيران', 'تموز',
        'آب', 'أيلول', 'تشرين الأول', 'تشرين الثاني', 'كانون الأول'];
    update_locale('ar', {'months': IRAQI_MONTHS, 'monthsShort': IRAQI_MONTHS});
    update_locale('ku-kmr', {
        'months': [
            'Kanûna Paşîn', 'Sibat', 'Adar', 'Nîsan', 'Gulan', 'Hezîran',
            'Tîrmeh', 'Tebax', 'Îlon', 'Çiriya Pêşîn', 'Çiriya Paşîn',
            'Kanûna Pêşîn'],
        'monthsShort': [
            'K.Paşîn', 'Sibat', 'Adar', 'Nîsan', 'Gulan', 'Hezîran',
            'Tîrmeh', 'Tebax', 'Îlon', 'Ç.Pêşîn', 'Ç.Paşîn', 'K.Pêşîn'],
        'week': {'dow': 6, 'doy': 12},
    });
    const moment_ar = moment.localeData('ar');
    const postformat = moment_ar && moment_ar.postformat;
    const set_digits = value => {
        digits = value || 'latn';
        if (moment_ar) {
            // moment's Arabic writes dates in Arabic-Indic digits
            moment_ar.postformat = digits == 'arab' ? postformat : s => s;
        }
    };
    set_digits();
    const BC47 = Sao.i18n.BC47;
    Sao.i18n.BC47 = function(lang) {
        const tag = BC47(lang);
        return arabic(lang) && !tag.includes('-u-') ?
            tag + '-u-nu-' + digits : tag;
    };
    // the calendar (fullcalendar) knows a language by its plain tag (ar),
    // not with the digits asked of the browser (ar-u-nu-latn): without
    // this, its buttons and texts stay English
    const fullCalendar = jQuery.fn.fullCalendar;
    if (fullCalendar) {
        jQuery.fn.fullCalendar = Object.assign(function(options, ...args) {
            if (options && typeof options == 'object' &&
                    typeof options.locale == 'string') {
                const view_render = options.viewRender;
                const locale = options.locale.split('-u-')[0];
                const FC_LOCALES = (jQuery.fullCalendar || {}).locales || {};
                if (!FC_LOCALES[locale] && !FC_LOCALES[locale.split('-')[0]]
                        && locale != 'en') {
                    // a language it does not know (Kurmanji): its texts
                    // from the client's own translations
                    options = Object.assign({}, options, {
                        'buttonText': {
                            'today': Sao.i18n.gettext('Today'),
                            'month': Sao.i18n.gettext('Month'),
                            'week': Sao.i18n.gettext('Week'),
                            'day': Sao.i18n.gettext('Day'),
                        },
                        'allDayText': Sao.i18n.gettext('All day'),
                    });
                }
                options = Object.assign({}, options, {
                    'locale': locale,
                    // its arrows are named by their English code names
                    'viewRender': function(view, element) {
                        const toolbar = view.calendar.el.find('.fc-toolbar');
                        for (const [name, label] of [
                                ['prev', 'Previous'], ['next', 'Next']]) {
                            toolbar.find('.fc-' + name + '-button').attr(
                                'aria-label', Sao.i18n.gettext(label));
                        }
                        if (view_render) {
                            return view_render.call(this, view, element);
                        }
                    },
                });
            }
            return fullCalendar.call(this, options, ...args);
        }, fullCalendar);
    }
    // ... and it writes a right-to-left title's range end first ("4 كانون
    // الأول – 28 تشرين الثاني"), for a page drawn left to right: here the
    // title is drawn right to left (custom.css), so in the reading order
    const FC = jQuery.fullCalendar;
    if (FC && FC.View) {
        const computeTitle = FC.View.prototype.computeTitle;
        FC.View.prototype.computeTitle = function(...args) {
            const rtl = this.isRTL;
            this.isRTL = false;
            try {
                return computeTitle.apply(this, args);
            } finally {
                this.isRTL = rtl;
            }
        };
    }
    const reload_context = Sao.Session.prototype.reload_context;
    Sao.Session.prototype.reload_context = function(...args) {
        return reload_context.apply(this, args).then(result => {
            set_digits(this.context.digits);
            return result;
        });
    };
    // a number may be typed in either kind of digit: the browser's number
    // inputs take only Latin ones, so Arabic-Indic ones are written as those
    const to_latin = text => text.replace(
        ARABIC_INDIC, digit => digit.charCodeAt(0) - 0x660);
    document.addEventListener('beforeinput', event => {
        const input = event.target;
        if (input.type == 'number' && event.data &&
                has_arabic_indic(event.data)) {
            event.preventDefault();
            input.value = input.value + to_latin(event.data);
            // sao reads the value on change, which a value written by a
            // script does not raise when leaving the field
            for (const name of ['input', 'change']) {
                input.dispatchEvent(new Event(name, {'bubbles': true}));
            }
        }
    }, true);
    for (const Field of [Sao.field.Float, Sao.field.Numeric, Sao.field.Integer]) {
        const convert = Field.prototype.convert;
        Field.prototype.convert = function(value) {
            if (typeof value == 'string') {
                value = to_latin(value);
            }
            return convert.call(this, value);
        };
    }
})();

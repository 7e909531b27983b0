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

    // ... shown again once the translations of the language are loaded
    // (the login screen is drawn before, and a user may change language)
    const setlang = Sao.i18n.setlang;
    Sao.i18n.setlang = function(...args) {
        return setlang.apply(this, args).always(() => {
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

    // the tab shown is brought into view in the top bar, where the tabs
    // scroll when there are many (custom.css)
    jQuery(document).on('shown.bs.tab', '#tablist a', event => {
        event.target.scrollIntoView({'block': 'nearest', 'inline': 'nearest'});
    });
})();

#!/usr/bin/env python3
"""Regenerate momd_referral/locale/<lang>.po from the module's strings.

Every string a user can read (field labels and help, selections, views,
menus, actions, messages, groups...) gets an entry; translations already in
the file are kept, entries whose source changed are marked fuzzy, and
strings that disappeared are dropped.

    python scripts/update_translations.py ar [ckb ...]
"""
import os
import pathlib
import sys

os.environ.setdefault('DB_NAME', ':memory:')

import polib  # noqa: E402

from trytond.tests.test_tryton import activate_module  # noqa: E402
from trytond.pool import Pool  # noqa: E402
from trytond.transaction import Transaction  # noqa: E402

MODULE = 'momd_referral'
LOCALE = pathlib.Path(__file__).resolve().parent.parent / MODULE / 'locale'


def source_entries():
    "Yield (msgctxt, msgid) for every English string of the module"
    pool = Pool()
    Translation = pool.get('ir.translation')
    ModelData = pool.get('ir.model.data')
    TranslationSet = pool.get('ir.translation.set', type='wizard')

    session_id, _, _ = TranslationSet.create()
    translation_set = TranslationSet(session_id)
    translation_set.set_report()
    translation_set.set_view()

    fs_ids = {}
    for data in ModelData.search([('module', '=', MODULE)]):
        fs_ids[(data.model, data.db_id)] = data.fs_id
        for extra_model in Translation.extra_model_data(data):
            fs_ids[(extra_model, data.db_id)] = data.fs_id
    for translation in Translation.search([
                ('lang', '=', 'en'),
                ('module', '=', MODULE),
                ]):
        msgctxt = '%s:%s:' % (translation.type, translation.name)
        if translation.res_id >= 0:
            model = translation.name.split(',')[0]
            fs_id = fs_ids.get((model, translation.res_id))
            if fs_id is None:
                continue
            msgctxt += fs_id
        if translation.src:
            yield msgctxt, translation.src


def update(lang, entries):
    path = LOCALE / ('%s.po' % lang)
    old = {}
    if path.exists():
        for entry in polib.pofile(str(path)):
            old[entry.msgctxt, entry.msgid] = entry
            # a changed source keeps its translation, marked fuzzy, where the
            # context names one string (views and selections hold many)
            if not entry.msgctxt.startswith(('view:', 'selection:')):
                old.setdefault((entry.msgctxt, None), entry)
    pofile = polib.POFile(wrapwidth=78)
    pofile.metadata = {'Content-Type': 'text/plain; charset=utf-8'}
    missing = 0
    for msgctxt, msgid in sorted(set(entries)):
        entry = polib.POEntry(msgctxt=msgctxt, msgid=msgid, msgstr='')
        if (msgctxt, msgid) in old:
            entry.msgstr = old[msgctxt, msgid].msgstr
            if 'fuzzy' in old[msgctxt, msgid].flags:
                entry.flags.append('fuzzy')
        elif (msgctxt, None) in old and old[msgctxt, None].msgstr:
            entry.msgstr = old[msgctxt, None].msgstr
            entry.flags.append('fuzzy')
        if not entry.msgstr:
            missing += 1
        pofile.append(entry)
    LOCALE.mkdir(exist_ok=True)
    pofile.save(str(path))
    print('%s: %d strings, %d without translation' % (
            path.relative_to(LOCALE.parent.parent), len(pofile), missing))


def main(langs):
    activate_module([MODULE])
    with Transaction().start(os.environ['DB_NAME'], 0):
        entries = list(source_entries())
    for lang in langs:
        update(lang, entries)


if __name__ == '__main__':
    main(sys.argv[1:] or ['ar'])

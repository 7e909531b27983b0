#!/usr/bin/env python3
"""Convert a .po file of the sao web client into the .json file sao loads.

    python scripts/sao_po2json.py sao/locale/ar.po sao/locale/ar.json

The output is the "raw" format that sao's Gruntfile produces with po2json
(see var/sao/locale/*.json), which Sao.i18n.setlang reads:

- the key "" holds the header fields, with lower-cased names
  ({"content-type": ..., "language": ..., "plural-forms": ...});
- every other key is the msgid, prefixed by "<msgctxt>\\u0004" when the
  entry has a context, and its value is [msgid_plural or null, msgstr...]
  (one msgstr per plural form);
- fuzzy and obsolete entries are left out, untranslated ones are kept
  with "" (sao then shows the English text);
- with a single plural form the msgstr of a plural entry is wrapped in a
  list, as po2json does for "nplurals=1; plural=0;", otherwise sao would
  read it as a singular translation.
"""
import json
import re
import sys

import polib

CONTEXT_SEPARATOR = '\x04'


def header(po):
    "The header fields as po2json (gettext-parser) gives them"
    return {k.strip().lower(): v.strip() for k, v in po.metadata.items()
        if k.strip()}


def nplurals(headers):
    match = re.search(r'nplurals\s*=\s*(\d+)', headers.get('plural-forms', ''))
    return int(match.group(1)) if match else None


def convert(po):
    "Return the dictionary of the sao .json file for the polib file po"
    headers = header(po)
    single_form = nplurals(headers) == 1
    # gettext-parser groups the entries by context, the header (no context)
    # first, keeping the order in which each context first appears
    contexts = {'': {'': [None, '']}}
    for entry in po:
        if entry.obsolete or 'fuzzy' in entry.flags:
            continue
        context = entry.msgctxt or ''
        if entry.msgid_plural:
            msgstr = [entry.msgstr_plural[i]
                for i in sorted(entry.msgstr_plural)]
            if single_form:
                msgstr = [msgstr]
            value = [entry.msgid_plural] + msgstr
        else:
            value = [None, entry.msgstr]
        contexts.setdefault(context, {})[entry.msgid] = value

    result = {}
    for context, entries in contexts.items():
        for msgid, value in entries.items():
            key = context + CONTEXT_SEPARATOR + msgid if context else msgid
            result[key] = value
    result[''] = headers
    return result


def main(args=None):
    args = sys.argv[1:] if args is None else args
    if len(args) != 2:
        sys.exit('usage: %s INPUT.po OUTPUT.json' % sys.argv[0])
    source, target = args
    data = convert(polib.pofile(source))
    with open(target, 'w', encoding='utf-8') as file:
        # compact and unescaped, like JSON.stringify in po2json
        json.dump(data, file, ensure_ascii=False, separators=(',', ':'))


if __name__ == '__main__':
    main()

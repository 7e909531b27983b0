#!/usr/bin/env python3
"""Check momd_referral/data/names/latin.csv, the Latin spellings of Iraqi
names: header `arabic,latin`, one row per Arabic name (also after the
matcher folds hamza, ta marbuta and spaces), no empty field or variant, no
variant twice in a row, Latin variants of ASCII letters, spaces, hyphens and
apostrophes only. Prints the first bad line and exits 1.

    python scripts/check_names_table.py [path]
"""
import csv
import importlib.util
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TABLE = ROOT / 'momd_referral' / 'data' / 'names' / 'latin.csv'
LATIN = re.compile(r"[A-Za-z](?:[A-Za-z' -]*[A-Za-z])?")
ARABIC = re.compile(r'[\u0621-\u064a]+(?: [\u0621-\u064a]+)*')


def normalize_text():
    "The matcher's folding, without importing the module (and trytond)"
    spec = importlib.util.spec_from_file_location(
        'momd_tools', ROOT / 'momd_referral' / 'tools.py')
    tools = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tools)
    return tools.normalize_text


def problems(path):
    fold = normalize_text()
    seen = {}
    with open(path, encoding='utf-8', newline='') as f:
        for number, row in enumerate(csv.reader(f), 1):
            if number == 1:
                if row != ['arabic', 'latin']:
                    yield number, row, "header is not 'arabic,latin'"
                continue
            if len(row) != 2 or not all(row):
                yield number, row, "not two non-empty fields"
                continue
            arabic, latin = row
            if not ARABIC.fullmatch(arabic):
                yield number, row, "Arabic name not Arabic letters and spaces"
            key = fold(arabic).replace(' ', '')
            if key in seen:
                yield number, row, f"same Arabic name as line {seen[key]}"
            seen.setdefault(key, number)
            variants = latin.split('|')
            for variant in variants:
                if not LATIN.fullmatch(variant):
                    yield number, row, f"bad Latin variant {variant!r}"
            lower = [v.lower() for v in variants]
            if len(set(lower)) != len(lower):
                yield number, row, "a Latin variant given twice"


def main(path=TABLE):
    for number, row, problem in problems(path):
        print(f"{path}:{number}: {problem}: {','.join(row)}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))

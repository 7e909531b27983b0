#!/usr/bin/env python3
"""Write doc/en/access-matrix.md from the module: what each role may do with
each model (access, record rules) and which buttons it may press.

    python scripts/access_matrix.py
"""
import os
import pathlib

os.environ.setdefault('DB_NAME', ':memory:')

from trytond.tests.test_tryton import DB_NAME, activate_module  # noqa: E402
from trytond.transaction import Transaction  # noqa: E402

DOC = pathlib.Path(__file__).resolve().parent.parent / 'doc' / 'en' / (
    'access-matrix.md')


def main():
    activate_module(['momd_referral'])
    from momd_referral.access_matrix import markdown
    with Transaction().start(DB_NAME, 0) as transaction:
        DOC.write_text(markdown())
        transaction.rollback()
    print('%s written' % DOC)


if __name__ == '__main__':
    main()

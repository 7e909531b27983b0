#!/usr/bin/env python3
"""Seal the new lines of the audit trail of a momd_referral database and
verify its whole chain (TRYTOND_CONFIG names its configuration):

    TRYTOND_CONFIG=var/trytond.conf python scripts/verify_audit.py DB [LANG]

Prints the result in LANG (en, ar or kmr; default en) and the head of the
chain to keep outside the system; exits 1 when a line was tampered with,
or when the chain does not match the heads of `[momd] audit_head_file`.
"""
import sys

from trytond.pool import Pool
from trytond.transaction import Transaction


def main(db, language='en'):
    Pool(db).init()
    with Transaction().start(db, 0, context={'language': language}) as (
            transaction):
        AccessLog = Pool().get('momd.access.log')
        verification = AccessLog.verify_trail()
        print(AccessLog.describe_verification(verification))
        transaction.commit()
    return 0 if verification.fault is None else 1


if __name__ == '__main__':
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))

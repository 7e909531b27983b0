#!/usr/bin/env python3
"Drop the demo database: python scripts/drop_database.py DB (for make reset)"
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import momd_setup  # noqa: E402

if __name__ == '__main__':
    momd_setup.drop_database(momd_setup.ROOT / 'var' / 'trytond.conf',
        sys.argv[1])

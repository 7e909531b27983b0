#!/usr/bin/env python3
"""Run the module tests (unittest discovery) and write their counts as JSON
to the file named by the first argument."""
import json
import sys
import unittest


def main(result_path):
    suite = unittest.defaultTestLoader.discover(
        'momd_referral/tests', top_level_dir='.')
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    counts = {
        'tests': result.testsRun,
        'failed': len(result.failures) + len(result.errors)
        + len(result.unexpectedSuccesses),
        'skipped': len(result.skipped),
        }
    counts['passed'] = counts['tests'] - counts['failed'] - counts['skipped']
    with open(result_path, 'w') as fp:
        json.dump(counts, fp)
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))

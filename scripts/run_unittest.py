#!/usr/bin/env python3
"""Run the module tests (unittest discovery) and write their counts as JSON
to the file named by the first argument.

Further arguments, when given, keep only the tests written in those files of
momd_referral/tests: a test module without its .py (`statistics_tests`) or a
scenario (`scenario_automation.rst`)."""
import json
import os
import sys
import unittest


def tests_of(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from tests_of(test)
        else:
            yield test


def written_in(test):
    "The file of momd_referral/tests that holds the test"
    doctest = getattr(test, '_dt_test', None)
    if doctest is not None:
        return os.path.basename(doctest.filename)
    # the module of the method, not of the test case that gathers the mixins
    method = getattr(test, test._testMethodName, None)
    module = getattr(method, '__module__', None) or type(test).__module__
    return module.rsplit('.', 1)[-1]


def main(result_path, *files):
    suite = unittest.defaultTestLoader.discover(
        'momd_referral/tests', top_level_dir='.')
    if files:
        # a test file the loader could not import is kept: its error shows
        suite = unittest.TestSuite(
            t for t in tests_of(suite)
            if isinstance(t, unittest.loader._FailedTest)
            or written_in(t) in files)
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    counts = {
        'tests': result.testsRun,
        'failed': len(result.failures) + len(result.errors)
        + len(result.unexpectedSuccesses),
        'skipped': len(result.skipped),
        }
    counts['passed'] = counts['tests'] - counts['failed'] - counts['skipped']
    if files and not counts['tests']:
        print('No test is written in %s' % ', '.join(files), file=sys.stderr)
        counts['failed'] = 1
    with open(result_path, 'w') as fp:
        json.dump(counts, fp)
    return 0 if result.wasSuccessful() and not counts['failed'] else 1


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))

#!/usr/bin/env python3
"""Run every benchmark of bench/ (files named bench_*.py) and print their
ratios. Each benchmark measures momd_referral against a baseline (stock
Tryton or raw SQL) in the same run, on the same server."""
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / 'scripts'))
sys.path.insert(0, str(HERE))


def main(names):
    results = []
    for path in sorted(HERE.glob('bench_*.py')):
        if names and path.stem not in names:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print('== %s: %s' % (path.stem, module.__doc__.splitlines()[0]),
            flush=True)
        results.extend(module.run())
    print()
    print('%-44s %12s %12s %8s' % ('benchmark', 'ours rec/s', 'base rec/s',
            'ratio'))
    for name, ours, base in results:
        print('%-44s %12.0f %12.0f %8.2f' % (name, ours, base, base / ours))
    print('(ratio = our time / baseline time for the same work; '
        '1.00 is as fast as the baseline)')


if __name__ == '__main__':
    main(sys.argv[1:])

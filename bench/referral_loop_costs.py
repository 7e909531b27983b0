#!/usr/bin/env python3
"""What the SOP automation and the audit trail add to the referral loop.

The loop of bench_referral_loop.py (create, send, accept, write the
outcome, complete: 5 calls) and its baseline (a party created and written 4
times) run in this process through Tryton's own JSON-RPC dispatcher,
without the network; first as the module is, then leaving out, one after
the other and adding up: the e-mail triggers, the activity plans, the
in-app notifications, the audit trail. Each line prints the milliseconds per
loop and the ratio to the baseline measured beside it (median of the
rounds). The parts are left out in this process only, to tell what the
loop's speed goal would cost; it is not part of `make bench`.

    .venv/bin/python bench/referral_loop_costs.py   [BENCH_REFERRALS=40]
"""
import itertools
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / 'scripts'))
sys.path.insert(0, str(HERE))

import momd_setup  # noqa: E402
from momd_client import RPCError, Session  # noqa: E402

import bench_referral_loop as loop  # noqa: E402

DB = 'momd_bench_costs'
REFERRALS = int(os.environ.get('BENCH_REFERRALS', 40))


class LocalSession(Session):
    "A JSON-RPC session with the application of this process"
    client = None

    def call(self, method, *params):
        headers = {'Content-Type': 'application/json'}
        if self.auth:
            headers['Authorization'] = self.auth
        response = self.client.post(
            self.endpoint, headers=headers, data=json.dumps(
                {'id': 1, 'method': method, 'params': params}))
        answer = json.loads(response.data)
        if answer.get('error'):
            raise RPCError(answer['error'])
        return answer['result']


def leave_out(pool, part):
    "Leave part out of the module in this process"
    import momd_referral.models.referral as referral_module
    if part == 'e-mail triggers':
        Trigger = pool.get('ir.trigger')
        get_triggers = Trigger.get_triggers.__func__

        def no_module_triggers(cls, model_name, mode):
            if model_name.startswith('momd.'):
                return []
            return get_triggers(cls, model_name, mode)
        Trigger.get_triggers = classmethod(no_module_triggers)
    elif part == 'activity plans':
        pool.get('momd.activity.plan').fire = classmethod(
            lambda cls, *args, **kwargs: [])
    elif part == 'in-app notifications':
        referral_module.notify = lambda *args, **kwargs: None
        pool.get('momd.activity').notify_assigned = classmethod(
            lambda cls, activities: None)
    elif part == 'audit trail':
        Log = pool.get('momd.access.log')
        Log._insert = classmethod(lambda cls, *args, **kwargs: None)
        Log.log = classmethod(lambda cls, *args, **kwargs: None)


def main():
    var = Path(tempfile.mkdtemp(prefix='momd-bench-costs-'))
    conf = momd_setup.prepare(var, momd_setup.free_port(), DB,
        uri=os.environ.get('BENCH_DATABASE_URI'))
    os.environ['TRYTOND_CONFIG'] = str(conf)
    os.environ['TRYTOND_DATABASE_NAMES'] = DB
    from trytond.application import app
    from trytond.pool import Pool
    from werkzeug.test import Client
    LocalSession.client = Client(app)
    admin, caseworker, focal, need, service = loop.prepare(
        LocalSession, '', DB)
    counter = itertools.count()

    def measure(label):
        ours, base = loop.timed(loop.ROUNDS,
            lambda: loop.referrals(
                caseworker, focal, need, service, REFERRALS),
            lambda: loop.parties(admin, counter, REFERRALS))
        print('%-44s %8.1f %8.1f %8.2f' % (label,
                ours / REFERRALS * 1000, base / REFERRALS * 1000,
                ours / base), flush=True)

    print('%-44s %8s %8s %8s' % (
            'referral loop', 'ms/loop', 'party', 'ratio'))
    measure('as it is')
    pool = Pool(DB)
    for part in ['e-mail triggers', 'activity plans',
            'in-app notifications', 'audit trail']:
        leave_out(pool, part)
        measure('... and without the %s' % part)
    print('(in this process, without the network: over HTTP each call of '
        'both loops costs a few milliseconds more, which lowers the ratios)')


if __name__ == '__main__':
    main()

"""Provider scorecards over JSON-RPC on the real server: each role's rows,
the export to XLSX as the client runs it, and what no client may do."""
import pytest

from momd_client import RPCError
from test_reporting_rpc import _export, _sheets

FIELDS = ['month', 'provider', 'service', 'received', 'accepted', 'declined',
    'completed', 'accept_median', 'accept_p90', 'completion_rate', 'rating']


def _providers(session):
    "The ids of the providers the focal point answers for"
    return set(session.model('momd.provider', 'search', [],
            0, None, None))


def test_scorecard_by_role(login):
    """A focal point reads their own provider's rows only, the manager every
    provider's; the figures hold together"""
    manager = login('manager')
    every = manager.model('momd.provider.scorecard', 'search_read', [],
        0, None, None, FIELDS)
    assert len({r['provider'] for r in every}) > 1
    for row in every:
        counts = [row[n] for n in [
                'received', 'accepted', 'declined', 'completed']]
        # a small count is empty, never shown
        assert not [c for c in counts if c is not None and 0 < c < 5], row
        if None not in counts:
            assert row['accepted'] + row['declined'] <= row['received'], row
            assert row['completed'] <= row['accepted'], row
        if row['accept_median'] is not None:
            assert row['accept_median'] <= row['accept_p90'], row
        if row['rating'] is not None:
            assert 1 <= row['rating'] <= 5, row

    focal = login('provider.legal.network')
    own = _providers(focal)
    rows = focal.model('momd.provider.scorecard', 'search_read', [],
        0, None, None, FIELDS)
    assert rows
    assert {r['provider'] for r in rows} <= own
    others = {r['provider'] for r in every} - own
    assert focal.model('momd.provider.scorecard', 'search', [
            ('provider', 'in', list(others))], 0, None, None) == []
    # the same rows as the manager counts for that provider
    mine = sorted((r['month'], r['service'], r['received']) for r in every
        if r['provider'] in own)
    assert sorted((r['month'], r['service'], r['received'])
        for r in rows) == mine


def test_scorecard_refusals(login):
    "No client writes a scorecard; a caseworker does not read them"
    manager = login('manager')
    for method, args in [
            ('create', [[{'received': 1}]]),
            ('write', [[1], {'received': 1}]),
            ('delete', [[1]])]:
        with pytest.raises(RPCError):
            manager.model('momd.provider.scorecard', method, *args)
    caseworker = login('sinjar.caseworker')
    with pytest.raises(RPCError) as error:
        caseworker.model('momd.provider.scorecard', 'search', [],
            0, None, None)
    assert error.value.kind == 'UserError'


def test_scorecard_export(login):
    "The focal point exports their scorecard to XLSX, small counts hidden"
    focal = login('provider.legal.network', language='en')
    ext, content, _ = _export(focal, 'momd.provider.scorecard',
        {'format': 'xlsx', 'records': 'all'})
    assert ext == 'xlsx'
    sheet, = _sheets(content).values()
    header, rows = sheet[0], sheet[1:]
    assert header[:4] == ['Month', 'Provider', 'Service Category', 'Received']
    assert rows
    received = header.index('Received')
    for row in rows:
        assert row[received] == '<5' or row[received] >= 5, row
    names = {r[header.index('Provider')] for r in rows}
    assert len(names) == 1, names

"""The pytest plugin is opt-in: installed, it adds no fixture until enabled."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USES_FIXTURES = """
from datetime import timedelta

from durable import workflow


@workflow.defn
class Naps:
    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(timedelta(days=365))
        return "rested"


async def test_a_year_long_nap(durable_env, durable_client, durable_worker):
    async with durable_worker(workflows=[Naps]) as w:
        assert w.task_queue.startswith("test-")
        out = await durable_client.execute_workflow(Naps.run, id="nap", task_queue=w.task_queue)
    assert out == "rested"
    assert durable_env.supports_time_skipping
"""

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
{extra}
"""


def test_fixtures_are_absent_without_opt_in(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(extra=""))
    pytester.makepyfile(USES_FIXTURES)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'durable_env' not found*"])


def test_the_ini_switch_enables_the_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(extra="durable_plugin = true"))
    pytester.makepyfile(USES_FIXTURES)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_dash_p_enables_the_fixtures_and_records_histories(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(extra=""))
    pytester.makepyfile(test_naps=USES_FIXTURES)
    out = pytester.path / "histories"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                           "-p", "durable.testing.pytest_plugin",
                                           f"--durable-record-histories={out}")
    result.assert_outcomes(passed=1)
    assert [p.name for p in out.iterdir()] == ["test_naps.Naps.json"]
    pytester.makepyfile(test_replay="""
async def test_replays(durable_replay):
    results = await durable_replay("histories")
    assert results.replay_failures == {}
""")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                           "-p", "durable.testing.pytest_plugin",
                                           "test_replay.py")
    result.assert_outcomes(passed=1)

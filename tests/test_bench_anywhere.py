"""`bench()` from wherever Python code runs: the main thread (signals stop it: test_bench.py), another
thread, a running event loop (a notebook's cell, an async service), and `await abench()`."""

from __future__ import annotations

import asyncio
import threading

import pytest

from react_agent import AgentSettings, BenchSpec, abench, bench
from react_agent.models import ModelOptions
from servers import scripted_openai_server, url_of


@pytest.fixture
def spec(tmp_path):
    def answer_for(prompt):
        return " It is known.\nAction 1: Finish[Seine]"

    with scripted_openai_server(answer_for=answer_for) as server:
        yield BenchSpec(
            task="hotpotqa",
            model="openai:m",
            model_options=ModelOptions(base_url=url_of(server, "/v1")),
            n=2,
            settings=AgentSettings(max_steps=2),
            out=tmp_path / "run.jsonl",
        )


def played(summary):
    return summary.played, [r.answer for r in summary.results]


def test_bench_inside_a_running_event_loop(spec):
    async def cell():  # what a notebook runs: its loop is running when the cell calls bench()
        return bench(spec)

    assert played(asyncio.run(cell())) == (2, ["Seine", "Seine"])


def test_bench_from_a_thread_that_is_not_the_main_one(spec):
    summaries, errors = [], []

    def work():
        try:
            summaries.append(bench(spec))
        except Exception as error:  # handed to the test's thread
            errors.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(120)
    assert not errors, errors
    assert played(summaries[0]) == (2, ["Seine", "Seine"])


def test_abench_is_awaited_on_the_callers_loop(spec):
    async def service():
        ticks = 0

        async def tick():  # the loop keeps serving while the run plays
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        summary = await abench(spec)
        ticker.cancel()
        return summary, ticks

    summary, ticks = asyncio.run(service())
    assert played(summary) == (2, ["Seine", "Seine"]) and ticks > 1
    assert bench(spec).played == 0  # and the main thread resumes what it wrote: nothing left

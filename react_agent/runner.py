"""Many episodes at once, resumable: the batch runner behind `react bench`.

Each worker owns an `Agent` (its own environment, and its own model where a model cannot be shared,
as a local one cannot without its KV cache being evicted by the other episodes). Each result is
appended to the results file, fsync'd, the moment its episode ends, and a rerun skips the tasks
already there: a killed run loses at most the episodes in flight, and none is ever written twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from react_agent.agent import Agent
from react_agent.results import append_result
from react_agent.trajectory import EpisodeResult


def finished_task_ids(path: Path) -> set[str]:
    """The tasks a results file already holds; a torn last line (a kill mid-write) is ignored,
    and its episode is played again."""
    if not path.exists():
        return set()
    ids = set()
    with open(path, encoding="utf-8") as file:
        for line in file:
            try:
                ids.add(EpisodeResult.model_validate_json(line).task_id)
            except ValueError:
                continue
    return ids


def repair_torn_tail(path: Path) -> None:
    """Cut a last line that a kill left half written, so appends start on a fresh line."""
    if not path.exists() or path.stat().st_size == 0:
        return
    data = path.read_bytes()
    if data.endswith(b"\n"):
        return
    path.write_bytes(data[: data.rfind(b"\n") + 1])


async def run_many(
    tasks: Iterable[Any],
    make_agent: Callable[[], Agent | Any],  # an Agent, or a method of react_agent.methods
    *,
    workers: int = 1,
    out: Path | None = None,
    config: dict[str, Any] | None = None,
    on_result: Callable[[EpisodeResult], None] | None = None,
) -> list[EpisodeResult]:
    """Play every task not already in `out`, `workers` at a time; returns the new results."""
    if out is not None:
        repair_torn_tail(out)
        done = finished_task_ids(out)
        tasks = [task for task in tasks if str(getattr(task, "id", "")) not in done]
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for task in tasks:
        queue.put_nowait(task)
    results: list[EpisodeResult] = []

    async def worker() -> None:
        agent = make_agent()
        while not queue.empty():
            task = queue.get_nowait()
            result = await agent.arun(task)
            result.config = dict(config or {})
            if out is not None:
                append_result(out, result)
            results.append(result)
            if on_result is not None:
                on_result(result)

    await asyncio.gather(*(worker() for _ in range(max(1, workers))))
    return results

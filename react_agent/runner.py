"""Many episodes at once, resumable: the batch runner behind `bench()` and `react bench`.

Each worker owns a player (an `Agent` or a method's player: its own environment, since an
environment holds its episode's state). Workers may share one model: a remote one answers their
requests concurrently, a local one decodes them together in one batch (`models/llama_batch.py`).
Each result is appended to the results file, fsync'd, the moment its episode ends. A rerun into
the same file plays only what is missing: tasks with no line yet, and tasks whose last line ended
in `error` (a server failure, a bug since fixed), whose new line then supersedes the old one. A
file holds one run: a rerun with another setup is refused, naming what differs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from react_agent.environment import task_id_of
from react_agent.errors import OptionError
from react_agent.methods import Player
from react_agent.provenance import differences
from react_agent.results import append_result, latest_results, read_results, repair_torn_tail, sole_writer
from react_agent.trajectory import EpisodeResult, RunConfig, StopReason


class ResumeRefused(OptionError):
    """The results file holds a run made with another setup."""


def finished_trials(path: Path, config: RunConfig | None = None) -> set[tuple[str, int]]:
    """The trials, (task, epoch), a results file holds a finished episode of (any stop reason but
    `error`). With a `config`, a file holding another run's lines is refused. A torn last line is
    cut off first."""
    if not path.exists():
        return set()
    repair_torn_tail(path)
    results = list(read_results(path))
    if config is not None:
        for result in results:
            if result.config is None or result.config.hash != config.hash:
                raise ResumeRefused(_refusal(path, result, config))
    return {r.trial for r in latest_results(results) if r.stop_reason is not StopReason.error}


def _refusal(path: Path, result: EpisodeResult, config: RunConfig) -> str:
    if result.config is None:
        fields = "its lines record no setup"
    else:
        fields = ", ".join(differences(result.config.identity(), config.identity())) + " differ"
    return f"{path} holds another run ({fields}): give another `out`, or delete the file to start over"


async def run_many(
    tasks: Iterable[Any],
    new_player: Callable[[], Player],  # what each worker plays with
    *,
    workers: int = 1,
    epochs: int = 1,
    out: Path | None = None,
    config: RunConfig | None = None,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[EpisodeResult], None] | None = None,
    keep_results: bool = True,
    until: Callable[[], bool] | None = None,
) -> list[EpisodeResult]:
    """Play `epochs` trials of every task, those that `out` does not already hold finished,
    `workers` at a time, one epoch after another; returns the new results. `on_start` is told how
    many trials were already done. While it runs, no other
    process can write to `out` (`ResultsFileBusy`). `keep_results=False` returns nothing: the
    results are only written to `out` and given to `on_result`, so a long run's memory stays flat.
    Once `until()` holds (asked before each task), no task starts; those playing finish."""
    play = dict(config=config, on_start=on_start, on_result=on_result, keep_results=keep_results, until=until)
    trials = [(task, epoch) for epoch in range(epochs) for task in tasks]
    if out is None:
        return await _play(trials, new_player, workers, None, **play)
    with sole_writer(out):
        return await _play(trials, new_player, workers, out, **play)


async def _play(
    trials: list[tuple[Any, int]],
    new_player: Callable[[], Player],
    workers: int,
    out: Path | None,
    *,
    config: RunConfig | None,
    on_start: Callable[[int], None] | None,
    on_result: Callable[[EpisodeResult], None] | None,
    keep_results: bool,
    until: Callable[[], bool] | None,
) -> list[EpisodeResult]:
    if out is not None:
        done = finished_trials(out, config)
        pending = [(task, epoch) for task, epoch in trials if (task_id_of(task), epoch) not in done]
        if on_start is not None:
            on_start(len(trials) - len(pending))
        trials = pending
    queue: asyncio.Queue[tuple[Any, int]] = asyncio.Queue()
    for trial in trials:
        queue.put_nowait(trial)
    results: list[EpisodeResult] = []

    async def worker() -> None:
        player = new_player()
        while not queue.empty() and not (until is not None and until()):
            task, epoch = queue.get_nowait()
            result = await player.arun(task, epoch)
            result.config = config
            if out is not None:
                append_result(out, result)
            if keep_results:
                results.append(result)
            if on_result is not None:
                on_result(result)

    await asyncio.gather(*(worker() for _ in range(max(1, workers))))
    return results


def run_all(
    tasks: Iterable[Any],
    new_player: Callable[[], Player],
    *,
    workers: int = 1,
    out: Path | str | None = None,
    config: RunConfig | None = None,
    on_result: Callable[[EpisodeResult], None] | None = None,
    keep_results: bool = True,
) -> list[EpisodeResult]:
    """`run_many` from synchronous code: play the tasks `workers` at a time, appending each result
    to `out` as it ends and skipping what `out` already holds; returns the new results (none with
    `keep_results=False`)."""
    path = Path(out) if out is not None else None
    options = dict(workers=workers, out=path, config=config, on_result=on_result, keep_results=keep_results)
    return asyncio.run(run_many(tasks, new_player, **options))

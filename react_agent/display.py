"""How trajectories, summaries, leaderboards, progress and the library's log look in a terminal
(rich): what `react` shows."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from react_agent.trajectory import EpisodeResult, EpisodeStart, Step

STYLES = {"thought": "cyan", "action": "bold yellow", "observation": "green", "question": "bold"}


def show_question(console: Console, task_id: str, question: str) -> None:
    console.rule(f"[dim]{escape(task_id)}")
    console.print(escape(question), style=STYLES["question"])


def show_step(console: Console, step: Step) -> None:
    i = step.index
    if step.thought and step.thought not in step.action.text:  # a "think: ..." action says it already
        console.print(f"[{STYLES['thought']}]Thought {i}:[/] {escape(step.thought)}")
    console.print(f"[{STYLES['action']}]Action {i}:[/] {escape(step.action.text)}")
    console.print(f"[{STYLES['observation']}]Observation {i}:[/] {escape(step.observation)}")


def show_event(console: Console, event: EpisodeStart | Step | EpisodeResult) -> None:
    """An event of a streamed episode: its start, a step, or its result."""
    if isinstance(event, EpisodeStart):
        show_question(console, event.task_id, event.question)
    elif isinstance(event, Step):
        show_step(console, event)
    else:
        show_result(console, event)


def show_result(console: Console, result: EpisodeResult) -> None:
    scores = " ".join(f"{name.upper()} {value:.2f}" for name, value in result.metrics.items())
    gold = f" (gold: {escape(result.gold)})" if result.gold is not None else ""
    answer = f"[bold]Answer:[/] {escape(str(result.answer))}{gold}  " if result.answer or result.gold else ""
    line = (
        f"{answer}{scores}  "
        f"[dim]{result.stop_reason.value}, {len(result.steps)} steps, {result.seconds:.1f} s[/]"
    )
    console.print(line)
    if result.error:
        console.print(f"[red]{escape(result.error)}[/]")


def _total(values: Sequence[int | None]) -> str:
    return "n/a" if any(v is None for v in values) else f"{sum(v for v in values if v is not None):,}"


def summary_table(results: Sequence[EpisodeResult], wall_seconds: float) -> Table:
    table = Table(title="Summary", show_header=False)
    n = len(results)
    table.add_row("episodes", str(n))
    metric_names = sorted({name for r in results for name in r.metrics})
    for name in metric_names:
        values = [r.metrics.get(name, 0.0) for r in results]
        table.add_row(name.upper(), f"{100 * sum(values) / n:.1f}")
    categories = sorted({r.category for r in results if r.category})
    for name in metric_names if len(categories) > 1 else []:
        for category in categories:
            values = [r.metrics.get(name, 0.0) for r in results if r.category == category]
            table.add_row(
                f"{name.upper()} · {category}", f"{100 * sum(values) / len(values):.1f} (n={len(values)})"
            )
    stops = Counter(r.stop_reason.value for r in results)
    table.add_row("stop reasons", ", ".join(f"{k} {v}" for k, v in stops.most_common()))
    if stops["error"]:
        table.add_row("errors", f"{stops['error']} episodes ended by an error (react show prints each)")
    table.add_row("mean steps", f"{sum(len(r.steps) for r in results) / n:.2f}" if n else "-")
    table.add_row("prompt tokens sent", _total([r.usage.prompt_tokens for r in results]))
    table.add_row("prompt tokens evaluated", _total([r.usage.evaluated_tokens for r in results]))
    table.add_row("tokens generated", _total([r.usage.completion_tokens for r in results]))
    table.add_row("time", f"{wall_seconds:.1f} s ({wall_seconds / n:.1f} s per episode)" if n else "-")
    return table


def leaderboard_tables(console: Console, tables: dict[str, tuple[list[str], list[list[str]]]]) -> None:
    """The leaderboard's tables (`leaderboard.as_text_tables`), one per task."""
    for task, (header, cells) in tables.items():
        table = Table(*header, title=task)
        for row in cells:
            table.add_row(*row)
        console.print(table)


class BenchProgress:
    """A progress bar of a run, with its score and generation rate so far: `on_start` and
    `on_result` are `bench()`'s callbacks. Only on a terminal: in a log, a bar is noise around the
    one-line errors."""

    def __init__(self, console: Console):
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        self._bar = Progress(*columns, console=console, transient=True, disable=not console.is_terminal)
        self._job = self._bar.add_task("starting")
        self._started, self._played, self._score, self._tokens = time.perf_counter(), 0, 0.0, 0

    def on_start(self, already: int, total: int) -> None:
        self._bar.update(self._job, completed=already, total=total)
        self._bar.start()

    def on_result(self, result: EpisodeResult) -> None:
        self._played += 1
        self._score += next(iter(result.metrics.values()), 0.0)  # an outcome's first metric is its score
        self._tokens += result.usage.completion_tokens or 0
        rate, mean = self._tokens / (time.perf_counter() - self._started), 100 * self._score / self._played
        name = next(iter(result.metrics), "score").upper()
        self._bar.update(self._job, advance=1, description=f"{name} {mean:.1f}  {rate:.0f} tok/s")

    def stop(self) -> None:
        self._bar.stop()


class LogLines(logging.Formatter):
    """The library's log (`logging.getLogger("react_agent")`) as `react` prints it: notes as they
    are, warnings and worse as `react: warning: ...`."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        return (
            message if record.levelno < logging.WARNING else f"react: {record.levelname.lower()}: {message}"
        )


def log_to_stderr() -> Any:
    """Show the library's log on stderr until the returned handler is removed."""
    import sys

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LogLines())
    library = logging.getLogger("react_agent")
    library.addHandler(handler)
    library.setLevel(logging.INFO)
    library.propagate = False
    return handler

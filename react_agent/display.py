"""How trajectories and summaries look in a terminal (rich)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from react_agent.trajectory import EpisodeResult, Step

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

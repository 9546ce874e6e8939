"""`react report RUN... --out report.html`: one self-contained HTML file to look at runs.

It holds the leaderboard with each score's 95% interval drawn as a bar with whiskers beside the
paper's rows, scores per category (question type, game type), why each run's episodes failed (a
bar chart per run of their failure categories), how episodes ended (stop reasons, steps, tokens),
and every episode in a table that filters and sorts, where a click shows the
episode's steps, raw model outputs, token counts and timings, beside the same task in another run.

Nothing is fetched when the file is opened: the template, the data and the two libraries it uses
(Tabulator, Plotly's basic bundle, vendored in `react_agent/assets/`) are all inline, and its
Content-Security-Policy forbids any request. Model output is untrusted text: the data is JSON with
every `<` escaped, and the page shows it only as text.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from react_agent.errors import OptionError
from react_agent.leaderboard import (
    UNKNOWN,
    Row,
    boards,
    bootstrap_ci,
    failure_counts,
    rows,
    scoring_of,
)
from react_agent.trajectory import EpisodeResult, StopReason


def _asset(name: str) -> str:
    return files("react_agent.assets").joinpath(name).read_text(encoding="utf-8")


def _main_score(result: EpisodeResult) -> tuple[str, float]:
    name = scoring_of(result).score
    return name, result.metrics.get(name, 0.0)


def report_data(runs: Sequence[tuple[str, Sequence[EpisodeResult]]]) -> dict[str, Any]:
    """What the page shows, as JSON-ready data: `runs` are (label, that run's results)."""
    table = rows(*(results for _, results in runs), names=[label for label, _ in runs])
    by_run = {(row.run, row.config): row for row in table if not row.reported}
    run_records, episodes, categories_seen = [], [], set()
    for index, (label, results) in enumerate(runs):
        stops = Counter(result.stop_reason.value for result in results)
        config = results[0].config.hash if results and results[0].config else None
        row = by_run.get((index, config)) if config else None  # a run with no recorded setup goes by its name
        short = f"{index + 1}. {row.method if row else label}"[:40]
        run_records.append(
            {
                "index": index,
                "label": f"{label} ({row.data}, {row.model}, {row.method})" if row else label,
                "short": short,
                "stops": stops,
                # why its episodes ended (react_agent.diagnosis), in its task's order
                "failures": row.failures if row else failure_counts(results, []),
                "mean_steps": _mean([len(r.steps) for r in results]),
                "tokens_sent": _mean([r.usage.prompt_tokens for r in results]),
                "tokens_generated": _mean([r.usage.completion_tokens for r in results]),
            }
        )
        for result in results:
            name, value = _main_score(result)
            categories_seen.add(result.category)
            episodes.append(_episode(index, result, name, value))
    return {
        "runs": run_records,
        "episodes": episodes,
        "leaderboard": _leaderboards(table),
        "categories": _category_tables(runs, run_records),
        "category_names": sorted(c for c in categories_seen if c),
        "stop_reasons": [
            reason.value for reason in StopReason if any(reason.value in r["stops"] for r in run_records)
        ],
        "epochs": 1 + max((e["epoch"] for e in episodes), default=0),  # trials per task, at most
    }


def _mean(values: Sequence[int | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 1) if known and len(known) == len(values) else None


def _episode(run: int, result: EpisodeResult, name: str, value: float) -> dict[str, Any]:
    return {
        "run": run,
        "task_id": result.task_id,
        "epoch": result.epoch,
        "category": result.category or "",
        "question": result.question,
        "answer": result.answer,
        "gold": result.gold,
        "score": round(value, 3),
        "score_name": name,
        "failed": value < 1.0,
        "stop_reason": result.stop_reason.value,
        "failure": result.failure_category or UNKNOWN,
        "steps": len(result.steps),
        "seconds": round(result.seconds, 2),
        "error": result.error,
        "trajectory": [
            {
                "index": step.index,
                "thought": step.thought,
                "action": step.action.text,
                "observation": step.observation,
                "shortened": step.shortened,
                "outputs": step.model_outputs,
                "calls": step.usage.calls,
                "sent": step.usage.prompt_tokens,
                "evaluated": step.usage.evaluated_tokens,
                "generated": step.usage.completion_tokens,
                "model_seconds": round(step.model_seconds, 3),
                "env_seconds": round(step.env_seconds, 3),
            }
            for step in result.steps
        ],
    }


def _leaderboards(table: Sequence[Row]) -> list[dict[str, Any]]:
    out = []
    for title, task_rows in boards(table):
        score = task_rows[0].score or "score"
        records = []
        for row in task_rows:
            mean, low, high = row.scores.get(score, (float("nan"),) * 3)
            records.append(
                {
                    "label": f"{row.model} · {row.method} · {row.data}"
                    + (" (reported)" if row.reported else ""),
                    "data": row.data,
                    "model": row.model,
                    "method": row.method,
                    "config": row.config[:8],
                    "n": row.n,
                    "reported": row.reported,
                    "mean": mean,
                    "low": None if low != low else low,
                    "high": None if high != high else high,
                    "steps": None if row.mean_steps is None else round(row.mean_steps, 2),
                    "tokens": None if row.tokens_per_episode is None else round(row.tokens_per_episode),
                    "seconds": None if row.seconds_per_episode is None else round(row.seconds_per_episode, 1),
                }
            )
        out.append({"task": title, "score": score, "rows": records})
    return out


def _category_tables(
    runs: Sequence[tuple[str, Sequence[EpisodeResult]]], run_records: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    by_task: dict[str, list[int]] = defaultdict(list)
    for index, (_, results) in enumerate(runs):
        if results:
            by_task[results[0].config.task if results[0].config else "?"].append(index)
    tables = []
    for task, indices in sorted(by_task.items()):
        names = sorted({r.category for i in indices for r in runs[i][1] if r.category})
        if not names:
            continue
        table_rows = []
        for i in indices:
            scores = []
            for name in names:
                values = [100 * _main_score(r)[1] for r in runs[i][1] if r.category == name]
                mean = sum(values) / len(values) if values else None
                scores.append({"value": [mean, *bootstrap_ci(values)], "n": len(values)} if values else None)
            table_rows.append({"label": run_records[i]["short"], "scores": scores})
        scoring = scoring_of(runs[indices[0]][1][0])
        tables.append(
            {
                "task": task,
                "kind": scoring.category,
                "score": scoring.score,
                "categories": names,
                "rows": table_rows,
            }
        )
    return tables


def render(runs: Sequence[tuple[str, Sequence[EpisodeResult]]]) -> str:
    """The whole page, as text."""
    data = json.dumps(report_data(runs), ensure_ascii=False, allow_nan=False).replace("<", "\\u003c")
    page = _asset("report.html")
    for marker, content in (
        ("/*TABULATOR_CSS*/", _asset("tabulator.min.css")),
        ("/*PLOTLY_JS*/", _asset("plotly-basic.min.js")),
        ("/*TABULATOR_JS*/", _asset("tabulator.min.js")),
        ("/*DATA*/", data),
    ):
        before, after = page.split(marker, 1)  # split, not replace: the libraries' own text is kept as is
        page = before + content + after
    return page


def write_report(runs: Sequence[tuple[str, Sequence[EpisodeResult]]], out: str | Path) -> Path:
    out = Path(out)
    try:
        out.write_text(render(runs), encoding="utf-8")
    except OSError as error:
        raise OptionError(f"cannot write report {out}: {error.strerror}") from None
    return out

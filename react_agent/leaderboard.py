"""Leaderboards from results files: scores with bootstrap confidence intervals, cost per episode,
and the ReAct paper's reported numbers beside them, marked as reported."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from react_agent.trajectory import EpisodeResult

BOOTSTRAP_SAMPLES = 2000

# Yao et al., 2022 (Table 1 and Table 3, PaLM-540B), and the paper's code README (GPT-3).
REPORTED_DATA = {"hotpotqa": "HotpotQA dev, react500", "alfworld": "ALFWorld unseen (134)"}
REPORTED = {
    "hotpotqa": [
        ("PaLM-540B", "standard", 28.7),
        ("PaLM-540B", "cot", 29.4),
        ("PaLM-540B", "cot-sc", 33.4),
        ("PaLM-540B", "act", 25.7),
        ("PaLM-540B", "react", 27.4),
        ("PaLM-540B", "cot-sc -> react", 34.2),
        ("PaLM-540B", "react -> cot-sc", 35.1),
        ("GPT-3 (text-davinci-002)", "react", 30.4),
    ],
    "alfworld": [
        ("PaLM-540B", "react (best of 6)", 71.0),
        ("PaLM-540B", "react (mean of 6)", 57.0),
        ("PaLM-540B", "act (best of 6)", 45.0),
        ("BUTLER", "imitation learning", 37.0),
    ],
}


def bootstrap_ci(
    values: Sequence[float], *, samples: int = BOOTSTRAP_SAMPLES, seed: int = 0
) -> tuple[float, float]:
    """The 95% percentile-bootstrap interval of the mean of `values` (seeded: reproducible)."""
    if not values:
        return (float("nan"), float("nan"))
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(samples))
    return means[int(0.025 * samples)], means[min(samples - 1, int(0.975 * samples))]


@dataclass
class Row:
    task: str
    data: str
    model: str
    method: str
    n: int
    scores: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # name: (mean, low, high), %
    mean_steps: float | None = None
    tokens_per_episode: float | None = None
    cached_share: float | None = None
    seconds_per_episode: float | None = None
    reported: bool = False


def _task_of(result: EpisodeResult) -> str:
    return str(result.config.get("task") or ("hotpotqa" if "em" in result.metrics else "alfworld"))


def _method_of(result: EpisodeResult) -> str:
    method = str(result.config.get("method", "react"))
    samples = result.config.get("sc_samples")
    return f"{method} ({samples} samples)" if samples and samples != 21 else method


def _data_of(result: EpisodeResult) -> str:
    data = str(result.config.get("data", "?"))
    name = data if data in ("built-in", "?") else Path(data).name
    sample = result.config.get("sample")
    return f"{name}, {sample}" if sample else name


def rows(results: Sequence[EpisodeResult]) -> list[Row]:
    groups: dict[tuple[str, str, str, str], list[EpisodeResult]] = defaultdict(list)
    for result in results:
        key = (_task_of(result), _data_of(result), str(result.config.get("model", "?")), _method_of(result))
        groups[key].append(result)
    table = []
    for (task, data, model, method), group in sorted(groups.items()):
        row = Row(task, data, model, method, n=len(group))
        names = ["em", "f1"] if task == "hotpotqa" else ["success"]
        for name in names:
            values = [100 * r.metrics.get(name, 0.0) for r in group]
            row.scores[name] = (sum(values) / len(values), *bootstrap_ci(values))
        if task != "hotpotqa":
            for category in sorted({r.category for r in group if r.category}):
                values = [100 * r.metrics.get("success", 0.0) for r in group if r.category == category]
                row.scores[f"success · {category}"] = (sum(values) / len(values), *bootstrap_ci(values))
        row.mean_steps = sum(len(r.steps) for r in group) / len(group)
        sent = [r.usage.prompt_tokens for r in group]
        generated = [r.usage.completion_tokens for r in group]
        if all(v is not None for v in sent + generated):
            row.tokens_per_episode = sum(v or 0 for v in sent + generated) / len(group)
        evaluated = [r.usage.evaluated_tokens for r in group]
        if all(v is not None for v in evaluated + sent) and sum(v or 0 for v in sent):
            row.cached_share = 1 - sum(v or 0 for v in evaluated) / sum(v or 0 for v in sent)
        row.seconds_per_episode = sum(r.seconds for r in group) / len(group)
        table.append(row)
    for task in sorted({row.task for row in table}):
        name = "em" if task == "hotpotqa" else "success"
        for model, method, score in REPORTED[task]:
            table.append(
                Row(
                    task,
                    REPORTED_DATA[task],
                    model,
                    method,
                    n=0,
                    scores={name: (score, float("nan"), float("nan"))},
                    reported=True,
                )
            )
    return table


def _score(value: tuple[float, float, float]) -> str:
    mean, low, high = value
    return f"{mean:.1f}" if low != low else f"{mean:.1f} [{low:.1f}, {high:.1f}]"


def _optional(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def as_records(table: Sequence[Row]) -> list[dict[str, Any]]:
    return [row.__dict__ | {"scores": {k: list(v) for k, v in row.scores.items()}} for row in table]


def as_text_tables(table: Sequence[Row]) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Per task: the column names and the cells, for rich or markdown output."""
    out: dict[str, tuple[list[str], list[list[str]]]] = {}
    for task in sorted({row.task for row in table}):
        task_rows = [row for row in table if row.task == task]
        score_names = list(dict.fromkeys(name for row in task_rows for name in row.scores))
        header = [
            "data",
            "model",
            "method",
            "n",
            *[f"{name} (95% CI)" for name in score_names],
            "steps",
            "tokens/episode",
            "cached",
            "s/episode",
        ]
        cells = []
        for row in task_rows:
            scores = [_score(row.scores[name]) if name in row.scores else "" for name in score_names]
            cells.append(
                [
                    row.data,
                    row.model + (" (reported)" if row.reported else ""),
                    row.method,
                    "" if row.reported else str(row.n),
                    *scores,
                    _optional(row.mean_steps, ".2f"),
                    _optional(row.tokens_per_episode, ",.0f"),
                    _optional(None if row.cached_share is None else 100 * row.cached_share, ".1f")
                    + ("%" if row.cached_share is not None else ""),
                    _optional(row.seconds_per_episode, ".1f"),
                ]
            )
        out[task] = (header, cells)
    return out


def as_markdown(table: Sequence[Row]) -> str:
    parts = []
    for task, (header, cells) in as_text_tables(table).items():
        parts.append(f"### {task}\n")
        parts.append("| " + " | ".join(header) + " |")
        parts.append("|" + "---|" * len(header))
        parts += ["| " + " | ".join(cell for cell in row) + " |" for row in cells]
        parts.append("")
    return "\n".join(parts)

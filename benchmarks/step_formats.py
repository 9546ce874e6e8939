"""One model, one task, three ways of writing its steps: text ReAct, text ReAct held to a grammar
of the actions (`--grammar`), and native tool calls (`--format tools`). The table of issue 23,
made from published runs only (a run not in `runs/` yet is a row that says so); `refresh_readme`
writes it into benchmarks/README.md.

python -m benchmarks.step_formats [--runs benchmarks/runs]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from react_agent.diagnosis import format_failures
from react_agent.envs.alfworld import inadmissible
from react_agent.leaderboard import Row, markdown_table, rows, score_text
from react_agent.results import latest_results, read_results
from react_agent.trajectory import EpisodeResult, Step, StopReason


@dataclass(frozen=True)
class Comparison:
    title: str
    runs: tuple[tuple[str, str], ...]  # (how the steps were written, its results file in runs/)
    # A column of steps the task itself counts (its name, and which steps): ALFWorld's commands the
    # game could not carry out, which no format failure covers (a command is any text).
    counted: tuple[str, Callable[[Step], bool]] | None = None


COMPARISONS = (
    Comparison(
        "HotpotQA, the first 100 of the 410 shared questions (ReAct, our examples)",
        (
            ("text", "hotpotqa-sample100-react-qwen1.5b.jsonl"),
            ("text, `--grammar`", "hotpotqa-sample100-react-grammar-qwen1.5b.jsonl"),
            ("`--format tools`", "hotpotqa-sample100-react-tools-qwen1.5b.jsonl"),
        ),
    ),
    Comparison(
        "ALFWorld, the 60 built-in games (ReAct, the paper's examples)",
        (
            ("text", "alfworld-builtin60-react-paper-examples-qwen1.5b.jsonl"),
            ("text, `--grammar`", "alfworld-builtin60-react-grammar-paper-examples-qwen1.5b.jsonl"),
            ("`--format tools`", "alfworld-builtin60-react-tools-paper-examples-qwen1.5b.jsonl"),
        ),
        counted=("commands not admissible", inadmissible),
    ),
)
HEADER = (
    "steps written as",
    "config",
    "n",
    "score (95% CI)",
    "format failures",
    "ended by one",
    "steps",
    "prompt tokens sent",
    "evaluated",
    "generated",
    "s/episode",
)


def row_of(
    way: str, results: list[EpisodeResult], counted: Callable[[Step], bool] | None = None
) -> list[str]:
    """The table's row of one run: per episode, except the format failures (a share of the model's
    replies), the episodes that ended for want of an action, and the `counted` steps (of all)."""
    (row,) = [row for row in rows(results) if not row.reported]
    n = len(results)
    replies = sum(len(result.model_outputs) for result in results)
    failures = sum(map(format_failures, results))
    ended = sum(result.stop_reason is StopReason.invalid_output for result in results)

    def per_episode(field: str) -> str:
        counts = [getattr(result.usage, field) for result in results]
        return "-" if None in counts else f"{sum(counts) / n:,.0f}"

    cells = [
        way,
        f"`{row.config[:8]}`",
        str(row.n),
        _scores(row),
        f"{failures} of {replies:,} replies ({100 * failures / max(replies, 1):.1f}%)",
        f"{ended} ({100 * ended / n:.0f}%)",
    ]
    if counted is not None:
        steps = [step for result in results for step in result.steps]
        hits = sum(map(counted, steps))
        cells.append(f"{hits:,} of {len(steps):,} steps ({100 * hits / max(len(steps), 1):.1f}%)")
    return cells + [
        f"{row.mean_steps:.2f}",
        per_episode("prompt_tokens"),
        per_episode("evaluated_tokens"),
        per_episode("completion_tokens"),
        f"{row.seconds_per_episode:.1f}",
    ]


def _scores(row: Row) -> str:
    """The task's score with its interval, then its other plain metrics (F1, ALFWorld's progress)."""
    shown = [row.score] + [name for name in row.scores if name != row.score and " " not in name]
    return "; ".join(f"{name} {score_text(row.scores[name])}" for name in shown)


def as_markdown(runs: Path) -> str:
    """A table per comparison, its rows in the order of `COMPARISONS`."""
    blocks = []
    for comparison in COMPARISONS:
        header, rule = list(HEADER), None
        if comparison.counted is not None:  # its column follows "ended by one", as in `row_of`
            column, rule = comparison.counted
            header.insert(HEADER.index("ended by one") + 1, column)
        cells = []
        for way, name in comparison.runs:
            if (runs / name).exists():
                cells.append(row_of(way, latest_results(read_results(runs / name)), rule))
            else:
                cells.append([way, "", "", f"not run yet (`{name}`)"] + [""] * (len(header) - 4))
        blocks.append("\n".join([f"#### {comparison.title}", "", *markdown_table(header, cells)]) + "\n")
    return "\n".join(blocks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=Path("benchmarks/runs"))
    print(as_markdown(parser.parse_args().runs), end="")


if __name__ == "__main__":
    main()

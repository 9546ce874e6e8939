"""Leaderboards from results files: scores with bootstrap confidence intervals, cost per episode,
and the ReAct paper's reported numbers beside them, marked as reported."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import comb
from pathlib import Path
from typing import Any, NamedTuple

from react_agent.formats import chosen_format
from react_agent.provenance import flatten
from react_agent.rules import rules_of
from react_agent.trajectory import EpisodeResult, RunConfig, Scoring

BOOTSTRAP_SAMPLES = 2000
# The label of runs whose Reflexion attempts were judged by the gold answer (`oracle_feedback`):
# they get a table of their own, apart from runs scored as tests.
ORACLE = "oracle feedback"

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
    n: int  # tasks
    config: str = ""  # the run's config hash (react_agent.provenance); empty for reported rows
    run: int | None = None  # which of the runs given to `rows` it is; None for reported rows
    score: str = ""  # the metric that is the task's score (its `Scoring`)
    scores: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # name: (mean, low, high), %
    mean_steps: float | None = None
    tokens_per_episode: float | None = None
    cached_share: float | None = None
    seconds_per_episode: float | None = None
    reported: bool = False
    git_commits: list[str] = field(default_factory=list)  # of the code that played the episodes
    run_config: RunConfig | None = None
    # Why its episodes ended (react_agent.diagnosis): category -> episodes, in the task's order.
    failures: dict[str, int] = field(default_factory=dict)
    epochs: int = 1  # trials of every task (`--epochs`): its scores average them per task first
    episodes: int = 0  # trials played in all (n x epochs, where every task has as many)


def scoring_of(result: EpisodeResult) -> Scoring:
    """How a result is read, as its run recorded it; for a run recorded before tasks said so, its
    first metric is its score (as an `Outcome`'s is), with no breakdown."""
    if result.config is not None and result.config.scoring is not None:
        return result.config.scoring
    return Scoring(score=next(iter(result.metrics), "score"))


def _label(result: EpisodeResult) -> tuple[str, str, str, str]:
    """(task, data, model, method): what a reader tells rows apart by."""
    config = result.config
    if config is None:
        return ("?", "?", "?", "?")
    name = Path(config.data).name if config.data != "built-in" else config.data
    data = f"{name}, {config.sample}" if config.sample else name
    notes = [f"{config.sc_samples} samples"] if config.sc_samples else []
    notes += [f"{config.attempts} attempts"] if config.attempts else []
    notes += [ORACLE] if config.oracle_feedback else []
    if any(use.bootstrapped for use in config.prompts.values()):
        notes.append("bootstrapped examples")
    method = f"{config.method} ({', '.join(notes)})" if notes else config.method
    return (config.task, data, config.model, method)


class RunKey(NamedTuple):
    run: int  # which of the runs given
    config: str  # its config hash


def _distinguished(
    labels: dict[RunKey, tuple[str, str, str, str]], fields: dict[RunKey, dict[str, Any]]
) -> dict[RunKey, tuple[str, str, str, str]]:
    """Labels where no two runs look alike: a run that shares its label with others gets, added to
    its method, the `fields` where it departs from what is usual among them (the value most of them
    have; on a tie, unset). The usual run keeps the plain label, so a variant reads as
    `react [grammar=True]`, not as a list of every field with its default."""
    by_label: dict[tuple[str, str, str, str], list[RunKey]] = defaultdict(list)
    for key, label in labels.items():
        by_label[label].append(key)
    out = dict(labels)
    for label, keys in by_label.items():
        if len(keys) < 2:
            continue
        names = sorted({name for key in keys for name in fields[key]})
        names = [name for name in names if len({str(fields[key].get(name)) for key in keys}) > 1]
        # A prompt of another source shows by its source, not by its hash as well.
        names = [
            n for n in names if not (n.endswith(".sha256") and n.removesuffix("sha256") + "source" in names)
        ]
        names.sort(key=lambda name: "." in name)  # the run's own settings before its prompts' details
        usual = {name: _usual([str(fields[key].get(name)) for key in keys]) for name in names}
        for key in keys:
            departs = [name for name in names if str(fields[key].get(name)) != usual[name]]
            shown = ", ".join(f"{name}={_short(fields[key].get(name))}" for name in departs[:3])
            method = label[3]
            if shown:  # one list of what sets the run apart: `react [grammar=True, n=410]`
                method = f"{method[:-1]}, {shown}]" if method.endswith("]") else f"{method} [{shown}]"
            out[key] = (*label[:3], method)
    return out


def _usual(values: list[str]) -> str | None:
    """The value most runs have; on a tie, unset (`"None"`) if one of the tied is, else no value
    (None): every run names the field."""
    counts = Counter(values).most_common()
    tied = [value for value, count in counts if count == counts[0][1]]
    if len(tied) == 1:
        return tied[0]
    return "None" if "None" in tied else None


def _short(value: Any) -> str:
    text = str(value)
    return text[:12] if len(text) == 64 and all(c in "0123456789abcdef" for c in text) else text[:60]


def pass_at(k: int, trials: int, solved: int) -> float:
    """pass@k of a task solved in `solved` of `trials` trials: the chance that at least one of k
    of them, drawn without replacement, solved it (the unbiased estimator of Chen et al., 2021)."""
    return 1 - comb(trials - solved, k) / comb(trials, k)


def pass_power(k: int, trials: int, solved: int) -> float:
    """pass^k (tau-bench's reliability): the chance that all of k trials drawn without
    replacement solved it."""
    return comb(solved, k) / comb(trials, k)


def _by_task(group: Sequence[EpisodeResult]) -> list[list[EpisodeResult]]:
    """Each task's trials, in the order tasks first appear."""
    by_task: dict[str, list[EpisodeResult]] = defaultdict(list)
    for result in group:
        by_task[result.task_id].append(result)
    return list(by_task.values())


def _chance(chance: Any, k: int, score: str) -> Any:
    """`chance` (pass_at, pass_power) of a task's trials, in %; a trial solved it at score 1."""
    return lambda trials: 100 * chance(k, len(trials), sum(r.metrics.get(score, 0.0) >= 1 for r in trials))


def _mean_and_ci(tasks: Sequence[list[EpisodeResult]], value: Any) -> tuple[float, float, float]:
    """The mean of `value(trials)` over tasks, with its interval (tasks resampled)."""
    values = [value(trials) for trials in tasks]
    return (sum(values) / len(values), *bootstrap_ci(values))


def rows(*runs: Sequence[EpisodeResult], names: Sequence[str] = ()) -> list[Row]:
    """A row for each run (a results file's results; each config in it, if it holds several),
    with the paper's reported rows. Two runs of one config stay two rows: a config played on the
    first 100 questions and on all 410 is two runs, and merged their shared questions would count
    twice. `names` (a results file's stem, say) tell apart what nothing else does."""
    groups: dict[RunKey, list[EpisodeResult]] = defaultdict(list)
    for index, results in enumerate(runs):
        for result in results:
            groups[RunKey(index, result.config.hash if result.config else "?")].append(result)
    configs = {key: group[0].config for key, group in groups.items()}
    tasks_of = {key: _by_task(group) for key, group in groups.items()}
    labels = _distinguished(
        {key: _label(group[0]) for key, group in groups.items()},
        {key: flatten(config.identity()) if (config := configs[key]) else {} for key in groups},
    )
    # Runs of one config (its first 100 questions, all 410) are told apart by how many tasks each played.
    labels = _distinguished(labels, {key: {"n": len(tasks)} for key, tasks in tasks_of.items()})
    # Runs of one config on as many tasks (questions 1-100, 101-200: `--range` is no part of a
    # config) are told apart by their names.
    if names:
        labels = _distinguished(labels, {key: {"run": names[key.run]} for key in groups})
    table = []
    for key, group in sorted(groups.items(), key=lambda item: labels[item[0]]):
        task, data, model, method = labels[key]
        tasks = tasks_of[key]
        row = Row(
            task, data, model, method, n=len(tasks), config=key.config, run_config=configs[key], run=key.run
        )
        row.epochs, row.episodes = min(map(len, tasks)), len(group)
        row.git_commits = sorted({r.config.git_commit or "?" for r in group if r.config})

        def mean_of(name: str) -> Any:  # a task's score: the mean of its trials'; the interval: over tasks
            return lambda trials: 100 * sum(r.metrics.get(name, 0.0) for r in trials) / len(trials)

        names = list(dict.fromkeys(name for r in group for name in r.metrics))  # em, f1; success...
        for name in names:
            row.scores[name] = _mean_and_ci(tasks, mean_of(name))
        scoring = scoring_of(group[0])
        row.score = scoring.score
        if row.epochs > 1:  # k = every task's number of trials, at least
            k = row.epochs
            for label, chance in ((f"pass@{k}", pass_at), (f"pass^{k}", pass_power)):
                row.scores[f"{row.score} {label}"] = _mean_and_ci(tasks, _chance(chance, k, row.score))
        if scoring.by_category:
            for category in sorted({r.category for r in group if r.category}):
                in_category = _by_task([r for r in group if r.category == category])
                score = _mean_and_ci(in_category, mean_of(scoring.score))
                row.scores[f"{scoring.score} · {category}"] = score
        row.failures = failure_counts(group, scoring.failures)
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
        name = next(row.score for row in table if row.task == task)
        for model, method, score in REPORTED.get(task, []):
            table.append(
                Row(
                    task,
                    REPORTED_DATA[task],
                    model,
                    method,
                    n=0,
                    score=name,
                    scores={name: (score, float("nan"), float("nan"))},
                    reported=True,
                )
            )
    return table


UNKNOWN = "not diagnosed"  # a result written before runs recorded failure categories


def failure_counts(results: Sequence[EpisodeResult], order: Sequence[str]) -> dict[str, int]:
    """How many results fell in each failure category: the task's categories in its order (those
    no result fell in included, as 0), then any others."""
    counts = Counter(r.failure_category or UNKNOWN for r in results)
    return {name: counts[name] for name in order} | {
        name: n for name, n in sorted(counts.items()) if name not in order
    }


def as_breakdown_tables(table: Sequence[Row]) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Per task: why each run's episodes ended, a column per failure category (% of episodes)."""
    out: dict[str, tuple[list[str], list[list[str]]]] = {}
    for task in sorted({row.task for row in table if not row.reported}):
        task_rows = [row for row in table if row.task == task and not row.reported]
        names = list(dict.fromkeys(name for row in task_rows for name in row.failures))
        header = ["data", "model", "method", "config", "n", *names]
        cells = [
            [row.data, row.model, row.method, row.config[:8], _tasks(row)]
            + [f"{100 * row.failures.get(name, 0) / row.episodes:.0f}%" for name in names]
            for row in task_rows
        ]
        out[task] = (header, cells)
    return out


def score_text(value: tuple[float, float, float]) -> str:
    """A score and its interval as tables show them: `27.0 [19.0, 36.0]` (a reported one alone)."""
    mean, low, high = value
    return f"{mean:.1f}" if low != low else f"{mean:.1f} [{low:.1f}, {high:.1f}]"


def _tasks(row: Row) -> str:
    """The tasks of a row, and how many trials of each where several (`--epochs`): `100 x 5`."""
    return str(row.n) if row.epochs == 1 else f"{row.n} x {row.epochs}"


def _optional(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def as_records(table: Sequence[Row]) -> list[dict[str, Any]]:
    return [
        row.__dict__
        | {
            "scores": {k: list(v) for k, v in row.scores.items()},
            "run_config": row.run_config.model_dump() if row.run_config else None,
        }
        for row in table
    ]


def _file(record: Any) -> str:
    return f"{Path(record.path).name} ({record.size:,} bytes, sha256 {record.sha256[:12]})"


def describe(config: RunConfig, git_commits: Sequence[str]) -> str:
    """One line saying what a config holds, for readers of a leaderboard."""
    prompts = "; ".join(
        f"{role}: {use.source} ({use.format}, sha256 {use.sha256[:12]}, temperature "
        f"{'model default' if use.temperature is None else format(use.temperature, 'g')})"
        for role, use in config.prompts.items()
    )
    wiki = (
        config.wiki
        if isinstance(config.wiki, str) or config.wiki is None
        else ", ".join(map(_file, config.wiki))
    )
    model = config.model + (f" (sha256 {config.model_sha256[:12]})" if config.model_sha256 else "")
    settings = [f"max_steps {config.max_steps}", f"max_tokens {config.max_tokens}", f"seed {config.seed}"]
    settings += [f"n_ctx {config.n_ctx}"] if config.n_ctx else []
    settings += [f"llama.cpp build: {config.build}"] if config.build else []
    settings += [f"{config.sc_samples} samples"] if config.sc_samples else []
    settings += [f"up to {config.attempts} attempts, each after a reflection"] if config.attempts else []
    settings += (
        [f"{ORACLE}: attempts judged by the gold answer, no test score"] if config.oracle_feedback else []
    )
    settings += ["an answer asked for at the step limit"] if config.final_answer else []
    settings += [f"{config.shots} shots"] if config.shots is not None else []
    settings += [f"loop guard at {config.max_repeats} repeats"] if config.max_repeats else []
    settings += ["each step held to a grammar of the actions"] if config.grammar else []
    settings += [label] if (label := chosen_format(config.format).label) else []
    settings += [label] if (label := rules_of(config).label) else []
    settings += [f"episode token limit {config.episode_tokens}"] if config.episode_tokens else []
    settings += [f"episode time limit {config.episode_seconds:g} s"] if config.episode_seconds else []
    packages = ", ".join(f"{name} {version}" for name, version in config.packages.items())
    parts = [
        f"prompts: {prompts}",
        f"data: {', '.join(map(_file, config.data_files))}"
        + (f", sample {config.sample}" if config.sample else ""),
        *([f"wiki: {wiki}"] if wiki else []),
        f"model: {model}" + (f" at {config.base_url}" if config.base_url else ""),
        ", ".join(settings),
        f"packages: {packages}",
        f"code: {', '.join(git_commits) or '?'}",
    ]
    return "; ".join(parts)


def as_text_tables(table: Sequence[Row]) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Per task: the column names and the cells, for rich or markdown output."""
    out: dict[str, tuple[list[str], list[list[str]]]] = {}
    for title, task_rows in boards(table):
        score_names = list(dict.fromkeys(name for row in task_rows for name in row.scores))
        header = [
            "data",
            "model",
            "method",
            "config",
            "n",
            *[f"{name} (95% CI)" for name in score_names],
            "steps",
            "tokens/episode",
            "cached",
            "s/episode",
        ]
        cells = []
        for row in task_rows:
            scores = [score_text(row.scores[name]) if name in row.scores else "" for name in score_names]
            cells.append(
                [
                    row.data,
                    row.model + (" (reported)" if row.reported else ""),
                    row.method,
                    row.config[:8],
                    "" if row.reported else _tasks(row),
                    *scores,
                    _optional(row.mean_steps, ".2f"),
                    _optional(row.tokens_per_episode, ",.0f"),
                    _optional(None if row.cached_share is None else 100 * row.cached_share, ".1f")
                    + ("%" if row.cached_share is not None else ""),
                    _optional(row.seconds_per_episode, ".1f"),
                ]
            )
        out[title] = (header, cells)
    return out


def boards(table: Sequence[Row]) -> list[tuple[str, list[Row]]]:
    """The rows of each task's leaderboard, under its title; the runs that judged Reflexion's
    attempts by the gold answer (`oracle_feedback`) get one of their own: theirs are no test scores."""
    out = []
    for task, oracle in sorted({(row.task, _judged_by_gold(row)) for row in table}):
        title = f"{task} ({ORACLE}: no test scores)" if oracle else task
        out.append((title, [row for row in table if row.task == task and _judged_by_gold(row) == oracle]))
    return out


def _judged_by_gold(row: Row) -> bool:
    return row.run_config is not None and row.run_config.oracle_feedback


def markdown_table(header: Sequence[str], cells: Sequence[Sequence[str]]) -> list[str]:
    """A table's lines in Markdown."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in cells]


def as_markdown(table: Sequence[Row], *, breakdown: bool = False) -> str:
    parts = []
    tables = [(task, t) for task, t in as_text_tables(table).items()]
    if breakdown:
        tables += [(f"{task}: why episodes ended", t) for task, t in as_breakdown_tables(table).items()]
    for title, (header, cells) in tables:
        parts += [f"### {title}\n", *markdown_table(header, cells), ""]
    described = [row for row in table if row.run_config is not None]
    if described:
        parts.append("### configs\n")
        parts += [
            f"- `{row.config[:8]}` ({row.task}, {row.method}): {describe(row.run_config, row.git_commits)}"
            for row in described
            if row.run_config
        ]
        parts.append("")
    return "\n".join(parts)

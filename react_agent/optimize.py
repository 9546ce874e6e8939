"""`react optimize`: few-shot examples the model wrote itself, bootstrapped from its own successful
episodes on training tasks, as DSPy's `BootstrapFewShot` compiles `dspy.ReAct` and ExpeL (Zhao et
al., 2023) collects an agent's successes.

`optimize(spec)` plays a method (react or act) on training tasks through `bench` (resumable, into
`spec.train.out`), or reads a run already played (`from_run`), keeps the episodes that succeeded on
their own (full score, ended by the environment: a HotpotQA `Finish` with EM 1, a won ALFWorld game),
chooses k of them for each prompt key (`SELECTIONS`), and writes a prompt file in our layout: the
prompt the episodes were played with, its examples replaced by theirs, each written exactly as the
episode's transcript showed it (the model's text, the environment's observations), and beside the
prompts where they came from (`prompts.Bootstrapped`). A run with that file refuses to score any of
its training tasks (`bench.refuse_training_tasks`); training refuses a task's test set
(`TaskSetup.test_tasks`: the first 100 shared HotpotQA questions, the built-in ALFWorld games) and
any task of `exclude`.

    from react_agent.optimize import OptimizeSpec, optimize
    optimize(OptimizeSpec(train=BenchSpec(task="hotpotqa", data=SAMPLE, range="201-410", ...), out=...))
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from react_agent.bench import BenchSpec, bench, chosen_tasks, method_of, set_up_task
from react_agent.environment import task_id_of
from react_agent.errors import OptionError
from react_agent.formats import FINISH, FORMATS, StepFormat, chosen_format, same_format
from react_agent.methods import Method
from react_agent.prompts import BOOTSTRAPPED, Bootstrapped, Prompt
from react_agent.results import read_run
from react_agent.tasks import Task, TaskSetup, task_named
from react_agent.trajectory import EpisodeResult, RunConfig, StopReason

METHODS = ("react", "act")  # the methods whose episodes are trajectories of actions


class OptimizeSpec(BaseModel):
    """What `react optimize` does: the training run (any `react bench` spec: task, data, `range`,
    model, method, settings; its `out` keeps the training episodes), and the prompt file to write."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    train: BenchSpec
    out: Path = Field(description="the prompt file to write")
    from_run: Path | None = Field(None, description="bootstrap from this results file instead of playing")
    exclude: list[str] = Field(
        [], description="test data (a data file, or a results file) whose tasks must not be training tasks"
    )
    k: int | None = Field(
        None, ge=1, description="examples per prompt (default: as many as the prompt they replace has)"
    )
    select: Literal["shortest", "first"] = Field(
        "shortest", description="which successes become examples: the shortest, or the first in the data"
    )


class TooFewSuccesses(OptionError):
    """Fewer successful training episodes than the examples asked for: no file is written."""


@dataclass
class OptimizeSummary:
    out: Path
    record: Bootstrapped
    played: int  # training episodes this call played (0 from a run already played)
    seconds: float
    example_chars: dict[str, int]  # each prompt's examples, in characters


def _shortest(candidates: list[tuple[EpisodeResult, str]]) -> list[tuple[EpisodeResult, str]]:
    # Fewest steps, then least text: short trajectories cost the least context at every step.
    return sorted(candidates, key=lambda c: (len(c[0].steps), len(c[1])))


# How examples are chosen among a prompt's candidates (in the data's order): the first k of the
# ordering. `first` is BootstrapFewShot's own rule (the first successes the teacher finds).
SELECTIONS: dict[str, Callable[[list[tuple[EpisodeResult, str]]], list[tuple[EpisodeResult, str]]]] = {
    "shortest": _shortest,
    "first": list,
}


def succeeded(result: EpisodeResult, score: str) -> bool:
    """Whether an episode succeeded on its own: full score, and ended by the environment (a
    `Finish` it scored, a won game), not by a step limit's forced answer."""
    return result.metrics.get(score) == 1.0 and result.stop_reason is StopReason.finished


def written_as_is(result: EpisodeResult, step_format: StepFormat) -> bool:
    """Whether every step of the episode is, in its transcript, exactly what the model wrote (one
    answer, its request's label before it, its line break after it) and what the environment
    answered (no observation cut for a full context): only such an episode is the model's own."""
    for step in result.steps:
        label = step_format.request("", step.index, 1).prompt  # "Thought 2:", "Action 2:", ">"
        if len(step.model_outputs) != 1 or step.shortened or step.tool_calls:
            return False
        wrote = label + step.model_outputs[0].rstrip("\n") + "\n"
        if wrote != step_format.turn(step.index, step.thought, step.action, step.state):
            return False
    return True


def example_of(result: EpisodeResult, step_format: StepFormat) -> str:
    """The episode as a few-shot example: the task as it was put, then each step as the transcript
    showed it. An answer (`Finish[...]`) is the example's last line, unanswered, as in the paper's
    examples; a game's last command keeps its observation, as in the paper's ALFWorld examples."""
    text = result.question + "\n"
    for step in result.steps:
        last_answer = step is result.steps[-1] and step.action.name == FINISH
        if last_answer:
            text += step_format.turn(step.index, step.thought, step.action, step.state)
        else:
            text += step_format.block(step.index, step.thought, step.action, step.observation, step.state)
    return text


def prompt_entry(prompt: Prompt, examples: list[str]) -> dict[str, Any]:
    """A prompt of our layout: `prompt` whole, its examples replaced (what came before its first
    example, such as a blank line, stays)."""
    first = re.search(f"^{re.escape(prompt.example_start)}", prompt.examples, re.M)
    lead = prompt.examples[: first.start()] if first else ""
    return {
        "instruction": prompt.instruction,
        "tools_instruction": prompt.tools_instruction,
        "examples_intro": list(prompt.examples_intro),
        "examples": lead + "".join(examples),
        "format": prompt.format,
        "task_header": prompt.task_header,
        "example_start": prompt.example_start,
    }


def training_range(spec: BenchSpec, setup: TaskSetup) -> BenchSpec:
    """The spec with its `range` the training tasks: as given, else every task after the data's
    test set. A range that reaches into the test set is refused."""
    total, test = len(setup.tasks), setup.test_tasks
    if test >= total:
        raise OptionError(
            f"the tasks of {setup.data} are a test set (our published runs score them): train on data of "
            "your own (ALFWorld: games of `react alfworld generate --seed S` with another seed)"
        )
    if spec.range is None:
        return spec.model_copy(update={"range": f"{test + 1}-{total}"})
    if spec.bounds()[0] < test:
        raise OptionError(
            f"tasks 1-{test} of {setup.data} are a test set (our published comparisons score them): "
            f"train on tasks {test + 1}-{total}"
        )
    return spec


def _excluded(exclude: list[str], spec: BenchSpec, task: Task, method: Method) -> dict[str, str]:
    """Each identity of the test data's tasks, and the file it came from: a results file's tasks by
    their ids, a data file's by what makes each task itself (`TaskSetup.identities`)."""
    found: dict[str, str] = {}
    for path in exclude:
        if _is_results_file(Path(path)):
            identities = {f"id:{result.task_id}" for result in read_run(path)}
        else:
            test = set_up_task(spec.model_copy(update={"data": path}), task, method)
            identities = {identity for task in test.tasks for identity in test.identities(task)}
        found |= dict.fromkeys(identities, path)
    return found


def _is_results_file(path: Path) -> bool:
    """Whether a file's first line is an episode's result (else it is data: questions, games)."""
    try:
        with path.open(encoding="utf-8") as file:
            first = json.loads(file.readline())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(first, dict) and {"task_id", "stop_reason"} <= first.keys()


def _recorded_run(path: Path, spec: BenchSpec, setup: TaskSetup, step_format: str) -> list[EpisodeResult]:
    """A results file's episodes, when they were played by the spec's task and method on its data."""
    results = read_run(path)
    configs = {result.config.hash: result.config for result in results if result.config is not None}
    if len(configs) != 1 or any(result.config is None for result in results):
        raise OptionError(f"{path} is not one recorded run (its lines record {len(configs)} setups)")
    [config] = configs.values()
    if (config.task, config.method) != (spec.task, spec.method):
        raise OptionError(f"{path} is a {config.task} {config.method} run, not {spec.task} {spec.method}")
    if [f.sha256 for f in config.data_files] != [f.sha256 for f in setup.data_files]:
        raise OptionError(f"{path} was played on other data than {spec.data or 'the built-in set'}")
    if not all(same_format(use.format, step_format) for use in config.prompts.values()):
        raise OptionError(f"{path} was played in another step format than {step_format}")
    return results


def _candidates(
    results: list[EpisodeResult], tasks: list[Any], setup: TaskSetup, role: str, step_format: StepFormat
) -> tuple[int, dict[str, list[tuple[EpisodeResult, str]]]]:
    """How many training tasks succeeded (a task once, whatever its trials), and for each prompt
    key its candidate examples, in the data's order, each with its text."""
    by_id = {task_id_of(t): t for t in tasks}
    order = {task_id: n for n, task_id in enumerate(by_id)}
    candidates: dict[str, list[tuple[EpisodeResult, str]]] = {}
    solved: set[str] = set()
    trained = sorted((r for r in results if r.task_id in by_id), key=lambda r: (order[r.task_id], r.epoch))
    for result in trained:
        if not succeeded(result, setup.scoring.score) or result.task_id in solved:
            continue
        solved.add(result.task_id)
        # A success in one step (an answer from memory) shows no use of the tools.
        if len(result.steps) > 1 and written_as_is(result, step_format):
            key = setup.key_of(by_id[result.task_id], role)
            candidates.setdefault(key, []).append((result, example_of(result, step_format)))
    return len(solved), candidates


def optimize(
    spec: OptimizeSpec,
    *,
    on_start: Callable[[int, int], None] | None = None,
    on_result: Callable[[EpisodeResult], None] | None = None,
) -> OptimizeSummary:
    """Bootstrap the spec's prompt file (see the module's docstring); `TooFewSuccesses` when some
    prompt has fewer successes than examples to write, and then no file is written."""
    started = time.perf_counter()
    train = spec.train
    task = task_named(train.task)
    method = method_of(train, task)
    if method.name not in METHODS:
        raise OptionError(f"`method` {method.name} plays no actions to learn from: optimize react or act")
    if not chosen_format(train.settings.format).transcript_is_text:
        raise OptionError(f"bootstrapped examples are text: not `format` {train.settings.format}")
    setup = set_up_task(train, task, method)
    train = training_range(train, setup)
    if train.out is None:
        train = train.model_copy(update={"out": spec.out.with_suffix(".train.jsonl")})
    tasks = chosen_tasks(train, setup)
    excluded = _excluded(spec.exclude, train, task, method)
    for candidate in tasks:
        if clash := setup.identities(candidate) & excluded.keys():
            raise OptionError(
                f"training task {task_id_of(candidate)} is a task of {excluded[min(clash)]} too: "
                "train on tasks apart from the test data"
            )
    [role] = method.roles
    env = setup.make_env(role)
    prompts = {setup.key_of(t, role): env.prompt(t) for t in tasks}
    step_format = FORMATS[next(iter(prompts.values())).format]
    played = 0
    if spec.from_run is not None:
        results = _recorded_run(spec.from_run, train, setup, step_format.name)
    else:
        summary = bench(train, on_start=on_start, on_result=on_result)
        played, results = summary.played, read_run(train.out)
    successes, candidates = _candidates(results, tasks, setup, role, step_format)
    chosen: dict[str, list[tuple[EpisodeResult, str]]] = {}
    for key, prompt in prompts.items():
        k = spec.k or train.settings.shots or len(prompt.example_list())
        chosen[key] = SELECTIONS[spec.select](candidates.get(key, []))[:k]
        if len(chosen[key]) < k:
            raise TooFewSuccesses(
                f"{successes} of {len(tasks)} training episodes succeeded, {len(chosen[key])} of them "
                f"usable as examples for {key!r}, which needs {k}: no prompt file written "
                f"(train on more tasks, with a stronger model, or ask for fewer with `k`)"
            )
    config: RunConfig | None = next((r.config for r in results if r.config is not None), None)
    assert config is not None  # a training task's episode is in every file that got this far
    record = Bootstrapped(
        task=train.task,
        method=method.name,
        model=config.model,
        model_sha256=config.model_sha256,
        run=config.hash,
        data=setup.data,
        data_files=setup.data_files,
        range=train.range,
        selection=spec.select,
        training_tasks=len(tasks),
        successes=successes,
        examples={key: [result.task_id for result, _ in examples] for key, examples in chosen.items()},
        training=sorted({identity for t in tasks for identity in setup.identities(t)}),
    )
    entries = {key: prompt_entry(prompts[key], [text for _, text in chosen[key]]) for key in sorted(chosen)}
    _write_json(spec.out, entries | {BOOTSTRAPPED: record.model_dump(mode="json")})
    chars = {key: sum(len(text) for _, text in examples) for key, examples in chosen.items()}
    return OptimizeSummary(spec.out, record, played, time.perf_counter() - started, chars)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Written whole or not at all: a reader never finds half a prompt file."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        partial.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise OptionError(f"cannot write prompt file {path}: {error.strerror}") from None

"""The run: a `BenchSpec` in, episodes played, results and a summary out.

`bench(spec)` is what `react bench` does, for Python callers too (from any thread, in a notebook
too; `await abench(spec)` in async code): it builds the model
(`models.from_spec`), sets the task up (`react_agent.tasks`), builds each worker's player from the
method and one `AgentSettings`, records how the run was made (`RunConfig`, from what the model,
the environments and the method say of themselves), and plays the tasks `workers` at a time, here
or on Ray, appending each result to `out` as it ends (one writer, resumable; see `runner.py`).
`stream(spec)` plays them one at a time and yields every step, for `react run`.

    from react_agent.bench import BenchSpec, bench
    summary = bench(BenchSpec(task="hotpotqa", method="react", out="run.jsonl"))

A spec is validated when it is made and pickles: a Ray actor builds its own player from it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property, partial
from math import ceil
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from react_agent.agent import Agent, Event
from react_agent.environment import task_id_of
from react_agent.errors import OptionError
from react_agent.formats import FORMATS, chosen_format
from react_agent.methods import METHODS, Method, Player, make_player
from react_agent.models import ModelOptions, from_spec
from react_agent.models.base import Model, ModelSource
from react_agent.models.cache import CachedModel
from react_agent.prompts import bootstrap_record
from react_agent.provenance import git_commit, package_versions, prompt_use
from react_agent.reflexion import REFLECT, ReflectionPrompt, refusal
from react_agent.results import Checkpoints, append_result, latest_results, read_results
from react_agent.runner import run_many
from react_agent.settings import AgentSettings
from react_agent.tasks import Task, TaskSetup, task_named
from react_agent.trajectory import EpisodeResult, PromptUse, RunConfig


class RayOptions(BaseModel):
    """Where and how the Ray executor plays: the cluster (None: one started here), and what each
    actor holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str | None = Field(None, description="the Ray cluster to join (default: start one here)")
    num_cpus: float = Field(1, gt=0, description="CPUs each Ray actor holds")
    num_gpus: float = Field(0, ge=0, description="GPUs each Ray actor holds")


class BenchSpec(BaseModel):
    """Everything that makes a run: the task and its data, the model, the method and how agents
    play it, and how many episodes at once, where."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task: str = Field(description="the task: hotpotqa, alfworld, or one that a package adds")
    data: str | None = Field(None, description="the task's data: a question file or data set, a games folder")
    task_options: dict[str, Any] = Field({}, description="the task's own options beside its data (wiki...)")
    model: str | None = Field(
        None,
        description="PATH.gguf, qwen2.5-coder-1.5b (from the cache), openai:NAME or replay:RUN.jsonl "
        "(default: the embedded SmolLM2)",
    )
    model_options: ModelOptions = ModelOptions()
    method: str = Field("react", description=f"the method of the paper's Table 1: {', '.join(METHODS)}")
    settings: AgentSettings = AgentSettings()
    range: str | None = Field(
        None,
        pattern=r"^[1-9][0-9]*-[1-9][0-9]*$",
        description="play only tasks A-B of the data (1-based, inclusive, in the data's order): 101-410",
    )
    n: int | None = Field(None, ge=1, description="play only the first N tasks (of `range`, if given)")
    epochs: int = Field(
        1,
        ge=1,
        description="trials of each task, one line each (their requests seeded apart); the leaderboard "
        "shows pass@k and pass^k. Rerun with more to add trials",
    )
    workers: int = Field(1, ge=1, description="episodes played at once (with Ray: actors)")
    run_tokens: int | None = Field(
        None,
        ge=1,
        description="stop starting episodes once this call's episodes have sent and generated this many "
        "tokens (those playing finish; rerun to resume)",
    )
    executor: Literal["local", "ray"] = Field("local", description="play here, or on a Ray cluster")
    ray: RayOptions = RayOptions()
    out: Path | None = Field(None, description="the results file; rerunning into it resumes")
    otel: bool = Field(
        False, description="send OpenTelemetry spans over OTLP, where the OTEL_* variables say"
    )

    @field_validator("range")
    @classmethod
    def _ordered(cls, value: str | None) -> str | None:
        if value is not None:
            first, last = map(int, value.split("-"))
            if first > last:
                raise ValueError(f"a range goes from its first task to its last, not {value}")
        return value

    def bounds(self) -> tuple[int, int | None]:
        """`range` as slice bounds (0-based start, end); all tasks without one."""
        if self.range is None:
            return 0, None
        first, last = map(int, self.range.split("-"))
        return first - 1, last


class RunInterrupted(Exception):
    """SIGINT or SIGTERM stopped a run; what finished is in the results file."""

    def __init__(self, signal_number: int, written: int):
        self.signal = signal_number
        self.name = signal.Signals(signal_number).name
        self.written = written
        super().__init__(f"{self.name}: stopped with {written} episodes written")


@dataclass
class RunSummary:
    config: RunConfig
    played: int  # episodes this call played
    already: int  # finished episodes the results file held before
    seconds: float
    results: list[EpisodeResult] = field(default_factory=list)  # the file's live results, or those played
    cache_hits: int | None = None  # model calls answered from the response cache (None: no cache)
    cache_misses: int | None = None  # and those it sent to the model, keeping the answers
    tokens: int = 0  # sent and generated by the episodes this call played
    budget_reached: bool = False  # it stopped at `run_tokens`, with tasks left: rerun to resume


def method_of(spec: BenchSpec, task: Task) -> Method:
    method = METHODS.get(spec.method)
    if method is None:
        raise OptionError(f"unknown `method` {spec.method!r} (known: {', '.join(METHODS)})")
    if not method.plays(task):
        playable = [m.name for m in METHODS.values() if m.plays(task)]
        raise OptionError(
            f"`method` {spec.method!r} is not available for {task.name} (it has: {', '.join(playable)})"
        )
    return method


def set_up_task(spec: BenchSpec, task: Task, method: Method) -> TaskSetup:
    """The spec's task set up with its options and data, for the roles of its method."""
    options = spec.task_options | ({"data": spec.data} if spec.data is not None else {})
    option = chosen_format(spec.settings.format).task_option  # a task's own prompts in the format
    if option is not None and option in task.option_names():
        options[option] = True
    return task.set_up(options, method.roles, spec.settings.rules)


def chosen_tasks(spec: BenchSpec, setup: TaskSetup) -> list[Any]:
    """The tasks the spec plays: those of its `range`, then the first `n` of them."""
    start, end = spec.bounds()
    if spec.range is not None and end is not None and end > len(setup.tasks):
        raise OptionError(f"`range` {spec.range} goes past the data's last task ({len(setup.tasks)})")
    return setup.tasks[start:end][: spec.n]


def refuse_training_tasks(spec: BenchSpec, setup: TaskSetup, tasks: list[Any]) -> None:
    """A prompt file that `react optimize` bootstrapped from training tasks cannot score them:
    its examples are their episodes."""
    prompt_file = spec.task_options.get("prompt_file")
    record = bootstrap_record(prompt_file) if prompt_file is not None else None
    if record is None:
        return
    trained = set(record.training)
    overlap = [task for task in tasks if setup.identities(task) & trained]
    if overlap:
        raise OptionError(
            f"{len(overlap)} of the tasks to play trained the examples of {prompt_file} (the first: "
            f"{task_id_of(overlap[0])}; it was bootstrapped from {record.data} {record.range}): "
            "score tasks it did not train on"
        )


class Run:
    """A spec made ready to play: its model loaded, its task set up. In a Ray actor (`here=False`)
    the model decodes one request at a time with the actor's CPUs."""

    def __init__(self, spec: BenchSpec, *, here: bool = True):
        self.spec = spec
        if spec.out is not None and here:
            try:  # before anything slow: a results file that cannot be written is said at once
                spec.out.open("a").close()
            except OSError as error:
                raise OptionError(f"cannot write results file {spec.out}: {error.strerror}") from None
        task = task_named(spec.task)
        self.method = method_of(spec, task)
        # First the model: a bad model file is said at once, before any index is built.
        local = spec.executor == "local"
        model = from_spec(
            spec.model,
            spec.model_options,
            # A sequence per request in flight (a worker's, or each of its task's samples), decoded together.
            sequences=(spec.workers if here and local else 1) * self.method.sequences(spec.settings),
            n_threads=None if here else max(1, int(spec.ray.num_cpus)),
        )
        self.cache: CachedModel | None = None  # the response cache, when asked: it counts its hits
        if spec.model_options.cache is not None:
            if not isinstance(model, Model):  # a source of models per task: a replay's
                raise OptionError(f"{model.name} asks no model: it takes no `cache`")
            self.cache = CachedModel(model, spec.model_options.cache, seed=spec.model_options.seed)
        self.model: ModelSource = self.cache or model
        self.setup: TaskSetup = set_up_task(spec, task, self.method)
        self._check_feedback(task)
        self._check_format(task)
        self.here = here
        limit = spec.settings.max_steps or self.method.max_steps or self.setup.max_steps
        self.settings = spec.settings.but(max_steps=limit)
        self.tasks = chosen_tasks(spec, self.setup)
        refuse_training_tasks(spec, self.setup, self.tasks)

    def _check_feedback(self, task: Task) -> None:
        """Reflexion needs a success the environment judges, or the run's word that the gold answer
        may judge it (`oracle_feedback`), which no other method or task takes."""
        success, oracle = self.setup.scoring.success, self.spec.settings.oracle_feedback
        if self.method.tries_again and success is None and not oracle:
            raise OptionError(refusal(self.setup.scoring))
        if oracle and not self.method.tries_again:
            raise OptionError(
                "`oracle_feedback` judges Reflexion's attempts: it goes with `method` reflexion"
            )
        if oracle and success is not None:
            raise OptionError(
                f"{task.name} judges success itself ({success}): Reflexion reads that, no `oracle_feedback`"
            )

    def _check_format(self, task: Task) -> None:
        """The settings' `format` plays the prompts it can: a format of steps of its own (state lines)
        needs prompts written in it, the task's own or a prompt file's."""
        chosen = chosen_format(self.spec.settings.format)
        if not self.setup.tasks:
            return
        for role in self.method.roles:
            found = self.setup.make_env(role).prompt(self.setup.tasks[0]).format
            if not chosen.plays_prompt(found):
                raise OptionError(
                    f"`format` {chosen.name} needs prompts written in {chosen.steps}, and {task.name}'s "
                    f"{role} prompt is in {FORMATS[found].steps}: give a `prompt_file` whose prompts' "
                    f"format is {chosen.name}"
                )

    def player(self, tracer: Any = None) -> Player:
        """The method's player, whose results say why each episode ended (`failure_category`)."""
        return Diagnosed(self.method_player(tracer), self.setup)

    def method_player(self, tracer: Any = None) -> Player:
        # A task's finished attempts go to the results file, written here (not by a Ray actor).
        keeps = self.method.tries_again and self.here and self.spec.out is not None
        return make_player(
            self.method.name,
            self.model,
            self.setup.make_env,
            self.settings,
            tracer=tracer,
            scoring=self.setup.scoring,
            checkpoints=Checkpoints(self.spec.out, self.config) if keeps and self.spec.out else None,
        )

    @cached_property
    def config(self) -> RunConfig:
        """What each results line records of how it was made (see react_agent.provenance)."""
        envs = {role: self.setup.make_env(role) for role in self.method.roles}
        described = [self.model.describe(), *(env.describe() for env in envs.values())]
        packages = package_versions(["react-agent"])
        fields: dict[str, Any] = {}
        for found in described:
            packages |= found.get("packages", {})
            fields |= {name: value for name, value in found.items() if name != "packages"}
        prompts = {
            role: prompt_use(
                (env.prompt(task).shown(self.settings) for task in self.setup.tasks),
                temperature := self._temperature(role),
                self.model.sampling(temperature, self.settings.nucleus) if temperature else None,
            )
            for role, env in envs.items()
        }
        if self.method.tries_again:  # its reflection requests, at the temperature of its attempts
            reflection = ReflectionPrompt.builtin()
            temperature = self._temperature("react")
            prompts[REFLECT] = PromptUse(
                source=reflection.source,
                format="reflection",
                sha256=reflection.sha256(),
                temperature=temperature,
                sampling=self.model.sampling(temperature, self.settings.nucleus) if temperature else None,
            )
        return RunConfig(
            task=self.spec.task,
            **self.method.describe(self.settings),
            data=self.setup.data,
            data_files=self.setup.data_files,
            sample=self.setup.sample,
            prompts=prompts,
            seed=self.spec.model_options.seed,
            **self.settings.recorded(),
            packages=packages,
            git_commit=git_commit(),
            scoring=self.setup.scoring,
            **fields,
        )

    def _temperature(self, role: str) -> float | None:
        """What a role's requests are sampled at: the samples' own, else the settings', else the
        model's (None: unknown, as for a replay)."""
        if role in self.method.sampled:
            return self.settings.sc_temperature
        return self.model.temperature if self.settings.temperature is None else self.settings.temperature

    def players(self, tracer: Any) -> Callable[[], Player]:
        """What each worker plays with: a player here (every one on the one model, which decodes
        their requests together), or one of the Ray actors, each building its own from the spec."""
        if self.spec.executor == "local":
            return lambda: self.player(tracer)
        from react_agent import ray_executor

        spec = self.spec
        # A cluster started here gets as many (logical) CPUs as its actors ask for.
        ray_executor.start(
            spec.ray.address, num_cpus=max(os.cpu_count() or 1, ceil(spec.workers * spec.ray.num_cpus))
        )
        actors = iter(
            ray_executor.players(
                partial(_actor_player, spec),
                spec.workers,
                num_cpus=spec.ray.num_cpus,
                num_gpus=spec.ray.num_gpus,
            )
        )
        return lambda: next(actors)


class Diagnosed:
    """A player whose every result carries its failure category, by the task's rules."""

    def __init__(self, player: Player, setup: TaskSetup):
        self.method_player, self.setup = player, setup

    async def arun(self, task: Any, epoch: int = 0) -> EpisodeResult:
        result = await self.method_player.arun(task, epoch)
        result.failure_category = self.setup.failure_category(result, task)
        return result


def _actor_player(spec: BenchSpec) -> Player:
    """A player built from the spec alone, where it will play: what a Ray actor runs."""
    return Run(spec, here=False).player()


def prepare(spec: BenchSpec) -> Run:
    """The spec made ready to play (see `Run`); errors in it are `OptionError`s, one line each."""
    return Run(spec)


def _tracing(otel: bool) -> tuple[Any, Any]:
    """With `otel`, an OTLP exporter's provider and tracer; else none."""
    if not otel:
        return None, None
    from react_agent.tracing import otlp_tracing

    try:
        return otlp_tracing()
    except ImportError as error:
        raise OptionError(str(error)) from None


def bench(
    spec: BenchSpec,
    *,
    on_start: Callable[[int, int], None] | None = None,
    on_result: Callable[[EpisodeResult], None] | None = None,
) -> RunSummary:
    """Play the spec's tasks that `spec.out` does not already hold finished, `spec.workers` at a
    time, appending each result to `spec.out` as it ends. `on_start(already, total)` is told how
    many trials were done before; `on_result` gets each result.

    From the main thread, SIGINT or SIGTERM stop the run, keeping what finished: `RunInterrupted`.
    From another thread it plays the same, with no signal handling (signals reach the main thread
    only); inside a running event loop (a notebook's cell, an async service) it plays in a thread
    of its own, with a loop of its own, and returns when the run is over (`abench` is the coroutine
    to await instead)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop runs here: the run gets this thread
        main = threading.current_thread() is threading.main_thread()
        return asyncio.run(_bench(spec, on_start, on_result, signals=main))
    with ThreadPoolExecutor(1, thread_name_prefix="bench") as pool:
        return pool.submit(asyncio.run, _bench(spec, on_start, on_result, signals=False)).result()


async def abench(
    spec: BenchSpec,
    *,
    on_start: Callable[[int, int], None] | None = None,
    on_result: Callable[[EpisodeResult], None] | None = None,
) -> RunSummary:
    """`bench()` as a coroutine, played on the running event loop (the model is loaded in a worker
    thread, so the loop is not held up). It handles no signal: the loop's owner does. Cancelled, it
    stops the episodes in flight; what finished is in `spec.out`."""
    return await _bench(spec, on_start, on_result, signals=False)


async def _bench(
    spec: BenchSpec,
    on_start: Callable[[int, int], None] | None,
    on_result: Callable[[EpisodeResult], None] | None,
    *,
    signals: bool,
) -> RunSummary:
    run = await asyncio.to_thread(prepare, spec)  # loading a model takes seconds: not on the loop
    config = run.config
    provider, tracer = _tracing(spec.otel)
    started = time.perf_counter()
    counts = {"already": 0, "played": 0, "tokens": 0}

    def starting(done: int) -> None:
        counts["already"] = done
        if on_start is not None:
            on_start(done, len(run.tasks) * spec.epochs)

    def ended(result: EpisodeResult) -> None:
        counts["played"] += 1
        counts["tokens"] += (result.usage.prompt_tokens or 0) + (result.usage.completion_tokens or 0)
        if on_result is not None:
            on_result(result)

    work = run_many(
        run.tasks,
        run.players(tracer),
        workers=spec.workers,
        epochs=spec.epochs,
        out=spec.out,
        config=config,
        on_start=starting,
        on_result=ended,
        keep_results=spec.out is None,  # with a file, the results are in it: memory stays flat
        until=None if spec.run_tokens is None else lambda: counts["tokens"] >= spec.run_tokens,
    )
    try:
        played = await (_until_signalled(work, spec.out) if signals else work)
    finally:
        if provider is not None:
            provider.shutdown()  # sends the last spans
    results = latest_results(read_results(spec.out)) if spec.out is not None else played
    seconds = time.perf_counter() - started
    cache = run.cache
    hits, misses = (cache.hits, cache.misses) if cache is not None else (None, None)
    budget_reached = spec.run_tokens is not None and counts["tokens"] >= spec.run_tokens
    left = len(run.tasks) * spec.epochs - counts["already"] - counts["played"]
    return RunSummary(
        config, counts["played"], counts["already"], seconds, results, hits, misses, counts["tokens"],
        budget_reached and left > 0,
    )  # fmt: skip


def stream(spec: BenchSpec) -> Iterator[Event]:
    """Play the spec's tasks one at a time, yielding each episode's start, steps and result; with
    `spec.out`, each result is appended to it as it ends (no resume: `react run`)."""
    run = prepare(spec)
    config = run.config if spec.out is not None else None
    provider, tracer = _tracing(spec.otel)
    player = run.method_player(tracer)
    if not isinstance(player, Agent):
        raise OptionError(f"`method` {spec.method!r} plays several episodes per task: it streams no steps")
    try:
        for task in run.tasks:
            for event in player.stream(task):
                if isinstance(event, EpisodeResult):
                    event.failure_category = run.setup.failure_category(event, task)
                    if spec.out is not None:
                        event.config = config
                        append_result(spec.out, event)
                yield event
    finally:
        if provider is not None:
            provider.shutdown()


async def _until_signalled(work: Coroutine[Any, Any, Any], out: Path | None) -> Any:
    """Await `work`; on SIGINT or SIGTERM, cancel it (what has finished is already written, what is
    in flight stops) and raise `RunInterrupted`."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)
    received: list[int] = []

    def stop(number: int) -> None:
        received.append(number)
        task.cancel()

    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop, number)
    try:
        return await task
    except asyncio.CancelledError:
        if received:
            written = len(latest_results(read_results(out))) if out is not None and out.exists() else 0
            raise RunInterrupted(received[0], written) from None
        raise
    finally:
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(number)

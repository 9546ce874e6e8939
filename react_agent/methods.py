"""The paper's methods (Yao et al., 2022, Table 1), and what plays each of them.

- `react`, `act`, `cot`, `standard`: one `Agent` each, with the method's prompt (its step format
  says how the steps are written); CoT and Standard answer at once, in one step.
- CoT-SC: sample several chain-of-thought answers at a temperature, answer by majority vote.
- ReAct -> CoT-SC: when ReAct ends without an answer, fall back to CoT-SC.
- CoT-SC -> ReAct: when the majority answer of CoT-SC wins fewer than half of the samples, the
  vote is weak: fall back to ReAct.

Since the paper:
- ReAct-SC: several sampled ReAct episodes of the task, played at once, vote on the answer, as
  CoT-SC's chains do (self-consistency, Wang et al., 2022, over whole trajectories).

A method plays with prompts of one or two roles: its own (named after it; `react` for the hybrids)
and `votes`, the CoT prompt that CoT-SC samples. A task gives an environment for each role it has.
Every player is built from one `AgentSettings`, and has `arun(task)`, like `Agent`: it gives one
`EpisodeResult` that holds every step and every model output of the episodes it ran, in order, so
that a replay reproduces it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from react_agent.agent import Agent
from react_agent.environment import Environment, task_id_of
from react_agent.errors import OptionError
from react_agent.formats import FINISH, chosen_format
from react_agent.models.base import Model, ModelSource
from react_agent.reflexion import Reflexion
from react_agent.results import Checkpoints
from react_agent.settings import AgentSettings
from react_agent.tasks import VOTES, Task
from react_agent.trajectory import Action, EpisodeResult, Scoring, StopReason, combined


class Player(Protocol):
    """What plays a method: an `Agent`, a voting method, or a Ray actor standing for one."""

    async def arun(self, task: Any, epoch: int = 0) -> EpisodeResult: ...


# An environment for each prompt role of a method (see the module's docstring).
EnvironmentFor = Callable[[str], Environment]


@dataclass(frozen=True)
class Context:
    """What a player may need beside its model, environments and settings: an OpenTelemetry
    tracer, how the task is scored (Reflexion judges attempts by it), and where a task's
    finished parts are kept while it is played (Reflexion's attempts, resumed from there)."""

    tracer: Any = None
    scoring: Scoring | None = None
    checkpoints: Checkpoints | None = None


Build = Callable[[ModelSource, EnvironmentFor, AgentSettings, Context], "Player"]


@dataclass(frozen=True)
class Method:
    """A row of the paper's Table 1: the prompt roles it plays with, and how it plays them."""

    name: str
    roles: tuple[str, ...]
    build: Build
    max_steps: int | None = None  # its own step limit (1: it answers at once); None: the task's
    sampled: tuple[str, ...] = ()  # its roles whose `sc_samples` requests are sampled at `sc_temperature`
    at_once: bool = False  # whether a task's samples are played at once (each needs a sequence of its own)
    votes_on_answers: bool = False  # it counts the answers its episodes end with: for tasks that have them
    tries_again: bool = False  # it plays a task again after a failure it is told of (Reflexion)

    def plays(self, task: Task) -> bool:
        """Whether it can play the task: the task has its prompt roles (and answers, to vote on)."""
        return set(self.roles) <= set(task.roles) and (task.answers or not self.votes_on_answers)

    def describe(self, settings: AgentSettings) -> dict[str, Any]:
        """What a run's record (`RunConfig`) says of the method."""
        described: dict[str, Any] = {
            "method": self.name,
            "sc_samples": settings.sc_samples if self.sampled else None,
        }
        if self.tries_again:
            described |= {"attempts": settings.attempts, "oracle_feedback": settings.oracle_feedback}
        return described

    def sequences(self, settings: AgentSettings) -> int:
        """How many requests one task can have in flight at once."""
        return settings.sc_samples if self.at_once else 1


def _agent(role: str) -> Build:
    return lambda model, env, settings, context: Agent(
        model, env(role), settings=settings, tracer=context.tracer
    )


def _reflexion(model: ModelSource, env: EnvironmentFor, settings: AgentSettings, context: Context) -> Player:
    if context.scoring is None:
        raise OptionError("reflexion judges attempts by the task's scoring, which it was not given")
    return Reflexion(
        model, env("react"), settings, context.scoring, tracer=context.tracer, checkpoints=context.checkpoints
    )


METHODS: dict[str, Method] = {
    method.name: method
    for method in (
        Method("react", ("react",), _agent("react")),
        Method("act", ("act",), _agent("act")),
        Method("cot", ("cot",), _agent("cot"), max_steps=1),
        Method("standard", ("standard",), _agent("standard"), max_steps=1),
        Method(
            "cot-sc",
            (VOTES,),
            lambda model, env, settings, context: SelfConsistency(
                model, env(VOTES), settings, context.tracer
            ),
            sampled=(VOTES,),
        ),
        Method(
            "react-then-cot-sc",
            ("react", VOTES),
            lambda model, env, settings, context: ReactThenSelfConsistency(
                model, env, settings, context.tracer
            ),
            sampled=(VOTES,),
        ),
        Method(
            "cot-sc-then-react",
            ("react", VOTES),
            lambda model, env, settings, context: SelfConsistencyThenReact(
                model, env, settings, context.tracer
            ),
            sampled=(VOTES,),
        ),
        Method(
            "react-sc",
            ("react",),
            lambda model, env, settings, context: TrajectoryVote(model, env, settings, context.tracer),
            sampled=("react",),
            at_once=True,
            votes_on_answers=True,
        ),
        Method("reflexion", ("react",), _reflexion, tries_again=True),
    )
}


def method_named(name: str) -> Method:
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r} (known: {', '.join(METHODS)})")
    return METHODS[name]


def make_player(
    method: str,
    model: ModelSource,
    env: EnvironmentFor,
    settings: AgentSettings | None = None,
    *,
    tracer: Any = None,
    scoring: Scoring | None = None,
    checkpoints: Checkpoints | None = None,
) -> Player:
    """What plays `method` with this model: `env(role)` gives an environment whose prompt is that
    role's (`react`, `act`, `cot`, `standard`, or `votes`, the CoT prompt that voting methods
    sample). Reflexion needs the task's `scoring`; `checkpoints` let it resume mid-task."""
    settings = settings or AgentSettings()
    if refusal := chosen_format(settings.format).method_refusal(method):
        raise OptionError(refusal)
    return method_named(method).build(model, env, settings, Context(tracer, scoring, checkpoints))


class SelfConsistency:
    """CoT-SC: `settings.sc_samples` answers of the CoT prompt at `settings.sc_temperature`, each
    in one step; the answer most of them gave is scored, answers counting as one when the
    environment's `answer_key` says so (HotpotQA: when they normalise alike, as EM compares them).
    Its result's `votes` is the tally, by key."""

    def __init__(self, model: ModelSource, env: Environment, settings: AgentSettings, tracer: Any = None):
        self.model, self.env, self.tracer = model, env, tracer
        self.samples = settings.sc_samples
        self.settings = settings.but(max_steps=1, temperature=settings.sc_temperature)

    async def arun(self, task: Any, epoch: int = 0, model: Model | None = None) -> EpisodeResult:
        """`model`: the task's model, where a hybrid already took it (see `ModelSource.for_task`)."""
        model = model or self.model.for_task(task_id_of(task), epoch)
        agent = Agent(model, self.env, settings=self.settings, tracer=self.tracer)
        runs = [await agent.arun(task, epoch) for _ in range(self.samples)]
        answers = [run.answer.strip() for run in runs if run.answer and run.answer.strip()]
        if not answers:
            return combined(runs).model_copy(
                update={"stop_reason": StopReason.invalid_output, "answer": None, "votes": {}}
            )
        tally = Counter(self.env.answer_key(answer) for answer in answers)
        winner = tally.most_common(1)[0][0]
        answer = next(a for a in answers if self.env.answer_key(a) == winner)
        outcome = await asyncio.to_thread(self._score, task, answer)
        voted = runs[-1].model_copy(
            update={
                "answer": outcome.answer,
                "metrics": outcome.metrics,
                "stop_reason": StopReason.finished,
                "error": None,
                "votes": dict(tally),
            }
        )
        return combined(runs, voted)

    def _score(self, task: Any, answer: str) -> Any:
        """The voted answer, scored the way the environment scores any answer: as its Finish."""
        self.env.reset(task)
        try:
            self.env.step(Action(text=f"Finish[{answer}]", name=FINISH, argument=answer))
            return self.env.outcome()
        finally:
            self.env.close()


def strong(voted: EpisodeResult, samples: int) -> bool:
    """Whether the winning answer of a vote got at least half of the samples."""
    return max((voted.votes or {}).values(), default=0) * 2 >= samples


class ReactThenSelfConsistency:
    """ReAct -> CoT-SC."""

    def __init__(self, model: ModelSource, env: EnvironmentFor, settings: AgentSettings, tracer: Any = None):
        self.model, self.react_env, self.settings, self.tracer = model, env("react"), settings, tracer
        self.fallback = SelfConsistency(model, env(VOTES), settings, tracer)

    async def arun(self, task: Any, epoch: int = 0) -> EpisodeResult:
        model = self.model.for_task(task_id_of(task), epoch)  # one for both: a replay's outputs, in order
        agent = Agent(model, self.react_env, settings=self.settings, tracer=self.tracer)
        react = await agent.arun(task, epoch)
        if react.stop_reason is StopReason.finished:
            return react
        return combined([react, await self.fallback.arun(task, epoch, model)])


class SelfConsistencyThenReact:
    """CoT-SC -> ReAct."""

    def __init__(self, model: ModelSource, env: EnvironmentFor, settings: AgentSettings, tracer: Any = None):
        self.model, self.react_env, self.settings, self.tracer = model, env("react"), settings, tracer
        self.first = SelfConsistency(model, env(VOTES), settings, tracer)

    async def arun(self, task: Any, epoch: int = 0) -> EpisodeResult:
        model = self.model.for_task(task_id_of(task), epoch)  # one for both: a replay's outputs, in order
        voted = await self.first.arun(task, epoch, model)
        if strong(voted, self.first.samples):
            return voted
        agent = Agent(model, self.react_env, settings=self.settings, tracer=self.tracer)
        react = await agent.arun(task, epoch)
        return combined([voted, react])


class TrajectoryVote:
    """ReAct-SC: `settings.sc_samples` ReAct episodes of the task sampled at `settings.sc_temperature`,
    played at once (they share their prompt, which the model evaluates once), each in an
    environment of its own. The episodes that ended with an answer vote, answers counting as one
    when the environment's `answer_key` says so; those without one abstain (none voting: no
    answer). A tie goes to the answer reached in fewer steps (then the first in order of keys, so
    that the outcome does not hang on which sample finished first). The winner is scored as the
    episode that reached it in the fewest steps scored it. Every episode is kept: their steps in
    sample order, each model output marked with its sample, for a replay to give back."""

    def __init__(self, model: ModelSource, env: EnvironmentFor, settings: AgentSettings, tracer: Any = None):
        self.model, self.tracer = model, tracer
        self.envs = [env("react") for _ in range(settings.sc_samples)]
        self.settings = settings.but(temperature=settings.sc_temperature)

    async def arun(self, task: Any, epoch: int = 0) -> EpisodeResult:
        model = self.model.for_task(task_id_of(task), epoch)
        agents = [
            Agent(model.for_sample(sample), env, settings=self.settings, tracer=self.tracer)
            for sample, env in enumerate(self.envs)
        ]
        played = await asyncio.gather(*(agent.arun(task, epoch) for agent in agents))
        runs = [
            run.model_copy(
                update={"model_outputs": [o.model_copy(update={"sample": k}) for o in run.model_outputs]}
            )
            for k, run in enumerate(played)
        ]
        voters = [run for run in runs if run.answer and run.answer.strip()]
        if not voters:
            return combined(runs).model_copy(
                update={"stop_reason": StopReason.invalid_output, "answer": None, "votes": {}}
            )
        key = self.envs[0].answer_key
        tally = Counter(key(run.answer) for run in voters)
        fewest = {k: min(len(run.steps) for run in voters if key(run.answer) == k) for k in tally}
        winner = min(tally, key=lambda k: (-tally[k], fewest[k], k))
        scored = min(
            (run for run in voters if key(run.answer) == winner), key=lambda run: (len(run.steps), run.answer)
        )
        return combined(runs, scored.model_copy(update={"votes": dict(tally)}))

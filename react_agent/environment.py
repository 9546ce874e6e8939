"""The protocol every task environment speaks, after the paper's gym-style environments.

An environment says what the model sees before a task (`prompt`), starts a task (`reset`), carries
out actions (`step`) and judges how the task ended (`outcome`). More capabilities have defaults, so
an environment that subclasses `Environment` gets them and the runners can always call them:
`astep` (an async `step`), `action_space` (what a grammar may allow; none by default),
`tool_specs` (the actions as a chat model's tools, made from the action space by default), `close`
(called at the end of every episode), `answer_key` (which answers count as the same, for votes) and
`describe` (what a run's record says of it). `rules` are those it plays by (`react_agent.rules`):
ours, unless it was made with the paper's (an agent of other rules refuses to play with it).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from react_agent.grammar import ActionSpace
from react_agent.prompts import Prompt
from react_agent.rules import OURS, Rules
from react_agent.tool_calls import FunctionSpec, act_spec
from react_agent.trajectory import Action


class ToolError(Exception):
    """An expected failure of an action (a page that cannot be fetched, a timeout, a bad argument):
    its message is the observation the model sees, and the episode goes on. Any other exception
    from an environment is a bug: the episode ends with `stop_reason=error` and its traceback."""


def task_id_of(task: Any) -> str:
    """The task's `id`; a task without one gets a stable id made from its content (the question
    text, the record), so that resuming a run and replaying it find the same task again."""
    task_id = getattr(task, "id", None)
    if task_id is not None and str(task_id) != "":
        return str(task_id)
    if isinstance(task, str):
        content = task
    elif isinstance(task, BaseModel):
        content = task.model_dump_json()
    elif dataclasses.is_dataclass(task) and not isinstance(task, type):
        content = json.dumps(dataclasses.asdict(task), sort_keys=True, default=str)
    elif isinstance(task, Mapping):
        content = json.dumps(task, sort_keys=True, default=str)
    else:
        content = repr(task)
    return "task-" + hashlib.sha256(content.encode()).hexdigest()[:12]


@dataclass
class Observation:
    """What an action gave: the text the model sees, and whether the task is over."""

    text: str
    done: bool = False


@dataclass
class Outcome:
    """How the task ended, as the environment judges it. The first metric is the task's score."""

    answer: str | None = None
    gold: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    category: str | None = None  # the kind of task (a question type, a game type), for per-kind scores
    output: Any = None  # a typed answer, validated (ToolEnvironment's `output_type`)


class Environment(ABC):
    """Subclass it: `prompt`, `reset`, `step` and `outcome` are yours to write (a subclass missing
    one cannot be made: a `TypeError` names it), the other methods have defaults."""

    rules: Rules = OURS  # the rules it plays by; one that can play the paper's takes `rules=`

    @abstractmethod
    def prompt(self, task: Any) -> Prompt:
        """The instruction and few-shot examples that suit this task."""

    @abstractmethod
    def reset(self, task: Any) -> str:
        """Start the task; return the first observation (for HotpotQA, the question)."""

    @abstractmethod
    def step(self, action: Action) -> Observation:
        """Carry out one action. Bad actions are observations (`Invalid action: ...`), not errors;
        an action that fails as actions can (a timeout) raises `ToolError`."""

    @abstractmethod
    def outcome(self) -> Outcome:
        """The answer given, the gold one, and the task's metrics, whether or not it finished."""

    async def astep(self, action: Action) -> Observation:
        """`step` for async runners; by default `step` in a worker thread, off the event loop."""
        return await asyncio.to_thread(self.step, action)

    def action_space(self) -> ActionSpace | None:
        """What the environment accepts now (after `reset` and after each `step`), for a grammar
        to allow; None when it cannot say. Asked once before any `reset` too, to learn whether
        it can: it must not need a task for that. No I/O: it says what the environment knows."""
        return None

    def tool_specs(self) -> list[FunctionSpec]:
        """The actions as tools a chat model calls (`--format tools`), asked after `reset`: by
        default, made from `action_space()`: a tool of one text argument per action name, and one
        `act(command)` tool for exact commands."""
        space = self.action_space()
        if space is None:
            raise TypeError(f"{type(self).__name__} has no action space to make tools of: give tool_specs()")
        specs = [FunctionSpec.of_text(name) for name in space.names]
        return specs + [act_spec()] if space.commands else specs

    def close(self) -> None:  # noqa: B027 - a default that does nothing, not a method to write
        """Called at the end of every episode: let go of what the task held (a game engine)."""

    def answer_key(self, answer: str) -> str:
        """What two answers that count as the same have in common (CoT-SC's votes count keys):
        by default, the answer in lower case on single spaces; a task scored after normalising
        answers (HotpotQA's EM) gives its normalisation."""
        return " ".join(answer.lower().split())

    def describe(self) -> dict[str, Any]:
        """What a run's record (`RunConfig`) says of this environment: fields such as `wiki`, and
        `packages` (name: version) whose versions shape its episodes."""
        return {}

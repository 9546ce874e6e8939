"""The protocol every task environment speaks, after the paper's gym-style environments."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

from react_agent.prompts import Prompt
from react_agent.trajectory import Action


@runtime_checkable
class Task(Protocol):
    id: str


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
    text: str
    done: bool = False
    reward: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    """How the task ended, as the environment judges it."""

    answer: str | None = None
    gold: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    category: str | None = None  # the kind of task (a question type, a game type), for per-kind scores


@runtime_checkable
class Environment(Protocol):
    def prompt(self, task: Any) -> Prompt:
        """The instruction and few-shot examples that suit this task."""

    def reset(self, task: Any) -> str:
        """Start the task; return the first observation (for HotpotQA, the question)."""

    def step(self, action: Action) -> Observation:
        """Carry out one action. Bad actions are observations (`Invalid action: ...`), not errors;
        an action that fails as actions can (a timeout) raises `ToolError`. An environment may
        also have `async def astep(action)`, which async runners await instead."""

    def outcome(self) -> Outcome:
        """The answer given, the gold one, and the task's metrics, whether or not it finished."""

"""The protocol every task environment speaks, after the paper's gym-style environments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from react_agent.prompts import Prompt
from react_agent.trajectory import Action


@runtime_checkable
class Task(Protocol):
    id: str


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
        """Carry out one action. Bad actions are observations (`Invalid action: ...`), not errors."""

    def outcome(self) -> Outcome:
        """The answer given, the gold one, and the task's metrics, whether or not it finished."""

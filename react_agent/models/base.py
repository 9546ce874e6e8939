"""The one small protocol every model backend speaks: text completion with stop sequences, and
for the tools format a chat request (messages and tools) whose answer may call tools."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from react_agent.trajectory import ModelOutput, ToolCall, Usage


@dataclass(frozen=True)
class ModelRequest:
    """Continue `prompt`; stop at any of `stop` or after `max_tokens` new tokens. A chat request
    (`--format tools`) has `messages` instead (OpenAI's chat messages, and an empty `prompt`), the
    `tools` the model may call (OpenAI's function definitions) and `tool_choice`."""

    prompt: str
    stop: list[str] = field(default_factory=list)
    max_tokens: int = 128
    temperature: float | None = None  # None: the model's own setting
    # Nucleus sampling of a sampled request, and no other truncation (the paper's 1); None: the
    # backend's own (ours: top-k 40, top-p 0.95, min-p 0.05; a server's, its defaults).
    top_p: float | None = None
    grammar: str | None = None  # GBNF the answer must match (react_agent.grammar); None: free text
    # A repeated trial's number (`--epochs`; None in the first): sampled requests that differ only
    # in it are independent draws, and each draws the same again in a rerun with the same seed.
    seed: int | None = None
    # With a grammar: whether a text is a start of an answer it allows (`Grammar.allows_start`). A
    # backend that cannot be sure its server enforced the grammar checks its answer with it; others
    # never call it. It says nothing the grammar does not: no part of the fingerprint or equality.
    within_grammar: Callable[[str], bool] | None = field(default=None, compare=False, repr=False)
    messages: tuple[dict[str, Any], ...] | None = None
    tools: tuple[dict[str, Any], ...] | None = None
    tool_choice: str | None = None  # "auto": the model may answer without a call
    # With `--grammar`: `tools` as this answer must call them, each argument that takes the
    # environment's commands held to those it accepts now (an enum); None: `tools` as they are. A
    # server is sent these. The local backend shows `tools` and holds the answer to these by its
    # grammar, so the chat's prefix (whose system message lists the tools) stays the one it has seen.
    held_tools: tuple[dict[str, Any], ...] | None = None

    @property
    def is_chat(self) -> bool:
        return self.messages is not None

    def sha256(self) -> str:
        """A fingerprint of everything that shapes the answer: prompt, stops, budget, temperature,
        grammar, top-p, seed and a chat's messages and tools (the last four, and the tools held to
        a step's commands, only when set, so requests without keep the fingerprints recorded)."""
        fields: list = [self.prompt, list(self.stop), self.max_tokens, self.temperature]
        if self.grammar is not None:
            fields.append(self.grammar)
        if self.top_p is not None:
            fields.append({"top_p": self.top_p})
        if self.seed is not None:
            fields.append({"seed": self.seed})
        if self.messages is not None:
            fields.append({"messages": self.messages, "tools": self.tools, "tool_choice": self.tool_choice})
        if self.held_tools is not None:
            fields.append({"held_tools": self.held_tools})
        return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class Completion:
    """The model's text (a chat model's message content), and the tools it called (chat requests)."""

    text: str
    usage: Usage
    tool_calls: tuple[ToolCall, ...] = ()


# Called with the text decoded so far; True ends decoding early (the action is already whole).
StopWhen = Callable[[str], bool]


class ModelSource(ABC):
    """What answers a run's requests: `for_task` gives the model that answers one task's. A `Model`
    is its own source, for every task; a replay (`models.replay.RecordedRun`) gives each task the
    model that answers with what was recorded for it, and answers nothing itself."""

    name: str
    temperature: float | None = None  # its sampling temperature when a request says none; None: unknown
    provider: str = "unknown"  # the gen_ai.provider.name of its spans (react_agent.tracing)

    @abstractmethod
    def for_task(self, task_id: str, epoch: int = 0) -> Model:
        """The model that answers the requests of task `task_id`'s episode (its `epoch`-th trial)."""

    def sampling(self, temperature: float, top_p: float | None) -> dict[str, float]:
        """The sampling parameters it applies to a request at `temperature` (above 0) and `top_p`
        (None: its own), as a run records them."""
        return {"temperature": temperature} | ({"top_p": top_p} if top_p is not None else {})

    def describe(self) -> dict[str, Any]:
        """What a run's record (`RunConfig`) says of this model: `model` (its name), and where
        they apply `model_sha256`, `base_url`, `endpoint`, `n_ctx`, `build`, and `packages`
        (name: version) whose versions shape its answers."""
        return {"model": self.name}


class Model(ModelSource):
    """A backend decodes `request.prompt` and stops at a stop sequence, the token budget, or as soon
    as `stop_when(text_so_far)` holds, whichever comes first.

    Subclass it: `complete` and `acomplete` are yours to write (a subclass missing one cannot be
    made: a `TypeError` names it), the rest have defaults. A model answers every task's requests
    itself (`for_task`)."""

    operation: str = "text_completion"  # the gen_ai.operation.name of its calls: or "chat"

    @abstractmethod
    def complete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        """The model's answer to the request."""

    @abstractmethod
    async def acomplete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        """The same, for async runners (which play episodes at once): never holding up the loop."""

    def for_task(self, task_id: str, epoch: int = 0) -> Model:
        return self

    def for_sample(self, sample: int) -> Model:
        """The model that answers the requests of the `sample`-th of a task's episodes played at
        once (ReAct-SC's): the same model, but for a replay, which gives each its own outputs."""
        return self

    def after(self, outputs: list[ModelOutput]) -> Model:
        """The model of a task's episode that goes on after these outputs, which an interrupted
        run recorded (Reflexion's finished attempts): the same model, but for a replay, which
        checks that they are its next recorded outputs and gives back those that follow."""
        return self


class ModelError(Exception):
    """A model call failed for this request (the episode records it and goes on with the next)."""


class ContextFull(ModelError):
    """The prompt no longer fits the model's context window."""


class ModelUnavailable(Exception):
    """The model cannot be used at all (missing file, unreachable server): the run stops."""


def cut_at_stop(text: str, stop: list[str]) -> tuple[str, bool]:
    """The text before the earliest stop sequence, and whether one was found."""
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)

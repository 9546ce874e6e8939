"""Typed records of an episode: what the model was asked, what it said, what the world answered.

Every record is a pydantic model, so `record.model_dump_json()` and `Record.model_validate_json(line)`
are the serialization: results files are JSON lines of `EpisodeResult`.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, Field

from react_agent.provenance import RunConfig


class Usage(BaseModel):
    """Token counts of one or more model calls.

    `prompt_tokens` is what was sent; `evaluated_tokens` is what the model actually had to compute
    (the rest came from its cache of an earlier, identical prefix). `None` means the backend could
    not tell (a remote server that reports no cache figures, or a stream we closed before usage came).
    """

    calls: int = 0
    prompt_tokens: int | None = 0
    evaluated_tokens: int | None = 0
    completion_tokens: int | None = 0

    def __add__(self, other: Usage) -> Usage:
        def add(a: int | None, b: int | None) -> int | None:
            return None if a is None or b is None else a + b

        return Usage(
            calls=self.calls + other.calls,
            prompt_tokens=add(self.prompt_tokens, other.prompt_tokens),
            evaluated_tokens=add(self.evaluated_tokens, other.evaluated_tokens),
            completion_tokens=add(self.completion_tokens, other.completion_tokens),
        )


class Action(BaseModel):
    """An action as the model wrote it, and its `Name[argument]` reading when it has that shape."""

    text: str
    name: str | None = None
    argument: str | None = None


class ModelOutput(BaseModel):
    """One text the model produced, with the sha256 of the exact request it answered (see
    `ModelRequest.sha256`), and the step it was asked for: a replay checks the request before it
    plays the text back."""

    text: str
    request_sha256: str
    step: int
    context_full: bool = False  # the model refused the request as too long (the text says how)


class Step(BaseModel):
    """One Thought / Action / Observation round."""

    index: int
    thought: str
    action: Action
    observation: str
    model_outputs: list[str] = Field(
        description="the model's raw text, one entry per call (a re-ask adds one)"
    )
    usage: Usage = Usage()
    model_seconds: float = 0.0
    env_seconds: float = 0.0
    shortened: bool = False  # the prompt came to show only the start of the observation (context full)


class EpisodeStart(BaseModel):
    """The first event of a streamed episode: the task as the environment put it."""

    task_id: str
    question: str


class StopReason(str, Enum):
    finished = "finished"  # the environment said the task is over (Finish[...], a won game)
    max_steps = "max_steps"  # the step limit came first
    repeated_action = "repeated_action"  # the same action met the same observation, again and again
    invalid_output = "invalid_output"  # the model gave nothing usable, even when asked again
    context_full = "context_full"  # the prompt outgrew the model's context window
    error = "error"  # the environment or the model failed; `error` says how


class EpisodeResult(BaseModel):
    """How one episode went; one JSON line of a results file."""

    task_id: str
    category: str | None = None
    question: str
    answer: str | None = None
    gold: str | None = None
    stop_reason: StopReason
    error: str | None = None
    steps: list[Step] = []
    metrics: dict[str, float] = {}
    usage: Usage = Usage()
    seconds: float = 0.0
    # Every text the model produced, in order, finished step or not: what a replay plays back.
    model_outputs: list[ModelOutput] = []
    config: RunConfig | None = None  # how the run was made (model, data, prompts...), set by runners

    @property
    def em(self) -> float | None:
        return self.metrics.get("em")

    @property
    def f1(self) -> float | None:
        return self.metrics.get("f1")

"""Typed records of an episode: what the model was asked, what it said, what the world answered,
and how the run that played it was made (`RunConfig`). The bottom layer: it imports nothing of
react_agent's but the file digests it records.

Every record is a pydantic model, so `record.model_dump_json()` and `Record.model_validate_json(line)`
are the serialization: results files are JSON lines of `EpisodeResult`.
"""

from __future__ import annotations

import hashlib
import json
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, computed_field

from react_agent.datafiles import FileDigest


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


class ToolCall(BaseModel):
    """A call of a tool as a chat model made it (`--format tools`): the id the API gave it, the
    tool's name, and its arguments as the model wrote them (JSON text, well-formed or not)."""

    id: str
    name: str
    arguments: str


class ModelOutput(BaseModel):
    """One text the model produced, with the sha256 of the exact request it answered (see
    `ModelRequest.sha256`), and the step it was asked for: a replay checks the request before it
    plays the text back."""

    text: str
    request_sha256: str
    step: int
    context_full: bool = False  # the model refused the request as too long (the text says how)
    tool_calls: list[ToolCall] | None = None  # what a chat model called with it (`--format tools`)
    # Which of a task's episodes played at once asked for it (ReAct-SC's samples), so that a replay
    # gives each its own outputs; None where one episode at a time asks.
    sample: int | None = None


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
    tool_calls: list[ToolCall] | None = None  # the model's calls whose first is the action (tools format)
    # The state lines the model wrote before its action (`--format state`), by lower-cased label:
    # goal, location, inventory.
    state: dict[str, str] | None = None


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
    limit = "limit"  # its token or time limit (AgentSettings.episode_tokens, episode_seconds)
    error = "error"  # the environment or the model failed; `error` says how


class PromptUse(BaseModel):
    """The prompt a role of a method was played with (`react`; `votes` for the samples of CoT-SC)."""

    source: str  # where it came from: "built-in hotpotqa:react", "prompts_naive.json:webthink_simple6"
    format: str  # its step format (react_agent.formats)
    sha256: str  # of everything the model sees of it; over all its prompts when it varies per task
    temperature: float | None  # None: the model's own, recorded as the model's
    # Every sampling parameter the model applied, where it sampled (None: greedy, or not recorded).
    sampling: dict[str, float] | None = None
    bootstrapped: bool = False  # its examples are the model's own episodes (`react optimize`)


class Scoring(BaseModel):
    """How a task's results are read: the metric that is its score, and how leaderboards and
    reports break it down. Said by the task and recorded with each run, so that readers of a
    results file need no knowledge of the task."""

    score: str  # the metric a leaderboard ranks by (`em`, `success`)
    # The metric, if any, that says whether an episode succeeded as the environment itself judges
    # it (ALFWorld's `success`: the game is won), not by a gold answer (HotpotQA's EM): what a
    # method that tries again after a failure may read. None: the task has no such signal.
    success: str | None = None
    by_category: bool = False  # a leaderboard column of the score per category (ALFWorld's task types)
    category: str = "category"  # what a category is, for headings: "question type", "task type"
    # The task's failure categories (react_agent.diagnosis), in the order breakdowns show them.
    failures: list[str] = []


# Fields that join a run's identity only when they are set: a run made before they existed keeps its hash.
_ADDED_LATER: dict[str, Any] = {
    "final_answer": False,
    "shots": None,
    "max_repeats": 0,
    "grammar": False,
    "paper": False,
    "repack": False,
    "episode_tokens": None,
    "episode_seconds": None,
    "format": "text",
    "attempts": None,
    "oracle_feedback": False,
}


class RunConfig(BaseModel):
    """What each line of a results file records of how it was made (see react_agent.provenance,
    which computes it), so that a number can be traced to the code, model, data, prompts and
    settings behind it.

    `hash` identifies a run: two lines belong to the same run when their hashes agree. It covers
    every field but these, recorded all the same: the git commit (a run resumed after an
    unrelated commit is still the same run: a change that shapes prompts shows in the prompt
    hashes, and the replay check catches the rest), whether answers came from a response cache (the
    same requests get the same answers), the local model's build (llama.cpp is compiled
    for the CPU it runs on, and greedy outputs can differ between builds: `build` tells why numbers
    may move), how results are read (`scoring`), the folders files were read from (the same bytes
    read from elsewhere are the same data) and the address of a model server (a server restarted
    on another port serves the same model).
    """

    task: str
    method: str
    data: str  # the task's data as named (a file's name, a data set's name), or "built-in"
    data_files: list[FileDigest] = []
    sample: str | None = None
    wiki: list[FileDigest] | str | None = None  # the index's build inputs, or "live"
    prompts: dict[str, PromptUse]
    sc_samples: int | None = None
    attempts: int | None = None  # Reflexion's attempts at a task (react_agent.reflexion)
    # Reflexion's attempts judged by the gold answer (the task's score), not by the environment:
    # the Reflexion paper's HotpotQA setup, whose scores are no test scores.
    oracle_feedback: bool = False
    model: str
    model_sha256: str | None = None
    base_url: str | None = None
    endpoint: str | None = None
    n_ctx: int | None = None
    repack: bool = False  # llama.cpp's repacked CPU weights (LlamaCppModel's `repack`)
    seed: int
    max_steps: int
    max_tokens: int
    final_answer: bool = False  # an answer asked for at the step limit (off in the paper)
    shots: int | None = None  # how many few-shot examples each prompt kept (None: all it has)
    max_repeats: int = 0  # the loop guard: repeats of an action and observation that end an episode
    grammar: bool = False  # each step held to a grammar of the task's actions (react_agent.grammar)
    paper: bool = False  # played by the ReAct paper's rules (AgentSettings' `paper`)
    format: str = "text"  # how the model wrote its steps: text, or tools (native tool calls)
    episode_tokens: int | None = None  # an episode's token limit (AgentSettings.episode_tokens)
    episode_seconds: float | None = None  # and its time limit
    packages: dict[str, str | None]
    git_commit: str | None = None
    build: str | None = None  # the local model's llama.cpp build: the CPU features it uses
    cache: bool = False  # answers were taken from a response cache where it had them (models.cache)
    scoring: Scoring | None = None  # None in runs recorded before tasks said it

    def identity(self) -> dict[str, Any]:
        """The fields that make a run what it is (see the class's docstring)."""
        identity = self.model_dump(exclude={"git_commit", "build", "hash", "scoring", "cache"})
        for name, default in _ADDED_LATER.items():  # so that older runs keep the hash they had
            if identity[name] == default:
                del identity[name]
        for use in identity["prompts"].values():
            for name, unset in (("sampling", None), ("bootstrapped", False)):
                if use[name] == unset:  # as runs recorded before it was
                    del use[name]
        identity["data"] = Path(self.data).name
        if self.base_url is not None:  # a server's address is where a run was played, not what it is
            identity["base_url"] = "a server"
        for files in (identity["data_files"], identity["wiki"]):
            for file in files if isinstance(files, list) else []:
                file["path"] = Path(file["path"]).name
        return identity

    @computed_field  # type: ignore[prop-decorator]
    @property
    def hash(self) -> str:
        text = json.dumps(self.identity(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class Attempt(BaseModel):
    """One attempt at a task by a method that tries again after a failure (Reflexion): how it
    ended, and the reflection the model wrote on it when another attempt followed. Its steps and
    model outputs are its result's, in order, attempt after attempt: `steps` and `outputs` say how
    many are its own (its reflection's output counted among them)."""

    steps: int
    outputs: int
    stop_reason: StopReason
    answer: str | None = None
    metrics: dict[str, float] = {}
    success: bool  # as the method judged it (the environment's success, or the gold answer's)
    reflection: str | None = None  # what the model wrote after it, which later attempts read
    usage: Usage = Usage()  # its episode's and its reflection's
    seconds: float = 0.0


class EpisodeResult(BaseModel):
    """How one episode went; one JSON line of a results file."""

    task_id: str
    # Which trial of the task it is (`--epochs`), from 0; its requests carried it as their `seed`
    # (the first none), which the model mixes into its own seed (the config's) for sampling.
    epoch: int = 0
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
    # CoT-SC's tally: each answer its samples gave (lower-cased), and how many gave it. Set on the
    # results of the voting methods that sampled; None for one episode.
    votes: dict[str, int] | None = None
    # Reflexion's attempts, in order (the last is the one scored); None for the other methods.
    attempts: list[Attempt] | None = None
    output: Any = None  # the typed answer (Agent's `output_type`): the object here, its fields in a file
    # Why it ended as it did, by its task's rules (react_agent.diagnosis): set by the bench runners.
    failure_category: str | None = None
    config: RunConfig | None = None  # how the run was made (model, data, prompts...), set by runners

    @property
    def trial(self) -> tuple[str, int]:
        """What tells its line apart from other tasks' and other trials': (task, epoch)."""
        return (self.task_id, self.epoch)

    @property
    def em(self) -> float | None:
        return self.metrics.get("em")

    @property
    def f1(self) -> float | None:
        return self.metrics.get("f1")


def combined(results: list[EpisodeResult], scored: EpisodeResult | None = None) -> EpisodeResult:
    """One result for episodes run in turn: their steps (and the steps their model outputs were
    asked for) numbered on from one episode to the next, their costs summed, with the answer and
    metrics of the last (or of `scored`), and the tally of the votes among them."""
    final = scored or results[-1]
    steps, outputs, usage = [], [], Usage()
    for result in results:
        before = len(steps)
        steps += [step.model_copy(update={"index": before + step.index}) for step in result.steps]
        outputs += [
            output.model_copy(update={"step": before + output.step}) for output in result.model_outputs
        ]
        usage += result.usage
    return final.model_copy(
        update={
            "steps": steps,
            "usage": usage,
            "seconds": sum(result.seconds for result in results),
            "model_outputs": outputs,
            "votes": next((r.votes for r in [final, *results] if r.votes is not None), None),
        }
    )

"""Reflexion (Shinn et al., 2023): after a failed attempt at a task, the model writes a short note
on what went wrong; the next attempt at the same task reads the last notes (up to three), set
between the prompt's examples and the task. The first success ends the task; else the last of
`settings.attempts` is its result.

An attempt succeeds when the metric the player judges by (`judge`) is 1: the success the task's
environment judges itself (ALFWorld's won game), never a gold answer, unless the run says so
(`oracle_feedback`: the Reflexion paper's HotpotQA setup, whose scores are no test scores).

The reflection request is a data file (`prompts/reflexion.json`, ours, the same for every task):
its instruction, the failed attempt as the model saw it but without the examples (its last steps,
where it was long), how it ended, and a cue.

A task's attempts make its one result: their steps and model outputs in order, each reflection's
output after its attempt's (a replay checks reflection requests as it checks any other), and
`attempts` saying how each went. The result's metrics are the last attempt's (success within
the attempts), and the first attempt's score beside them (`<score> at 1st attempt`). After each
failed attempt the result so far is kept as unfinished (`Checkpoints`): a killed run resumes at
the next attempt.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, replace
from importlib.resources import files
from typing import Any

from react_agent.agent import Agent
from react_agent.environment import Environment, task_id_of
from react_agent.episode import as_sent
from react_agent.errors import OptionError
from react_agent.formats import FORMATS
from react_agent.models.base import Model, ModelError, ModelRequest, ModelSource
from react_agent.prompts import Prompt
from react_agent.results import Checkpoints
from react_agent.settings import AgentSettings
from react_agent.trajectory import Attempt, EpisodeResult, ModelOutput, Scoring, StopReason, Usage, combined

REFLECT = "reflect"  # what a run's record calls the reflection prompt, beside its roles' prompts
NOTES_READ = 3  # the notes an attempt reads: the last three, as Reflexion's code keeps


def first_attempt_metric(score: str) -> str:
    """The name of the first attempt's score among a Reflexion result's metrics."""
    return f"{score} at 1st attempt"


@dataclass(frozen=True)
class ReflectionPrompt:
    """What a reflection request says (see the module's docstring), and how a later attempt shows
    the notes."""

    instruction: str
    left_out: str  # said where an attempt's first steps are not shown: "{n}" of them
    endings: dict[str, str]  # how an attempt ended, by its stop reason
    cue: str
    stop: tuple[str, ...]
    max_tokens: int
    last_steps: int  # the steps of an attempt shown at most: its last ones
    memory_header: str
    memory_item: str  # "{n}": the attempt, "{note}": its note

    @classmethod
    def builtin(cls) -> ReflectionPrompt:
        data = json.loads(files("react_agent.prompts").joinpath("reflexion.json").read_text(encoding="utf-8"))
        return cls(**data | {"stop": tuple(data["stop"])})

    source = "built-in reflexion"

    def sha256(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), ensure_ascii=False).encode()).hexdigest()

    def request(
        self, prompt: Prompt, attempt: EpisodeResult, settings: AgentSettings, epoch: int
    ) -> ModelRequest:
        """Ask for a note on a failed attempt played with `prompt`, in its step format."""
        written = FORMATS[prompt.format]
        shown = attempt.steps[-self.last_steps :]
        bare = replace(prompt, instruction="", examples="", examples_intro=("", "", ""))
        transcript = written.begin(bare, attempt.question)
        if len(shown) < len(attempt.steps):
            transcript += self.left_out.format(n=len(attempt.steps) - len(shown))
        for step in shown:
            transcript = written.add_step(transcript, step, step.observation)
        ending = self.endings.get(attempt.stop_reason.value, self.endings["finished"])
        text = f"{self.instruction}{transcript.strip()}\n{ending}\n{self.cue}"
        request = ModelRequest(prompt=text, stop=list(self.stop), max_tokens=self.max_tokens)
        return as_sent(request, settings, epoch)

    def with_notes(self, prompt: Prompt, notes: list[tuple[int, str]]) -> Prompt:
        """The prompt of an attempt that reads these notes (attempt number, note): between its
        examples and its task."""
        if not notes:
            return prompt
        header = prompt.task_header if prompt.task_header.startswith("\n") else f"\n{prompt.task_header}"
        memory = self.memory_header + "".join(self.memory_item.format(n=n, note=note) for n, note in notes)
        return replace(prompt, task_header=memory + header)


class Reflexion:
    """Plays a task up to `settings.attempts` times with the `react` environment (see the module's
    docstring). An attempt succeeds by the task's `scoring`: its `success`, or with
    `settings.oracle_feedback` its score. `checkpoints` (the run's results file) keep the attempts
    of a task in play."""

    def __init__(
        self,
        model: ModelSource,
        env: Environment,
        settings: AgentSettings,
        scoring: Scoring,
        *,
        tracer: Any = None,
        checkpoints: Checkpoints | None = None,
    ):
        self.model, self.env, self.settings, self.tracer = model, env, settings, tracer
        self.judge = scoring.score if settings.oracle_feedback else scoring.success
        if self.judge is None:
            raise OptionError(refusal(scoring))
        self.score, self.checkpoints = scoring.score, checkpoints
        self.reflection = ReflectionPrompt.builtin()

    async def arun(self, task: Any, epoch: int = 0) -> EpisodeResult:
        trial = (task_id_of(task), epoch)
        model = self.model.for_task(*trial)
        so_far = self.checkpoints.earlier(trial) if self.checkpoints is not None else None
        if so_far is not None:  # an interrupted run played these attempts: go on after them
            model = model.after(so_far.model_outputs)
        prompt = self.env.prompt(task)
        while True:
            attempts = (so_far.attempts or []) if so_far is not None else []
            notes = [(n, a.reflection) for n, a in enumerate(attempts, start=1) if a.reflection]
            shown = self.reflection.with_notes(prompt, notes[-NOTES_READ:])
            agent = Agent(model, self.env, prompt=shown, settings=self.settings, tracer=self.tracer)
            played = await agent.arun(task, epoch)
            if played.stop_reason is StopReason.error:  # the model or the world failed: played again later
                if so_far is None:
                    return played
                return so_far.model_copy(update={"stop_reason": StopReason.error, "error": played.error})
            success = played.metrics.get(self.judge, 0.0) >= 1
            last = success or len(attempts) + 1 >= self.settings.attempts
            before = len(so_far.steps) if so_far is not None else 0
            note = None if last else await self._reflect(model, prompt, played, epoch, before)
            attempt = Attempt(
                steps=len(played.steps),
                outputs=len(played.model_outputs),
                stop_reason=played.stop_reason,
                answer=played.answer,
                metrics=played.metrics,
                success=success,
                usage=played.usage,
                seconds=played.seconds,
            )
            so_far = _joined(so_far, played, attempt, note)
            if last:
                first = (so_far.attempts or [attempt])[0]
                first_score = {first_attempt_metric(self.score): first.metrics.get(self.score, 0.0)}
                return so_far.model_copy(update={"metrics": so_far.metrics | first_score})
            if self.checkpoints is not None:
                unfinished = {
                    "stop_reason": StopReason.error,
                    "error": "unfinished: its next attempt is to come",
                }
                self.checkpoints.keep(so_far.model_copy(update=unfinished))

    async def _reflect(
        self, model: Model, prompt: Prompt, played: EpisodeResult, epoch: int, steps_before: int
    ) -> _Note:
        """The model's note on a failed attempt; an empty note, or a failed call, is no note."""
        request = self.reflection.request(prompt, played, self.settings, epoch)
        started = time.perf_counter()
        try:
            completion = await model.acomplete(request)
        except ModelError:  # the next attempt goes on without a new note
            return _Note(None, None, Usage(calls=1), time.perf_counter() - started)
        step = steps_before + len(played.steps)  # the output follows the attempt's last step
        output = ModelOutput(text=completion.text, request_sha256=request.sha256(), step=step)
        return _Note(completion.text.strip() or None, output, completion.usage, time.perf_counter() - started)


def refusal(scoring: Scoring) -> str:
    """Why Reflexion cannot play a task whose environment judges no success."""
    return (
        "reflexion tries again after failures that the environment itself judges, and this task's "
        f"judges none ({scoring.score} needs the gold answer): `oracle_feedback` judges attempts by "
        "the gold answer, as the Reflexion paper did on HotpotQA, and its scores are no test scores"
    )


@dataclass(frozen=True)
class _Note:
    text: str | None
    output: ModelOutput | None
    usage: Usage
    seconds: float


def _joined(
    so_far: EpisodeResult | None, played: EpisodeResult, attempt: Attempt, note: _Note | None
) -> EpisodeResult:
    """The task's result so far with one more attempt, and its note: steps and model outputs
    numbered on from the attempts before, costs summed, the answer and metrics the attempt's."""
    joined = combined([so_far, played] if so_far is not None else [played])
    if note is not None:
        attempt = attempt.model_copy(
            update={
                "reflection": note.text,
                "outputs": attempt.outputs + (note.output is not None),
                "usage": attempt.usage + note.usage,
                "seconds": attempt.seconds + note.seconds,
            }
        )
        joined = joined.model_copy(
            update={
                "model_outputs": joined.model_outputs + ([note.output] if note.output is not None else []),
                "usage": joined.usage + note.usage,
                "seconds": joined.seconds + note.seconds,
            }
        )
    attempts = [*(so_far.attempts or []), attempt] if so_far is not None else [attempt]
    return joined.model_copy(update={"attempts": attempts})

"""Plays back the model outputs recorded in a results file: scores can be recomputed and runs
checked offline, with no model loaded.

Each recorded output carries the sha256 of the request it answered. A replay answers a request
only if it is the same request (prompt, stop sequences, token budget, temperature): a change in a
prompt, a format or an option stops the replay at the first step where it shows, naming it.
"""

from __future__ import annotations

from pathlib import Path

from react_agent.models.base import (
    Completion,
    ContextFull,
    Model,
    ModelRequest,
    ModelSource,
    ModelUnavailable,
    StopWhen,
)
from react_agent.results import ResultsFileError, latest_results, read_results
from react_agent.trajectory import ModelOutput, Usage

_UNKNOWN = Usage(calls=1, prompt_tokens=None, evaluated_tokens=None, completion_tokens=None)


class ReplayMismatch(ModelUnavailable):
    """The code asked the replayed model something other than what the recorded run asked."""


class RecordedRun(ModelSource):
    """A run's recorded outputs, as a source of models (`--model replay:RUN.jsonl`): `for_task(task_id,
    epoch)` is a model that answers each call of that trial's episode with the next text the
    recorded run's model gave in it. It answers nothing itself: runners ask every source for the
    task's model (see `ModelSource`)."""

    provider = "replay"

    def __init__(self, path: str | Path):
        path = Path(path)
        try:
            results = latest_results(read_results(path))
        except FileNotFoundError:
            raise ModelUnavailable(f"run file to replay not found: {path}") from None
        except ResultsFileError as error:
            raise ModelUnavailable(f"cannot replay {path}: {error}") from None
        self.path = path
        self.name = f"replay:{path.name}"
        self.recorded = {result.trial: result for result in results}

    def for_task(self, task_id: str, epoch: int = 0) -> RecordedEpisode:
        if (task_id, epoch) not in self.recorded:
            trial = f" (epoch {epoch})" if epoch else ""
            raise ModelUnavailable(f"{self.path} has no recorded episode of task {task_id!r}{trial}")
        return RecordedEpisode(self.name, task_id, self.recorded[task_id, epoch].model_outputs)


class RecordedEpisode(Model):
    """The recorded outputs of one task, given back in order to the same requests."""

    provider = "replay"

    def __init__(self, name: str, task_id: str, outputs: list[ModelOutput], sample: int | None = None):
        self.name = name
        self.task_id = task_id
        self.sample = sample
        self._outputs = outputs
        self._next = 0

    def for_sample(self, sample: int) -> RecordedEpisode:
        outputs = [output for output in self._outputs if output.sample == sample]
        return RecordedEpisode(self.name, self.task_id, outputs, sample)

    def after(self, outputs: list[ModelOutput]) -> RecordedEpisode:
        ahead = self._outputs[self._next : self._next + len(outputs)]
        if [(o.request_sha256, o.text) for o in ahead] != [(o.request_sha256, o.text) for o in outputs]:
            raise ReplayMismatch(
                f"{self.name}: task {self.task_id!r} resumes after outputs that its recorded run did not give"
            )
        resumed = RecordedEpisode(self.name, self.task_id, self._outputs, self.sample)
        resumed._next = self._next + len(outputs)
        return resumed

    def complete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        where = f"{self.name}: task {self.task_id!r}" + (
            f", sample {self.sample}" if self.sample is not None else ""
        )
        if self._next >= len(self._outputs):
            raise ReplayMismatch(f"{where} asks the model more often than the recorded run did")
        recorded = self._outputs[self._next]
        if request.sha256() != recorded.request_sha256:
            raise ReplayMismatch(
                f"{where}, step {recorded.step} (model call {self._next + 1}): the request differs "
                "from the recorded one (prompt or messages, stop sequences, max tokens or temperature)"
            )
        self._next += 1
        if recorded.context_full:  # the recorded model refused this request as too long
            raise ContextFull(recorded.text)
        return Completion(text=recorded.text, usage=_UNKNOWN, tool_calls=tuple(recorded.tool_calls or ()))

    async def acomplete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        return self.complete(request, stop_when)

"""Plays back the model outputs recorded in a results file: scores can be recomputed and runs
checked offline, with no model loaded."""

from __future__ import annotations

from pathlib import Path

from react_agent.models.base import Completion, ModelRequest, ModelUnavailable, StopWhen
from react_agent.models.scripted import ScriptedModel
from react_agent.results import read_results


class ReplayModel:
    """`for_task(task_id)` is a model that answers each call of that task's episode with the next
    text the recorded run's model gave in it. Runners ask for it per task (see `Agent`)."""

    def __init__(self, path: str | Path):
        path = Path(path)
        try:
            results = list(read_results(path))
        except FileNotFoundError:
            raise ModelUnavailable(f"run file to replay not found: {path}") from None
        except ValueError as error:
            raise ModelUnavailable(f"cannot read run file {path}: {error}") from None
        self.path = path
        self.name = f"replay:{path.name}"
        self.recorded = {result.task_id: result for result in results}

    def for_task(self, task_id: str) -> ScriptedModel:
        if task_id not in self.recorded:
            raise ModelUnavailable(f"{self.path} has no recorded episode of task {task_id!r}")
        return ScriptedModel(self.recorded[task_id].model_outputs, count_tokens=False)

    def complete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        raise ModelUnavailable("a replayed model answers per task: use for_task(task_id)")

    async def acomplete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        return self.complete(request, stop_when)

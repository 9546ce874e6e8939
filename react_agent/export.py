"""`react export RUN... --out train.jsonl`: trajectories as fine-tuning examples, after FireAct's
recipe (Chen et al., 2023): the prompt without its few-shot examples (the task alone), the model's
own Thought/Action text as what to learn, and the observations as context between its turns.

- `completion`: `{"task_id", "prompt": "Question: ...\\n", "completion": "Thought 1: ...\\nAction 1:
  ...\\nObservation 1: ...\\n..."}`: the steps written as the episode's step format writes them
  (the format that played the episode, as its run recorded it).
- `chat`: `{"task_id", "messages": [user: the task, assistant: "Thought 1: ...\\nAction 1: ...",
  user: "Observation 1: ...", ...]}`: the model's turns are the assistant's.

Each example keeps its task id, so that evaluation questions can be kept out of training data.
`--only-success` keeps the episodes that solved their task (score 1), as FireAct does. Results of
the voting methods (CoT-SC and the hybrids) join several episodes in one record: they are not one
trajectory, and are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from react_agent.formats import FORMATS, StepFormat
from react_agent.trajectory import EpisodeResult

ExportFormat = Literal["completion", "chat"]


def step_format_of(result: EpisodeResult) -> tuple[str, StepFormat]:
    """The step format the episode was played in, as its run recorded it (numbered by default)."""
    config = result.config
    if config is not None:
        for use in config.prompts.values():
            if use.format in FORMATS:
                return use.format, FORMATS[use.format]
    return "numbered", FORMATS["numbered"]


def solved(result: EpisodeResult) -> bool:
    return any(result.metrics.get(name) == 1.0 for name in ("em", "success"))


def examples(
    results: Iterable[EpisodeResult], style: ExportFormat = "completion", only_success: bool = False
) -> Iterator[dict[str, Any]]:
    for result in results:
        voted = result.config is not None and "votes" in result.config.prompts
        if voted or not result.steps or (only_success and not solved(result)):
            continue
        name, step_format = step_format_of(result)
        blocks = [step_format.block(s.index, s.thought, s.action, s.observation) for s in result.steps]
        if style == "completion":
            yield {
                "task_id": result.task_id,
                "format": name,
                "prompt": result.question + "\n",
                "completion": "".join(blocks),
            }
            continue
        messages = [{"role": "user", "content": result.question}]
        for step, block in zip(result.steps, blocks, strict=True):
            turn, observation = _split_observation(name, step.index, block, step.observation)
            messages.append({"role": "assistant", "content": turn})
            messages.append({"role": "user", "content": observation})
        yield {"task_id": result.task_id, "format": name, "messages": messages}


def _split_observation(name: str, i: int, block: str, observation: str) -> tuple[str, str]:
    """A written step as the model's turn and the environment's answer."""
    label = f"Observation {i}: " if name in ("numbered", "actions") else ""
    shown = f"{label}{observation}\n"
    if not block.endswith(shown):  # one-step formats write no observation: the answer is the turn
        return block.rstrip("\n"), ""
    return block[: -len(shown)].rstrip("\n"), shown.rstrip("\n")


_NUMBERED = re.compile(r"Thought (\d+): (.*)\nAction \1: (.*)\nObservation \1: (.*)\n")
_ACTIONS = re.compile(r"Action (\d+): (.*)\nObservation \1: (.*)\n")
_COMMANDS = re.compile(r"> (.*)\n(.*)\n")


def steps_of(example: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(thought, action, observation) of each step of a `completion` example: the inverse of the
    export, for checking it (and for reading exported data back)."""
    text, name = example["completion"], example["format"]
    if name == "numbered":
        return [(t, a, o) for _, t, a, o in _NUMBERED.findall(text)]
    if name == "actions":
        return [("", a, o) for _, a, o in _ACTIONS.findall(text)]
    if name == "commands":
        return [
            (a[len("think:") :].strip() if a.startswith("think:") else "", a, o)
            for a, o in _COMMANDS.findall(text)
        ]
    raise ValueError(f"no reader for the step format {name!r}")

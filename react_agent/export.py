"""`react export RUN... --out train.jsonl`: trajectories as fine-tuning examples, after FireAct's
recipe (Chen et al., 2023): the prompt without its few-shot examples (the task alone), the model's
own Thought/Action text as what to learn, and the observations as context between its turns.

- `completion`: `{"task_id", "prompt": "Question: ...\\n", "completion": "Thought 1: ...\\nAction 1:
  ...\\nObservation 1: ...\\n..."}`: the steps written as the episode's step format writes them
  (the format that played the episode, as its run recorded it).
- `chat`: `{"task_id", "messages": [user: the task, assistant: "Thought 1: ...\\nAction 1: ...",
  user: "Observation 1: ...", ...]}`: the model's turns are the assistant's. A run played with
  tool calls (`format: tools`) gives its own messages: the assistant's thoughts and tool calls,
  each answered by a `tool` message; it has no `completion` form.

Each example keeps its task id, so that evaluation questions can be kept out of training data.
`--only-success` keeps the episodes that solved their task (score 1), as FireAct does. Results of
the voting methods (CoT-SC and the hybrids) join several episodes in one record: they are not one
trajectory, and are left out. So is an episode whose steps its format's text cannot hold: under
the paper's parsing (`--paper`) an action is the model's whole reply, often with the next step and
an observation the model made up; written out, it would not read back as the steps it was, and it
would teach a model to write past its action.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from react_agent.errors import OptionError
from react_agent.formats import FORMATS, ReadStep, StepFormat, ToolCalls, chosen_format
from react_agent.trajectory import EpisodeResult

ExportFormat = Literal["completion", "chat"]


def step_format_of(result: EpisodeResult) -> StepFormat:
    """The step format the episode was played in, as its run recorded it (numbered by default)."""
    config = result.config
    if config is not None:
        for use in config.prompts.values():
            if use.format in FORMATS:
                return FORMATS[use.format]
    return FORMATS["numbered"]


def solved(result: EpisodeResult) -> bool:
    """Whether the episode solved its task: its score (the first metric) is full marks."""
    return next(iter(result.metrics.values()), 0.0) == 1.0


def one_trajectory(result: EpisodeResult) -> bool:
    """Whether a result is one episode's trajectory: not that of a run whose method samples votes
    (its config records how many), nor Reflexion's attempts, which join several episodes in one."""
    return result.attempts is None and (result.config is None or result.config.sc_samples is None)


def played_with_tools(result: EpisodeResult) -> bool:
    return result.config is not None and not chosen_format(result.config.format).transcript_is_text


def reads_back(result: EpisodeResult) -> bool:
    """Whether the episode's steps, written in its step format, read back as the same steps (tool
    calls are messages, not text to read back)."""
    if played_with_tools(result):
        return True
    step_format = step_format_of(result)
    text = _completion(step_format, result)
    # The one-step answer formats write no observation: there is none to read back. An observation
    # ends at a line break, so the line breaks that end one (the paper's `No more results.\n`) are
    # layout, not text that reads back.
    return step_format.read(text) == [
        ReadStep(
            s.thought,
            s.action.text,
            s.observation.rstrip("\n") if step_format.observed(s.index, "") else "",
            s.state,
        )
        for s in result.steps
    ]


def _completion(step_format: StepFormat, result: EpisodeResult) -> str:
    """The episode's steps as its format writes them into a transcript."""
    return "".join(
        step_format.block(s.index, s.thought, s.action, s.observation, s.state) for s in result.steps
    )


def examples(
    results: Iterable[EpisodeResult],
    style: ExportFormat = "completion",
    only_success: bool = False,
    left_out: list[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """The examples of `results`; the task ids of the episodes left out because their steps would
    not read back are added to `left_out`, when given."""
    for result in results:
        if not one_trajectory(result) or not result.steps or (only_success and not solved(result)):
            continue
        if not reads_back(result):
            if left_out is not None:
                left_out.append(result.task_id)
            continue
        step_format = step_format_of(result)
        steps = result.steps
        if played_with_tools(result):
            if style != "chat":
                raise OptionError(f"{result.task_id} was played with tool calls: export it as chat")
            chat, transcript = ToolCalls([]), ({"role": "user", "content": result.question},)
            for s in steps:
                transcript = chat.add_step(transcript, s, s.observation)
            yield {"task_id": result.task_id, "format": "tools", "messages": list(transcript)}
            continue
        if style == "completion":
            yield {
                "task_id": result.task_id,
                "format": step_format.name,
                "prompt": result.question + "\n",
                "completion": _completion(step_format, result),
            }
            continue
        messages = [{"role": "user", "content": result.question}]
        for s in steps:
            messages.append(
                {
                    "role": "assistant",
                    "content": step_format.turn(s.index, s.thought, s.action, s.state).rstrip("\n"),
                }
            )
            messages.append(
                {"role": "user", "content": step_format.observed(s.index, s.observation).rstrip("\n")}
            )
        yield {"task_id": result.task_id, "format": step_format.name, "messages": messages}


def write_examples(
    results: Iterable[EpisodeResult],
    out: str | Path,
    style: ExportFormat = "completion",
    only_success: bool = False,
) -> tuple[int, int]:
    """The examples of `results`, one JSON line each, in `out`; returns how many, and how many
    episodes were left out because their steps would not read back."""
    written, left_out = 0, []
    try:
        with open(out, "w", encoding="utf-8") as file:
            for example in examples(results, style, only_success=only_success, left_out=left_out):
                file.write(json.dumps(example, ensure_ascii=False) + "\n")
                written += 1
    except OSError as error:
        raise OptionError(f"cannot write {out}: {error.strerror}") from None
    return written, len(left_out)


def steps_of(example: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(thought, action, observation) of each step of a `completion` example, as its format reads
    them back: the inverse of the export, for checking it (and for reading exported data back)."""
    return [
        (s.thought, s.action, s.observation) for s in FORMATS[example["format"]].read(example["completion"])
    ]

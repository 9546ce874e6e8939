"""Why an episode ended as it did, by rules a reader can check: no judge model.

Every result of a run gets a `failure_category` from its task's rules (`TaskSetup.diagnose`); the
rules every task shares are here, and a task adds what only it can tell (HotpotQA: whether a
supporting page was read; ALFWorld: how far the game got). The shared rules, first match wins:

- `solved`: the task's score is 1;
- `error`: the model or the environment failed, or the prompt outgrew the context window;
- `limit`: its token or time limit ended it;
- `loop`: the loop guard stopped it, or it ran to its step limit repeating itself (its last
  `LOOP_WINDOW` actions are at most two different ones, or its last three are one, or its last
  2 x `LOOP_WINDOW` go twice round one cycle of at most `LOOP_WINDOW` actions: a game's agent
  visiting the same few places in turn, never opening one);
- `invalid actions`: nothing usable came back even when asked again, or it ran to its step limit
  with at least half of its actions invalid (what is invalid is the task's to say);
- `step limit`: it ran to its step limit;
- None otherwise: it finished, and was wrong; the task says why, if it can (`wrong answer`).

Apart from the categories, `format_failures` counts the model's replies that gave no action that
could be carried out, whatever the episode's end: what tells step formats apart (text ReAct, a
grammar, native tool calls).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from react_agent.tool_calls import unreadable_call
from react_agent.trajectory import EpisodeResult, Step, StopReason

SOLVED, ERROR, LIMIT, LOOP, INVALID, STEP_LIMIT, WRONG = (
    "solved",
    "error",
    "limit",
    "loop",
    "invalid actions",
    "step limit",
    "wrong answer",
)
LOOP_WINDOW = 6

# A task's rule: a result, and the task it played (its record: a question, a game), to a category.
Diagnose = Callable[[EpisodeResult, Any], str]


def looped(result: EpisodeResult) -> bool:
    if result.stop_reason is StopReason.repeated_action:
        return True
    if result.stop_reason is not StopReason.max_steps:
        return False
    actions = [step.action.text.strip() for step in result.steps]
    last_three, window = actions[-3:], actions[-LOOP_WINDOW:]
    return (
        (len(last_three) == 3 and len(set(last_three)) == 1)
        or (len(window) == LOOP_WINDOW and len(set(window)) <= 2)
        or cycling(actions[-2 * LOOP_WINDOW :])
    )


def cycling(actions: list[str]) -> bool:
    """Whether `actions`, 2 x `LOOP_WINDOW` of them, repeat one cycle of at most `LOOP_WINDOW`."""
    return len(actions) == 2 * LOOP_WINDOW and any(
        actions[period:] == actions[:-period] for period in range(1, LOOP_WINDOW + 1)
    )


def refused(step: Step) -> bool:
    """Whether no one could read the step's action: the environment answered it as invalid (the
    `Invalid action: ...` every environment here gives), or it was a tool call that named no tool or
    gave no JSON object (which a game would otherwise take as a command it cannot carry out)."""
    if step.observation.startswith("Invalid action"):
        return True
    return bool(step.tool_calls) and step.action == unreadable_call(step.tool_calls[0])


def format_failures(result: EpisodeResult) -> int:
    """The model's replies in `result` that gave no action to carry out: each one asked again for
    its missing action, each of the step that ended the episode for want of one, and each refused
    step's (see `refused`)."""
    asked_again = sum(len(step.model_outputs) - 1 for step in result.steps)
    unfinished = 0
    if result.stop_reason is StopReason.invalid_output:  # its step's replies are in no step
        taken = {step.index for step in result.steps}
        unfinished = sum(1 for output in result.model_outputs if output.step not in taken)
    return asked_again + unfinished + sum(map(refused, result.steps))


def shared_rules(
    result: EpisodeResult, score: str, invalid: Callable[[Step], bool] = lambda step: False
) -> str | None:
    """The rules every task shares (see the module's docstring); `score` is the task's metric and
    `invalid` tells an invalid action's step."""
    if result.metrics.get(score) == 1:
        return SOLVED
    if result.stop_reason in (StopReason.error, StopReason.context_full):
        return ERROR
    if result.stop_reason is StopReason.limit:
        return LIMIT
    if looped(result):
        return LOOP
    if result.stop_reason is StopReason.invalid_output:
        return INVALID
    if result.stop_reason is StopReason.max_steps:
        if result.steps and 2 * sum(map(invalid, result.steps)) >= len(result.steps):
            return INVALID
        return STEP_LIMIT
    return None


def by_score(score: str) -> Diagnose:
    """The rule of a task that knows nothing more of its episodes than its score (a plugin's)."""
    return lambda result, task: shared_rules(result, score) or WRONG

"""Why an ALFWorld episode ended as it did: won, progress, no progress, mostly inadmissible commands,
and the failures every task shares."""

from __future__ import annotations

from typing import Any

from react_agent.diagnosis import ERROR, INVALID, LIMIT, LOOP, SOLVED, shared_rules
from react_agent.trajectory import EpisodeResult, Step, StopReason

WON, MOSTLY_INADMISSIBLE, SOME_PROGRESS, NO_PROGRESS = "won", "mostly inadmissible", "progress", "no progress"
FAILURE_CATEGORIES = (WON, SOME_PROGRESS, NO_PROGRESS, MOSTLY_INADMISSIBLE, LOOP, INVALID, LIMIT, ERROR)


def is_thought(step: Step) -> bool:
    return step.action.text.lower().startswith("think:")


def inadmissible(step: Step) -> bool:
    """A command the engine could not carry out (a `think:` line is no command)."""
    return step.observation.strip() == "Nothing happens." and not is_thought(step)


def diagnose(result: EpisodeResult, game: Any) -> str:
    """`won`; else the shared rules' error, limit, loop and invalid output; else, for a game that ran out of
    steps: `mostly inadmissible` (at least half of its commands did nothing), `progress` (some of the
    goal's conditions held at the end) or `no progress`."""
    why = shared_rules(result, "success")
    if why == SOLVED:
        return WON
    if why in (ERROR, LIMIT, LOOP) or result.stop_reason is StopReason.invalid_output:
        return why or INVALID
    commands = [step for step in result.steps if not is_thought(step)]
    if commands and 2 * sum(map(inadmissible, commands)) >= len(commands):
        return MOSTLY_INADMISSIBLE
    return SOME_PROGRESS if result.metrics.get("progress", 0) > 0 else NO_PROGRESS

"""Why a HotpotQA episode ended as it did: the parts of the paper's Table 2 that rules can tell."""

from __future__ import annotations

from react_agent.diagnosis import (
    ERROR,
    INVALID,
    LIMIT,
    LOOP,
    SOLVED,
    STEP_LIMIT,
    WRONG,
    refused,
    shared_rules,
)
from react_agent.envs.hotpotqa.data import (
    Question,
)
from react_agent.trajectory import EpisodeResult, Step

# The paper's Table 2 sorts ReAct's failures by hand; these are the parts rules can tell.
RIGHT, REASONING, SEARCH, FROM_MEMORY = "answered right", "reasoning", "search", "from memory"
FAILURE_CATEGORIES = (RIGHT, REASONING, SEARCH, FROM_MEMORY, LOOP, INVALID, STEP_LIMIT, WRONG, LIMIT, ERROR)


def diagnose(result: EpisodeResult, question: Question) -> str:
    """`answered right`; else the shared rules (error, loop, invalid actions, step limit); else,
    for a wrong answer: `from memory` (no Search or Lookup found a page), `reasoning` (a supporting
    page was read: the question's `supporting_facts`), `search` (none was), or `wrong answer` when
    the data names no supporting page."""
    why = shared_rules(result, "em", refused)
    if why is not None:
        return RIGHT if why == SOLVED else why
    read = [step for step in result.steps if opened_a_page(step)]
    if not read:
        return FROM_MEMORY
    if not question.supporting_facts:
        return WRONG
    return REASONING if any(supports(step, question) for step in read) else SEARCH


def opened_a_page(step: Step) -> bool:
    if step.action.name not in ("search", "lookup") or step.action.argument is None:
        return False
    return not step.observation.startswith(("Could not find", "No more results", "Invalid"))


def supports(step: Step, question: Question) -> bool:
    """Whether a step showed a supporting page: a Search of its title, or any of its sentences
    (as the question's context has them) in what the step showed."""
    titles = {title for title, _ in question.supporting_facts}
    if step.action.name == "search" and step.action.argument.strip().casefold() in {
        title.casefold() for title in titles
    }:
        return True
    shown = " ".join(step.observation.split())
    return any(
        len(sentence) > 20 and " ".join(sentence.split()) in shown
        for title, sentences in question.context
        if title in titles
        for sentence in sentences
    )

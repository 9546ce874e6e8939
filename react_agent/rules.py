"""The rules an episode is played by, as one value: ours (`OURS`), or those of the ReAct paper's own
code (`PAPER`, ysymyth/ReAct: `wikienv.py`, the `webthink` loop of `hotpotqa.ipynb`, `alfworld_run`
of `alfworld.ipynb`).

`AgentSettings.rules` makes it, the one place that reads `paper`; the step format, the environment
and the wiki browser are handed it and read the rule they apply, each by its field. Nothing asks
which set it holds. An agent and an environment made with different rules refuse to play together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rules:
    """One field per rule; each says what the paper's code does for it."""

    name: str
    """How a message names the set ("our rules", "the paper's rules")."""

    label: str | None
    """What a leaderboard's label says of a run played by them; None: nothing (the default)."""

    max_tokens: int
    """A model call's token budget (webthink: `llm(prompt, stop)`, whose request asks for 100)."""

    loop_guard: int
    """Repeats of an action and its observation that end an episode, unless the settings say (the
    paper's loops have no guard: `for i in range(1, 8)` plays on)."""

    guards: bool
    """Whether a guard of ours may be asked for: an answer at the step limit, a loop guard (webthink
    ends at `range(1, 8)` with no answer asked)."""

    top_p: float | None
    """The nucleus of sampled requests; None leaves the model its own (the notebooks' `llm` sends
    `top_p=1`)."""

    reask_tokens: int | None
    """The budget of a re-asked action; None: a step's (webthink's second `llm` call, 100 tokens)."""

    strict_actions: bool
    """An action is the answer's whole text, read as `name[argument]` exactly once its first letter
    is lowered (webthink: `action[0].lower() + action[1:]`; wikienv.py `step`: `startswith("search[")`
    and `endswith("]")`), not the tolerant reading of its first line."""

    one_action_label: bool
    """A ReAct answer is split at exactly one `\\nAction i: `, its thought kept as written (webthink:
    `thought, action = thought_action.strip().split(f"\\nAction {i}: ")`); otherwise re-asked."""

    read_to_stop: bool
    """Decoding reads to the stop sequence, never cut once an action is whole (webthink:
    `llm(prompt + f"Thought {i}:", stop=[f"\\nObservation {i}:"])`)."""

    observations_as_given: bool
    """Observations go into the prompt as the environment wrote them, line breaks and all (webthink:
    `obs.replace('\\\\n', '')` only; alfworld_run: `observation` as the engine gave it)."""

    page_split_at_periods: bool
    """A page's sentences are its text split at '. ', each given back its '.' (wikienv.py
    `get_page_obs`: `page.split(". ")`), not the index's own sentence list."""

    lookup_end: str
    """What Lookup past the last match says (wikienv.py `lookup`: `"No more results.\\n"`)."""

    invalid_action_as_handed: bool
    """`Invalid action:` names the action as the loop handed it over, first letter lowered
    (wikienv.py `step`: `obs = f"Invalid action: {action}"`)."""

    commands_as_written: bool
    """ALFWorld: the stripped completion is the command, an empty one too; only a lowercase
    `think:` is answered `OK.`; observations keep the engine's surrounding spaces (alfworld_run:
    `action = llm(...).strip()`, `if action.startswith('think:')`)."""

    game_steps: int
    """A text game's step limit, ALFWorld's (alfworld_run: `for i in range(1, 50)`, 49 calls)."""

    own_formats_only: bool
    """Only the paper's step formats can be played: no native tool calls, no state lines (its
    loops write text in the prompts' own layouts)."""


OURS = Rules(
    name="our rules",
    label=None,
    max_tokens=128,
    loop_guard=3,
    guards=True,
    top_p=None,
    reask_tokens=48,
    strict_actions=False,
    one_action_label=False,
    read_to_stop=False,
    observations_as_given=False,
    page_split_at_periods=False,
    lookup_end="No more results.",
    invalid_action_as_handed=False,
    commands_as_written=False,
    game_steps=50,
    own_formats_only=False,
)

PAPER = Rules(
    name="the paper's rules",
    label="the paper's requests and parsing (--paper)",
    max_tokens=100,
    loop_guard=0,
    guards=False,
    top_p=1.0,
    reask_tokens=None,
    strict_actions=True,
    one_action_label=True,
    read_to_stop=True,
    observations_as_given=True,
    page_split_at_periods=True,
    lookup_end="No more results.\n",
    invalid_action_as_handed=True,
    commands_as_written=True,
    game_steps=49,
    own_formats_only=True,
)


def rules_of(record: Any) -> Rules:
    """The rules that settings (`AgentSettings`), or a run's record of them (`RunConfig`), say by
    their `paper` field: the one place that turns it into rules."""
    return PAPER if record.paper else OURS


def mismatch(agent: Rules, environment: Rules) -> str | None:
    """Why an agent playing by `agent` cannot play in an environment made with `environment`;
    None when they are the same rules."""
    if agent == environment:
        return None
    return (
        f"the agent plays by {agent.name} and its environment by {environment.name}: make both with "
        "the same (`paper=True` to the agent, `rules=PAPER` to an environment that has the paper's)"
    )

"""ALFWorld household games on the real alfworld / TextWorld engine, set up as in the ReAct paper:
the games (`games`), how far one got (`pddl`), why episodes fail (`diagnosis`), the environment
(`environment`), new games (`generator`), and the task that `react run --task alfworld` plays (here).


- Games come from a folder in the official layout (`json_2.1.1/<split>/<task>/<trial>/`, each trial
  holding `game.tw-pddl` and `traj_data.json`), by default `$ALFWORLD_DATA`.
- The first observation loses TextWorld's welcome banner; "You arrive at loc N. " is cut from
  observations (the ReAct-era wording); `think: ...` is answered `OK.` without an engine step; the
  episode is won when the engine says `won`. Both wordings (`put X in/on Y`, `move X to Y`) work:
  each game file carries its own grammar.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from pydantic import Field

from react_agent.datafiles import FileDigest
from react_agent.envs.alfworld.diagnosis import (
    FAILURE_CATEGORIES,
    MOSTLY_INADMISSIBLE,
    NO_PROGRESS,
    SOME_PROGRESS,
    WON,
    diagnose,
    inadmissible,
    is_thought,
)
from react_agent.envs.alfworld.environment import AlfWorldEnv, strip_arrival, strip_banner
from react_agent.envs.alfworld.games import (
    BUILTIN_PACK,
    EVAL_SPLIT,
    ROLES,
    TASK_TYPES,
    WORDINGS,
    AlfWorldGame,
    builtin_games_folder,
    find_games,
    game_logic,
    unpack,
    user_alfworld_data,
)
from react_agent.envs.alfworld.pddl import goal_parts, progress
from react_agent.errors import OptionError
from react_agent.rules import OURS, PAPER, Rules
from react_agent.tasks import PromptFileOptions, Task, TaskSetup
from react_agent.trajectory import Scoring


class AlfWorldOptions(PromptFileOptions):
    """What `react run --task alfworld` takes: `data`, a folder of games in the official layout
    (default: `$ALFWORLD_DATA`'s unseen split, else the built-in set), and the prompt file."""

    state: bool = False  # our examples in state lines (given with AgentSettings.format "state")
    force: bool = Field(
        False, description="play a prompt file's examples on games of the other wording all the same"
    )


def wording_of(examples: str) -> str | None:
    """The wording a prompt's examples use (react: put X in/on Y; current: move X to Y), if they
    put anything anywhere."""
    if re.search(r"^(> |Action: )put .+ in/on ", examples, re.M):
        return "react"
    if re.search(r"^(> |Action: )move .+ to ", examples, re.M):
        return "current"
    return None


def _check_wording(env: AlfWorldEnv, games: list[AlfWorldGame], prompt_file: str) -> None:
    """Refuse a prompt file whose examples are in the other wording than the games: a model shown
    `put X in/on Y` on a game that takes `move X to Y` writes commands the game does not take."""
    for game in {(g.task_type, g.wording): g for g in games}.values():
        examples = wording_of(env.prompt(game).examples)
        if examples is not None and examples != game.wording:
            raise OptionError(
                f"the examples of {prompt_file} are in the {examples} wording ({WORDED[examples]}), "
                f"game {game.id} in the {game.wording} one ({WORDED[game.wording]}): "
                "give `force` to play them all the same"
            )


WORDED = {"react": "put X in/on Y", "current": "move X to Y"}


def identities(game: AlfWorldGame) -> list[str]:
    """A game is itself by its initial state and goal (its PDDL problem from `(:init`, spaces
    aside), whatever its folder is called: a generated game that happens to equal one of the
    test games is that test game."""
    problem = json.loads(game.game_file.read_text(encoding="utf-8"))["pddl_problem"]
    state_and_goal = " ".join(problem[problem.lower().index("(:init") :].lower().split())
    return [f"game:{hashlib.sha256(state_and_goal.encode()).hexdigest()[:16]}"]


def setup(options: AlfWorldOptions, roles: tuple[str, ...], rules: Rules = OURS) -> TaskSetup:
    """ALFWorld as `react run --task alfworld` plays it: the games below `options.data`, else
    `$ALFWORLD_DATA`'s unseen split, else the built-in set."""
    options.check_prompt_key()
    user_data = user_alfworld_data()

    def make_env(role: str) -> AlfWorldEnv:
        file, key = options.prompt_file, options.prompt_key
        return AlfWorldEnv(role=role, prompt_file=file, prompt_key=key, rules=rules, state=options.state)

    if options.state and set(roles) - {"react"}:
        raise OptionError(
            "state lines come before a ReAct step's action: `format` state plays the react prompt "
            "(methods react, react-sc, reflexion)"
        )

    for role in roles:
        make_env(role)  # first: it says clearly when alfworld is missing, or the prompt file is wrong
    if options.data is not None:
        folder = Path(options.data)
    elif user_data:
        folder = Path(user_data) / "json_2.1.1" / EVAL_SPLIT
    else:
        folder = builtin_games_folder()
    games = find_games(folder)
    if options.prompt_file is not None and not options.force:
        for role in roles:
            _check_wording(make_env(role), games, options.prompt_file)
    builtin = options.data is None and not user_data
    return TaskSetup(
        games,
        make_env=make_env,
        test_tasks=len(games) if builtin else 0,  # the built-in games are our published test set
        identify=identities,
        prompt_key=lambda game, role: f"{options.prompt_key or role}_{TASK_TYPES[game.task_type]}",
        scoring=Scoring(
            score="success",
            success="success",  # the game itself says it is won
            by_category=True,
            category="task type",
            failures=list(FAILURE_CATEGORIES),
        ),
        diagnose=diagnose,
        max_steps=rules.game_steps,
        data=Path(options.data or user_data).name if options.data or user_data else "built-in",
        data_files=[FileDigest.of_folder(folder, [game.game_file for game in games])],
    )


# A game is won, not answered.
TASK = Task("alfworld", AlfWorldOptions, setup, roles=ROLES, answers=False, rules=(OURS, PAPER))

__all__ = [
    "AlfWorldEnv",
    "AlfWorldGame",
    "AlfWorldOptions",
    "BUILTIN_PACK",
    "EVAL_SPLIT",
    "FAILURE_CATEGORIES",
    "MOSTLY_INADMISSIBLE",
    "NO_PROGRESS",
    "ROLES",
    "SOME_PROGRESS",
    "TASK",
    "TASK_TYPES",
    "WON",
    "WORDED",
    "WORDINGS",
    "builtin_games_folder",
    "diagnose",
    "find_games",
    "game_logic",
    "goal_parts",
    "identities",
    "inadmissible",
    "is_thought",
    "progress",
    "setup",
    "strip_arrival",
    "strip_banner",
    "unpack",
    "wording_of",
]

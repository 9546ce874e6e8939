"""`AlfWorldEnv`: a game on the real alfworld / TextWorld engine, played as the ReAct paper plays it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from react_agent.datafiles import DataFileError
from react_agent.environment import Environment, Observation, Outcome
from react_agent.envs.alfworld.games import (
    ROLES,
    TASK_TYPES,
    AlfWorldGame,
    argv_kept,
)
from react_agent.envs.alfworld.pddl import goal_parts, progress
from react_agent.grammar import ActionSpace
from react_agent.prompts import Prompt, builtin_prompt, prompt_from, read_prompt_file
from react_agent.provenance import package_versions
from react_agent.rules import OURS, Rules
from react_agent.trajectory import Action


def strip_banner(feedback: str) -> str:
    """The first observation without TextWorld's "-= Welcome to TextWorld, ALFRED! =-" line."""
    return "\n".join(feedback.split("\n\n")[1:]) if feedback.lstrip().startswith("-=") else feedback


def strip_arrival(feedback: str) -> str:
    """ "You arrive at loc 12. On the desk 1, ..." -> "On the desk 1, ..." (the ReAct-era wording)."""
    if feedback.startswith("You arrive at loc "):
        return feedback[feedback.find(". ") + 2 :]
    return feedback


class AlfWorldEnv(Environment):
    """One ALFWorld game at a time on the real engine.

    `role` is `react` (commands and `think:` lines) or `act` (commands only: the paper's Act),
    each with our two examples of the game's type, in the game's wording. `prompt_file` swaps the
    examples for a file's: as in the paper, `<key>_<type>_1` then `<key>_<type>_0`
    (`react_cool_1`...), where `<key>` is `prompt_key`, by default the role; the paper's
    `alfworld_3prompts.json` has both. An entry `<key>_<type>` of our own layout (instruction,
    examples, task header: `paper_prompts.json`'s `react_put`...) is the whole prompt.

    With `state=True` (`--format state`), our examples of the `react` role written in state lines
    (`state/<wording>/<type>`: see react_agent.formats.StateLines).

    `rules` (`react_agent.rules`; the paper's: its `alfworld_run`'s) say whether the command is sent
    as the model wrote it (stripped: an empty one, or one after a `>`, too), only a lowercase
    `think:` is answered `OK.`, and observations keep what the engine wrote around them.
    """

    def __init__(
        self,
        *,
        role: str = "react",
        prompt_file: str | Path | None = None,
        prompt_key: str | None = None,
        rules: Rules = OURS,
        state: bool = False,
    ):
        if role not in ROLES:
            raise ValueError(f"ALFWorld has no role {role!r} (it has: {', '.join(ROLES)})")
        try:
            import textworld  # noqa: F401
            from alfworld.agents.environment.alfred_tw_env import AlfredDemangler, AlfredInfos  # noqa: F401
        except ImportError:
            raise DataFileError(
                "ALFWorld needs the alfworld package: pip install 'react-agent[alfworld]'"
            ) from None
        self.role = role
        self.rules = rules
        self.state = state
        self._prompt_file = prompt_file
        self._prompt_key = prompt_key or role
        self._prompts = read_prompt_file(prompt_file) if prompt_file is not None else None
        self._engine: Any = None
        self.game: AlfWorldGame | None = None
        self.won = False
        self.admissible_commands: list[str] = []
        self._goal: list[Any] = []
        self._facts: Any = []

    def prompt(self, game: AlfWorldGame) -> Prompt:
        ours = builtin_prompt(
            "alfworld", f"{'state' if self.state else self.role}/{game.wording}/{game.task_type}"
        )
        if self._prompts is None:
            return ours
        source = str(self._prompt_file)
        whole = f"{self._prompt_key}_{TASK_TYPES[game.task_type]}"
        if isinstance(self._prompts.get(whole), dict):  # our layout: instruction, examples, header
            return prompt_from(self._prompts, whole, source, ours)
        keys = [f"{whole}_{n}" for n in (1, 0)]
        examples = [prompt_from(self._prompts, key, source, ours).examples for key in keys]
        return replace(ours, examples="".join(examples), source=f"{Path(source).name}:{'+'.join(keys)}")

    def reset(self, game: AlfWorldGame) -> str:
        import textworld
        from alfworld.agents.environment.alfred_tw_env import AlfredDemangler, AlfredInfos

        self.close()
        infos = textworld.EnvInfos(won=True, admissible_commands=True, facts=True, extras=["gamefile"])
        with argv_kept():
            self._engine = textworld.start(
                str(game.game_file), request_infos=infos, wrappers=[AlfredDemangler(), AlfredInfos]
            )
            state = self._engine.reset()
        self.game, self.won = game, False
        self.admissible_commands = list(state["admissible_commands"])
        self._goal = goal_parts(json.loads(game.game_file.read_text())["pddl_problem"])
        self._facts = state["facts"]
        first = strip_banner(state["feedback"])
        return first if self.rules.commands_as_written else first.strip()

    def action_space(self) -> ActionSpace:
        """This step's admissible commands (the engine's list, which changes as the game goes), and
        `think:` lines where the method thinks (ReAct, not Act): what `--grammar` allows."""
        return ActionSpace(commands=tuple(self.admissible_commands), think=self.role != "act")

    def step(self, action: Action) -> Observation:
        command = action.text.strip()
        # The paper answers only a lowercase `think:` so (after stepping the engine with it, which
        # changes nothing: a thought is no command it knows); its other spellings go to the engine.
        if (command if self.rules.commands_as_written else command.lower()).startswith("think:"):
            return Observation("OK.")
        if self._engine is None:
            raise RuntimeError("step() before reset()")
        with argv_kept():
            state, reward, done = self._engine.step(command)
        self.won = bool(state["won"])
        self.admissible_commands = list(state["admissible_commands"])
        self._facts = state["facts"]
        feedback = strip_arrival(state["feedback"])
        shown = feedback if self.rules.commands_as_written else feedback.strip()
        return Observation(shown, done=self.won or done)

    def outcome(self) -> Outcome:
        """Success (the engine's `won`) and progress: the share of the goal's conditions met at the
        end (AgentBoard's progress rate; see `progress`), so a model that never wins shows how far
        it got."""
        done = 1.0 if self.won else progress(self._goal, self._facts) if self._goal else 0.0
        return Outcome(
            metrics={"success": float(self.won), "progress": round(done, 4)},
            category=self.game.task_type if self.game else None,
        )

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def describe(self) -> dict[str, Any]:
        return {"packages": package_versions(["alfworld", "textworld"])}

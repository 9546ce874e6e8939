"""ALFWorld household games on the real alfworld / TextWorld engine, set up as in the ReAct paper.

- Games come from a folder in the official layout (`json_2.1.1/<split>/<task>/<trial>/`, each trial
  holding `game.tw-pddl` and `traj_data.json`), by default `$ALFWORLD_DATA`.
- The first observation loses TextWorld's welcome banner; "You arrive at loc N. " is cut from
  observations (the ReAct-era wording); `think: ...` is answered `OK.` without an engine step; the
  episode is won when the engine says `won`. Both wordings (`put X in/on Y`, `move X to Y`) work:
  each game file carries its own grammar.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import replace
from importlib.resources import files
from itertools import zip_longest
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from react_agent.datafiles import DataFileError, FileDigest, default_cache_dir
from react_agent.diagnosis import ERROR, INVALID, LIMIT, LOOP, SOLVED, shared_rules
from react_agent.environment import Environment, Observation, Outcome
from react_agent.grammar import ActionSpace
from react_agent.options import OptionError
from react_agent.prompts import Prompt, builtin_prompt, prompt_from, read_prompt_file
from react_agent.provenance import package_versions
from react_agent.rules import OURS, PAPER, Rules
from react_agent.tasks import PromptFileOptions, Task, TaskSetup
from react_agent.trajectory import Action, EpisodeResult, Scoring, Step, StopReason

log = logging.getLogger("react_agent")

WORDINGS = ("react", "current")  # put X in/on Y (the paper's time), move X to Y (alfworld 0.4)
EVAL_SPLIT = "valid_unseen"  # the paper's 134 games: eval_out_of_distribution
# Importing alfworld writes a default $ALFWORLD_DATA of its own into the environment; what the
# user set is the value from before that.
_ALFWORLD_DATA_BEFORE_IMPORT = os.environ.get("ALFWORLD_DATA")
ROLES = ("react", "act")  # the paper's ALFWorld rows: ReAct, and Act (the same without think:)

# ALFRED's task types, and the short names of the paper's prompt keys (react_<short>_<n>).
TASK_TYPES = {
    "pick_and_place_simple": "put",
    "pick_clean_then_place_in_recep": "clean",
    "pick_heat_then_place_in_recep": "heat",
    "pick_cool_then_place_in_recep": "cool",
    "look_at_obj_in_light": "examine",
    "pick_two_obj_and_place": "puttwo",
}


class AlfWorldGame(BaseModel):
    """One game: `<task folder>/<trial>` as id, its task type, its wording, and the game file."""

    id: str
    task_type: str
    game_file: Path
    wording: str = "react"  # "react": put X in/on Y; "current": move X to Y


def find_games(root: str | Path, warn: Callable[[str], None] | None = None) -> list[AlfWorldGame]:
    """Every playable game below `root`, in a stable order: the six task types in turn.

    Like alfworld's own loader: a trial folder needs `traj_data.json` and a `game.tw-pddl` marked
    solvable; sliced and movable-receptacle tasks (not part of ALFWorld's six types) are skipped.
    A game whose files cannot be read is named (`warn`, by default a logged warning) and left out;
    when no game is left, the error names the first that could not be read.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataFileError(f"no such games folder: {root}")
    games, broken = [], []
    for traj_path in sorted(root.rglob("traj_data.json")):
        folder = traj_path.parent
        game_file = folder / "game.tw-pddl"
        if "movable" in str(folder) or "Sliced" in str(folder) or not game_file.exists():
            continue
        try:
            game = _game(folder, traj_path, game_file)
        except DataFileError as error:
            broken.append(str(error))
            continue
        if game is not None:
            games.append(game)
    if not games:
        where = f"no ALFWorld games (json_2.1.1/<split>/<task>/<trial>/game.tw-pddl) below {root}"
        raise DataFileError(f"{broken[0]}; {where} can be played" if broken else where)
    for problem in broken:
        (warn or log.warning)(f"skipped a game: {problem}")
    # The task types in turn, so that the first N games (`--n N`) are a balanced sample.
    by_type = [[g for g in games if g.task_type == t] for t in TASK_TYPES]
    return [g for group in zip_longest(*by_type) for g in group if g is not None]


def _game(folder: Path, traj_path: Path, game_file: Path) -> AlfWorldGame | None:
    traj = _read_json(traj_path)
    header = _read_json(game_file)
    missing = {"pddl_domain", "grammar", "pddl_problem"} - set(header)
    if missing:
        raise DataFileError(f"{game_file}: not an ALFWorld game file (no {', '.join(sorted(missing))})")
    task_type = traj.get("task_type")
    if task_type not in TASK_TYPES or not header.get("solvable"):
        return None
    wording = "current" if 'template :: "move {o} to {r}"' in header["grammar"] else "react"
    game_id = f"{folder.parent.name}/{folder.name}"
    return AlfWorldGame(id=game_id, task_type=task_type, game_file=game_file, wording=wording)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataFileError(f"corrupt game file {path}: {error}") from None
    if not isinstance(data, dict):
        raise DataFileError(f"corrupt game file {path}: expected a JSON object")
    return data


@contextmanager
def _argv_kept():
    # The engine's PDDL translator overwrites sys.argv on every load; a CLI parsing it later would
    # break. And its parsers (tatsu) are not thread-safe: games played at once in worker threads
    # (`--workers`) failed with "pop from empty list", so one engine call runs at a time.
    with _ENGINE:
        saved = list(sys.argv)
        try:
            yield
        finally:
            sys.argv[:] = saved


_ENGINE = threading.Lock()


# ---------------------------------------------------------------- progress rate

# Predicates that never change in a game: they say which objects may fill a goal, and are not
# steps towards it. Every other predicate of a goal is a condition the agent has to bring about.
_STATIC = {
    "objecttype",
    "receptacletype",
    "cleanable",
    "heatable",
    "coolable",
    "toggleable",
    "sliceable",
    "pickupable",
    "openable",
    "receptacleatlocation",
    "cancontain",
    "isreceptacleobject",
}


def _sexp(text: str) -> list[Any]:
    """The first whole s-expression of `text`, as nested lists of lower-case tokens."""
    tokens = text.replace("(", " ( ").replace(")", " ) ").split()
    stack: list[list[Any]] = [[]]
    for token in tokens:
        if token == "(":
            stack.append([])
        elif token == ")":
            done = stack.pop()
            stack[-1].append(done)
            if len(stack) == 1:
                break
        else:
            stack[-1].append(token.lower())
    return stack[0][0]


def goal_parts(problem: str) -> list[tuple[dict[str, str], list[tuple[bool, str, tuple[str, ...]]]]]:
    """The goal of a game's PDDL problem as independent parts, each its variables (name: type) and
    its literals (negated, predicate, arguments), nested `exists` and `and` flattened."""
    start = problem.lower().index("(:goal")
    goal = _sexp(problem[start:])[1]

    def flatten(node: Any, variables: dict[str, str], literals: list[Any]) -> None:
        head = node[0]
        if head == "and":
            for child in node[1:]:
                flatten(child, variables, literals)
        elif head == "exists":  # (exists (?a ?b - object ?r - receptacle) body)
            names: list[str] = []
            tokens = iter(node[1])
            for token in tokens:
                if token == "-":
                    kind = next(tokens)
                    variables.update(dict.fromkeys(names, kind))
                    names = []
                else:
                    names.append(token)
            flatten(node[2], variables, literals)
        elif head == "not":
            predicate, *args = node[1]
            literals.append((True, predicate, tuple(args)))
        else:
            literals.append((False, head, tuple(node[1:])))

    children = goal[1:] if goal[0] == "and" else [goal]
    parts = []
    for child in children:
        variables: dict[str, str] = {}
        literals: list[Any] = []
        flatten(child, variables, literals)
        parts.append((variables, literals))
    return parts


# ---------------------------------------------------------------- why episodes fail

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


def progress(parts: list[Any], facts: Any) -> float:
    """The share of the goal's changing conditions that hold (AgentBoard's progress rate), for the
    binding of its variables to the game's objects that satisfies the most of them."""
    true = {(f.name.strip().lower(), tuple(a.name.strip().lower() for a in f.arguments)) for f in facts}
    domains: dict[str, set[str]] = {}
    for fact in facts:
        for argument in fact.arguments:
            domains.setdefault(argument.type, set()).add(argument.name.strip().lower())
    met = total = 0
    for variables, literals in parts:
        conditions = [lit for lit in literals if lit[1] not in _STATIC and lit[1] != "="]
        total += len(conditions)
        met += _best(variables, literals, conditions, true, domains)
    return met / total if total else 0.0


def _best(
    variables: dict[str, str],
    literals: list[Any],
    conditions: list[Any],
    true: set[Any],
    domains: dict[str, set[str]],
) -> int:
    order = list(variables)
    constraints = [lit for lit in literals if lit not in conditions]
    best = 0

    def holds(literal: Any, binding: dict[str, str]) -> bool:
        negated, predicate, args = literal
        values = tuple(binding.get(a, a) for a in args)
        found = values[0] == values[1] if predicate == "=" else (predicate, values) in true
        return found != negated

    def search(i: int, binding: dict[str, str]) -> None:
        nonlocal best
        if best == len(conditions):
            return
        if i == len(order):
            best = max(best, sum(holds(c, binding) for c in conditions))
            return
        name = order[i]
        for value in sorted(domains.get(variables[name], ())):
            binding[name] = value
            bound = set(order[: i + 1])
            if all(
                holds(c, binding)
                for c in constraints
                if all(a in bound or not a.startswith("?") for a in c[2])
            ):
                search(i + 1, binding)
        binding.pop(name, None)

    search(0, {})
    return best


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
        with _argv_kept():
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
        with _argv_kept():
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


# ---------------------------------------------------------------- two wordings, and the built-in set


def game_logic(wording: str) -> tuple[str, str]:
    """The PDDL domain and the text grammar of a wording.

    `current` is what alfworld 0.4.x ships (`move X to Y`, "You arrive at desk 1."). `react` is the
    wording of the ReAct paper's time (`put X in/on Y`, "You arrive at loc 12."), which differs
    from it in four grammar lines and the later `help` command.
    """
    if wording not in WORDINGS:
        raise ValueError(f"unknown wording {wording!r}: use one of {', '.join(WORDINGS)}")
    data = files("alfworld").joinpath("data")
    domain = data.joinpath("alfred.pddl").read_text()
    grammar = data.joinpath("alfred.twl2").read_text()
    if wording == "current":
        return domain, grammar
    edits = [
        (
            '"rhs": "You arrive at {r.name}. #examineReceptacle.feedback#"',
            '"rhs": "You arrive at {lend.name}. #examineReceptacle.feedback#"',
            1,
        ),
        (
            '"rhs": "You move the {o.name} to the {r.name}."',
            '"rhs": "You put the {o.name} in/on the {r.name}."',
            1,
        ),
        ('template :: "move {o} to {r}";', 'template :: "put {o} in/on {r}";', 2),
    ]
    for old, new, count in edits:
        if grammar.count(old) != count:
            raise RuntimeError(f"alfworld's grammar changed: cannot derive the ReAct-era wording ({old!r})")
        grammar = grammar.replace(old, new)
    grammar = _cut(grammar, "\naction help {", "\n}\n")
    domain = _cut(domain, "\n(:action help", "\n)\n")
    return domain, grammar


def _cut(text: str, start: str, end: str) -> str:
    begin = text.index(start)
    return text[:begin] + text[text.index(end, begin) + len(end) :]


BUILTIN_PACK = "alfworld_builtin.jsonl.gz"


def unpack(pack_file: Path, folder: Path) -> Path:
    """Write the games of a pack in the official layout below `folder`; returns the split folder."""
    split = folder / "json_2.1.1" / EVAL_SPLIT
    with gzip.open(pack_file, "rt", encoding="utf-8") as records:
        for line in records:
            record = json.loads(line)
            domain, grammar = game_logic(record["wording"])
            trial = split / record["id"]
            trial.mkdir(parents=True, exist_ok=True)
            (trial / "traj_data.json").write_text(json.dumps(record["traj_data"], indent=1))
            game = {
                "pddl_domain": domain,
                "grammar": grammar.replace("UNKNOWN GOAL", record["task"]),
                "pddl_problem": record["pddl_problem"],
                "solvable": True,
            }
            (trial / "game.tw-pddl").write_text(json.dumps(game))
    return split


def builtin_games_folder(cache_dir: Path | None = None) -> Path:
    """The built-in set (60 generated games, seed 2022, ReAct-era wording; see
    `react_agent.envs.alfworld_games`), unpacked once into the cache. Each was won through this
    adapter, by the generator's plan for it, before it was written."""
    pack_file = Path(str(files("react_agent.envs").joinpath("data", BUILTIN_PACK)))
    digest = hashlib.sha256(pack_file.read_bytes()).hexdigest()[:16]
    folder = Path(cache_dir or default_cache_dir()) / f"alfworld-builtin-{digest}"
    split = folder / "json_2.1.1" / EVAL_SPLIT
    if not split.exists():
        partial = folder.with_name(folder.name + f".{os.getpid()}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        unpack(pack_file, partial)
        try:
            partial.replace(folder)
        except OSError:
            if not split.exists():
                raise
            shutil.rmtree(partial, ignore_errors=True)  # another process unpacked it first: the same files
    return split


# ---------------------------------------------------------------- the task, for react run / bench


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


def _user_alfworld_data() -> str | None:
    if "alfworld.info" in sys.modules:  # the environment now holds alfworld's default, or the user's
        return _ALFWORLD_DATA_BEFORE_IMPORT
    return os.environ.get("ALFWORLD_DATA")


def setup(options: AlfWorldOptions, roles: tuple[str, ...], rules: Rules = OURS) -> TaskSetup:
    """ALFWorld as `react run --task alfworld` plays it: the games below `options.data`, else
    `$ALFWORLD_DATA`'s unseen split, else the built-in set."""
    options.check_prompt_key()
    user_data = _user_alfworld_data()

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

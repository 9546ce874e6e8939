"""ALFWorld's games: where they are found (the official layout), the two wordings of their
commands, and the built-in set packed with the package."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import shutil
import sys
import threading
from collections.abc import Callable
from contextlib import contextmanager
from importlib.resources import files
from itertools import zip_longest
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from react_agent.datafiles import DataFileError, default_cache_dir

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
def argv_kept():
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
    `react_agent.envs.alfworld.generator`), unpacked once into the cache. Each was won through this
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


def user_alfworld_data() -> str | None:
    """The games folder the user set in $ALFWORLD_DATA, if any (not alfworld's own default)."""
    if "alfworld.info" in sys.modules:  # the environment now holds alfworld's default, or the user's
        return _ALFWORLD_DATA_BEFORE_IMPORT
    return os.environ.get("ALFWORLD_DATA")

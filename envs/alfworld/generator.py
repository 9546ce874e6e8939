"""New ALFWorld games for the real engine, checked solvable before they are written.

The official 134 evaluation games must be downloaded; these can be made offline from what the
`alfworld` package ships: THOR's scene layouts (receptacle ids and poses, reachable floor points,
the object types of each scene), ALFRED's object-to-receptacle relations and object properties
(`gen/constants.py`), the goal PDDL and task templates (`gen/goal_library.py`), and the PDDL domain
and text grammar. A game is the same JSON file that ALFWorld's own games are
(`{pddl_domain, grammar, pddl_problem, solvable}`) beside a `traj_data.json`, in the official
folder layout `json_2.1.1/<split>/<task_type>-<Object>-None-<Parent>-<scene>/trial_T<stamp>/`.

Each game is solved before it is written: a plan made from what the generator placed where is
played through our adapter until the engine says `won` (the engine's own PDDL planner agrees, in
the tests; it is too slow on some pick-two games to run for every game). The same seed gives the
same games.
"""

from __future__ import annotations

import gzip
import json
import logging
import random
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from react_agent.envs.alfworld.environment import AlfWorldEnv
from react_agent.envs.alfworld.games import (
    EVAL_SPLIT,
    TASK_TYPES,
    WORDINGS,
    AlfWorldGame,
    argv_kept,
    find_games,
    game_logic,
)
from react_agent.errors import OptionError
from react_agent.trajectory import Action

GRID = 0.25  # THOR's floor grid, in metres: locations are named in grid units


log = logging.getLogger(__name__)


class GenerationError(RuntimeError):
    """No solvable game could be made for a request."""


# ---------------------------------------------------------------- scenes


@dataclass
class Receptacle:
    id: str  # THOR style: "Cabinet|+01.66|+02.05|+00.67"
    type: str
    location: str  # "loc|4|1|1|30": grid x, grid z, rotation / 90, camera horizon


@dataclass
class Scene:
    number: int
    room: str
    object_types: set[str]
    receptacles: list[Receptacle]
    floor: list[tuple[float, float]]


def _constants() -> Any:
    from alfworld.gen import constants

    return constants


def room_of(scene: int) -> str:
    return next(room for room, numbers in _constants().SCENE_TYPE.items() if scene in numbers)


def scene_numbers() -> list[int]:
    layouts = files("alfworld").joinpath("gen", "layouts")
    return sorted(
        int(p.name[len("FloorPlan") : -len("-objects.json")])
        for p in layouts.iterdir()
        if p.name.endswith("-objects.json")
    )


def _location(x: float, z: float, rotation: int, horizon: int) -> str:
    return f"loc|{round(x / GRID)}|{round(z / GRID)}|{rotation}|{horizon}"


def _thor_id(kind: str, x: float, y: float, z: float) -> str:
    return f"{kind}|{x:+06.2f}|{y:+06.2f}|{z:+06.2f}"


def load_scene(number: int) -> Scene:
    import numpy as np

    layouts = files("alfworld").joinpath("gen", "layouts")
    object_types = set(json.loads(layouts.joinpath(f"FloorPlan{number}-objects.json").read_text()))
    poses = json.loads(layouts.joinpath(f"FloorPlan{number}-openable.json").read_text())
    with layouts.joinpath(f"FloorPlan{number}-layout.npy").open("rb") as file:
        floor = [(float(x), float(z)) for x, z in np.load(file)]
    receptacles = []
    for thor_id, (x, z, rotation, horizon) in sorted(poses.items()):
        parts = thor_id.split("|")  # "Sink|x|y|z|SinkBasin": the basin of a sink is the receptacle
        kind = parts[4] if len(parts) == 5 else parts[0]
        receptacles.append(Receptacle(thor_id, kind, _location(x, z, int(rotation) // 90 % 4, int(horizon))))
    return Scene(number, room_of(number), object_types, receptacles, floor)


# How many of a receptacle type a room has when the layout lists none (THOR's scenes).
_USUAL_COUNT = {
    "StoveBurner": (4, 4),
    "Cabinet": (3, 8),
    "Drawer": (2, 6),
    "Shelf": (1, 3),
    "SideTable": (1, 2),
    "CounterTop": (1, 2),
    "Dresser": (1, 1),
    "Desk": (1, 1),
}
# Receptacles a task needs, which every room of its kind has in ALFRED.
_NEEDED = {
    "pick_heat_then_place_in_recep": ["Microwave"],
    "pick_cool_then_place_in_recep": ["Fridge"],
    "pick_clean_then_place_in_recep": ["SinkBasin"],
}
LAMP_HOLDERS = ("Desk", "SideTable", "Dresser", "Shelf")  # where ALFRED's desk lamps stand


def furnish(scene: Scene, task_type: str, rng: random.Random) -> list[Receptacle]:
    """The scene's receptacles: the layout's, plus THOR-style ones for the receptacle types its
    object list names but its layout does not place, and any the task needs."""
    constants = _constants()
    receptacles = list(scene.receptacles)
    present = {r.type for r in receptacles}
    wanted = {
        t for t in constants.STATIC_RECEPTACLES if t in scene.object_types and t not in ("Sink", "Bathtub")
    }
    if "Sink" in scene.object_types:
        wanted.add("SinkBasin")
    if "Bathtub" in scene.object_types:
        wanted.add("BathtubBasin")
    wanted.update(_NEEDED.get(task_type, []))
    if task_type == "look_at_obj_in_light" and not present & set(LAMP_HOLDERS):
        wanted.add(rng.choice(LAMP_HOLDERS[:2]))
    for kind in sorted(wanted - present):
        low, high = _USUAL_COUNT.get(kind, (1, 1))
        for _ in range(rng.randint(low, high)):
            x, z = rng.choice(scene.floor)
            rx, ry, rz = x + rng.uniform(-0.6, 0.6), rng.uniform(0.0, 1.8), z + rng.uniform(-0.6, 0.6)
            if kind.endswith("Basin"):  # the engine names "X|...|XBasin" xbasin, but "XBasin|..." xbasinbasin
                thor_id = _thor_id(kind.removesuffix("Basin"), rx, ry, rz) + f"|{kind}"
            else:
                thor_id = _thor_id(kind, rx, ry, rz)
            location = _location(x, z, rng.randrange(4), rng.choice((0, 30, 45, 60)))
            receptacles.append(Receptacle(thor_id, kind, location))
    return receptacles


# ---------------------------------------------------------------- games


@dataclass
class GameSpec:
    """Everything that decides a game; `problem()` writes it as PDDL."""

    task_type: str
    scene: Scene
    receptacles: list[Receptacle]
    target: str
    parent: str  # the receptacle type of the goal; for look tasks, the lamp type
    placements: list[tuple[str, str, Receptacle]] = field(default_factory=list)  # (id, type, where)
    agent_location: str = ""
    trial: str = ""

    @property
    def folder_name(self) -> str:
        return f"{self.task_type}-{self.target}-None-{self.parent}-{self.scene.number}"

    def pddl_params(self) -> dict[str, Any]:
        look = self.task_type == "look_at_obj_in_light"
        return {
            "object_target": self.target,
            "parent_target": "" if look else self.parent,
            "toggle_target": self.parent if look else "",
            "mrecep_target": "",
            "object_sliced": False,
        }


def _receptacle_types_for(object_type: str, receptacles: list[Receptacle]) -> list[Receptacle]:
    holds = _constants().VAL_RECEPTACLE_OBJECTS
    return [r for r in receptacles if object_type in holds.get(r.type, ())]


def _pickupable_types() -> set[str]:
    constants = _constants()
    contained = set().union(*constants.VAL_RECEPTACLE_OBJECTS.values())
    return {t for t in contained if "Sliced" not in t and t not in constants.STATIC_RECEPTACLES}


def _goal_ok(task_type: str) -> Callable[[str], bool]:
    actions = _constants().VAL_ACTION_OBJECTS
    needs = {
        "pick_clean_then_place_in_recep": "Cleanable",
        "pick_heat_then_place_in_recep": "Heatable",
        "pick_cool_then_place_in_recep": "Coolable",
    }.get(task_type)
    return (lambda t: t in actions[needs]) if needs else (lambda t: True)


# Receptacle types where a target object must not start: the goal would be half met, or the
# task's appliance would hold it.
_NOT_START = {"pick_heat_then_place_in_recep": {"Microwave"}, "pick_cool_then_place_in_recep": {"Fridge"}}


def plan_game(task_type: str, rng: random.Random, scenes: list[int]) -> GameSpec | None:
    """Choose a scene, a target and a goal receptacle, and place everything; None if the scene
    drawn cannot hold this task."""
    constants = _constants()
    rooms = constants.GOALS_VALID[task_type]
    number = rng.choice([n for n in scenes if room_of(n) in rooms])
    scene = load_scene(number)
    look = task_type == "look_at_obj_in_light"
    if look and "DeskLamp" not in scene.object_types:
        return None
    receptacles = furnish(scene, task_type, rng)
    pickupable = sorted(_pickupable_types() & scene.object_types)
    goal_ok = _goal_ok(task_type)
    targets = [t for t in pickupable if goal_ok(t) and len(_receptacle_types_for(t, receptacles)) >= 2]
    if not targets:
        return None
    target = rng.choice(targets)
    if look:
        parent = "DeskLamp"
        lamp_places = [r for r in receptacles if r.type in LAMP_HOLDERS]
        if not lamp_places:
            return None
    else:
        excluded = set(_NOT_START.get(task_type, ()))
        if task_type == "pick_clean_then_place_in_recep":
            excluded.add("SinkBasin")  # cleaning happens there; the goal is elsewhere
        if task_type in _NEEDED:
            excluded.add("GarbageCan")  # nobody cleans, heats or cools a thing to bin it
        parents = sorted({r.type for r in _receptacle_types_for(target, receptacles)} - excluded)
        if not parents:
            return None
        parent = rng.choice(parents)
    spec = GameSpec(task_type, scene, receptacles, target, parent)
    counter = iter(range(10_000))

    def place(object_type: str, allowed: list[Receptacle]) -> None:
        where = rng.choice(allowed)
        n = next(counter)
        # Object ids are THOR style too, made unique by a position of their own.
        thor_id = _thor_id(object_type, n * 0.01 + rng.uniform(-3, 3), rng.uniform(0, 2), rng.uniform(-3, 3))
        spec.placements.append((thor_id, object_type, where))

    forbidden = {parent} | _NOT_START.get(task_type, set())
    start_places = [r for r in _receptacle_types_for(target, receptacles) if r.type not in forbidden]
    if not start_places:
        return None
    copies = rng.randint(2, 3) if task_type == "pick_two_obj_and_place" else rng.randint(1, 2)
    for _ in range(copies):
        place(target, start_places)
    if look:
        lamp = rng.choice(lamp_places)
        spec.placements.append(
            (_thor_id("DeskLamp", lamp_places.index(lamp) * 0.1, 0.9, 0.5), "DeskLamp", lamp)
        )
    # Distractors: other objects of the scene, where ALFRED would put them.
    others = [t for t in pickupable if t != target and _receptacle_types_for(t, receptacles)]
    for object_type in rng.sample(others, min(len(others), rng.randint(8, 14))):
        for _ in range(rng.randint(1, 3)):
            place(object_type, _receptacle_types_for(object_type, receptacles))
    # The agent starts "in the middle of a room": on a floor point where no receptacle stands.
    taken = {r.location.rsplit("|", 2)[0] for r in receptacles}
    free = [(x, z) for x, z in scene.floor if _location(x, z, 0, 0).rsplit("|", 2)[0] not in taken]
    if not free:
        return None
    x, z = rng.choice(free)
    spec.agent_location = _location(x, z, rng.randrange(4), 30)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    hour, minute, second = rng.randrange(24), rng.randrange(60), rng.randrange(60)
    spec.trial = (
        f"trial_T2019{month:02d}{day:02d}_{hour:02d}{minute:02d}{second:02d}_{rng.randrange(10**6):06d}"
    )
    return spec


def mangle(thor_id: str) -> str:
    """THOR ids as PDDL names, the way ALFRED's games spell them."""
    for old, new in (("-", "_minus_"), ("|", "_bar_"), ("+", "_plus_"), (".", "_dot_")):
        thor_id = thor_id.replace(old, new)
    return thor_id


def problem(spec: GameSpec) -> str:
    """The PDDL problem of a game, laid out as ALFRED's own problem files are."""
    from alfworld.gen import goal_library

    constants = _constants()
    # Bowls, mugs and pans hold things but are objects (otype), as in ALFRED's problems.
    receptacle_types = sorted(
        set(constants.RECEPTACLES) - constants.MOVABLE_RECEPTACLES_SET | {"SinkBasin", "BathtubBasin"}
    )
    locations = sorted({r.location for r in spec.receptacles} | {spec.agent_location})
    objects = ["agent1 - agent"]
    object_types = [t for t in dict.fromkeys(constants.OBJECTS) if t not in receptacle_types]
    objects += [f"{t} - object" for t in object_types]
    objects += [f"{t}Type - otype" for t in object_types]
    objects += [f"{t}Type - rtype" for t in receptacle_types]
    objects += [f"{mangle(i)} - object" for i, _, _ in spec.placements]
    objects += [f"{mangle(r.id)} - receptacle" for r in spec.receptacles]
    objects += [f"{mangle(loc)} - location" for loc in locations]

    actions = constants.VAL_ACTION_OBJECTS
    pickupable = _pickupable_types()
    facts = [f"(receptacleType {mangle(r.id)} {r.type}Type)" for r in spec.receptacles]
    facts += [f"(objectType {mangle(i)} {t}Type)" for i, t, _ in spec.placements]
    for kind in sorted({r.type for r in spec.receptacles}):
        facts += [
            f"(canContain {kind}Type {t}Type)"
            for t in sorted(constants.VAL_RECEPTACLE_OBJECTS.get(kind, ()))
            if "Sliced" not in t
        ]
    for thor_id, kind, _ in spec.placements:
        name = mangle(thor_id)
        facts += [f"(pickupable {name})"] * (kind in pickupable)
        facts += [f"(isReceptacleObject {name})"] * (kind in constants.MOVABLE_RECEPTACLES_SET)
        for prop, predicate in (
            ("Cleanable", "cleanable"),
            ("Heatable", "heatable"),
            ("Coolable", "coolable"),
            ("Toggleable", "toggleable"),
            ("Sliceable", "sliceable"),
        ):
            facts += [f"({predicate} {name})"] * (kind in actions[prop])
    facts += [
        f"(openable {mangle(r.id)})" for r in spec.receptacles if r.type in constants.OPENABLE_CLASS_SET
    ]
    facts += [f"(inReceptacle {mangle(i)} {mangle(r.id)})" for i, _, r in spec.placements]
    facts += [f"(receptacleAtLocation {mangle(r.id)} {mangle(r.location)})" for r in spec.receptacles]
    facts += [f"(objectAtLocation {mangle(i)} {mangle(r.location)})" for i, _, r in spec.placements]
    facts += [f"(atLocation agent1 {mangle(spec.agent_location)})"]

    params = spec.pddl_params()
    goal = (
        goal_library.gdict[spec.task_type]["pddl"]
        .replace("#", "-")
        .format(
            obj=params["object_target"],
            recep=params["parent_target"],
            toggle=params["toggle_target"],
            mrecep="",
        )
    )
    indent = "\n        "
    return (
        f"\n(define (problem plan_{spec.trial})\n(:domain alfred)\n(:objects{indent}"
        + indent.join(objects)
        + f"\n        )\n\n\n(:init\n{indent}"
        + indent.join(facts)
        + f"\n        )\n\n{goal}"
    )


def traj_data(spec: GameSpec) -> dict[str, Any]:
    return {
        "task_id": spec.trial,
        "task_type": spec.task_type,
        "pddl_params": spec.pddl_params(),
        "scene": {"floor_plan": f"FloorPlan{spec.scene.number}", "scene_num": spec.scene.number},
        "generated_by": "react-agent (react alfworld generate)",
    }


def write_game(spec: GameSpec, wording: str, folder: Path, rng: random.Random) -> Path:
    """Write the game's two files in `folder` (the trial folder); returns the game file."""
    from alfworld.agents.utils.misc import add_task_to_grammar

    domain, grammar = game_logic(wording)
    traj = traj_data(spec)
    # alfworld picks the task sentence's template with the global random module: seed it from ours.
    saved = random.getstate()
    random.seed(rng.random())
    try:
        grammar = add_task_to_grammar(grammar, traj)
    finally:
        random.setstate(saved)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "traj_data.json").write_text(json.dumps(traj, indent=1))
    game = {"pddl_domain": domain, "grammar": grammar, "pddl_problem": problem(spec), "solvable": True}
    game_file = folder / "game.tw-pddl"
    game_file.write_text(json.dumps(game))
    return game_file


# ---------------------------------------------------------------- checking


def expert_plan(game_file: Path, timeout: float = 120.0) -> list[str] | None:
    """The engine's own PDDL planner's plan for a game, or None when it finds none in `timeout`
    seconds. The planner runs in a child process: its C search cannot be interrupted otherwise."""
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1) as pool:
        try:
            return pool.apply_async(_plan_in_this_process, (str(game_file),)).get(timeout)
        except multiprocessing.TimeoutError:
            return None


def _plan_in_this_process(game_file: str) -> list[str] | None:
    import textworld
    from alfworld.agents.environment.alfred_tw_env import AlfredDemangler

    infos = textworld.EnvInfos(policy_commands=True, won=True)
    with argv_kept():
        try:
            env = textworld.start(game_file, request_infos=infos, wrappers=[AlfredDemangler()])
            try:
                state = env.reset()
            finally:
                env.close()
        except Exception as error:  # the planner's failures surface as assorted engine errors
            log.debug("no plan for %s: %r", game_file, error)
            return None
    return list(state.get("policy_commands") or []) or None


def solution(spec: GameSpec, wording: str) -> list[str]:
    """A winning command sequence, from what the generator knows of the game: where each thing is.

    Names are the engine's ("cabinet 5"), given by alfworld's own Demangler from the same ids.
    """
    from types import SimpleNamespace

    from alfworld.agents.utils.misc import Demangler

    constants = _constants()
    ids = [r.id for r in spec.receptacles] + [i for i, _, _ in spec.placements]
    infos = {n: SimpleNamespace(id=mangle(i).lower()) for n, i in enumerate(ids)}
    demangler = Demangler(game_infos=infos)

    def name(thor_id: str) -> str:
        return demangler.demangle_alfred_name(mangle(thor_id).lower())

    commands: list[str] = []
    opened: set[str] = set()

    def go(receptacle: Receptacle) -> None:
        commands.append(f"go to {name(receptacle.id)}")
        if receptacle.type in constants.OPENABLE_CLASS_SET and receptacle.id not in opened:
            commands.append(f"open {name(receptacle.id)}")
            opened.add(receptacle.id)

    def first_of(kind: str) -> Receptacle:
        return next(r for r in spec.receptacles if r.type == kind)

    def put(thor_id: str, receptacle: Receptacle) -> str:
        o, r = name(thor_id), name(receptacle.id)
        return f"put {o} in/on {r}" if wording == "react" else f"move {o} to {r}"

    targets = [(i, where) for i, kind, where in spec.placements if kind == spec.target]
    if spec.task_type == "look_at_obj_in_light":
        (thing, where), (lamp, lamp_place) = (
            targets[0],
            next((i, w) for i, kind, w in spec.placements if kind == spec.parent),
        )
        go(where)
        commands.append(f"take {name(thing)} from {name(where.id)}")
        go(lamp_place)
        commands.append(f"use {name(lamp)}")
        return commands
    appliance = {
        "pick_clean_then_place_in_recep": ("clean", "SinkBasin"),
        "pick_heat_then_place_in_recep": ("heat", "Microwave"),
        "pick_cool_then_place_in_recep": ("cool", "Fridge"),
    }.get(spec.task_type)
    goal = first_of(spec.parent)
    for thing, where in targets[: 2 if spec.task_type == "pick_two_obj_and_place" else 1]:
        go(where)
        commands.append(f"take {name(thing)} from {name(where.id)}")
        if appliance:
            verb, kind = appliance
            go(first_of(kind))
            commands.append(f"{verb} {name(thing)} with {name(first_of(kind).id)}")
        go(goal)
        commands.append(put(thing, goal))
    return commands


def play(env: AlfWorldEnv, game: AlfWorldGame, commands: list[str]) -> bool:
    """Play `commands` through the adapter; True if the engine says the game is won."""
    env.reset(game)
    for command in commands:
        if env.step(Action(text=command)).done:
            break
    return env.won


def generate(
    out: Path,
    n: int,
    seed: int,
    wording: str = "react",
    *,
    progress: Callable[[str], None] | None = None,
    on_solved: Callable[[Path, list[str]], None] | None = None,
) -> list[Path]:
    """Write `n` solvable games, the six task types in turn, below `out/json_2.1.1/valid_unseen/`;
    `on_solved` is told each game file written and the commands that won it."""
    if wording not in WORDINGS:  # before any work
        raise OptionError(f"unknown `wording` {wording!r} (use one of: {', '.join(WORDINGS)})")
    if n < 1:
        raise OptionError("`n` must be at least 1")
    rng = random.Random(seed)
    scenes = scene_numbers()
    env = AlfWorldEnv()
    written: list[Path] = []
    types = list(TASK_TYPES)
    for index in range(n):
        task_type = types[index % len(types)]
        for _attempt in range(50):
            spec = plan_game(task_type, rng, scenes)
            if spec is None:
                continue
            with tempfile.TemporaryDirectory() as scratch:
                trial = Path(scratch) / spec.folder_name / spec.trial
                game_file = write_game(spec, wording, trial, rng)
                plan = solution(spec, wording)
                game = AlfWorldGame(id=spec.trial, task_type=task_type, game_file=game_file, wording=wording)
                if not play(env, game, plan):  # the engine, not the generator, says it is won
                    log.warning("skipped %s: its plan did not win it", spec.folder_name)
                    continue
                final = out / "json_2.1.1" / EVAL_SPLIT / spec.folder_name / spec.trial
                final.parent.mkdir(parents=True, exist_ok=True)
                shutil.copytree(trial, final, dirs_exist_ok=True)
            written.append(final / "game.tw-pddl")
            if on_solved:
                on_solved(written[-1], plan)
            if progress:
                progress(f"{final.parent.name}: solved in {len(plan)} steps")
            break
        else:
            raise GenerationError(f"no solvable {task_type} game in 50 tries (seed {seed})")
    env.close()
    return written


# ---------------------------------------------------------------- the built-in evaluation set

BUILTIN_SEED = 2022
BUILTIN_GAMES = 60  # ten of each task type


def pack(folder: Path, pack_file: Path) -> None:
    """Store games compactly: the domain and grammar are the package's, so only the problem, the
    task sentence and `traj_data.json` of each game are kept."""
    with gzip.open(pack_file, "wt", encoding="utf-8") as out:
        for game in find_games(folder):
            data = json.loads(game.game_file.read_text())
            task = data["grammar"].split('"rhs": "Your task is to: ', 1)[1].split('."', 1)[0]
            traj = json.loads((game.game_file.parent / "traj_data.json").read_text())
            record = {
                "id": game.id,
                "wording": game.wording,
                "task": task,
                "traj_data": traj,
                "pddl_problem": data["pddl_problem"],
            }
            out.write(json.dumps(record) + "\n")

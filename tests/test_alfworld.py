"""ALFWorld on the real alfworld / TextWorld engine: the adapter, the generator, the built-in set."""

import json
import re
import sys
from pathlib import Path

import pytest

from conftest import SHARED_DATA, need_shared
from react_agent import Agent, StopReason
from react_agent.envs.alfworld import TASK_TYPES, AlfWorldEnv, builtin_games_folder, find_games, game_logic
from react_agent.envs.alfworld.generator import BUILTIN_GAMES, BUILTIN_SEED, expert_plan, generate, play
from react_agent.models import ScriptedModel
from react_agent.prompts import builtin_prompts
from react_agent.trajectory import Action

# Seconds the planner may search for a plan: it needs under two minutes on an idle machine, many
# more while long runs share the cores (its own default, 120, failed so on a loaded machine).
PLANNER_PATIENCE = 900.0
ALFWORLD = SHARED_DATA / "alfworld"
WINNING = [
    "go to countertop 2",
    "take potato 1 from countertop 2",
    "go to microwave 1",
    "heat potato 1 with microwave 1",
    "go to sinkbasin 1",
    "put potato 1 in/on sinkbasin 1",
]


def in_wording(command: str, wording: str) -> str:
    if wording == "current" and command.startswith("put "):
        obj, receptacle = command[len("put ") :].split(" in/on ")
        return f"move {obj} to {receptacle}"
    return command


@pytest.fixture(scope="module")
def env():
    environment = AlfWorldEnv()
    yield environment
    environment.close()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """One game of each task type, in each wording."""
    out = tmp_path_factory.mktemp("generated")
    generate(out / "react", 6, seed=11, wording="react")
    generate(out / "current", 6, seed=11, wording="current")
    return out


@pytest.mark.parametrize("wording", ["react", "current"])
def test_real_game_is_won_with_its_known_sequence(env, wording):
    need_shared(ALFWORLD)
    [game] = find_games(ALFWORLD / f"{'react-era' if wording == 'react' else 'current'}-wording")
    assert game.wording == wording and game.task_type == "pick_heat_then_place_in_recep"
    argv = list(sys.argv)
    first = env.reset(game)
    assert sys.argv == argv, "the engine's overwriting of sys.argv leaked out"
    assert first.startswith("You are in the middle of a room.") and "Welcome" not in first
    assert first.endswith("Your task is to: heat some potato and put it in sinkbasin.")
    observations = [env.step(Action(text=in_wording(c, wording))) for c in WINNING]
    assert observations[0].text.startswith("On the countertop 2, you see") or wording == "current"
    assert not any(o.done for o in observations[:-1]) and observations[-1].done
    assert env.outcome().metrics == {"success": 1.0, "progress": 1.0}


def test_inadmissible_action_and_free_thinking(env):
    need_shared(ALFWORLD)
    [game] = find_games(ALFWORLD / "react-era-wording")
    env.reset(game)
    engine_steps = []
    real_step = env._engine.step
    env._engine.step = lambda command: engine_steps.append(command) or real_step(command)
    assert env.step(Action(text="fly to the moon")).text == "Nothing happens."
    thought = env.step(Action(text="think: the potato may be on a countertop"))
    assert thought.text == "OK." and not thought.done
    assert engine_steps == ["fly to the moon"]
    assert "go to countertop 2" in env.action_space().commands  # a thought changes nothing


def test_react_era_logic_is_derived_exactly(tmp_path):
    need_shared(ALFWORLD / "alfred.pddl.pre-2024-11_react-era")
    domain, grammar = game_logic("react")
    assert domain == (ALFWORLD / "alfred.pddl.pre-2024-11_react-era").read_text()
    assert grammar == (ALFWORLD / "alfred.twl2.pre-2024-11_react-era").read_text()


@pytest.mark.slow  # the planner takes minutes here; README's command has it win two built-in games (below)
@pytest.mark.parametrize("wording", ["react", "current"])
def test_generated_games_of_every_type_are_won_by_the_planner_through_the_adapter(env, generated, wording):
    games = find_games(generated / wording)
    assert sorted(g.task_type for g in games) == sorted(TASK_TYPES)
    for game in games:
        assert game.wording == wording
        # A planner that runs minutes idle may take many more on a loaded machine: not a failure.
        plan = expert_plan(game.game_file, timeout=PLANNER_PATIENCE)
        assert plan, game.id
        assert play(env, game, plan), f"{game.id} not won by its plan {plan}"
        first = env.reset(game)
        assert first.startswith("You are in the middle of a room.")


def test_generated_game_is_laid_out_like_alfred():
    for game in find_games(builtin_games_folder()):  # the generator's games
        traj = json.loads((game.game_file.parent / "traj_data.json").read_text())
        folder = game.game_file.parent.parent.name
        task_type, target, _, parent, scene = folder.split("-")
        params = traj["pddl_params"]
        assert (task_type, target) == (traj["task_type"], params["object_target"])
        assert parent == (params["toggle_target"] or params["parent_target"])
        problem = json.loads(game.game_file.read_text())["pddl_problem"]
        assert f"(objectType {target}_bar_" in problem.replace(
            f"(objectType {target}_bar_", f"(objectType {target}_bar_"
        )
        assert "(:goal" in problem and f"{target}Type" in problem.split("(:goal")[1]


@pytest.mark.slow
def test_same_seed_gives_the_same_games(tmp_path):
    generate(tmp_path / "a", 2, seed=3)
    generate(tmp_path / "b", 2, seed=3)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) == 4
    for name in files_a:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    generate(tmp_path / "c", 2, seed=4)
    assert sorted(p.parent.parent.name for p in (tmp_path / "c").rglob("game.tw-pddl")) != sorted(
        p.parent.parent.name for p in (tmp_path / "a").rglob("game.tw-pddl")
    )


@pytest.mark.slow  # generates the 60 built-in games again, each checked solvable
def test_builtin_set_is_the_generator_output_for_its_seed(tmp_path):
    games = find_games(builtin_games_folder(tmp_path / "cache"))
    assert len(games) >= BUILTIN_GAMES
    for task_type in TASK_TYPES:
        assert sum(g.task_type == task_type for g in games) >= 10
    # The pack holds what the generator writes for the built-in seed: its first games, remade here.
    generate(tmp_path / "again", 3, seed=BUILTIN_SEED)
    for remade in find_games(tmp_path / "again"):
        [packed] = [g for g in games if g.id == remade.id]
        assert json.loads(packed.game_file.read_text()) == json.loads(remade.game_file.read_text())


def test_processes_unpacking_the_builtin_set_at_once_all_get_it(tmp_path):
    # Runs in parallel (the replays in CI, Ray actors) find an empty cache together.
    import subprocess

    code = "import sys; from react_agent.envs.alfworld import builtin_games_folder as b; "
    code += "print(b(sys.argv[1]))"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    answers = [process.communicate(timeout=300) for process in processes]
    assert [process.returncode for process in processes] == [0] * 4, [err for _, err in answers]
    assert len({out for out, _ in answers}) == 1
    assert len(find_games(answers[0][0].strip())) >= BUILTIN_GAMES
    assert not list(tmp_path.glob("*.partial"))


def test_scripted_agent_wins_a_generated_game():
    game = next(g for g in find_games(builtin_games_folder()) if g.task_type == "pick_and_place_simple")
    plan = expert_plan(game.game_file, timeout=PLANNER_PATIENCE)
    outputs = [" think: I will follow the plan I know."] + [f" {command}" for command in plan]
    model = ScriptedModel(outputs)
    result = Agent(model, AlfWorldEnv(), max_steps=50).run(game)
    assert result.stop_reason is StopReason.finished
    assert result.metrics == {"success": 1.0, "progress": 1.0} and result.category == "pick_and_place_simple"
    assert result.steps[0].observation == "OK."
    prompt = model.requests[0].prompt
    assert prompt.endswith(">") and "\nHere is the task.\n" in prompt
    assert "Your task is to:" in prompt.split("Here is the task.")[1]
    assert model.requests[0].stop == ["\n"]


@pytest.mark.slow  # 50 steps of the embedded model; test_grammar plays it on ALFWorld too, shorter
def test_embedded_model_plays_a_game_to_the_step_limit(smollm2, generated):
    game = next(g for g in find_games(generated / "react") if g.task_type == "pick_heat_then_place_in_recep")
    result = Agent(smollm2, AlfWorldEnv(), max_steps=50, max_tokens=64, max_repeats=0).run(game)  # no guard
    assert result.error is None, result.error
    assert result.stop_reason in (StopReason.max_steps, StopReason.finished)
    assert len(result.steps) == 50 or result.metrics["success"] == 1.0


def test_paper_prompt_file_gives_its_two_examples_of_the_type():
    need_shared(SHARED_DATA / "react-prompts" / "alfworld_3prompts.json")
    paper = json.loads((SHARED_DATA / "react-prompts" / "alfworld_3prompts.json").read_text())
    env = AlfWorldEnv(prompt_file=SHARED_DATA / "react-prompts" / "alfworld_3prompts.json")
    game = next(
        g for g in find_games(builtin_games_folder()) if g.task_type == "pick_cool_then_place_in_recep"
    )
    prompt = env.prompt(game)
    assert prompt.examples == paper["react_cool_1"] + paper["react_cool_0"]
    assert prompt.format == "commands"


@pytest.mark.parametrize("method", ["react", "act"])
def test_our_examples_match_the_game_type_and_wording(method):
    from react_agent.envs.alfworld import AlfWorldGame

    env = AlfWorldEnv(role=method)
    for wording in ("react", "current"):
        for task_type in TASK_TYPES:  # a prompt needs only the game's type and wording
            game = AlfWorldGame(id="x", task_type=task_type, game_file=Path("x"), wording=wording)
            prompt = env.prompt(game)
            assert prompt.examples.count("You are in the middle of a room.") == 2
            other_wording = "> move " if wording == "react" else "in/on"
            assert other_wording not in prompt.examples
            assert prompt.source == f"built-in alfworld:{method}/{wording}/{game.task_type}"
            assert ("> think:" in prompt.examples) == (method == "react")


def test_act_examples_are_the_react_examples_without_their_thoughts():
    """As in the paper: Act's examples are ReAct's trajectories with the `think:` lines (and their
    `OK.`, which the engine never saw) taken out, so each is the same game played on the engine."""
    prompts = builtin_prompts("alfworld")
    acts = [key for key in prompts if key.startswith("act/")]
    assert len(acts) == 12
    for key in acts:
        react = prompts["react/" + key.removeprefix("act/")]["examples"]
        assert prompts[key]["examples"] == re.sub(r"> think: [^\n]*\nOK\.\n", "", react)
        assert "think" not in prompts[key]["instruction"]


def test_paper_act_prompts_come_from_the_file():
    need_shared(SHARED_DATA / "react-prompts" / "alfworld_3prompts.json")
    paper = json.loads((SHARED_DATA / "react-prompts" / "alfworld_3prompts.json").read_text())
    env = AlfWorldEnv(role="act", prompt_file=SHARED_DATA / "react-prompts" / "alfworld_3prompts.json")
    game = next(g for g in find_games(builtin_games_folder()) if g.task_type == "pick_two_obj_and_place")
    assert env.prompt(game).examples == paper["act_puttwo_1"] + paper["act_puttwo_0"]
    assert "think" not in env.prompt(game).instruction


# ---------------------------------------------------------------- progress rate


def test_progress_counts_the_goal_conditions_met_on_the_real_game(env):
    """The ALFRED trial's goal: a hot potato in the sink basin. Heating it is half of the goal."""
    need_shared(ALFWORLD)
    [game] = find_games(ALFWORLD / "react-era-wording")
    env.reset(game)
    trail = [env.outcome().metrics["progress"]]
    for command in WINNING:
        env.step(Action(text=command))
        trail.append(env.outcome().metrics["progress"])
    # go to countertop 2, take potato, go to microwave, heat it, go to sink, put it there
    assert trail == [0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 1.0]
    assert env.outcome().metrics["success"] == 1.0


@pytest.mark.parametrize(
    "task_type, expected",
    [
        ("look_at_obj_in_light", [0.25, 0.5, 0.75, 1.0]),  # the lamp starts in its place: 1 of 4
        pytest.param(  # two objects, not one counted twice; its expert plan takes a while to find
            "pick_two_obj_and_place", [0.0, 0.5, 1.0], marks=pytest.mark.slow
        ),
    ],
)
def test_progress_along_a_plan_of_each_goal_shape(env, task_type, expected):
    game = next(g for g in find_games(builtin_games_folder()) if g.task_type == task_type)
    env.reset(game)
    trail = [env.outcome().metrics["progress"]]
    for command in expert_plan(game.game_file, timeout=PLANNER_PATIENCE):
        env.step(Action(text=command))
        trail.append(env.outcome().metrics["progress"])
    assert sorted(set(trail)) == expected and trail == sorted(trail) and env.won


def test_goal_parts_flatten_the_quantifiers():
    from react_agent.envs.alfworld import goal_parts

    problem = """(define (problem p) (:goal (and
        (exists (?ot - object ?r - receptacle) (and (objectType ?ot LampType) (isToggled ?ot)
          (inReceptacle ?ot ?r)))
        (exists (?o1 ?o2 - object) (and (holds agent1 ?o1) (not (= ?o1 ?o2)))))))"""
    assert goal_parts(problem) == [
        (
            {"?ot": "object", "?r": "receptacle"},
            [
                (False, "objecttype", ("?ot", "lamptype")),
                (False, "istoggled", ("?ot",)),
                (False, "inreceptacle", ("?ot", "?r")),
            ],
        ),
        (
            {"?o1": "object", "?o2": "object"},
            [(False, "holds", ("agent1", "?o1")), (True, "=", ("?o1", "?o2"))],
        ),
    ]


def test_games_played_at_once_in_worker_threads_all_start(tmp_path):
    from react_agent.runner import run_all

    games = find_games(builtin_games_folder(tmp_path / "games"))[:4]
    results = run_all(
        # Looking three times: to the step limit, with no loop guard to end it first.
        games,
        lambda: Agent(ScriptedModel([" look"] * 3), AlfWorldEnv(), max_steps=3, max_repeats=0),
        workers=4,
    )
    assert [r.error for r in results] == [None] * 4
    assert all(len(r.steps) == 3 for r in results)

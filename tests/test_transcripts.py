"""Golden transcripts: every request a scripted episode sends, byte for byte, for each step format
and for the paper's own prompt files.

Each file under tests/golden/ holds the prompt's fixed part once (instruction and examples; for the
paper's prompt files, which stay in ../shared/data, only their source and sha256) and then each
request whole, with `«prefix»` standing for that fixed part. A change to a format shows as a diff
of these files. To accept a deliberate change: REACT_UPDATE_GOLDEN=1 python -m pytest
tests/test_transcripts.py, then read the diff before committing it.

The paper-prompt transcripts are also checked against the layout of the paper's own code
(ysymyth/ReAct, `hotpotqa.ipynb` `webthink` and `alfworld.ipynb` `alfworld_run`), written out below
as that code builds its prompts.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from conftest import PAPER_PROMPTS, SHARED_DATA, need_shared
from react_agent import Agent, StopReason
from react_agent.envs.hotpotqa import HotpotQAEnv, hotpotqa_prompt
from react_agent.models import ModelRequest, ScriptedModel
from react_agent.prompts import Prompt

GOLDEN = Path(__file__).parent / "golden"
PAPER_ALFWORLD_PROMPTS = SHARED_DATA / "react-prompts" / "alfworld_3prompts.json"


def render(prompt: Prompt, requests: list[ModelRequest], *, paper: bool = False) -> str:
    fixed = prompt.head
    if paper:
        digest = hashlib.sha256(prompt.examples.encode()).hexdigest()
        instruction = fixed[: len(fixed) - len(prompt.examples)]  # with the examples' announcement
        head = f"instruction:\n{instruction}\nexamples: {prompt.source}, sha256 {digest}\n"
    else:
        head = fixed
    parts = [f"=== prefix: {prompt.source}, format {prompt.format} ===\n{head}"]
    for k, request in enumerate(requests, start=1):
        body = request.prompt
        if body.startswith(fixed):
            body = "«prefix»" + body[len(fixed) :]
        parts.append(
            f"=== request {k}: stop={json.dumps(request.stop)} max_tokens={request.max_tokens} "
            f"temperature={request.temperature} ===\n{body}"
        )
    return "\n".join(parts) + "\n=== end ===\n"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("REACT_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with REACT_UPDATE_GOLDEN=1 to write it"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from the golden transcript (see the module docstring)"


@pytest.fixture
def eiffel(demo_questions):
    return next(q for q in demo_questions if "Eiffel Tower stands" in q.question)


@pytest.fixture
def austen(demo_questions):
    return next(q for q in demo_questions if "Pride and Prejudice" in q.question)


def play(prompt: Prompt, outputs: list[str], tasks, env, *, max_steps: int = 7):
    """Play each task in turn with one scripted model; returns the results and every request."""
    model = ScriptedModel(outputs)
    results = [Agent(model, env, prompt=prompt, max_steps=max_steps).run(task) for task in tasks]
    assert len(model.requests) == len(outputs), "every scripted output is used"
    return results, model.requests


# ---------------------------------------------------------------- the five formats, with our prompts

NUMBERED_RUN = [
    " I need to find where the Eiffel Tower stands.",  # no action: asked once more
    " Search[Eiffel Tower]",
    " It stands in Paris. I need the river of Paris.\nAction 2: Fly[Paris]",  # not an action
    " I cannot fly. I should search Paris instead.\nAction 3: Search[Paris]",
    " Paris stands on the Seine.\nAction 4: Finish[Seine]",
]


def test_numbered_steps(demo_wiki, eiffel):
    prompt = hotpotqa_prompt("react")
    [result], requests = play(prompt, NUMBERED_RUN, [eiffel], HotpotQAEnv(demo_wiki))
    assert [s.action.text for s in result.steps] == [
        "Search[Eiffel Tower]",
        "Fly[Paris]",
        "Search[Paris]",
        "Finish[Seine]",
    ]
    assert result.steps[1].observation == "Invalid action: Fly[Paris]"
    assert (result.stop_reason, result.em) == (StopReason.finished, 1.0)
    check_golden("numbered.txt", render(prompt, requests))


ACT_RUN = [" Search[Eiffel Tower]", " Fly[Paris]", " Search[Paris]", " Finish[Seine]"]


def test_actions_only(demo_wiki, eiffel):
    prompt = hotpotqa_prompt("act")
    [result], requests = play(prompt, ACT_RUN, [eiffel], HotpotQAEnv(demo_wiki))
    assert result.steps[1].observation == "Invalid action: Fly[Paris]"
    assert (result.stop_reason, result.em, len(result.steps)) == (StopReason.finished, 1.0, 4)
    assert "Thought" not in requests[-1].prompt[len(prompt.head) :]
    check_golden("actions.txt", render(prompt, requests))


def test_direct_answer(demo_wiki, eiffel, austen):
    """Standard prompting answers in one step: three episodes, one of them with no answer."""
    prompt = hotpotqa_prompt("standard")
    results, requests = play(
        prompt, [" Seine", "   ", " 1813"], [eiffel, eiffel, austen], HotpotQAEnv(demo_wiki)
    )
    assert [(r.stop_reason, r.em) for r in results] == [
        (StopReason.finished, 1.0),
        (StopReason.invalid_output, 0.0),
        (StopReason.finished, 0.0),
    ]
    check_golden("answer.txt", render(prompt, requests))


COT_RUN = [
    " The Eiffel Tower stands in Paris. Paris lies on the Seine. So the answer is Seine.\nAnswer: Seine",
    " The tower is in Paris, and the river of Paris is the Seine.",  # no Answer line: asked once more
    " Seine",
    " I do not know.",
    "",  # nothing even when asked again
]


def test_reasoned_answer(demo_wiki, eiffel):
    """Chain of thought answers in one step; an answer given on the re-ask scores as the answer."""
    prompt = hotpotqa_prompt("cot")
    results, requests = play(prompt, COT_RUN, [eiffel] * 3, HotpotQAEnv(demo_wiki))
    assert [(r.stop_reason, r.answer, r.em) for r in results] == [
        (StopReason.finished, "Seine", 1.0),
        (StopReason.finished, "Seine", 1.0),
        (StopReason.invalid_output, None, 0.0),
    ]
    assert results[1].steps[0].action.text == "Finish[Seine]" and results[1].steps[0].usage.calls == 2
    assert requests[2].prompt.endswith(
        "Thought: The tower is in Paris, and the river of Paris is the Seine.\nAnswer:"
    )
    check_golden("reasoned_answer.txt", render(prompt, requests))


# ---------------------------------------------------------------- the paper's prompt files


def paper_webthink(
    instruction: str, examples: str, question: str, outputs: list[str], observations: list[str]
):
    """The prompts that the paper's `webthink` (hotpotqa.ipynb) sends, given the model's outputs
    and the environment's observations, as (prompt, stop) pairs."""
    sent: list[tuple[str, list[str]]] = []
    answers = iter(outputs)

    def llm(prompt: str, stop: list[str]) -> str:
        sent.append((prompt, stop))
        return next(answers)

    prompt = instruction + examples + question + "\n"
    for i, observation in enumerate(observations, start=1):
        thought_action = llm(prompt + f"Thought {i}:", stop=[f"\nObservation {i}:"])
        try:
            thought, action = thought_action.strip().split(f"\nAction {i}: ")
        except ValueError:
            thought = thought_action.strip().split("\n")[0]
            action = llm(prompt + f"Thought {i}: {thought}\nAction {i}:", stop=["\n"]).strip()
        prompt += f"Thought {i}: {thought}\nAction {i}: {action}\nObservation {i}: {observation}\n"
    return sent


def test_paper_hotpotqa_prompt_follows_the_paper_layout(demo_wiki, eiffel):
    need_shared(PAPER_PROMPTS)
    prompt = hotpotqa_prompt("react", PAPER_PROMPTS, "webthink_simple6")
    assert prompt.examples == json.loads(PAPER_PROMPTS.read_text())["webthink_simple6"]
    [result], requests = play(prompt, NUMBERED_RUN, [eiffel], HotpotQAEnv(demo_wiki))
    expected = paper_webthink(
        prompt.head.removesuffix(prompt.examples),
        prompt.examples,
        f"Question: {eiffel.question}",
        NUMBERED_RUN,
        [step.observation for step in result.steps],
    )
    assert [(r.prompt, r.stop) for r in requests] == expected
    check_golden("paper-webthink_simple6.txt", render(prompt, requests, paper=True))


# ---------------------------------------------------------------- ALFWorld's command lines

# The first built-in game (the set is fixed: see test_alfworld), and the plan that wins it.
FIRST_GAME_PLAN = [
    "go to drawer 3",
    "open drawer 3",
    "take cd 1 from drawer 3",
    "go to cabinet 1",
    "open cabinet 1",
    "put cd 1 in/on cabinet 1",
]
COMMANDS_RUN = [" think: I need to find a cd, then put it in a cabinet.", " fly to the moon"] + [
    f" {command}" for command in FIRST_GAME_PLAN
]


@pytest.fixture(scope="module")
def first_game():
    from react_agent.envs.alfworld import builtin_games_folder, find_games

    game = find_games(builtin_games_folder())[0]
    assert game.id == "pick_and_place_simple-CD-None-Cabinet-309/trial_T20190917_030326_844364"
    return game


def play_game(env, game, outputs, **settings):
    model = ScriptedModel(outputs)
    result = Agent(model, env, max_steps=50, **settings).run(game)
    assert len(model.requests) == len(outputs)
    return result, model.requests


def test_command_lines(first_game):
    from react_agent.envs.alfworld import AlfWorldEnv

    env = AlfWorldEnv()
    result, requests = play_game(env, first_game, COMMANDS_RUN)
    assert [s.observation for s in result.steps[:2]] == ["OK.", "Nothing happens."]
    assert (result.stop_reason, result.metrics) == (StopReason.finished, {"success": 1.0, "progress": 1.0})
    for before, after, step in zip(requests, requests[1:], result.steps, strict=False):
        assert after.prompt == f"{before.prompt} {step.action.text}\n{step.observation}\n>"
    check_golden("commands.txt", render(env.prompt(first_game), requests))


def test_act_on_alfworld_has_no_think_lines(first_game):
    from react_agent.envs.alfworld import AlfWorldEnv

    env = AlfWorldEnv(role="act")
    prompt = env.prompt(first_game)
    assert "think:" not in prompt.instruction + prompt.examples and prompt.format == "commands"
    result, requests = play_game(env, first_game, [f" {c}" for c in FIRST_GAME_PLAN])
    assert result.metrics == {"success": 1.0, "progress": 1.0}
    check_golden("commands-act.txt", render(prompt, requests))


def in_state_lines(command: str, location: str, inventory: str, thought: str = "") -> str:
    thought_line = f"Thought: {thought}\n" if thought else ""
    return (
        f" put some cd in cabinet.\nLocation: {location}\nInventory: {inventory}\n{thought_line}"
        f"Action: {command}\nObservation: what the model imagines"
    )


STATE_RUN = [
    in_state_lines("go to drawer 3", "middle of the room", "nothing", "A cd may be in a drawer."),
    " I lost my way and wrote no action.\nLocation: nowhere\nInventory: nothing\nAction: fly to the moon",
    in_state_lines("open drawer 3", "drawer 3", "nothing"),
    in_state_lines("take cd 1 from drawer 3", "drawer 3", "nothing", "Now I take the cd."),
    in_state_lines("go to cabinet 1", "drawer 3", "cd 1"),
    in_state_lines("open cabinet 1", "cabinet 1", "cd 1"),
    in_state_lines("put cd 1 in/on cabinet 1", "cabinet 1", "cd 1"),
]


def test_state_lines(first_game):
    """Each step is the state lines, an optional thought and the action, each recorded apart; the
    next request is the last one with the step written back as the format writes it."""
    from react_agent.envs.alfworld import AlfWorldEnv

    env = AlfWorldEnv(state=True)
    prompt = env.prompt(first_game)
    assert prompt.format == "state" and prompt.source == "built-in alfworld:state/react/pick_and_place_simple"
    result, requests = play_game(env, first_game, STATE_RUN)
    assert (result.stop_reason, result.metrics) == (StopReason.finished, {"success": 1.0, "progress": 1.0})
    first, lost = result.steps[:2]
    assert (first.thought, first.action.text, first.observation) == (
        "A cd may be in a drawer.", "go to drawer 3", "The drawer 3 is closed."
    )  # fmt: skip
    goal = "put some cd in cabinet."
    assert first.state == {"goal": goal, "location": "middle of the room", "inventory": "nothing"}
    assert (lost.state, lost.thought, lost.observation) == (
        {"goal": "I lost my way and wrote no action.", "location": "nowhere", "inventory": "nothing"},
        "",
        "Nothing happens.",
    )
    for before, after, step, output in zip(requests, requests[1:], result.steps, STATE_RUN, strict=False):
        written = "Goal:" + output.split("\nObservation:")[0] + "\n"
        assert (
            after.prompt
            == f"{before.prompt.removesuffix('Goal:')}{written}Observation: {step.observation}\nGoal:"
        )
        assert before.stop == ["\nObservation:"]
    check_golden("state.txt", render(prompt, requests))


def paper_alfworld_run(prompt: str, first_observation: str, outputs: list[str], observations: list[str]):
    """The prompts that the paper's `alfworld_run` (alfworld.ipynb) sends, as (prompt, stop)."""
    sent: list[tuple[str, list[str]]] = []
    answers = iter(outputs)
    init_prompt = prompt + first_observation + "\n>"
    prompt = ""
    for observation in observations:
        sent.append((init_prompt + prompt, ["\n"]))
        action = next(answers).strip()
        prompt += f" {action}\n{observation}\n>"
    return sent


@pytest.mark.parametrize("method", ["react", "act"])
def test_paper_alfworld_prompts_follow_the_paper_layout(first_game, method):
    from react_agent.envs.alfworld import AlfWorldEnv

    need_shared(PAPER_ALFWORLD_PROMPTS)
    paper = json.loads(PAPER_ALFWORLD_PROMPTS.read_text())
    env = AlfWorldEnv(role=method, prompt_file=PAPER_ALFWORLD_PROMPTS)
    prompt = env.prompt(first_game)
    assert prompt.examples == paper[f"{method}_put_1"] + paper[f"{method}_put_0"]
    assert prompt.source == f"alfworld_3prompts.json:{method}_put_1+{method}_put_0"
    outputs = COMMANDS_RUN if method == "react" else COMMANDS_RUN[1:]
    result, requests = play_game(env, first_game, outputs)
    # The paper's code: instruction + the two examples + '\nHere is the task.\n', then the game.
    head = prompt.head + "\nHere is the task.\n"
    expected = paper_alfworld_run(head, result.question, outputs, [s.observation for s in result.steps])
    assert [(r.prompt, r.stop) for r in requests] == expected
    check_golden(f"paper-alfworld-{method}_put.txt", render(prompt, requests, paper=True))


# ---------------------------------------------------------------- zero-, one- and few-shot


@pytest.mark.parametrize("shots", [0, 1])
def test_numbered_steps_with_fewer_examples(demo_wiki, eiffel, shots):
    prompt = hotpotqa_prompt("react").shots(shots)
    assert len(prompt.example_list()) == shots
    [result], requests = play(prompt, NUMBERED_RUN[:2] + NUMBERED_RUN[-1:], [eiffel], HotpotQAEnv(demo_wiki))
    assert result.em == 1.0
    check_golden(f"numbered-shots{shots}.txt", render(prompt, requests))


@pytest.mark.parametrize("shots", [0, 1])
def test_command_lines_with_fewer_examples(first_game, shots):
    from react_agent.envs.alfworld import AlfWorldEnv

    env = AlfWorldEnv()
    result, requests = play_game(env, first_game, [f" {c}" for c in FIRST_GAME_PLAN], shots=shots)
    prompt = env.prompt(first_game).shots(shots)  # the agent keeps the first `shots` examples
    assert result.metrics == {"success": 1.0, "progress": 1.0} and len(prompt.example_list()) == shots
    check_golden(f"commands-shots{shots}.txt", render(prompt, requests[:2]))


def test_every_prompt_splits_into_its_examples():
    from react_agent.envs.alfworld import AlfWorldEnv
    from react_agent.prompts import builtin_prompts

    for method in ("react", "act", "cot", "standard"):
        prompt = hotpotqa_prompt(method)
        assert len(prompt.example_list()) == 6 and "".join(prompt.example_list()) == prompt.examples
    for key in builtin_prompts("alfworld"):
        method, wording, task_type = key.split("/")
        from react_agent.envs.alfworld import AlfWorldGame

        game = AlfWorldGame(id="x", task_type=task_type, game_file=Path("x"), wording=wording)
        env = (
            AlfWorldEnv(state=True) if method == "state" else AlfWorldEnv(role=method)
        )  # ReAct in state lines
        assert len(env.prompt(game).example_list()) == 2
    need_shared(PAPER_PROMPTS, PAPER_ALFWORLD_PROMPTS)
    paper = json.loads(PAPER_PROMPTS.read_text())
    for key, count in [
        ("webthink_simple6", 6),
        ("webact_simple6", 6),
        ("cotqa_simple6", 6),
        ("webthink_simple", 8),
    ]:
        prompt = hotpotqa_prompt("react", PAPER_PROMPTS, key)
        assert len(prompt.example_list()) == count and "".join(prompt.example_list()) == paper[key]
    assert (
        hotpotqa_prompt("react", PAPER_PROMPTS)
        .shots(1)
        .example_list()[0]
        .startswith("\nQuestion: What is the")
    )

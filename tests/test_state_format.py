"""`--format state`: before each action the model writes its goal, location and inventory, one
line each, then an optional thought; the format reads and records them, a grammar holds each to
one line and the action to the game's admissible commands, and our examples in state lines are
our ReAct examples' steps with their state written out. (The golden transcript of a whole game
is test_transcripts.py's `state.txt`; the grammar's language, test_grammar.py's.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from react_agent.formats import FORMATS
from react_agent.prompts import builtin_prompts
from servers import scripted_openai_server, url_of

STATE = FORMATS["state"]


def test_a_step_is_read_line_by_line_and_its_state_kept():
    state = " put a cd in cabinet.\nLocation: desk 1\nInventory: cd 1\n"
    parsed = STATE.parse(
        f"{state}Thought: Now the cabinet.\nAction: go to cabinet 1\nObservation: x\nGoal: y", 3
    )
    assert (parsed.thought, parsed.action.text) == ("Now the cabinet.", "go to cabinet 1")
    assert parsed.state == {"goal": "put a cd in cabinet.", "location": "desk 1", "inventory": "cd 1"}
    assert STATE.whole(" a\nLocation: b\nInventory: c\nAction: look\n")
    assert not STATE.whole(" a\nLocation: b\nInventory: c\nAction: lo")


@pytest.mark.parametrize(
    "text",
    [
        " put a cd in cabinet.\nLocation: desk 1\nInventory: cd 1\nThought: I am lost.",  # no action line
        " put a cd in cabinet.\nLocation: desk 1\nAction:   \n",  # an empty one
        "",
    ],
)
def test_a_step_without_an_action_is_none(text):
    assert STATE.parse(text, 2).action is None


def test_a_step_missing_state_lines_keeps_those_it_has():
    parsed = STATE.parse(" find the cd\nAction: look", 1)
    assert (parsed.state, parsed.action.text) == ({"goal": "find the cd"}, "look")


def test_our_state_examples_are_our_react_examples_with_their_state_written_out():
    """Rewritten by benchmarks/state_examples.py; its check says they are still that."""
    process = subprocess.run(
        [sys.executable, "-m", "benchmarks.state_examples", "--check"],
        capture_output=True,
        text=True,
    )
    assert process.returncode == 0, process.stderr
    prompts = builtin_prompts("alfworld")
    for key, prompt in prompts.items():
        if not key.startswith("state/"):
            continue
        react = prompts["react/" + key.removeprefix("state/")]
        commands = [
            a
            for _, a, _ in (
                (s.thought, s.action, s.observation) for s in FORMATS["commands"].read(react["examples"])
            )
        ]
        steps = STATE.read(prompt["examples"])
        assert [s.action for s in steps] == [c for c in commands if not c.startswith("think:")], key
        assert len(steps) >= 2 * 4 and all(s.state["goal"] for s in steps), key
        assert prompt["format"] == "state" and len(prompt["examples"].split("Your task is to:")) == 3, key


def react(*arguments):
    command = [sys.executable, "-m", "react_agent.cli", *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_a_game_in_state_lines_under_the_grammar_through_the_command_line(planned_game, tmp_path):
    games, plan = planned_game

    def player(prompt):
        k = prompt.rsplit("Here is the task.\n", 1)[1].count("\nAction: ")
        return (
            f" put some cd on shelf.\nLocation: here\nInventory: nothing\nAction: {plan[k]}\nObservation: x"
        )

    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=player) as server:
        model = ["--model", "openai:m", "--base-url", url_of(server, "/v1")]
        process = react("bench", "--task", "alfworld", "--data", games, "--format", "state", "--grammar",
                        "--max-steps", len(plan), "--out", out, *model)  # fmt: skip
        requests = server.requests
    assert process.returncode == 0, process.stderr
    [record] = [json.loads(line) for line in out.read_text().splitlines()]
    assert record["metrics"]["success"] == 1.0
    assert [s["state"]["location"] for s in record["steps"]] == ["here"] * len(plan)
    config = record["config"]
    assert (config["format"], config["prompts"]["react"]["format"]) == ("state", "state")
    assert config["prompts"]["react"]["source"] == "built-in alfworld:state/react/pick_and_place_simple"
    # Each request ends in `Goal:`, stops at the observation's label, and is held to the step's commands.
    assert all(r["prompt"].endswith("\nGoal:") and r["stop"] == ["\nObservation:"] for r in requests)
    assert '"\\nLocation: "' in requests[0]["grammar"] and '"go to desk 1"' in requests[0]["grammar"]
    assert '"think: "' not in requests[0]["grammar"]


def refused(process):
    assert process.returncode == 2 and "Traceback" not in process.stderr, process.stderr
    [line] = [line for line in process.stderr.splitlines() if line.startswith("react: error:")]
    return line


def test_state_lines_are_refused_where_no_prompt_has_them(tmp_path):
    line = refused(react("bench", "--task", "hotpotqa", "--format", "state", "--out", tmp_path / "a.jsonl"))
    assert "--format state needs prompts written in state lines" in line and "--prompt-file" in line
    line = refused(
        react("bench", "--task", "alfworld", "--method", "act", "--format", "state", "--out", tmp_path / "b")
    )
    assert "react prompt" in line
    line = refused(
        react("bench", "--task", "alfworld", "--format", "state", "--paper", "--out", tmp_path / "c")
    )
    assert "state lines" in line

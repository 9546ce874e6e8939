"""ReAct-SC through the command line, against a scripted server: sampled ReAct episodes of a task,
played at once, vote on the answer; those without an answer abstain; a tie goes to the answer
reached in fewer steps; every episode is recorded and replays."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from servers import scripted_openai_server, url_of

SAMPLES = 5
DELAY = 0.4  # each answer's; samples played one after another would start this far apart
# What each of a question's five samples does at its second step, by the order its second requests
# come in: answer now, answer at the third step (`late`), or search on to the step limit.
PLANS = [
    ["Finish[Paris]", "Finish[ paris ]", "Search[late Paris]", "Finish[London]", "Search[nowhere]"],
    ["Search[late Paris]", "Search[late Paris]", "Finish[London]", "Finish[London]", "Search[nowhere]"],
    ["Search[nowhere]"] * SAMPLES,
]


class Sampler:
    """A 'model' whose samples differ by the plan of their question (see PLANS)."""

    def __init__(self):
        self.questions: list[str] = []
        self.second_steps: dict[str, int] = {}
        self.first_asked: dict[str, list[float]] = {}

    def __call__(self, prompt: str) -> str:
        episode = prompt.rsplit("\nQuestion: ", 1)[1]
        question = episode.split("\n", 1)[0]
        if question not in self.questions:
            self.questions.append(question)
        plan = PLANS[self.questions.index(question)]
        step = episode.count("\nObservation ") + 1
        if step == 1:
            self.first_asked.setdefault(question, []).append(time.monotonic())
            return " I look.\nAction 1: Search[Paris]"
        if step == 2:
            n = self.second_steps[question] = self.second_steps.get(question, -1) + 1
            return f" Now.\nAction 2: {plan[n]}"
        last = episode.rsplit("\nAction 2: ", 1)[1].split("\n", 1)[0]
        action = "Finish[Paris]" if last == "Search[late Paris]" else "Search[nowhere]"
        return f" Then.\nAction {step}: {action}"


def react(*arguments):
    command = [sys.executable, "-m", "react_agent.cli", *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def lines_of(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def outcome(record):
    steps = [(step["action"]["text"], step["observation"]) for step in record["steps"]]
    return record["answer"], record["votes"], record["metrics"], record["stop_reason"], steps


def test_sampled_episodes_vote_abstain_break_ties_by_steps_and_replay(tmp_path):
    sampler = Sampler()
    out = tmp_path / "run.jsonl"
    common = [
        "--task",
        "hotpotqa",
        "--n",
        "3",
        "--method",
        "react-sc",
        "--sc-samples",
        SAMPLES,
        "--max-steps",
        3,
    ]
    with scripted_openai_server(answer_for=sampler, delay=DELAY) as server:
        model = ["--model", "openai:m", "--base-url", url_of(server, "/v1")]
        process = react("bench", *common, *model, "--out", out)
        assert process.returncode == 0, process.stderr
        requests = server.requests
    voted, tied, silent = lines_of(out)

    # Three say Paris (one of them in three steps), one London, one never answers: Paris.
    assert (voted["answer"], voted["votes"], voted["stop_reason"]) == (
        "Paris",
        {"paris": 3, "london": 1},
        "finished",
    )
    # Two and two: London, reached in two steps, against Paris in three; the fifth abstains.
    assert (tied["answer"], tied["votes"]) == ("London", {"paris": 2, "london": 2})
    # Nobody answers: no answer.
    assert (silent["answer"], silent["votes"], silent["stop_reason"]) == (None, {}, "invalid_output")

    # Every episode is kept, each output marked with its sample: 2 + 2 + 3 + 2 + 3 steps.
    assert len(voted["steps"]) == 12 and len(silent["steps"]) == SAMPLES * 3
    for record in (voted, tied, silent):
        assert sorted({output["sample"] for output in record["model_outputs"]}) == list(range(SAMPLES))
        assert len(record["model_outputs"]) == len(record["steps"])
    # Sampled at the samples' temperature, recorded so; the five started together, not in turn.
    assert {request["temperature"] for request in requests} == {0.7}
    config = voted["config"]
    assert (config["method"], config["sc_samples"], config["prompts"]["react"]["temperature"]) == (
        "react-sc",
        5,
        0.7,
    )
    for started in sampler.first_asked.values():
        assert len(started) == SAMPLES and max(started) - min(started) < DELAY

    replayed = tmp_path / "replayed.jsonl"
    process = react("bench", *common, "--model", f"replay:{out}", "--out", replayed)
    assert process.returncode == 0, process.stderr
    assert [outcome(r) for r in lines_of(replayed)] == [outcome(r) for r in (voted, tied, silent)]
    board = react("leaderboard", out, "--format", "markdown")
    assert "| react-sc (5 samples) |" in board.stdout, board.stdout


@pytest.mark.slow  # the local model decodes five sampled episodes at once
def test_the_local_model_evaluates_the_prompt_the_samples_share_once(tmp_path):
    """The embedded SmolLM2: the prompt a task's samples share is evaluated once (the others copy
    its cells, or find them in their sequence), and the run replays. That the samples are played at
    once is the test above's (the server sees them start together)."""
    out = tmp_path / "run.jsonl"
    common = ["--task", "hotpotqa", "--n", "1", "--method", "react-sc", "--sc-samples", 3, "--max-steps", 2]
    process = react("bench", *common, "--out", out)
    assert process.returncode == 0, process.stderr
    [record] = lines_of(out)
    assert sorted({output["sample"] for output in record["model_outputs"]}) == [0, 1, 2]
    starts = {}  # each sample's first step, by the outputs marked with the sample
    for output in record["model_outputs"]:
        starts.setdefault(output["sample"], output["step"])
    steps = {step["index"]: step for step in record["steps"]}
    firsts = [steps[start]["usage"] for start in starts.values()]
    # Each first step sends the prompt (twice where the model was asked again); evaluated without
    # the copies, the three would cost three prompts.
    prompt = min(usage["prompt_tokens"] / usage["calls"] for usage in firsts)
    assert sum(usage["evaluated_tokens"] for usage in firsts) < 1.5 * prompt
    replayed = tmp_path / "replayed.jsonl"
    process = react("bench", *common, "--model", f"replay:{out}", "--out", replayed)
    assert process.returncode == 0, process.stderr
    assert [outcome(r) for r in lines_of(replayed)] == [outcome(record)]


def test_a_task_whose_episodes_end_without_an_answer_has_no_react_sc(tmp_path):
    process = react("bench", "--task", "alfworld", "--method", "react-sc", "--out", tmp_path / "run.jsonl")
    assert process.returncode == 2 and "Traceback" not in process.stderr
    [line] = [line for line in process.stderr.splitlines() if line.startswith("react: error:")]
    assert "'react-sc' is not available for alfworld" in line and "react, act" in line, line

"""Reflexion through the command line, against scripted servers: a failed attempt is followed by
one reflection request, whose note the next attempt reads before its task; the first success
ends the task; every attempt is recorded and replays; a killed run resumes at the next attempt;
a task whose environment judges no success is refused, unless the gold answer may judge
(`--oracle-feedback`), which labels the run wherever it shows."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from importlib.resources import files

import pytest

from servers import scripted_openai_server, url_of

NOTE = "I only looked around. Next time I will go to desk 1 and take the cd."
CUE = "\nNote for the next attempt:"
NOTES = "\nYour notes from earlier attempts at this task:\n"


def react(*arguments):
    command = [sys.executable, "-m", "react_agent.cli", *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def lines_of(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def live(path):
    """Each task's live line: its last (the lines before are its unfinished attempts)."""
    records = {}
    for record in lines_of(path):
        records[record["task_id"], record["epoch"]] = record
    return list(records.values())


class Player:
    """A 'model' that looks around in its first attempts and plays the plan once it has notes;
    asked for a reflection, it writes NOTE (and more after a blank line, which the stop cuts)."""

    def __init__(self, plan, fail_attempts=1):
        self.plan, self.fail_attempts = plan, fail_attempts
        self.reflections = 0

    def __call__(self, prompt):
        if prompt.endswith(CUE):
            self.reflections += 1
            return f" {NOTE} ({self.reflections})\n\nThe end."
        episode = prompt.rsplit("Here is the task.\n", 1)[1]
        step = episode.count("\n>") - 1
        notes = prompt.count("\nAttempt ") if NOTES in prompt else 0
        return f" {self.plan[step]}" if notes >= self.fail_attempts else " look"


def bench(server, *arguments):
    model = ["--model", "openai:m", "--base-url", url_of(server, "/v1")]
    return react("bench", "--task", "alfworld", "--method", "reflexion", *arguments, *model)


def played(record):
    return [(step["index"], step["action"]["text"], step["observation"]) for step in record["steps"]]


def test_a_failed_attempt_is_reflected_on_and_the_next_reads_the_note(planned_game, tmp_path):
    games, plan = planned_game
    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=Player(plan)) as server:
        process = bench(server, "--data", games, "--max-steps", 6, "--max-repeats", 0, "--out", out)
        requests = [request["prompt"] for request in server.requests]
    assert process.returncode == 0, process.stderr
    unfinished, record = lines_of(out)  # the task after its first attempt, then whole
    assert (unfinished["stop_reason"], len(unfinished["attempts"])) == ("error", 1)

    # Six steps of looking, one reflection, the plan: the first success ends the task (no third attempt).
    reflections = [prompt for prompt in requests if prompt.endswith(CUE)]
    assert len(requests) == 6 + 1 + len(plan) and len(reflections) == 1
    assert requests.index(reflections[0]) == 6
    # The reflection request: the instruction, the attempt without the examples, how it ended.
    reflection = reflections[0]
    assert reflection.startswith("Below is an attempt you made at a task, which did not succeed.")
    assert "Here are two examples" not in reflection and "Interact with a household" not in reflection
    task = requests[0].rsplit("Here is the task.\n", 1)[1].removesuffix(">")
    assert task in reflection and reflection.count("\n> look\n") == 6
    assert reflection.endswith("\nThe step limit came before the task was done.\n" + CUE)

    # The next attempt: its prompt is the first one, with the note between the examples and the task.
    second = requests[7]
    head, tail = requests[0].rsplit("\nHere is the task.\n", 1)
    assert second == f"{head}{NOTES}Attempt 1: {NOTE} (1)\n\nHere is the task.\n{tail}"

    # One record: both attempts' steps in order, the reflection's output after the first's.
    assert [step["index"] for step in record["steps"]] == list(range(1, 7 + len(plan)))
    assert [a["success"] for a in record["attempts"]] == [False, True]
    assert (
        record["attempts"][0]["reflection"] == f"{NOTE} (1)" and record["attempts"][1]["reflection"] is None
    )
    assert [(a["steps"], a["outputs"]) for a in record["attempts"]] == [(6, 7), (len(plan), len(plan))]
    assert [o["step"] for o in record["model_outputs"]][5:8] == [6, 6, 7]
    assert record["metrics"]["success"] == 1.0 and record["metrics"]["success at 1st attempt"] == 0.0
    assert record["stop_reason"] == "finished"
    # Its costs are every attempt's and the reflection's.
    assert record["usage"]["calls"] == len(requests) == sum(a["usage"]["calls"] for a in record["attempts"])
    config = record["config"]
    assert (config["method"], config["attempts"], config["oracle_feedback"]) == ("reflexion", 3, False)
    assert config["prompts"]["reflect"]["source"] == "built-in reflexion"

    # It replays, reflection requests checked as every other.
    replayed = tmp_path / "replayed.jsonl"
    common = ["--data", games, "--max-steps", 6, "--max-repeats", 0]
    replay = ["bench", "--task", "alfworld", "--method", "reflexion", *common, "--model"]
    process = react(*replay, f"replay:{out}", "--out", replayed)
    assert process.returncode == 0, process.stderr
    [again] = live(replayed)
    assert (played(again), again["attempts"][0]["reflection"], again["metrics"]) == (
        played(record), record["attempts"][0]["reflection"], record["metrics"]
    )  # fmt: skip
    tampered = dict(record)
    tampered["model_outputs"] = [dict(o) for o in record["model_outputs"]]
    tampered["model_outputs"][6]["request_sha256"] = "0" * 64  # the reflection's
    (tmp_path / "tampered.jsonl").write_text(json.dumps(tampered) + "\n")
    process = react(*replay, f"replay:{tmp_path / 'tampered.jsonl'}", "--out", tmp_path / "t.jsonl")
    assert process.returncode != 0 and "step 6 (model call 7): the request differs" in process.stderr

    # The leaderboard: the method with its attempts, and the first attempt's score beside the score.
    board = react("leaderboard", out, "--format", "markdown")
    assert "| reflexion (3 attempts) |" in board.stdout, board.stdout
    assert "success at 1st attempt (95% CI)" in board.stdout


@pytest.mark.slow  # several runs of the command line on a game: .ci/run plays it after the quick set
def test_no_success_within_the_attempts_keeps_the_last_and_reads_the_last_notes(planned_game, tmp_path):
    games, plan = planned_game
    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=Player(plan, fail_attempts=9)) as server:
        process = bench(server, "--data", games, "--max-steps", 2, "--attempts", 5, "--out", out)
        requests = [request["prompt"] for request in server.requests]
    assert process.returncode == 0, process.stderr
    [record] = live(out)
    assert [a["success"] for a in record["attempts"]] == [False] * 5
    # No reflection after the last attempt; the fifth attempt reads the last three notes.
    assert sum(prompt.endswith(CUE) for prompt in requests) == 4
    assert record["attempts"][-1]["reflection"] is None
    last = requests[-1]
    notes = last.split(NOTES, 1)[1].split("\nHere is the task.", 1)[0]
    assert notes == "".join(f"Attempt {n}: {NOTE} ({n})\n" for n in (2, 3, 4))
    assert record["metrics"]["success"] == 0.0 and record["config"]["attempts"] == 5


@pytest.mark.slow  # several runs of the command line on a game: .ci/run plays it after the quick set
def test_a_killed_run_resumes_at_the_next_attempt(planned_game, tmp_path):
    games, plan = planned_game
    out = tmp_path / "run.jsonl"
    common = ["--data", games, "--max-steps", len(plan), "--max-repeats", 0, "--out", out]
    reached = threading.Event()
    player = Player(plan)

    def stalls_at_the_second_attempt(prompt):
        if NOTES in prompt:  # the first attempt and its note are written: hold on until killed
            reached.set()
            time.sleep(60)
        return player(prompt)

    with scripted_openai_server(answer_for=stalls_at_the_second_attempt) as server:
        model = ["--model", "openai:m", "--base-url", url_of(server, "/v1")]
        command = [sys.executable, "-m", "react_agent.cli", "bench", "--task", "alfworld"]
        process = subprocess.Popen(
            [*command, "--method", "reflexion", *map(str, common), *model],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert reached.wait(120), process.communicate(timeout=5)[1]
        process.kill()
        process.wait()
    [unfinished] = lines_of(out)
    assert unfinished["stop_reason"] == "error" and unfinished["error"].startswith("unfinished")
    assert len(unfinished["attempts"]) == 1 and unfinished["attempts"][0]["reflection"] == f"{NOTE} (1)"
    assert react("leaderboard", out).returncode == 0  # an unfinished line reads as an episode in error

    with scripted_openai_server(answer_for=Player(plan)) as server:
        process = bench(server, *common)
        requests = [request["prompt"] for request in server.requests]
    assert process.returncode == 0, process.stderr
    # Only the second attempt was played: neither the first nor its reflection was asked again.
    assert len(requests) == len(plan) and all(NOTES in prompt for prompt in requests)
    resumed = lines_of(out)[-1]
    straight_out = tmp_path / "straight.jsonl"
    with scripted_openai_server(answer_for=Player(plan)) as server:
        process = bench(server, *common[:-1], straight_out)
    assert process.returncode == 0, process.stderr
    [straight] = live(straight_out)
    assert (resumed["stop_reason"], resumed["metrics"], played(resumed), resumed["model_outputs"]) == (
        straight["stop_reason"], straight["metrics"], played(straight), straight["model_outputs"]
    )  # fmt: skip
    assert [a["reflection"] for a in resumed["attempts"]] == [a["reflection"] for a in straight["attempts"]]
    # The resumed file replays whole: its first attempt's outputs come from the unfinished line.
    replayed = tmp_path / "replayed.jsonl"
    process = react("bench", "--task", "alfworld", "--method", "reflexion", *common[:-1], replayed,
                    "--model", f"replay:{out}")  # fmt: skip
    assert process.returncode == 0, process.stderr
    assert [played(r) for r in live(replayed)] == [played(resumed)]


def refused(process):
    assert process.returncode == 2 and "Traceback" not in process.stderr, process.stderr
    [line] = [line for line in process.stderr.splitlines() if line.startswith("react: error:")]
    return line


def test_a_task_that_judges_no_success_is_refused_without_oracle_feedback(tmp_path):
    line = refused(
        react("bench", "--task", "hotpotqa", "--method", "reflexion", "--out", tmp_path / "r.jsonl")
    )
    assert "--oracle-feedback" in line and "gold answer" in line
    line = refused(
        react(
            "bench",
            "--task",
            "alfworld",
            "--method",
            "reflexion",
            "--oracle-feedback",
            "--out",
            tmp_path / "a",
        )
    )
    assert "judges success itself" in line
    line = refused(react("bench", "--task", "hotpotqa", "--oracle-feedback", "--out", tmp_path / "b.jsonl"))
    assert "--method reflexion" in line or "reflexion" in line
    assert not any(path.stat().st_size for path in tmp_path.iterdir())  # refused before anything was played


DEMO = files("react_agent.envs").joinpath("data", "hotpotqa_demo_questions.jsonl").read_text()
GOLD = {record["question"]: record["answer"] for record in map(json.loads, DEMO.splitlines())}


def guesser(prompt):
    """Answers wrong at once; with a note, answers the gold."""
    if prompt.endswith(CUE):
        return " I guessed without searching. Next time I will search first."
    question = prompt.rsplit("\nQuestion: ", 1)[1].split("\n", 1)[0]
    answer = GOLD[question] if NOTES in prompt else "Atlantis"
    return f" I know it.\nAction 1: Finish[{answer}]"


def test_oracle_feedback_judges_by_the_gold_answer_and_says_so_everywhere(tmp_path):
    out = tmp_path / "oracle.jsonl"
    react_out = tmp_path / "react.jsonl"
    with scripted_openai_server(answer_for=guesser) as server:
        model = ["--model", "openai:m", "--base-url", url_of(server, "/v1")]
        common = ["--task", "hotpotqa", "--n", 2, *model]
        process = react("bench", *common, "--method", "reflexion", "--oracle-feedback", "--out", out)
        assert process.returncode == 0, process.stderr
        process = react("bench", *common, "--out", react_out)
        assert process.returncode == 0, process.stderr
    records = live(out)
    assert [r["metrics"]["em"] for r in records] == [1.0, 1.0]
    assert [r["metrics"]["em at 1st attempt"] for r in records] == [0.0, 0.0]
    assert [[a["answer"] for a in r["attempts"]] for r in records] == [
        ["Atlantis", r["gold"]] for r in records
    ]
    assert records[0]["config"]["oracle_feedback"] is True

    board = react("leaderboard", out, react_out, "--format", "markdown").stdout
    assert "### hotpotqa (oracle feedback: no test scores)" in board and "### hotpotqa\n" in board
    oracle_table = board.split("### hotpotqa (oracle feedback")[1].split("###")[0]
    assert "reflexion (3 attempts, oracle feedback)" in oracle_table and "| react |" not in oracle_table
    assert "attempts judged by the gold answer" in board  # the config's line
    compared = react("compare", out, react_out)
    assert compared.returncode == 0, compared.stderr
    assert "oracle feedback: A's attempts were judged by the gold answer" in compared.stdout
    report = react("report", out, react_out, "--out", tmp_path / "report.html")
    assert report.returncode == 0, report.stderr
    assert "hotpotqa (oracle feedback: no test scores)" in (tmp_path / "report.html").read_text()

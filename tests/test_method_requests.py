"""What each method sends the model, request by request, through `react bench`."""

import re
import subprocess
import sys

from bench_cli import bench_command, lines_of
from servers import scripted_openai_server, url_of


def test_act_sends_actions_and_observations_with_no_thoughts(tmp_path):
    out = tmp_path / "act.jsonl"
    with scripted_openai_server([" Search[Eiffel Tower]", " Finish[Seine]"]) as server:
        process = subprocess.run(
            bench_command(url_of(server, "/v1"), out, "--n", "1", "--method", "act"),
            capture_output=True,
            text=True,
        )
        first, second = (r["prompt"] for r in server.requests)
    assert process.returncode == 0, process.stderr
    assert first.endswith("\nAction 1:") and second.startswith(first)
    added = second[len(first) :]
    assert re.fullmatch(
        r" Search\[Eiffel Tower\]\nObservation 1: The Eiffel Tower is [^\n]+\nAction 2:", added
    )
    assert "Thought" not in second.rsplit("\nQuestion: ", 1)[1]
    assert lines_of(out)[0]["metrics"]["em"] == 1.0


def test_a_cot_answer_given_on_the_reask_scores_as_the_answer(tmp_path):
    def cot(prompt: str) -> str:
        return (
            " Seine" if prompt.endswith("\nAnswer:") else " The tower is in Paris, which lies on the Seine."
        )

    out = tmp_path / "cot.jsonl"
    with scripted_openai_server(answer_for=cot) as server:
        process = subprocess.run(
            bench_command(url_of(server, "/v1"), out, "--n", "1", "--method", "cot"),
            capture_output=True,
            text=True,
        )
        prompts = [r["prompt"] for r in server.requests]
    assert process.returncode == 0, process.stderr
    assert prompts[1] == prompts[0] + " The tower is in Paris, which lies on the Seine.\nAnswer:"
    [record] = lines_of(out)
    assert (record["answer"], record["metrics"]["em"], record["stop_reason"]) == ("Seine", 1.0, "finished")


def test_alfworld_sends_command_lines_with_no_labels(tmp_path):
    answers = iter([" think: I should find the object first.", " inventory", " look"])
    with scripted_openai_server(answer_for=lambda prompt: next(answers)) as server:
        process = subprocess.run(
            [
                sys.executable,
                "-m",
                "react_agent.cli",
                "run",
                "--task",
                "alfworld",
                "--n",
                "1",
                "--max-steps",
                "3",
                "--model",
                "openai:m",
                "--base-url",
                url_of(server, "/v1"),
                "--out",
                str(tmp_path / "run.jsonl"),
            ],
            capture_output=True,
            text=True,
        )
        prompts = [r["prompt"] for r in server.requests]
    assert process.returncode == 0, process.stderr
    [record] = lines_of(tmp_path / "run.jsonl")
    observations = [step["observation"] for step in record["steps"]]
    assert observations[:2] == ["OK.", "You are not carrying anything."]
    assert prompts[0].endswith("\n>")
    assert prompts[1] == prompts[0] + " think: I should find the object first.\nOK.\n>"
    assert prompts[2] == prompts[1] + " inventory\nYou are not carrying anything.\n>"
    task = prompts[2].rsplit("Here is the task.\n", 1)[1]
    assert "Thought" not in task and "Action" not in task and "Observation" not in task

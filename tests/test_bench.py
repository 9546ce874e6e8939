"""`react bench` and `bench()`: what each line records, and how methods, workers and options play."""

import hashlib
import json
import os
import re
import subprocess

from bench_cli import bench_command, by_task, cli, lines_of, sampling_answer_for
from conftest import REPO
from servers import scripted_openai_server, url_of


def test_workers_give_the_same_results_as_one(server, tmp_path):
    url = url_of(server, "/v1")
    one, eight = tmp_path / "one.jsonl", tmp_path / "eight.jsonl"
    assert subprocess.run(bench_command(url, one, "--n", "8"), capture_output=True).returncode == 0
    assert (
        subprocess.run(
            bench_command(url, eight, "--n", "8", "--workers", "8"), capture_output=True
        ).returncode
        == 0
    )
    assert by_task(one) == by_task(eight) and len(by_task(one)) == 8


def test_each_line_records_the_run_setup(server, tmp_path):
    from react_agent.envs.hotpotqa import DEMO_QUESTIONS, DEMO_WIKI, hotpotqa_prompt

    out = tmp_path / "run.jsonl"
    process = subprocess.run(
        bench_command(url_of(server, "/v1"), out, "--n", "1", "--seed", "7"), capture_output=True, text=True
    )
    assert process.returncode == 0, process.stderr
    [record] = lines_of(out)
    config = record["config"]
    assert (config["task"], config["method"], config["seed"], config["max_steps"]) == (
        "hotpotqa",
        "react",
        7,
        7,
    )
    assert config["prompts"] == {
        "react": {
            "source": "built-in hotpotqa:react",
            "format": "numbered",
            "sha256": hotpotqa_prompt("react").sha256(),
            "temperature": 0.0,
            "sampling": None,  # greedy
            "bootstrapped": False,  # examples written by hand, not `react optimize`'s
        }
    }
    assert config["paper"] is False and config["max_tokens"] == 128
    sha = hashlib.sha256
    assert config["data_files"][0]["sha256"] == sha(DEMO_QUESTIONS.read_bytes()).hexdigest()
    assert config["wiki"][0]["sha256"] == sha(DEMO_WIKI.read_bytes()).hexdigest()
    assert config["packages"]["react-agent"] and config["packages"]["openai"]
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", config["git_commit"])
    assert re.fullmatch(r"[0-9a-f]{16}", config["hash"])
    assert config["max_repeats"] == 3 and config["final_answer"] is False  # the loop guard is on
    assert {"prompt_tokens", "evaluated_tokens", "completion_tokens"} <= set(record["usage"])
    assert record["usage"]["calls"] >= 1 and record["seconds"] > 0


def comparable(path):
    """The lines of a results file by task, without what timing changes from one run to the next."""
    lines = {}
    for record in lines_of(path):
        record.pop("seconds")
        for step in record["steps"]:
            step.pop("model_seconds"), step.pop("env_seconds")
        lines[record["task_id"]] = record
    return lines


def test_bench_from_python_writes_what_react_bench_writes(server, tmp_path):
    from react_agent import AgentSettings, BenchSpec, bench
    from react_agent.models import ModelOptions

    url = url_of(server, "/v1")
    options = ["--n", "4", "--workers", "2", "--max-steps", "3", "--shots", "2", "--final-answer"]
    process = subprocess.run(
        bench_command(url, tmp_path / "cli.jsonl", *options, "--max-repeats", "2"),
        capture_output=True,
        text=True,
    )
    assert process.returncode == 0, process.stderr
    spec = BenchSpec(
        task="hotpotqa",
        model="openai:m",
        model_options=ModelOptions(base_url=url),
        n=4,
        workers=2,
        settings=AgentSettings(max_steps=3, shots=2, final_answer=True, max_repeats=2),
        out=tmp_path / "python.jsonl",
    )
    summary = bench(spec)
    assert (summary.played, summary.already, len(summary.results)) == (4, 0, 4)
    python, command_line = comparable(tmp_path / "python.jsonl"), comparable(tmp_path / "cli.jsonl")
    assert python == command_line and len(python) == 4
    assert next(iter(python.values()))["config"]["hash"] == summary.config.hash
    assert bench(spec).played == 0  # resumed: nothing left to play


def test_voting_methods_record_the_votes_prompt_and_temperature(tmp_path):
    from react_agent.envs.hotpotqa import hotpotqa_prompt

    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=sampling_answer_for) as server:
        process = subprocess.run(
            bench_command(
                url_of(server, "/v1"), out, "--n", "1", "--method", "react-then-cot-sc", "--sc-samples", "3"
            ),
            capture_output=True,
            text=True,
        )
    assert process.returncode == 0, process.stderr
    prompts = lines_of(out)[0]["config"]["prompts"]
    assert (
        prompts["react"]["sha256"] == hotpotqa_prompt("react").sha256()
        and prompts["react"]["temperature"] == 0.0
    )
    assert (
        prompts["votes"]["sha256"] == hotpotqa_prompt("cot").sha256()
        and prompts["votes"]["temperature"] == 0.7
    )
    assert prompts["votes"]["format"] == "reasoned_answer"


def test_methods_use_their_own_prompts(server, tmp_path):
    for method in ("act", "cot", "standard"):
        out = tmp_path / f"{method}.jsonl"
        process = subprocess.run(
            bench_command(url_of(server, "/v1"), out, "--n", "1", "--method", method),
            capture_output=True,
            text=True,
        )
        assert process.returncode == 0, process.stderr
        assert lines_of(out)[0]["config"]["method"] == method
    prompts = [r.get("prompt", "") for r in server.requests]
    assert any(p.endswith("Action 1:") for p in prompts)  # act
    assert any(p.endswith("Thought:") for p in prompts)  # cot
    assert any(p.endswith("Answer:") for p in prompts)  # standard


def test_react500_needs_the_official_dev_file():
    process = cli("bench", "--task", "hotpotqa", "--sample", "react500", "--out", os.devnull)
    assert process.returncode == 2 and "official dev file (7,405 questions)" in process.stderr


def test_final_answer_at_the_step_limit_is_asked_for_and_scored(tmp_path):
    def looping(prompt: str) -> str:
        return " Seine" if prompt.endswith("Finish[") else " Again.\nAction 1: Search[Paris]"

    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=looping) as server:
        url = url_of(server, "/v1")
        process = subprocess.run(
            bench_command(url, out, "--n", "1", "--max-steps", "2", "--final-answer"),
            capture_output=True,
            text=True,
        )
    assert process.returncode == 0, process.stderr
    [record] = lines_of(out)
    assert (record["stop_reason"], record["answer"], record["metrics"]["em"]) == ("max_steps", "Seine", 1.0)
    assert record["config"]["final_answer"] is True and len(record["steps"]) == 2


def test_zero_shot_sends_the_instruction_alone_and_records_it(server, tmp_path):
    from react_agent.envs.hotpotqa import hotpotqa_prompt

    out = tmp_path / "run.jsonl"
    process = subprocess.run(
        bench_command(url_of(server, "/v1"), out, "--n", "1", "--shots", "0"), capture_output=True, text=True
    )
    assert process.returncode == 0, process.stderr
    [record] = lines_of(out)
    instruction = hotpotqa_prompt("react").instruction
    assert server.requests[0]["prompt"] == f"{instruction}{record['question']}\nThought 1:"
    assert record["config"]["shots"] == 0
    refused = subprocess.run(
        bench_command(url_of(server, "/v1"), out, "--n", "2"), capture_output=True, text=True
    )
    assert refused.returncode == 2 and "prompts.react, shots differ" in refused.stderr


def test_records_name_their_files_and_say_nothing_of_the_machine(server, tmp_path):
    from react_agent.envs.hotpotqa import DEMO_QUESTIONS, DEMO_WIKI

    data, wiki = tmp_path / "deep" / "folder" / "questions.jsonl", tmp_path / "deep" / "wiki.jsonl"
    data.parent.mkdir(parents=True)
    data.write_bytes(DEMO_QUESTIONS.read_bytes())
    wiki.write_bytes(DEMO_WIKI.read_bytes())
    out = tmp_path / "run.jsonl"
    command = bench_command(url_of(server, "/v1"), out, "--n", "1", "--data", data, "--wiki", wiki)
    process = subprocess.run(command, capture_output=True)
    assert process.returncode == 0, process.stderr
    config = lines_of(out)[0]["config"]
    assert config["data"] == config["data_files"][0]["path"] == "questions.jsonl"
    assert config["wiki"][0]["path"] == "wiki.jsonl"
    text = json.dumps(config)
    assert str(tmp_path) not in text and str(REPO) not in text and "/root" not in text

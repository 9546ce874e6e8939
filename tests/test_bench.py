"""`react bench`, `react leaderboard`, `react show` and replays, as a user runs them."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO
from react_agent.leaderboard import bootstrap_ci
from servers import scripted_openai_server, url_of


def answer_for(prompt: str) -> str:
    """A deterministic 'model': it depends only on the task's own part of the prompt, so any order
    of play (workers, a resumed run) gives every task the same episode."""
    episode = prompt.rsplit("\nQuestion: ", 1)[1]
    question = episode.split("\n", 1)[0]
    steps = episode.count("\nObservation ")
    if steps == 0:
        return f" I look it up.\nAction 1: Search[{question.rstrip('?').split()[-1]}]"
    last_observation = episode.rsplit("\nObservation ", 1)[1].split(": ", 1)[1]
    return f" So it is this.\nAction {steps + 1}: Finish[{' '.join(last_observation.split()[:2])}]"


def bench_command(url, out, *extra):
    return [
        sys.executable,
        "-m",
        "react_agent.cli",
        "bench",
        "--task",
        "hotpotqa",
        "--model",
        "openai:m",
        "--base-url",
        url,
        "--out",
        str(out),
        *map(str, extra),
    ]


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "react_agent.cli", *map(str, args)], capture_output=True, text=True
    )


def lines_of(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def by_task(path):
    return {r["task_id"]: (r["answer"], r["metrics"], len(r["steps"])) for r in lines_of(path)}


@pytest.fixture
def server():
    with scripted_openai_server(answer_for=answer_for, delay=0.05) as running:
        yield running


def test_killed_run_resumes_to_one_line_per_task_with_the_same_metrics(server, tmp_path):
    url = url_of(server, "/v1")
    reference = tmp_path / "reference.jsonl"
    assert subprocess.run(bench_command(url, reference), capture_output=True).returncode == 0
    assert len(lines_of(reference)) == 22

    killed = tmp_path / "killed.jsonl"
    process = subprocess.Popen(
        bench_command(url, killed, "--workers", "2"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while (not killed.exists() or len(killed.read_text().splitlines()) < 5) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    written = len(killed.read_text().splitlines())
    assert 5 <= written < 22, "the kill should land mid-run"

    rerun = subprocess.run(bench_command(url, killed, "--workers", "2"), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    ids = [r["task_id"] for r in lines_of(killed)]
    assert len(ids) == len(set(ids)) == 22
    assert by_task(killed) == by_task(reference)


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


def test_replay_reproduces_the_metrics_with_no_model(server, tmp_path):
    url = url_of(server, "/v1")
    recorded, replayed = tmp_path / "recorded.jsonl", tmp_path / "replayed.jsonl"
    assert subprocess.run(bench_command(url, recorded, "--n", "6"), capture_output=True).returncode == 0
    requests_before = len(server.requests)
    process = cli(
        "bench", "--task", "hotpotqa", "--n", "6", "--model", f"replay:{recorded}", "--out", replayed
    )
    assert process.returncode == 0, process.stderr
    assert len(server.requests) == requests_before  # nothing asked of any model
    assert by_task(replayed) == by_task(recorded)
    assert all(r["config"]["model"] == f"replay:{recorded.name}" for r in lines_of(replayed))


def test_each_line_records_the_run_setup(server, tmp_path):
    out = tmp_path / "run.jsonl"
    assert (
        subprocess.run(
            bench_command(url_of(server, "/v1"), out, "--n", "1", "--seed", "7"), capture_output=True
        ).returncode
        == 0
    )
    [record] = lines_of(out)
    config = record["config"]
    assert config["method"] == "react" and config["seed"] == 7 and config["task"] == "hotpotqa"
    assert re.fullmatch(r"[0-9a-f]{64}", config["prompt_sha256"]) and config["version"]
    assert {"prompt_tokens", "evaluated_tokens", "completion_tokens"} <= set(record["usage"])
    assert record["usage"]["calls"] >= 1 and record["seconds"] > 0


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


def test_bootstrap_interval_matches_the_known_binomial_case():
    # 300 successes in 1,000: the normal approximation gives 30.0 +- 2.84 points.
    values = [100.0] * 300 + [0.0] * 700
    low, high = bootstrap_ci(values)
    assert low == pytest.approx(30.0 - 2.84, abs=0.4) and high == pytest.approx(30.0 + 2.84, abs=0.4)
    assert bootstrap_ci([100.0] * 20) == (100.0, 100.0)
    assert bootstrap_ci(values) == bootstrap_ci(values)  # seeded


def test_leaderboard_and_show(server, tmp_path):
    out = tmp_path / "run.jsonl"
    assert (
        subprocess.run(bench_command(url_of(server, "/v1"), out, "--n", "4"), capture_output=True).returncode
        == 0
    )
    board = cli("leaderboard", str(out), "--format", "markdown")
    assert board.returncode == 0, board.stderr
    assert "| built-in | m | react | 4 |" in board.stdout
    assert "| HotpotQA dev, react500 | PaLM-540B (reported) | react |  | 27.4" in board.stdout
    records = json.loads(cli("leaderboard", str(out), "--format", "json").stdout)
    assert records[0]["n"] == 4 and records[0]["scores"]["em"][0] == 0.0
    first = lines_of(out)[0]
    show = cli("show", str(out), "--id", first["task_id"])
    assert show.returncode == 0 and f"Action 1: {first['steps'][0]['action']['text']}" in show.stdout
    missing = cli("show", str(tmp_path / "none.jsonl"))
    assert missing.returncode == 2 and "results file not found" in missing.stderr


def sampling_answer_for(prompt: str) -> str:
    """CoT answers that depend on the sample: a majority for 'Paris', one odd one out."""
    if prompt.endswith("Thought:"):
        sampling_answer_for.calls += 1
        city = "Lyon" if sampling_answer_for.calls % 3 == 0 else "Paris"
        return f" It must be {city}.\nAnswer: {city}"
    return answer_for(prompt)


sampling_answer_for.calls = 0


@pytest.mark.parametrize("method", ["cot-sc", "react-then-cot-sc", "cot-sc-then-react"])
def test_combined_methods_vote_and_replay(tmp_path, method):
    with scripted_openai_server(answer_for=sampling_answer_for) as server:
        out = tmp_path / "run.jsonl"
        process = subprocess.run(
            bench_command(url_of(server, "/v1"), out, "--n", "2", "--method", method, "--sc-samples", "5"),
            capture_output=True,
            text=True,
        )
        assert process.returncode == 0, process.stderr
        temperatures = {r.get("temperature") for r in server.requests if r["prompt"].endswith("Thought:")}
    records = lines_of(out)
    if method == "cot-sc":
        assert temperatures == {0.7}
        assert all(r["answer"] == "Paris" and len(r["steps"]) == 5 for r in records)
    if method == "react-then-cot-sc":  # ReAct finishes here, so no fallback
        assert all(r["steps"][-1]["action"]["name"] == "finish" and len(r["steps"]) == 2 for r in records)
    if method == "cot-sc-then-react":  # 3 or 4 of 5 votes agree: a strong vote, no fallback
        assert all(r["answer"] == "Paris" for r in records)
    replayed = tmp_path / "replayed.jsonl"
    process = cli(
        "bench",
        "--task",
        "hotpotqa",
        "--n",
        "2",
        "--method",
        method,
        "--sc-samples",
        "5",
        "--model",
        f"replay:{out}",
        "--out",
        str(replayed),
    )
    assert process.returncode == 0, process.stderr
    assert by_task(replayed) == by_task(out)


def test_published_runs_replay_to_their_published_scores(tmp_path):
    """The leaderboard in benchmarks/README.md comes from these files: replaying the model outputs
    they recorded through today's code gives the same answers and metrics."""
    for name in ("hotpotqa-demo-react-smollm2.jsonl", "hotpotqa-demo-cot-sc5-smollm2.jsonl"):
        recorded = REPO / "benchmarks" / "runs" / name
        config = lines_of(recorded)[0]["config"]
        replayed = tmp_path / name
        process = cli(
            "bench",
            "--task",
            "hotpotqa",
            "--method",
            config["method"],
            "--sc-samples",
            config.get("sc_samples") or 21,
            "--model",
            f"replay:{recorded}",
            "--out",
            replayed,
        )
        assert process.returncode == 0, process.stderr
        assert by_task(replayed) == by_task(recorded)

"""Limits through the CLI: an episode's tokens and seconds, and a run's token budget."""

import json
import subprocess
import sys

from servers import scripted_openai_server, url_of


def react(*args):
    command = [sys.executable, "-m", "react_agent.cli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def searching(prompt: str) -> str:
    step = prompt.count("\nObservation ") + 1
    return f" Look further.\nAction {step}: Search[Paris {step}]"


def bench(server, out, *extra):
    model = ["--model", "openai:m", "--base-url", url_of(server, "/v1")]
    return react("bench", "--task", "hotpotqa", *model, "--out", out, *extra)


def test_an_episode_limit_ends_episodes_with_limit_and_what_they_reached(tmp_path):
    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=searching) as server:
        process = bench(server, out, "--n", "2", "--episode-tokens", "3000")
    assert process.returncode == 0, process.stderr
    for record in lines(out):
        assert (record["stop_reason"], record["failure_category"]) == ("limit", "limit")
        usage = record["usage"]
        spent = usage["prompt_tokens"] + usage["completion_tokens"]
        assert record["error"] == f"episode_tokens: {spent:,} tokens sent and generated, limit 3,000"
        # It stopped at the first step that reached the limit, not later.
        last = record["steps"][-1]["usage"]
        assert spent - last["prompt_tokens"] - last["completion_tokens"] < 3000 <= spent
        assert record["config"]["episode_tokens"] == 3000
    report = react("leaderboard", out, "--breakdown", "--format", "markdown")
    assert "episode token limit 3000" in report.stdout


def test_a_run_budget_stops_starting_episodes_and_a_rerun_resumes(tmp_path):
    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=searching) as server:
        stopped = bench(server, out, "--n", "5", "--max-steps", "2", "--run-tokens", "5000")
        assert stopped.returncode == 0, stopped.stderr
        played = lines(out)
        assert 0 < len(played) < 5
        spent = sum(r["usage"]["prompt_tokens"] + r["usage"]["completion_tokens"] for r in played)
        before_last = spent - played[-1]["usage"]["prompt_tokens"] - played[-1]["usage"]["completion_tokens"]
        assert before_last < 5000 <= spent  # one worker: it stopped right after the budget was reached
        assert f"stopped at --run-tokens 5,000 ({spent:,} tokens); resume with: react bench" in stopped.stdout
        resumed = bench(server, out, "--n", "5", "--max-steps", "2")
        assert resumed.returncode == 0, resumed.stderr
    assert f"{5 - len(played)} episodes played, {len(played)} already" in resumed.stdout
    assert sorted(r["task_id"] for r in lines(out)) == [f"demo-0{i}" for i in range(1, 6)]

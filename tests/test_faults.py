"""A remote model server that fails, in every way item 1 of the reliability work lists, injected
by the scripted OpenAI-like server on 127.0.0.1 (benchmarks/openai_server.py): `react bench`
retries, records an episode that still fails as `error` without stopping, and lets no exception of
the openai or httpx packages out."""

import json
import subprocess
import sys

import pytest

from bench_cli import answer_for, by_task, lines_of
from openai_server import FAULTS
from servers import scripted_openai_server, url_of


def bench(url, out, *extra):
    command = [sys.executable, "-m", "react_agent.cli", "bench", "--task", "hotpotqa", "--model", "openai:m"]
    command += ["--base-url", url, "--out", str(out), "--n", "2", "--timeout", "1", *map(str, extra)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean") / "run.jsonl"
    with scripted_openai_server(answer_for=answer_for) as server:
        assert bench(url_of(server, "/v1"), out).returncode == 0
    return by_task(out)


# Every fault on the completions endpoint; on the chat endpoint too in the slow run (.ci/run).
@pytest.mark.parametrize("endpoint", ["completions", pytest.param("chat", marks=pytest.mark.slow)])
@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_once_is_retried_and_changes_nothing(tmp_path, clean, fault, endpoint):
    out = tmp_path / "run.jsonl"
    with scripted_openai_server(
        answer_for=answer_for, faults=lambda n, body: fault if n == 2 else None
    ) as server:
        server.stall_seconds = 5
        process = bench(url_of(server, "/v1"), out, "--endpoint", endpoint)
        requests = len(server.requests)
    assert process.returncode == 0, process.stderr
    assert "Traceback" not in process.stderr
    assert [r["stop_reason"] for r in lines_of(out)] == ["finished", "finished"]
    assert by_task(out) == clean and requests == 5  # 4 answers, and the one that failed once


def test_an_episode_that_keeps_failing_ends_alone_in_error_and_is_played_again(tmp_path, clean):
    def eiffel_fails(n, body):
        episode = body["prompt"].rsplit("\nQuestion: ", 1)[1]
        return "503" if "Eiffel Tower" in episode else None

    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=answer_for, faults=eiffel_fails) as server:
        process = bench(url_of(server, "/v1"), out)
    assert process.returncode == 0, process.stderr
    first, second = lines_of(out)
    assert first["stop_reason"] == "error" and "HTTP 503 (4 attempts)" in first["error"]
    assert second["stop_reason"] == "finished"
    with scripted_openai_server(answer_for=answer_for) as server:
        rerun = bench(url_of(server, "/v1"), out)
    assert rerun.returncode == 0 and "1 episodes played, 1 already in" in rerun.stdout
    assert by_task(out) == clean


def test_a_server_that_dies_stops_the_run_in_one_line_keeping_what_finished(tmp_path):
    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=answer_for, fail_after=2) as server:
        process = bench(url_of(server, "/v1"), out, "--n", "6")
    assert process.returncode == 2
    [line] = [
        line for line in process.stderr.splitlines() if line.strip() and not line.startswith("indexed ")
    ]
    assert line.startswith("react: error: model server at http://127.0.0.1:") and "stopped answering" in line
    records = lines_of(out)
    # The third request in a row that fails stops the run; the two episodes before it are errors.
    assert "3 requests in a row failed" in line
    assert records[0]["stop_reason"] == "finished" and len(records) == 3
    assert all(r["stop_reason"] == "error" for r in records[1:])
    assert json.loads(out.read_text().splitlines()[-1])["error"].startswith("ModelError: model server at")


def test_a_game_whose_engine_fails_mid_game_ends_alone_with_its_traceback(tmp_path):
    """A game file whose grammar lacks a rule that one command needs: the engine raises only when
    that command is played. That episode ends in error, with the engine's traceback; the other
    game of the folder is played to its end."""
    import shutil

    from react_agent.envs.alfworld import builtin_games_folder, find_games

    builtin = find_games(builtin_games_folder(tmp_path / "cache"))
    games = tmp_path / "games" / "json_2.1.1" / "valid_unseen"
    for game in builtin[:2]:
        trial = game.game_file.parent
        shutil.copytree(trial, games / trial.parent.name / trial.name)
    broken = games / builtin[0].id / "game.tw-pddl"
    data = json.loads(broken.read_text())
    data["grammar"] = data["grammar"].replace("#examineReceptacle.feedback#", "#no_such_rule#")
    broken.write_text(json.dumps(data))

    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=lambda prompt: " go to drawer 3") as server:
        command = [sys.executable, "-m", "react_agent.cli", "bench", "--task", "alfworld", "--games"]
        command += [tmp_path / "games", "--model", "openai:m", "--base-url", url_of(server, "/v1")]
        command += ["--max-steps", "2", "--out", out]
        process = subprocess.run(list(map(str, command)), capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stderr
    failed, played = lines_of(out)
    assert failed["task_id"] == builtin[0].id and failed["stop_reason"] == "error"
    assert "CSGUnknownSymbolError" in failed["error"] and "Traceback" in failed["error"]
    assert played["stop_reason"] == "max_steps" and len(played["steps"]) == 2
    assert "1 episodes ended by an error" in process.stdout

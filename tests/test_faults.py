"""A remote model server that fails, in every way item 1 of the reliability work lists, injected
by the scripted OpenAI-like server on 127.0.0.1 (benchmarks/openai_server.py): `react bench`
retries, records an episode that still fails as `error` without stopping, and lets no exception of
the openai or httpx packages out."""

import json
import subprocess
import sys

import pytest
from test_bench import answer_for, by_task, lines_of

from react_agent.benchmarks.openai_server import FAULTS
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


@pytest.mark.parametrize("endpoint", ["completions", "chat"])
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

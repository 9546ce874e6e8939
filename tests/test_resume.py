"""A run that stops (killed, interrupted, a failed call, a torn line) resumes to one line per task; a
second writer or another run into the same file is refused."""

import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time

import pytest

from bench_cli import answer_for, bench_command, by_task, cli, lines_of, one_error_line
from servers import scripted_openai_server, url_of


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


def test_rerun_with_another_method_into_the_same_file_is_refused(server, tmp_path):
    out = tmp_path / "run.jsonl"
    url = url_of(server, "/v1")
    assert subprocess.run(bench_command(url, out, "--n", "2", "--method", "standard")).returncode == 0
    before = out.read_bytes()
    line = one_error_line(
        subprocess.run(bench_command(url, out, "--n", "2", "--method", "cot"), capture_output=True, text=True)
    )
    assert f"{out} holds another run (" in line and "method" in line.split("(", 1)[1]
    assert out.read_bytes() == before  # nothing appended, nothing lost


def test_error_episodes_are_played_again_on_resume(tmp_path):
    healthy = [True]

    def flaky(prompt: str) -> str | int:
        if not healthy[0] and "Eiffel Tower" in prompt.rsplit("\nQuestion: ", 1)[1]:
            return 500
        return answer_for(prompt)

    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=flaky) as server:
        url = url_of(server, "/v1")
        healthy[0] = False
        assert subprocess.run(bench_command(url, out, "--n", "3"), capture_output=True).returncode == 0
        first = lines_of(out)
        assert [r["stop_reason"] for r in first].count("error") == 1
        assert "500" in next(r["error"] for r in first if r["stop_reason"] == "error")
        healthy[0] = True
        rerun = subprocess.run(bench_command(url, out, "--n", "3"), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert "1 episodes played, 2 already in" in rerun.stdout
    lines = lines_of(out)
    assert len(lines) == 4 and lines[-1]["task_id"] == "demo-01" and lines[-1]["stop_reason"] == "finished"
    board = json.loads(cli("leaderboard", out, "--format", "json").stdout)
    assert board[0]["n"] == 3  # one live line per task: the last one written
    show = cli("show", out, "--id", "demo-01")
    assert show.stdout.count("Question: Which river flows") == 1 and "finished" in show.stdout


def test_a_torn_last_line_is_skipped_by_readers_and_cut_by_resume(server, tmp_path):
    out = tmp_path / "runs" / "run.jsonl"
    out.parent.mkdir()
    url = url_of(server, "/v1")
    assert subprocess.run(bench_command(url, out, "--n", "3"), capture_output=True).returncode == 0
    whole = out.read_bytes()
    out.write_bytes(whole + whole.splitlines(keepends=True)[0][:150])  # a kill in mid-write
    for args in (("leaderboard", out), ("leaderboard", out.parent), ("show", out)):
        process = cli(*args)
        assert process.returncode == 0, process.stderr
        assert "react: warning:" in process.stderr and "torn last line (line 4" in process.stderr
    assert json.loads(cli("leaderboard", out.parent, "--format", "json").stdout)[0]["n"] == 3
    resumed = subprocess.run(bench_command(url, out, "--n", "4"), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert out.read_bytes().startswith(whole) and len(lines_of(out)) == 4


def test_a_second_writer_of_a_results_file_is_refused_naming_the_first(tmp_path):
    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=answer_for) as server:
        # The first run's model calls wait until the second has tried: however slow the machine,
        # the first still holds the file then.
        server.gate = threading.Event()
        url = url_of(server, "/v1")
        first = subprocess.Popen(
            bench_command(url, out, "--n", "6"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while not (tmp_path / "run.jsonl.lock").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        second = subprocess.run(bench_command(url, out, "--n", "6"), capture_output=True, text=True)
        server.gate.set()
        assert first.wait(timeout=120) == 0, first.stderr.read()
    line = one_error_line(second)
    assert f"{out} is being written by process {first.pid} (react bench --task hotpotqa" in line
    assert len(lines_of(out)) == 6 and not (tmp_path / "run.jsonl.lock").exists()


@pytest.mark.parametrize(
    "signal_number, code", [pytest.param(signal.SIGINT, 130, marks=pytest.mark.slow), (signal.SIGTERM, 143)]
)
def test_an_interrupted_run_stops_keeps_its_lines_says_how_to_resume_and_resumes(
    tmp_path, signal_number, code
):
    reference, out = tmp_path / "reference.jsonl", tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=answer_for, delay=0.15) as server:
        url = url_of(server, "/v1")
        assert subprocess.run(bench_command(url, reference, "--n", "12"), capture_output=True).returncode == 0
        process = subprocess.Popen(
            bench_command(url, out, "--n", "12", "--workers", "2"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while (not out.exists() or len(out.read_text().splitlines()) < 3) and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal_number)
        sent = time.monotonic()
        assert process.wait(timeout=30) == code
        assert time.monotonic() - sent < 5
        stderr = process.stderr.read()
        written = len(lines_of(out))
        assert 3 <= written < 12 and out.read_text().endswith("\n")
        name = signal.Signals(signal_number).name
        assert f"react: {name}: stopped with {written} episodes in {out}; resume with: react bench" in stderr
        assert "Traceback" not in stderr
        resume = stderr.rsplit("resume with: ", 1)[1].strip()
        rerun = subprocess.run(
            [sys.executable, "-m", "react_agent.cli", *shlex.split(resume)[1:]],
            capture_output=True,
            text=True,
        )
    assert rerun.returncode == 0, rerun.stderr
    assert by_task(out) == by_task(reference) and len(lines_of(out)) == 12

"""`react bench --executor ray`, on a local Ray instance the command starts (2 CPUs here), against
an OpenAI-like server on 127.0.0.1: the same results as the local executor, one line per task when
an actor is killed in the middle, and when a run is interrupted and resumed."""

import os
import signal
import subprocess
import sys
import time

import pytest

from bench_cli import answer_for, by_task, lines_of
from conftest import HOTPOT_SAMPLE, need_shared
from servers import scripted_openai_server, url_of


def bench(url, out, *extra, data=None):
    command = [sys.executable, "-m", "react_agent.cli", "bench", "--task", "hotpotqa", "--model", "openai:m"]
    command += ["--base-url", url, "--out", str(out), *map(str, extra)]
    return command + (["--data", str(data)] if data else [])


@pytest.mark.slow  # starts a local Ray instance and plays 20 questions on it and here
def test_ray_plays_20_questions_as_the_local_executor_does(tmp_path):
    need_shared(HOTPOT_SAMPLE)
    with scripted_openai_server(answer_for=answer_for) as server:
        url = url_of(server, "/v1")
        local = subprocess.run(
            bench(url, tmp_path / "local.jsonl", "--n", "20", "--workers", "4", data=HOTPOT_SAMPLE),
            capture_output=True,
            text=True,
        )
        ray = subprocess.run(
            bench(
                url,
                tmp_path / "ray.jsonl",
                "--n",
                "20",
                "--workers",
                "4",
                "--executor",
                "ray",
                data=HOTPOT_SAMPLE,
            ),
            capture_output=True,
            text=True,
        )
    assert local.returncode == 0, local.stderr
    assert ray.returncode == 0, ray.stderr
    ids = [r["task_id"] for r in lines_of(tmp_path / "ray.jsonl")]
    assert len(ids) == len(set(ids)) == 20
    assert by_task(tmp_path / "ray.jsonl") == by_task(tmp_path / "local.jsonl")


def actor_pids():
    found = subprocess.run(
        ["pgrep", "-f", "ray::_EpisodeActor"], capture_output=True, text=True
    ).stdout.split()
    return [int(pid) for pid in found]


def wait_for_lines(out, count, deadline=120):
    end = time.monotonic() + deadline
    while (not out.exists() or len(out.read_text().splitlines()) < count) and time.monotonic() < end:
        time.sleep(0.1)


@pytest.mark.slow
def test_an_actor_killed_in_the_middle_has_its_task_played_again(tmp_path):
    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=answer_for, delay=0.3) as server:
        url = url_of(server, "/v1")
        reference = subprocess.run(bench(url, tmp_path / "reference.jsonl", "--n", "12"), capture_output=True)
        assert reference.returncode == 0
        process = subprocess.Popen(
            bench(url, out, "--n", "12", "--workers", "2", "--executor", "ray"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for_lines(out, 2)
        pids = actor_pids()
        assert pids, "no actor process found"
        os.kill(pids[0], signal.SIGKILL)
        assert process.wait(timeout=300) == 0, process.stderr.read()
    ids = [r["task_id"] for r in lines_of(out)]
    assert len(ids) == len(set(ids)) == 12
    assert by_task(out) == by_task(tmp_path / "reference.jsonl")


@pytest.mark.slow
def test_a_ray_run_interrupted_and_resumed_has_one_line_per_task(tmp_path):
    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=answer_for, delay=0.3) as server:
        url = url_of(server, "/v1")
        command = bench(url, out, "--n", "12", "--workers", "2", "--executor", "ray")
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for_lines(out, 3)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 130
        assert 3 <= len(lines_of(out)) < 12
        rerun = subprocess.run(command, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    ids = [r["task_id"] for r in lines_of(out)]
    assert len(ids) == len(set(ids)) == 12

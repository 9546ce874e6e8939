"""Repeated trials (`react bench --epochs K`): one line per trial, seeded apart, resumed by trial,
replayed, and scored as the mean, pass@k and pass^k."""

import json
import subprocess
import sys

import pytest

from openai_server import search_then_answer
from react_agent.episode import Episode
from react_agent.formats import FORMATS
from react_agent.leaderboard import as_markdown, pass_at, pass_power, rows
from react_agent.trajectory import EpisodeResult, StopReason
from servers import scripted_openai_server, url_of


def react(*args):
    command = [sys.executable, "-m", "react_agent.cli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_pass_at_k_and_pass_power_k_by_their_definitions():
    # 4 trials, 1 solved: 2 drawn hold it in 3 of the 6 pairs; all of 2 drawn never solved it.
    assert pass_at(2, 4, 1) == pytest.approx(0.5) and pass_power(2, 4, 1) == 0
    assert pass_power(2, 4, 2) == pytest.approx(1 / 6) and pass_at(2, 4, 2) == pytest.approx(5 / 6)
    assert pass_at(3, 3, 0) == 0 and pass_power(3, 3, 3) == 1


def test_the_leaderboard_averages_trials_per_task_and_shows_pass_at_k():
    def trial(task, epoch, em):
        return EpisodeResult(
            task_id=task, epoch=epoch, question="q", stop_reason=StopReason.finished, metrics={"em": em}
        )

    solved = {"a": [1, 1, 0], "b": [0, 0, 0], "c": [1, 1, 1]}
    [row] = rows([trial(task, e, em) for task, ems in solved.items() for e, em in enumerate(ems)])
    assert (row.n, row.epochs, row.episodes) == (3, 3, 9)
    assert row.scores["em"][0] == pytest.approx(100 * (2 / 3 + 0 + 1) / 3)
    assert row.scores["em pass@3"][0] == pytest.approx(100 * 2 / 3)  # a and c
    assert row.scores["em pass^3"][0] == pytest.approx(100 / 3)  # c alone
    assert "| 3 x 3 |" in as_markdown([row])


def test_a_trial_after_the_first_carries_its_epoch_as_the_requests_seed():
    def first_request(epoch):
        return Episode("t", "Q\n", "Q", step_format=FORMATS["numbered"], epoch=epoch).next_request()

    assert first_request(0).seed is None  # the first trial's requests are those of a run without epochs
    assert first_request(2).seed == 2 and first_request(2).sha256() != first_request(0).sha256()


@pytest.mark.slow  # the local model plays every epoch of several tasks through the command line: minutes
def test_epochs_through_the_cli_with_the_local_model(tmp_path):
    out = tmp_path / "run.jsonl"
    play = ["bench", "--task", "hotpotqa", "--n", "2", "--max-steps", "2", "--temperature", "0.9"]
    first = react(*play, "--epochs", "3", "--out", out)
    assert first.returncode == 0, first.stderr
    played = lines(out)
    assert sorted((r["task_id"], r["epoch"]) for r in played) == sorted(
        (task, epoch) for task in {r["task_id"] for r in played} for epoch in range(3)
    )
    by_trial = {(r["task_id"], r["epoch"]): r for r in played}
    task = played[0]["task_id"]
    # Each trial's first request differs by its seed alone, and sampled apart they answered apart.
    shas = {by_trial[task, e]["model_outputs"][0]["request_sha256"] for e in range(3)}
    texts = {by_trial[task, e]["model_outputs"][0]["text"] for e in range(3)}
    assert len(shas) == 3 and len(texts) > 1
    # More epochs resume: only the new trials are played; as many again play nothing.
    more = react(*play, "--epochs", "4", "--out", out)
    assert more.returncode == 0, more.stderr
    assert "2 episodes played, 6 already" in more.stdout
    again = react(*play, "--epochs", "4", "--out", out)
    assert "0 episodes played, 8 already" in again.stdout
    assert len(lines(out)) == 8
    # A replay plays every trial back, answer for answer.
    replayed = tmp_path / "replayed.jsonl"
    replay = react(*play, "--epochs", "4", "--model", f"replay:{out}", "--out", replayed)
    assert replay.returncode == 0, replay.stderr
    answers = {(r["task_id"], r["epoch"]): r["answer"] for r in lines(replayed)}
    assert answers == {(r["task_id"], r["epoch"]): r["answer"] for r in lines(out)}
    board = react("leaderboard", out, "--format", "markdown")
    assert "| 2 x 4 |" in board.stdout
    assert "em pass@4 (95% CI)" in board.stdout and "em pass^4 (95% CI)" in board.stdout
    report = react("report", out, "--out", tmp_path / "report.html")
    assert report.returncode == 0, report.stderr
    assert '"epochs": 4' in (tmp_path / "report.html").read_text()


def test_a_remote_trial_sends_its_seed(tmp_path):
    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=search_then_answer) as server:
        model = ["--model", "openai:m", "--base-url", url_of(server, "/v1")]
        process = react("bench", "--task", "hotpotqa", "--n", "1", "--epochs", "2", *model, "--out", out)
        assert process.returncode == 0, process.stderr
        seeds = [request.get("seed") for request in server.requests]
    assert None in seeds and 1 in seeds and set(seeds) == {None, 1}

"""Publishing a suite's run from `benchmarks/pending/` (benchmarks/publish.py), and giving recorded
episodes today's failure categories (benchmarks/rediagnose.py), on a published demo run: its
episodes replay in seconds, with no model."""

import json
import shutil
import subprocess
import sys

import pytest

from conftest import REPO

RUN = "hotpotqa-demo-standard-smollm2.jsonl"  # the demo suite's, a model call an episode
PUBLISHED = REPO / "benchmarks" / "runs" / RUN


def benchmark(module, *args):
    return subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )


@pytest.fixture
def folders(tmp_path):
    pending, runs = tmp_path / "pending", tmp_path / "runs"
    pending.mkdir()
    runs.mkdir()
    readme = tmp_path / "README.md"
    shutil.copy(REPO / "benchmarks" / "README.md", readme)
    return pending, runs, readme


def publish(pending, runs, readme):
    return benchmark("publish", "demo", RUN, "--pending", pending, "--runs", runs, "--readme", readme)


def with_lines(path, lines):
    path.write_text(
        "".join(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n" for line in lines)
    )


def test_a_whole_run_moves_to_runs_with_todays_categories_and_the_readme_lists_it(folders):
    pending, runs, readme = folders
    lines = [json.loads(line) for line in PUBLISHED.read_text().splitlines()]
    right = lines[0]["failure_category"]
    lines[0]["failure_category"] = "loop"  # as an older rule might have said
    with_lines(pending / RUN, lines)
    process = publish(pending, runs, readme)
    assert process.returncode == 0, process.stderr
    assert (runs / RUN).read_bytes() == PUBLISHED.read_bytes()  # the category mended, nothing else
    assert json.loads((runs / RUN).read_text().splitlines()[0])["failure_category"] == right != "loop"
    assert not (pending / RUN).exists()
    board = readme.read_text().split("<!-- leaderboard -->")[1].split("<!-- end of leaderboard -->")[0]
    assert "| standard |" in board and "hotpotqa-demo-react-smollm2.jsonl` (suite `demo`)" in board


def test_a_run_not_whole_stays_pending(folders):
    pending, runs, readme = folders
    with_lines(pending / RUN, [json.loads(line) for line in PUBLISHED.read_text().splitlines()[:10]])
    before = readme.read_text()
    process = publish(pending, runs, readme)
    assert process.returncode != 0
    assert process.stderr.strip() == f"publish: {RUN} holds 10 of its 22 episodes: resume it first"
    assert (pending / RUN).exists() and not (runs / RUN).exists() and readme.read_text() == before


def test_a_run_that_replays_otherwise_stays_pending(folders):
    pending, runs, readme = folders
    lines = [json.loads(line) for line in PUBLISHED.read_text().splitlines()]
    lines[3]["metrics"] = {name: 1.0 for name in lines[3]["metrics"]}  # a score its outputs do not earn
    with_lines(pending / RUN, lines)
    process = publish(pending, runs, readme)
    assert process.returncode != 0
    first = lines[3]["task_id"]
    assert process.stderr.strip() == f"publish: {RUN}: 1 episodes replay otherwise, the first {first}"
    assert (pending / RUN).exists() and not (runs / RUN).exists()


def test_rediagnose_rewrites_categories_only(tmp_path):
    # The act run's lines hold floats that Python's json would write otherwise (8e-05 for 0.00008).
    name = "hotpotqa-demo-act-smollm2.jsonl"
    lines = (REPO / "benchmarks" / "runs" / name).read_text().splitlines()
    for number, line in enumerate(lines[:3]):
        right = json.loads(line)["failure_category"]
        lines[number] = line.replace(f'"failure_category":"{right}"', '"failure_category":"loop"')
    (tmp_path / name).write_text("".join(line + "\n" for line in lines))
    process = benchmark("rediagnose", "demo", name, "--runs", tmp_path)
    assert process.returncode == 0, process.stderr
    assert process.stdout == f"{name}: 3 episodes changed category\n"
    assert (tmp_path / name).read_bytes() == (REPO / "benchmarks" / "runs" / name).read_bytes()

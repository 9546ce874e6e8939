"""Tasks as plugins: a package installed beside react-agent adds a task through the entry-point
group `react_agent.tasks`, and `react run` / `react bench` / `react leaderboard` play and score it."""

import json
import os
import subprocess
import sys

import pytest

from servers import scripted_openai_server, url_of

PLUGIN = '''
"""Sums: a task of our test plugin, played with one tool; its questions are small or large."""

from pydantic import BaseModel

from react_agent import ToolEnvironment, tool
from react_agent.environment import Outcome
from react_agent.tasks import Task, TaskOptions, TaskSetup
from react_agent.trajectory import Scoring


@tool
def add(a: int, b: int) -> int:
    """Add two whole numbers."""
    return a + b


class Sum(BaseModel):
    id: str
    question: str
    answer: str


class SumEnv(ToolEnvironment):
    def __init__(self):
        super().__init__([add])

    def reset(self, task):
        self.gold = task.answer
        return super().reset(task)

    def outcome(self):
        exact = float(self.answer == self.gold)
        return Outcome(answer=self.answer, gold=self.gold, metrics={"exact": exact}, category=size(self.gold))


def size(answer):
    return "small" if int(answer) < 10 else "large"


def setup(options, roles, rules):
    pairs = [(1, 2), (20, 22)]
    sums = [Sum(id=f"sum-{a}-{b}", question=f"What is {a} plus {b}?", answer=str(a + b)) for a, b in pairs]
    return TaskSetup(sums, make_env=lambda role: SumEnv(), scoring=Scoring(score="exact"), max_steps=3)


TASK = Task("sums", TaskOptions, setup, roles=("react",))
'''


@pytest.fixture
def plugin(tmp_path):
    """A distribution as pip would install it: the package, and its .dist-info naming the entry point."""
    site = tmp_path / "site"
    (site / "react_sums").mkdir(parents=True)
    (site / "react_sums" / "__init__.py").write_text(PLUGIN)
    info = site / "react_sums-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: react-sums\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[react_agent.tasks]\nsums = react_sums:TASK\n")
    return dict(os.environ, PYTHONPATH=str(site))


def adder(prompt: str) -> str:
    episode = prompt.rsplit("\nQuestion: ", 1)[1]
    a, b = (int(word.rstrip("?")) for word in episode.split("\n", 1)[0].split() if word.rstrip("?").isdigit())
    if "\nObservation 1:" not in episode:
        return f' I add them.\nAction 1: Add[{{"a": {a}, "b": {b}}}]'
    return f" So it is {a + b}.\nAction 2: Finish[{a + b}]"


def react(env, *args):
    command = [sys.executable, "-m", "react_agent.cli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, env=env)


def test_an_installed_plugin_task_is_played_benched_and_scored(plugin, tmp_path):
    with scripted_openai_server(answer_for=adder) as server:
        model = ["--model", "openai:m", "--base-url", url_of(server, "/v1")]
        run = react(plugin, "run", "--task", "sums", *model, "--out", tmp_path / "run.jsonl")
        bench = react(plugin, "bench", "--task", "sums", *model, "--out", tmp_path / "bench.jsonl")
    assert run.returncode == 0, run.stderr
    assert "Observation 1: 3" in run.stdout and "EXACT" in run.stdout
    assert bench.returncode == 0, bench.stderr
    records = [json.loads(line) for line in (tmp_path / "bench.jsonl").read_text().splitlines()]
    assert [(r["task_id"], r["answer"], r["metrics"]) for r in records] == [
        ("sum-1-2", "3", {"exact": 1.0}),
        ("sum-20-22", "42", {"exact": 1.0}),
    ]
    assert records[0]["config"]["task"] == "sums"
    assert records[0]["config"]["scoring"] == {
        "score": "exact",
        "success": None,  # it declares no success of the environment's own judging
        "by_category": False,
        "category": "category",
        "failures": [],
    }
    # A task that says nothing of its failures gets the shared rules, over its own score.
    assert [r["failure_category"] for r in records] == ["solved", "solved"]


def test_a_plugin_tasks_leaderboard_and_report_follow_its_own_rules(plugin, tmp_path):
    """Its score, no per-category columns (ALFWorld's per task type), its word for a category."""
    with scripted_openai_server(answer_for=adder) as server:
        model = ["--model", "openai:m", "--base-url", url_of(server, "/v1")]
        bench = react(plugin, "bench", "--task", "sums", *model, "--out", tmp_path / "bench.jsonl")
    assert bench.returncode == 0, bench.stderr
    board = react(plugin, "leaderboard", tmp_path / "bench.jsonl", "--format", "markdown")
    assert board.returncode == 0, board.stderr
    [header] = [line for line in board.stdout.splitlines() if line.startswith("| data |")]
    assert header.split(" | ")[5:7] == ["exact (95% CI)", "steps"]  # the score, then no breakdown
    assert "| built-in | m | react |" in board.stdout and "| 100.0 [100.0, 100.0] |" in board.stdout
    report = react(plugin, "report", tmp_path / "bench.jsonl", "--out", tmp_path / "report.html")
    assert report.returncode == 0, report.stderr
    code = (
        "import json, sys; from react_agent.report import report_data; "
        "from react_agent.results import read_run; "
        "print(json.dumps(report_data([('bench', read_run(sys.argv[1]))])))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code, tmp_path / "bench.jsonl"], capture_output=True, text=True
    )
    data = json.loads(shown.stdout)
    assert [(b["task"], b["score"]) for b in data["leaderboard"]] == [("sums", "exact")]
    [table] = data["categories"]
    assert (table["kind"], table["score"], table["categories"]) == ("category", "exact", ["large", "small"])
    assert "success" not in shown.stdout and "task type" not in shown.stdout


def test_the_plugin_refuses_what_it_cannot_play_in_one_line(plugin, tmp_path):
    process = react(plugin, "bench", "--task", "sums", "--method", "cot", "--out", tmp_path / "r.jsonl")
    expected = "react: error: --method 'cot' is not available for sums (it has: react, react-sc, reflexion)"
    assert process.returncode == 2 and process.stderr.strip() == expected
    process = react(plugin, "bench", "--task", "sums", "--wiki", "live", "--out", tmp_path / "r.jsonl")
    expected = "react: error: sums takes no --wiki (its options: --data)"
    assert process.returncode == 2 and process.stderr.strip() == expected
    process = react(plugin, "bench", "--task", "sums", "--paper", "--out", tmp_path / "r.jsonl")
    expected = "react: error: sums has no environment that plays by the paper's rules"
    assert process.returncode == 2 and process.stderr.strip() == expected


def test_a_plugin_that_cannot_be_loaded_is_one_line(plugin, tmp_path):
    broken = tmp_path / "site" / "react_sums" / "__init__.py"
    broken.write_text("raise ImportError('no numbers here')\n")
    process = react(plugin, "run", "--task", "sums")
    assert process.returncode == 2
    assert process.stderr.strip() == (
        "react: error: task 'sums' of react-sums cannot be loaded: ImportError: no numbers here"
    )

"""Replays: a run's recorded outputs played back give its metrics again, stop where a request
differs, and every published run replays to its published scores."""

import json
import os
import subprocess
import sys

import pytest

from bench_cli import bench_command, by_task, cli, lines_of, one_error_line, sampling_answer_for
from conftest import REPO
from servers import scripted_openai_server, url_of


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


def test_replay_stops_where_the_request_differs_naming_task_and_step(server, tmp_path):
    from react_agent.envs.hotpotqa import DEMO_WIKI

    recorded = tmp_path / "recorded.jsonl"
    assert (
        subprocess.run(
            bench_command(url_of(server, "/v1"), recorded, "--n", "2"), capture_output=True
        ).returncode
        == 0
    )
    replay = ["bench", "--task", "hotpotqa", "--n", "2", "--model", f"replay:{recorded}"]
    same = cli(*replay, "--out", tmp_path / "same.jsonl")
    assert same.returncode == 0, same.stderr

    # A changed prompt (our own, with one word of its instruction changed) differs at the first step.
    from react_agent.envs.hotpotqa import hotpotqa_prompt

    prompt = hotpotqa_prompt("react")
    ours = {
        "instruction": prompt.instruction,
        "examples_intro": list(prompt.examples_intro),
        "examples": prompt.examples,
        "format": prompt.format,
    }
    changed = tmp_path / "prompts.json"
    changed.write_text(
        json.dumps({"react": ours | {"instruction": ours["instruction"].replace("Answer", "Solve", 1)}})
    )
    line = one_error_line(cli(*replay, "--prompt-file", changed, "--out", tmp_path / "prompt.jsonl"))
    assert "task 'demo-01', step 1 (model call 1): the request differs" in line
    unchanged = tmp_path / "same-prompts.json"
    unchanged.write_text(json.dumps({"react": ours}))
    assert cli(*replay, "--prompt-file", unchanged, "--out", tmp_path / "same-prompt.jsonl").returncode == 0

    # Another token budget changes every request, from the first step on.
    line = one_error_line(cli(*replay, "--max-tokens", "64", "--out", tmp_path / "budget.jsonl"))
    assert "task 'demo-01', step 1 (model call 1): the request differs" in line

    # A wiki with a page titled what the first step searched for changes what the model saw
    # after it: step 2.
    searched = lines_of(recorded)[0]["steps"][0]["action"]["argument"]
    page = {"id": "x", "url": "", "title": searched, "text": ["A page that was not there before."]}
    wiki = tmp_path / "wiki.jsonl"
    wiki.write_text(DEMO_WIKI.read_text() + json.dumps(page) + "\n")
    line = one_error_line(cli(*replay, "--wiki", wiki, "--out", tmp_path / "wiki-run.jsonl"))
    assert "task 'demo-01', step 2 (model call 2): the request differs" in line


RUNS = REPO / "benchmarks" / "runs"


# Tasks of each published run that README's test command replays, by suite (a game is 50 model
# calls, a question a handful); .ci/run replays them all.
SAMPLE = {"demo": 2, "shared": 2, "alfworld": 1, "qwen": 1}


def suite_entries():
    from react_agent.suites import load_suites

    return [(name, entry) for name, entries in load_suites().items() for entry in entries]


def published_runs():
    """Every file in benchmarks/runs/, with the suite entry that made it."""
    made_by = {entry["out"]: (suite, entry) for suite, entry in suite_entries()}
    return [made_by.get(path.name, (None, {"out": path.name})) for path in sorted(RUNS.glob("*.jsonl"))]


def test_published_records_hold_no_path():
    for path in sorted(RUNS.glob("*.jsonl")):
        config = json.loads(path.read_text().split("\n", 1)[0])["config"]
        files = config["data_files"] + (config["wiki"] if isinstance(config["wiki"], list) else [])
        assert "/" not in config["data"] and all("/" not in file["path"] for file in files), path.name


def test_every_published_run_file_belongs_to_a_suite():
    assert published_runs() and all(suite is not None for suite, _ in published_runs())


def replay_all(out, n=None):
    """Every published run replayed through today's code, by the suite runner (`--replay`), as
    many processes at a time as there are cores (the ALFWorld ones replay on the real engine): one
    per file, or with `n` (only the first n[suite] tasks of each file) one per suite."""
    from concurrent.futures import ThreadPoolExecutor

    from conftest import SHARED_DATA
    from react_agent.models.llama_cpp import usable_cpus

    env = {key: value for key, value in os.environ.items() if key != "ALFWORLD_DATA"}
    env["REACT_AGENT_CACHE"] = str(out / "cache")
    playable = [
        (suite, entry["out"])
        for suite, entry in published_runs()
        if suite is not None and not ("{shared}" in json.dumps(entry) and not SHARED_DATA.exists())
    ]
    groups = {(suite, name): [name] for suite, name in playable}
    if n:  # a process starts in seconds: a sample's few episodes are played by one per suite
        groups = {
            (suite, None): [name for s, name in playable if s == suite] for suite in {s for s, _ in playable}
        }
    jobs = {}
    with ThreadPoolExecutor(usable_cpus()) as pool:
        for (suite, _), names in groups.items():
            command = [sys.executable, "-m", "react_agent.cli", "suite", suite, "--only", *names]
            command += ["--runs", str(out), "--shared", str(SHARED_DATA), "--replay", str(RUNS)]
            command += ["--prompts", str(REPO / "benchmarks" / "prompts")]
            command += ["--n", str(n[suite])] if n else []
            job = pool.submit(subprocess.run, command, capture_output=True, text=True, env=env)
            jobs.update(dict.fromkeys(names, job))
    return {name: (job.result(), out / name) for name, job in jobs.items()}


@pytest.fixture(scope="module")
def sampled_replays(tmp_path_factory):
    return replay_all(tmp_path_factory.mktemp("sampled-replays"), n=SAMPLE)


@pytest.fixture(scope="module")
def replays(tmp_path_factory):
    return replay_all(tmp_path_factory.mktemp("replays"))


def check_replay(replayed_runs, entry, sample=None):
    from conftest import SHARED_DATA, need_shared

    if "{shared}" in json.dumps(entry):
        need_shared(SHARED_DATA)
    process, replayed = replayed_runs[entry["out"]]
    assert process.returncode == 0, process.stderr
    published = by_task(RUNS / entry["out"])
    again = by_task(replayed)
    assert len(again) == (sample or len(published))
    assert again == {task: published[task] for task in again}


@pytest.mark.parametrize(
    "suite, entry", published_runs(), ids=lambda x: x if isinstance(x, str) else x["out"]
)
def test_published_runs_replay_their_first_tasks_to_their_published_scores(sampled_replays, suite, entry):
    """The first tasks of each file behind benchmarks/README.md, replayed through today's code, send
    exactly the recorded requests (or stop, naming the task and step) and give the same answers,
    metrics and failure categories. The whole of every file replays in the slow test below (.ci/run)."""
    assert suite is not None, f"{entry['out']} was made by no entry of react_agent/suites.json"
    check_replay(sampled_replays, entry, SAMPLE[suite])


@pytest.mark.slow
@pytest.mark.parametrize(
    "suite, entry", published_runs(), ids=lambda x: x if isinstance(x, str) else x["out"]
)
def test_published_runs_replay_to_their_published_scores(replays, suite, entry):
    """The leaderboard in benchmarks/README.md comes from these files: replaying each whole through
    today's code sends exactly the recorded requests and gives the same answers, metrics and failure
    categories."""
    assert suite is not None, f"{entry['out']} was made by no entry of react_agent/suites.json"
    check_replay(replays, entry)


def test_react_suite_makes_its_runs_folder_and_replays_a_published_run(tmp_path):
    runs = tmp_path / "not" / "yet"
    name = "hotpotqa-demo-react-smollm2.jsonl"
    process = cli("suite", "demo", "--only", name, "--replay", RUNS, "--runs", runs, "--n", "2")
    assert process.returncode == 0, process.stderr
    assert f"2 episodes played, 0 already in {runs / name}" in process.stdout
    assert by_task(runs / name) == {
        task: got for task, got in by_task(RUNS / name).items() if task in by_task(runs / name)
    }

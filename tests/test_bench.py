"""`react bench`, `react leaderboard`, `react show` and replays, as a user runs them."""

import hashlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import REPO
from openai_server import search_then_answer
from react_agent.leaderboard import bootstrap_ci
from servers import scripted_openai_server, url_of

answer_for = search_then_answer  # the scripted server's deterministic model (see its docstring)


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
    return {
        r["task_id"]: (r["answer"], r["metrics"], len(r["steps"]), r.get("failure_category"))
        for r in lines_of(path)
    }


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
    from react_agent.envs.hotpotqa import DEMO_QUESTIONS, DEMO_WIKI, hotpotqa_prompt

    out = tmp_path / "run.jsonl"
    process = subprocess.run(
        bench_command(url_of(server, "/v1"), out, "--n", "1", "--seed", "7"), capture_output=True, text=True
    )
    assert process.returncode == 0, process.stderr
    [record] = lines_of(out)
    config = record["config"]
    assert (config["task"], config["method"], config["seed"], config["max_steps"]) == (
        "hotpotqa",
        "react",
        7,
        7,
    )
    assert config["prompts"] == {
        "react": {
            "source": "built-in hotpotqa:react",
            "format": "numbered",
            "sha256": hotpotqa_prompt("react").sha256(),
            "temperature": 0.0,
            "sampling": None,  # greedy
            "bootstrapped": False,  # examples written by hand, not `react optimize`'s
        }
    }
    assert config["paper"] is False and config["max_tokens"] == 128
    sha = hashlib.sha256
    assert config["data_files"][0]["sha256"] == sha(DEMO_QUESTIONS.read_bytes()).hexdigest()
    assert config["wiki"][0]["sha256"] == sha(DEMO_WIKI.read_bytes()).hexdigest()
    assert config["packages"]["react-agent"] and config["packages"]["openai"]
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", config["git_commit"])
    assert re.fullmatch(r"[0-9a-f]{16}", config["hash"])
    assert config["max_repeats"] == 3 and config["final_answer"] is False  # the loop guard is on
    assert {"prompt_tokens", "evaluated_tokens", "completion_tokens"} <= set(record["usage"])
    assert record["usage"]["calls"] >= 1 and record["seconds"] > 0


def comparable(path):
    """The lines of a results file by task, without what timing changes from one run to the next."""
    lines = {}
    for record in lines_of(path):
        record.pop("seconds")
        for step in record["steps"]:
            step.pop("model_seconds"), step.pop("env_seconds")
        lines[record["task_id"]] = record
    return lines


def test_bench_from_python_writes_what_react_bench_writes(server, tmp_path):
    from react_agent import AgentSettings, BenchSpec, bench
    from react_agent.models import ModelOptions

    url = url_of(server, "/v1")
    options = ["--n", "4", "--workers", "2", "--max-steps", "3", "--shots", "2", "--final-answer"]
    process = subprocess.run(
        bench_command(url, tmp_path / "cli.jsonl", *options, "--max-repeats", "2"),
        capture_output=True,
        text=True,
    )
    assert process.returncode == 0, process.stderr
    spec = BenchSpec(
        task="hotpotqa",
        model="openai:m",
        model_options=ModelOptions(base_url=url),
        n=4,
        workers=2,
        settings=AgentSettings(max_steps=3, shots=2, final_answer=True, max_repeats=2),
        out=tmp_path / "python.jsonl",
    )
    summary = bench(spec)
    assert (summary.played, summary.already, len(summary.results)) == (4, 0, 4)
    python, command_line = comparable(tmp_path / "python.jsonl"), comparable(tmp_path / "cli.jsonl")
    assert python == command_line and len(python) == 4
    assert next(iter(python.values()))["config"]["hash"] == summary.config.hash
    assert bench(spec).played == 0  # resumed: nothing left to play


def test_voting_methods_record_the_votes_prompt_and_temperature(tmp_path):
    from react_agent.envs.hotpotqa import hotpotqa_prompt

    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=sampling_answer_for) as server:
        process = subprocess.run(
            bench_command(
                url_of(server, "/v1"), out, "--n", "1", "--method", "react-then-cot-sc", "--sc-samples", "3"
            ),
            capture_output=True,
            text=True,
        )
    assert process.returncode == 0, process.stderr
    prompts = lines_of(out)[0]["config"]["prompts"]
    assert (
        prompts["react"]["sha256"] == hotpotqa_prompt("react").sha256()
        and prompts["react"]["temperature"] == 0.0
    )
    assert (
        prompts["votes"]["sha256"] == hotpotqa_prompt("cot").sha256()
        and prompts["votes"]["temperature"] == 0.7
    )
    assert prompts["votes"]["format"] == "reasoned_answer"


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
    config = lines_of(out)[0]["config"]
    assert f"| built-in | m | react | {config['hash'][:8]} | 4 |" in board.stdout
    assert "| HotpotQA dev, react500 | PaLM-540B (reported) | react |  |  | 27.4" in board.stdout
    assert (
        f"- `{config['hash'][:8]}` (hotpotqa, react): prompts: react: built-in hotpotqa:react (numbered"
        in board.stdout
    )
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


# ---------------------------------------------------------------- resume, torn lines, replay checks


def one_error_line(process):
    assert process.returncode == 2, process.stderr
    # A wiki indexed on first use says so in a line of its own; the error is one line besides.
    lines = [line for line in process.stderr.splitlines() if line.strip() and not line.startswith("indexed ")]
    assert len(lines) == 1 and lines[0].startswith("react: error: ") and "Traceback" not in process.stderr
    return lines[0]


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


def test_leaderboard_refuses_what_it_cannot_read_in_one_line(tmp_path):
    assert "results file not found" in one_error_line(cli("leaderboard", tmp_path / "none.jsonl"))
    assert "no results files (*.jsonl) in" in one_error_line(cli("leaderboard", tmp_path))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task_id": "x"}\n{"task_id": "y"}\n')
    assert f"{bad}:1: not a result line" in one_error_line(cli("leaderboard", bad))


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


# ---------------------------------------------------------------- what each method sends


def test_act_sends_actions_and_observations_with_no_thoughts(tmp_path):
    out = tmp_path / "act.jsonl"
    with scripted_openai_server([" Search[Eiffel Tower]", " Finish[Seine]"]) as server:
        process = subprocess.run(
            bench_command(url_of(server, "/v1"), out, "--n", "1", "--method", "act"),
            capture_output=True,
            text=True,
        )
        first, second = (r["prompt"] for r in server.requests)
    assert process.returncode == 0, process.stderr
    assert first.endswith("\nAction 1:") and second.startswith(first)
    added = second[len(first) :]
    assert re.fullmatch(
        r" Search\[Eiffel Tower\]\nObservation 1: The Eiffel Tower is [^\n]+\nAction 2:", added
    )
    assert "Thought" not in second.rsplit("\nQuestion: ", 1)[1]
    assert lines_of(out)[0]["metrics"]["em"] == 1.0


def test_a_cot_answer_given_on_the_reask_scores_as_the_answer(tmp_path):
    def cot(prompt: str) -> str:
        return (
            " Seine" if prompt.endswith("\nAnswer:") else " The tower is in Paris, which lies on the Seine."
        )

    out = tmp_path / "cot.jsonl"
    with scripted_openai_server(answer_for=cot) as server:
        process = subprocess.run(
            bench_command(url_of(server, "/v1"), out, "--n", "1", "--method", "cot"),
            capture_output=True,
            text=True,
        )
        prompts = [r["prompt"] for r in server.requests]
    assert process.returncode == 0, process.stderr
    assert prompts[1] == prompts[0] + " The tower is in Paris, which lies on the Seine.\nAnswer:"
    [record] = lines_of(out)
    assert (record["answer"], record["metrics"]["em"], record["stop_reason"]) == ("Seine", 1.0, "finished")


def test_alfworld_sends_command_lines_with_no_labels(tmp_path):
    answers = iter([" think: I should find the object first.", " inventory", " look"])
    with scripted_openai_server(answer_for=lambda prompt: next(answers)) as server:
        process = subprocess.run(
            [
                sys.executable,
                "-m",
                "react_agent.cli",
                "run",
                "--task",
                "alfworld",
                "--n",
                "1",
                "--max-steps",
                "3",
                "--model",
                "openai:m",
                "--base-url",
                url_of(server, "/v1"),
                "--out",
                str(tmp_path / "run.jsonl"),
            ],
            capture_output=True,
            text=True,
        )
        prompts = [r["prompt"] for r in server.requests]
    assert process.returncode == 0, process.stderr
    [record] = lines_of(tmp_path / "run.jsonl")
    observations = [step["observation"] for step in record["steps"]]
    assert observations[:2] == ["OK.", "You are not carrying anything."]
    assert prompts[0].endswith("\n>")
    assert prompts[1] == prompts[0] + " think: I should find the object first.\nOK.\n>"
    assert prompts[2] == prompts[1] + " inventory\nYou are not carrying anything.\n>"
    task = prompts[2].rsplit("Here is the task.\n", 1)[1]
    assert "Thought" not in task and "Action" not in task and "Observation" not in task


# ---------------------------------------------------------------- the published runs

RUNS = REPO / "benchmarks" / "runs"
# Tasks of each published run that README's test command replays, by suite (a game is 50 model
# calls, a question a handful); .ci/run replays them all.
SAMPLE = {"demo": 2, "shared": 2, "alfworld": 1, "qwen": 1}


def suite_entries():
    from react_agent.benchmarks.suite import load_suites

    return [(name, entry) for name, entries in load_suites().items() for entry in entries]


def published_runs():
    """Every file in benchmarks/runs/, with the suite entry that made it."""
    made_by = {entry["out"]: (suite, entry) for suite, entry in suite_entries()}
    return [made_by.get(path.name, (None, {"out": path.name})) for path in sorted(RUNS.glob("*.jsonl"))]


def test_records_name_their_files_and_say_nothing_of_the_machine(server, tmp_path):
    from react_agent.envs.hotpotqa import DEMO_QUESTIONS, DEMO_WIKI

    data, wiki = tmp_path / "deep" / "folder" / "questions.jsonl", tmp_path / "deep" / "wiki.jsonl"
    data.parent.mkdir(parents=True)
    data.write_bytes(DEMO_QUESTIONS.read_bytes())
    wiki.write_bytes(DEMO_WIKI.read_bytes())
    out = tmp_path / "run.jsonl"
    command = bench_command(url_of(server, "/v1"), out, "--n", "1", "--data", data, "--wiki", wiki)
    process = subprocess.run(command, capture_output=True)
    assert process.returncode == 0, process.stderr
    config = lines_of(out)[0]["config"]
    assert config["data"] == config["data_files"][0]["path"] == "questions.jsonl"
    assert config["wiki"][0]["path"] == "wiki.jsonl"
    text = json.dumps(config)
    assert str(tmp_path) not in text and str(REPO) not in text and "/root" not in text


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
            command = [sys.executable, "-m", "react_agent.benchmarks.suite", suite, "--only", *names]
            command += ["--runs", str(out), "--shared", str(SHARED_DATA), "--replay", str(RUNS)]
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
    assert suite is not None, f"{entry['out']} was made by no entry of benchmarks/suites.json"
    check_replay(sampled_replays, entry, SAMPLE[suite])


@pytest.mark.slow
@pytest.mark.parametrize(
    "suite, entry", published_runs(), ids=lambda x: x if isinstance(x, str) else x["out"]
)
def test_published_runs_replay_to_their_published_scores(replays, suite, entry):
    """The leaderboard in benchmarks/README.md comes from these files: replaying each whole through
    today's code sends exactly the recorded requests and gives the same answers, metrics and failure
    categories."""
    assert suite is not None, f"{entry['out']} was made by no entry of benchmarks/suites.json"
    check_replay(replays, entry)


def test_show_prints_the_traceback_of_an_episode_that_a_bug_ended(tmp_path, demo_wiki, demo_questions):
    from rich.console import Console

    from react_agent import Agent
    from react_agent.display import summary_table
    from react_agent.envs.hotpotqa import HotpotQAEnv
    from react_agent.models import ScriptedModel
    from react_agent.results import append_result

    class BrokenWiki:
        def find(self, entity):
            raise TypeError("find() got an unexpected page")

    result = Agent(ScriptedModel([" x\nAction 1: Search[Paris]"]), HotpotQAEnv(BrokenWiki())).run(
        demo_questions[0]
    )
    out = tmp_path / "run.jsonl"
    append_result(out, result)
    show = cli("show", out)
    assert show.returncode == 0, show.stderr
    assert "Traceback (most recent call last):" in show.stdout
    assert "TypeError: find() got an unexpected page" in show.stdout
    console = Console(record=True, width=120)
    console.print(summary_table([result], 1.0))
    assert "1 episodes ended by an error" in console.export_text()


def test_final_answer_at_the_step_limit_is_asked_for_and_scored(tmp_path):
    def looping(prompt: str) -> str:
        return " Seine" if prompt.endswith("Finish[") else " Again.\nAction 1: Search[Paris]"

    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=looping) as server:
        url = url_of(server, "/v1")
        process = subprocess.run(
            bench_command(url, out, "--n", "1", "--max-steps", "2", "--final-answer"),
            capture_output=True,
            text=True,
        )
    assert process.returncode == 0, process.stderr
    [record] = lines_of(out)
    assert (record["stop_reason"], record["answer"], record["metrics"]["em"]) == ("max_steps", "Seine", 1.0)
    assert record["config"]["final_answer"] is True and len(record["steps"]) == 2


def test_zero_shot_sends_the_instruction_alone_and_records_it(server, tmp_path):
    from react_agent.envs.hotpotqa import hotpotqa_prompt

    out = tmp_path / "run.jsonl"
    process = subprocess.run(
        bench_command(url_of(server, "/v1"), out, "--n", "1", "--shots", "0"), capture_output=True, text=True
    )
    assert process.returncode == 0, process.stderr
    [record] = lines_of(out)
    instruction = hotpotqa_prompt("react").instruction
    assert server.requests[0]["prompt"] == f"{instruction}{record['question']}\nThought 1:"
    assert record["config"]["shots"] == 0
    refused = subprocess.run(
        bench_command(url_of(server, "/v1"), out, "--n", "2"), capture_output=True, text=True
    )
    assert refused.returncode == 2 and "prompts.react, shots differ" in refused.stderr


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


def test_the_benchmarks_readme_shows_the_leaderboard_of_the_published_runs():
    from react_agent.benchmarks.refresh_readme import refreshed

    readme = (REPO / "benchmarks" / "README.md").read_text()
    assert refreshed(readme, REPO / "benchmarks" / "runs") == readme, (
        "run python -m react_agent.benchmarks.refresh_readme"
    )


def test_the_step_formats_table_counts_the_replies_that_gave_no_action(tmp_path, demo_wiki, demo_questions):
    from react_agent import Agent
    from react_agent.benchmarks.step_formats import COMPARISONS, as_markdown, row_of
    from react_agent.envs.hotpotqa import HotpotQAEnv
    from react_agent.models import ScriptedModel
    from react_agent.results import append_result

    # One run of two episodes: two clean replies; then a reply with no action and its re-ask,
    # equally empty, which end the episode.
    first, second = demo_questions[:2]
    text_run = tmp_path / COMPARISONS[0].runs[0][1]
    clean = [" I act.\nAction 1: Search[Paris]", " Done.\nAction 2: Finish[Paris]"]
    for question, outputs in ((first, clean), (second, ["", ""])):
        append_result(text_run, Agent(ScriptedModel(outputs), HotpotQAEnv(demo_wiki)).run(question))

    table = as_markdown(tmp_path)
    row = next(line for line in table.splitlines() if line.startswith("| text |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[2:3] + cells[4:7] == ["2", "2 of 4 replies (50.0%)", "1 (50%)", "1.00"]
    grammar_row = next(line for line in table.splitlines() if line.startswith("| text, `--grammar` |"))
    assert f"not run yet (`{COMPARISONS[0].runs[1][1]}`)" in grammar_row
    # A task's own column (ALFWorld's commands not admissible) counts steps by its rule.
    results = [Agent(ScriptedModel(clean), HotpotQAEnv(demo_wiki)).run(first)]
    searched = row_of("text", results, lambda step: step.action.name == "search")
    assert searched[6:8] == ["1 of 2 steps (50.0%)", "2.00"]

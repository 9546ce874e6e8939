"""`react leaderboard` and `react show`: scores with intervals, the tables of benchmarks/README, and
what they refuse."""

import json
import subprocess

import pytest

from bench_cli import bench_command, cli, lines_of, one_error_line
from conftest import REPO
from react_agent.leaderboard import bootstrap_ci
from servers import url_of


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


def test_leaderboard_refuses_what_it_cannot_read_in_one_line(tmp_path):
    assert "results file not found" in one_error_line(cli("leaderboard", tmp_path / "none.jsonl"))
    assert "no results files (*.jsonl) in" in one_error_line(cli("leaderboard", tmp_path))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task_id": "x"}\n{"task_id": "y"}\n')
    assert f"{bad}:1: not a result line" in one_error_line(cli("leaderboard", bad))


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


def test_the_benchmarks_readme_shows_the_leaderboard_of_the_published_runs():
    from benchmarks.refresh_readme import refreshed

    readme = (REPO / "benchmarks" / "README.md").read_text()
    assert refreshed(readme, REPO / "benchmarks" / "runs") == readme, (
        "run python -m benchmarks.refresh_readme"
    )


def test_the_step_formats_table_counts_the_replies_that_gave_no_action(tmp_path, demo_wiki, demo_questions):
    from benchmarks.step_formats import COMPARISONS, as_markdown, row_of
    from react_agent import Agent
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

"""The HTML report, opened in a real headless Chromium (Debian's `chromium`, driven by Playwright):
no console errors and no request leaves the page; one row per episode; the failed filter shows
exactly the failed episodes; a click shows an episode's steps, beside the same task of another run;
model output holding a script is shown as text and runs nothing. A screenshot is kept."""

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import REPO
from react_agent import Agent
from react_agent.envs.hotpotqa import HotpotQAEnv, diagnose
from react_agent.models import ScriptedModel
from react_agent.report import write_report
from react_agent.results import append_result, read_results

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ATTACK = "<script>window.pwned = 1</script></script><img src=x onerror='window.pwned = 2'>"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium (the CI does)")
    from playwright.sync_api import sync_playwright

    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*flags, "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory, demo_wiki, demo_questions):
    """Two runs over the same four questions; in the second, one answer tries to run a script and
    one episode ends with a bug's traceback."""
    folder = tmp_path_factory.mktemp("runs")
    questions = demo_questions[:4]
    good = [" I look.\nAction 1: Search[Paris]", " Found.\nAction 2: Finish[Seine]"] * 4
    for name, outputs in [("first", good), ("second", [f" {ATTACK}\nAction 1: Finish[{ATTACK}]"] + good[2:])]:
        agent = Agent(ScriptedModel(outputs), HotpotQAEnv(demo_wiki))
        for question in questions:
            result = agent.run(question)
            result.failure_category = diagnose(result, question)  # as a bench run records it
            append_result(folder / f"{name}.jsonl", result)
    return folder


def open_report(browser, path):
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "request",
        lambda request: problems.append(request.url) if not request.url.startswith("file:") else None,
    )
    page.goto(path.as_uri())
    page.wait_for_selector("#episodes .tabulator-row")
    return page, problems


def shown(page):
    return page.text_content("#shown")


def test_the_report_in_a_browser(browser, runs, tmp_path):
    results = {path.stem: list(read_results(path)) for path in sorted(runs.glob("*.jsonl"))}
    report = write_report(list(results.items()), tmp_path / "report.html")
    page, problems = open_report(browser, report)
    episodes = [r for rs in results.values() for r in rs]
    failed = [r for r in episodes if r.metrics["em"] < 1]
    assert 0 < len(failed) < len(episodes)

    assert shown(page) == f"{len(episodes)} of {len(episodes)} episodes shown"
    assert page.locator("#episodes .tabulator-row").count() == len(episodes)
    page.check("#failed-only")
    assert shown(page) == f"{len(failed)} of {len(episodes)} episodes shown"
    visible = page.locator("#episodes .tabulator-row")
    assert sorted(
        visible.nth(i).locator("[tabulator-field=task_id]").text_content() for i in range(visible.count())
    ) == sorted(r.task_id for r in failed)
    page.uncheck("#failed-only")

    # Why episodes failed: a chart per run, a bar per category its episodes fell in, with the count.
    charts = page.locator("#failures .failure-chart")
    assert [chart.get_attribute("data-run") for chart in charts.all()] == ["1. first", "2. second"]
    for chart, run in zip(charts.all(), results.values(), strict=True):
        counts = Counter(r.failure_category for r in run)
        assert sum(counts.values()) == 4 and len(counts) > 1, counts
        ticks = chart.locator(".ytick text").all_text_contents()
        assert sorted(ticks) == sorted(counts)
        assert sorted(chart.locator("text.bartext").all_text_contents()) == sorted(map(str, counts.values()))

    # The attack row: its text is shown as text, and nothing of it ran.
    page.fill("#text-filter", "pwned")
    assert shown(page) == f"1 of {len(episodes)} episodes shown"
    page.locator("#episodes .tabulator-row").first.click()
    assert ATTACK in page.text_content("#episode")
    assert page.evaluate("window.pwned") is None
    assert page.locator("#episode script, #episode img").count() == 0

    # Click an episode: its steps; and the same task of the other run beside it.
    page.fill("#text-filter", "")
    page.locator("#episodes .tabulator-row").first.click()
    first = results["first"][0]
    pane = page.text_content("#episode")
    assert f"Action 1: {first.steps[0].action.text}" in pane and first.steps[0].model_outputs[0] in pane
    page.select_option("#compare", index=1)
    assert page.locator("#episode .trajectory").count() == 2
    assert [t.get_attribute("data-run") for t in page.locator("#episode .trajectory").all()] == [
        "1. first",
        "2. second",
    ]
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000
    assert problems == []


def test_the_published_runs_make_a_report_that_opens_cleanly(browser, tmp_path):
    out = tmp_path / "report.html"
    process = subprocess.run(
        [sys.executable, "-m", "react_agent.cli", "report", REPO / "benchmarks" / "runs", "--out", out],
        capture_output=True,
        text=True,
    )
    assert process.returncode == 0, process.stderr
    episodes = sum(1 for path in (REPO / "benchmarks" / "runs").glob("*.jsonl") for _ in read_results(path))
    assert f"{episodes} episodes" in process.stdout
    page, problems = open_report(browser, out)
    assert shown(page) == f"{episodes} of {episodes} episodes shown"
    # Each leaderboard's chart names every row of its table: none of the labels is left out for
    # want of room, however many runs there are.
    charts, tables = page.locator("#leaderboard .wide"), page.locator("#leaderboard table.plain")
    assert charts.count() == tables.count() == 2
    sizes = []
    for chart, table in zip(charts.all(), tables.all(), strict=True):
        labels = chart.locator(".ytick text").all_text_contents()
        sizes.append(table.locator("tr").count() - 1)  # less the header
        assert len(labels) == len(set(labels)) == sizes[-1], (sizes, labels)
    assert max(sizes) > 20  # enough rows to crowd a chart of fixed height
    page.set_viewport_size({"width": 1300, "height": 1000})
    page.screenshot(path=str(tmp_path / "report.png"))
    if os.environ.get("REACT_DOCS_SCREENSHOT"):  # to refresh the README's picture: docs/report.png
        shutil.copy(tmp_path / "report.png", os.environ["REACT_DOCS_SCREENSHOT"])
    assert problems == []


def test_a_report_of_nothing_readable_is_one_line(tmp_path):
    process = subprocess.run(
        [sys.executable, "-m", "react_agent.cli", "report", tmp_path, "--out", tmp_path / "r.html"],
        capture_output=True,
        text=True,
    )
    assert process.returncode == 2 and process.stderr.startswith("react: error: no results files")


def test_a_report_of_repeated_trials_shows_each_epoch_and_the_limit_stops(
    browser, demo_wiki, demo_questions, tmp_path
):
    """Three trials of two tasks, one of them stopped by an episode token limit: the table has an
    epoch column, the stop-reason filter has `limit`, and an episode names its epoch."""
    outputs = [" I look.\nAction 1: Search[Paris]", " Found.\nAction 2: Finish[Seine]"] * 8
    run = tmp_path / "epochs.jsonl"
    for epoch in range(3):
        for question in demo_questions[:2]:
            limit = 1 if (epoch, question) == (2, demo_questions[0]) else None
            agent = Agent(ScriptedModel(outputs), HotpotQAEnv(demo_wiki), episode_tokens=limit)
            append_result(run, agent.run(question, epoch))
    results = list(read_results(run))
    assert [r.stop_reason.value for r in results].count("limit") == 1
    page, problems = open_report(browser, write_report([("epochs", results)], tmp_path / "report.html"))
    epochs = page.locator("#episodes .tabulator-row [tabulator-field=epoch]").all_text_contents()
    assert sorted(epochs) == ["0", "0", "1", "1", "2", "2"]
    page.select_option("#stop-filter", "limit")
    assert shown(page) == "1 of 6 episodes shown"
    page.locator("#episodes .tabulator-row").first.click()
    assert f"{demo_questions[0].id}, epoch 2" in page.text_content("#episode h3")
    assert problems == []

"""Failure categories: every category of each task from a scripted episode, and the rules' edges."""

import json
import subprocess
import sys

import pytest

from react_agent import Agent
from react_agent.diagnosis import format_failures
from react_agent.envs.alfworld import diagnose as alfworld_diagnose
from react_agent.envs.hotpotqa import HotpotQAEnv, Question
from react_agent.envs.hotpotqa import diagnose as hotpotqa_diagnose
from react_agent.models import Completion, ScriptedModel
from react_agent.trajectory import Action, EpisodeResult, Step, StopReason, ToolCall, Usage

EIFFEL = Question(
    id="q1",
    question="Which river flows through the city where the Eiffel Tower stands?",
    answer="Seine",
    supporting_facts=[("Eiffel Tower", 0), ("Paris", 1)],
    context=[
        (
            "Eiffel Tower",
            ["The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France."],
        ),
        ("Paris", ["Paris is the capital and largest city of France."]),
        ("Seine", ["The Seine is a river in northern France."]),  # a page, but no supporting one
    ],
)
# The same supporting sentence under another title (a redirect, a renamed page).
RENAMED = EIFFEL.model_copy(
    update={
        "supporting_facts": [("Tour Eiffel", 0)],
        "context": [("Tour Eiffel", EIFFEL.context[0][1])],
    }
)


def step(text: str) -> str:
    return f" I act.\nAction 1: {text}"


def played(demo_wiki, outputs, question=EIFFEL, **settings):
    """The episode diagnosed, played with no loop guard (as the published runs were) unless told."""
    settings.setdefault("max_repeats", 0)
    result = Agent(ScriptedModel(outputs), HotpotQAEnv(demo_wiki), **settings).run(question)
    return hotpotqa_diagnose(result, question)


@pytest.mark.parametrize(
    "outputs, question, settings, category",
    [
        ([step("Search[Eiffel Tower]"), step("Finish[Seine]")], EIFFEL, {}, "answered right"),
        ([step("Search[Paris]"), step("Finish[Loire]")], EIFFEL, {}, "reasoning"),
        ([step("Search[eiffel tower]"), step("Finish[Loire]")], EIFFEL, {}, "reasoning"),
        # A page whose title differs but whose sentence is a supporting one counts as read too.
        ([step("Search[Eiffel Tower]"), step("Finish[Loire]")], RENAMED, {}, "reasoning"),
        ([step("Search[Paris]"), step("Finish[Loire]")], RENAMED, {}, "search"),
        ([step("Search[Seine]"), step("Finish[Loire]")], EIFFEL, {}, "search"),
        ([step("Search[Nowhere at all]"), step("Finish[Loire]")], EIFFEL, {}, "from memory"),
        ([step("Finish[Loire]")], EIFFEL, {}, "from memory"),
        (
            [step("Search[Seine]"), step("Finish[Loire]")],
            EIFFEL.model_copy(update={"supporting_facts": []}),
            {},
            "wrong answer",
        ),
        ([step("Search[Paris]")] * 5, EIFFEL, {"max_repeats": 3}, "loop"),  # the loop guard
        ([step("Search[Paris]")] * 7, EIFFEL, {}, "loop"),  # to the step limit, repeating
        ([step("Search[Paris]"), step("Search[Seine]")] * 4, EIFFEL, {}, "loop"),  # two, in turn
        (
            [step("Fly[Paris]")] * 4 + [step("Search[Paris]"), step("Search[Seine]"), step("Search[X]")],
            EIFFEL,
            {},
            "invalid actions",
        ),
        (["", ""], EIFFEL, {}, "invalid actions"),  # nothing usable, even when asked again
        (
            [
                step(f"Search[{page}]")
                for page in (
                    "Paris",
                    "Seine",
                    "France",
                    "Eiffel Tower",
                    "Gustave Eiffel",
                    "Champ de Mars",
                    "Fly[x]",
                )
            ],
            EIFFEL,
            {},
            "step limit",
        ),
    ],
)
def test_hotpotqa_categories_of_scripted_episodes(demo_wiki, outputs, question, settings, category):
    assert played(demo_wiki, outputs, question, **settings) == category


def call(thought: str, name: str, arguments: str) -> Completion:
    """A chat reply (`--format tools`) of one call."""
    return Completion(thought, Usage(), tool_calls=(ToolCall(id="c", name=name, arguments=arguments),))


@pytest.mark.parametrize(
    "outputs, failures",
    [
        ([step("Search[Eiffel Tower]"), step("Finish[Seine]")], 0),
        # no action line: asked again, which the second reply gives
        ([" I act.", " Search[Eiffel Tower]", step("Finish[Seine]")], 1),
        (["", ""], 2),  # nothing, even when asked again: both replies, and the episode ends
        ([step("Fly[Paris]"), step("Search[Paris]"), step("Fly[x]"), step("Finish[Seine]")], 2),
        ([call("", "Search", '{"entity": "Paris"}'), call("", "Finish", '{"answer": "Seine"}')], 0),
        ([Completion("The Seine.", Usage())], 1),  # no call at all
        (  # a tool that is not there, arguments that are no JSON object, then a good call
            [
                call("", "Fly", '{"to": "Paris"}'),
                call("", "Search", "Paris"),
                call("", "Finish", '{"answer": "x"}'),
            ],
            2,
        ),
    ],
)
def test_format_failures_of_scripted_episodes(demo_wiki, outputs, failures):
    settings = {"format": "tools"} if isinstance(outputs[0], Completion) else {}  # chat replies
    result = Agent(ScriptedModel(outputs), HotpotQAEnv(demo_wiki), **settings).run(EIFFEL)
    assert format_failures(result) == failures


def test_an_error_is_an_error_whatever_else_happened(demo_wiki):
    class BrokenWiki:
        def find(self, entity):
            raise OSError("the wiki went away")

    result = Agent(ScriptedModel([step("Search[Paris]")]), HotpotQAEnv(BrokenWiki())).run(EIFFEL)
    assert result.stop_reason is StopReason.error
    assert hotpotqa_diagnose(result, EIFFEL) == "error"


def game(steps: list[tuple[str, str]], stop: StopReason, success=0.0, progress=0.0) -> EpisodeResult:
    return EpisodeResult(
        task_id="g",
        question="put a mug in the coffeemachine",
        stop_reason=stop,
        steps=[
            Step(index=i, thought="", action=Action(text=command), observation=seen, model_outputs=[command])
            for i, (command, seen) in enumerate(steps, 1)
        ],
        metrics={"success": success, "progress": progress},
    )


NOTHING = "Nothing happens."


def closed_round(drawers):
    """A round of closed drawers, each visited and left shut."""
    return [(f"go to drawer {i}", f"The drawer {i} is closed.") for i in drawers]


@pytest.mark.parametrize(
    "episode, category",
    [
        (game([("go to cabinet 1", "You see a mug 1.")], StopReason.finished, 1.0, 1.0), "won"),
        (
            game(
                [("go to cabinet 1", "You see."), ("take mug 1 from cabinet 1", "You pick up the mug 1.")]
                + [("think: now the machine", "OK.")]
                + [(f"go to countertop {i}", "On the countertop, you see nothing.") for i in range(1, 6)],
                StopReason.max_steps,
                progress=0.5,
            ),
            "progress",
        ),
        (
            game(
                [(f"go to cabinet {i}", "The cabinet is closed.") for i in range(1, 9)], StopReason.max_steps
            ),
            "no progress",
        ),
        # think: lines are no commands: 3 of 4 commands did nothing, whatever the thoughts around them.
        (
            game(
                [
                    ("open fridge", NOTHING),
                    ("think: hm", "OK."),
                    ("think: hm again", "OK."),
                    ("use it", NOTHING),
                    ("go to desk 1", "On the desk 1."),
                    ("put mug", NOTHING),
                ],
                StopReason.max_steps,
                progress=0.5,
            ),
            "mostly inadmissible",
        ),
        (
            game(
                [("go to desk 1", "On the desk 1."), ("go to shelf 1", "On the shelf 1.")] * 3,
                StopReason.max_steps,
                progress=0.5,
            ),
            "loop",
        ),
        (game([("look", "You are in the middle of a room.")] * 3, StopReason.repeated_action), "loop"),
        # Twice round the same six places, never opening one: a loop, though no two steps in a row repeat.
        (game(closed_round(range(1, 7)) * 2, StopReason.max_steps), "loop"),
        # The same twelve steps with one place other on the second round: still searching.
        (
            game(closed_round(range(1, 7)) + closed_round([1, 2, 3, 4, 5, 7]), StopReason.max_steps),
            "no progress",
        ),
        (game([], StopReason.invalid_output), "invalid actions"),
        (game([("look", "x")], StopReason.error), "error"),
    ],
)
def test_alfworld_categories_of_scripted_episodes(episode, category):
    assert alfworld_diagnose(episode, None) == category


def react(*args):
    return subprocess.run(
        [sys.executable, "-m", "react_agent.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_bench_records_categories_and_the_breakdown_shows_them(tmp_path):
    from servers import scripted_openai_server, url_of

    questions = tmp_path / "questions.jsonl"
    records = [EIFFEL.model_dump(), EIFFEL.model_copy(update={"id": "q2"}).model_dump()]
    questions.write_text("".join(json.dumps(r) + "\n" for r in records))
    replies = iter(
        [step("Search[Eiffel Tower]"), step("Finish[Seine]"), step("Search[Seine]"), step("Finish[Loire]")]
    )
    out = tmp_path / "run.jsonl"
    with scripted_openai_server(answer_for=lambda prompt: next(replies)) as server:
        url = url_of(server, "/v1")
        process = react(
            "bench",
            "--task",
            "hotpotqa",
            "--data",
            questions,
            "--model",
            "openai:m",
            "--base-url",
            url,
            "--out",
            out,
        )
    assert process.returncode == 0, process.stderr
    categories = [json.loads(line)["failure_category"] for line in out.read_text().splitlines()]
    assert categories == ["answered right", "search"]
    board = react("leaderboard", out, "--breakdown", "--format", "markdown")
    assert board.returncode == 0, board.stderr
    header, _, row = board.stdout.split("### hotpotqa: why episodes ended\n")[1].strip().splitlines()[:3]
    assert header.startswith("| data | model | method | config | n | answered right | reasoning | search |")
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[4:8] == ["2", "50%", "0%", "50%"]

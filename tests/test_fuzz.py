"""Bad model output at scale: every step format, and whole episodes, under hypothesis. Whatever the
model writes, nothing raises, every episode ends with a recorded reason within its step limit, and
its result is a line a results file can hold."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from react_agent import Agent, EpisodeResult, StopReason, tool
from react_agent.formats import FORMATS
from react_agent.models import ScriptedModel

PIECES = st.sampled_from(
    [
        "Thought",
        "Action",
        "Observation",
        "Answer:",
        "Question:",
        " 1:",
        " 2:",
        "[",
        "]",
        "[[",
        "]]",
        "{",
        '"a": 1}',
        "\n",
        " ",
        "Search",
        "Finish",
        "think:",
        "> ",
        "\x00",
        "\x1b[31m",
        "\r",
        "\t",
        "\ud800",
        "\udc80",
        "é",
        "\u2028",
    ]
)
OUTPUTS = st.one_of(
    st.lists(PIECES, max_size=40).map("".join),
    st.text(max_size=200),
    st.just(""),
    st.integers(1000, 20000).map(lambda n: "Thought x " * n),  # huge
    st.just(
        " x\nAction 1: Search[a]\nObservation 1: made up by the model\nThought 2: y\nAction 2: Finish[z]"
    ),
)


@settings(max_examples=300, deadline=None)
@given(OUTPUTS)
def test_every_format_reads_any_output(text):
    for step_format in FORMATS.values():
        parsed = step_format.parse(text, 3)
        assert "\n" not in parsed.thought  # our rules keep a thought on one line, whatever came
        if parsed.action is not None:
            assert parsed.action.text.strip() and "\n" not in parsed.action.text
        step_format.is_complete(text)
        if step_format.reask is not None:
            step_format.reask.parse(text)
        step_format.read(text)


@tool
def search(entity: str) -> str:
    """looks something up."""
    return f"Nothing about {entity[:50]}."


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OUTPUTS, min_size=1, max_size=12), st.integers(1, 6), st.sampled_from([0, 2, 3]))
def test_any_episode_ends_with_a_reason_within_its_limit(outputs, max_steps, max_repeats):
    model = ScriptedModel(outputs)  # runs out: a model call fails, which also ends the episode
    result = Agent(model, tools=[search], max_steps=max_steps, max_repeats=max_repeats).run("q?")
    assert result.stop_reason in StopReason and len(result.steps) <= max_steps
    if result.stop_reason in (StopReason.error, StopReason.invalid_output, StopReason.repeated_action):
        assert result.error
    line = result.model_dump_json()
    assert EpisodeResult.model_validate_json(line) == result and json.loads(line)


def test_empty_output_forever_ends_the_episode():
    result = Agent(ScriptedModel([""] * 100), tools=[search], max_steps=7).run("q?")
    assert result.stop_reason is StopReason.invalid_output and len(result.model_outputs) == 2


def test_a_lone_surrogate_from_a_detokenizer_is_replaced_not_written():
    result = Agent(ScriptedModel([" caf\ud800\nAction 1: Finish[caf\udc80]"]), tools=[search]).run("q?")
    assert (
        result.answer == "caf\ufffd"
        and result.model_outputs[0].text == " caf\ufffd\nAction 1: Finish[caf\ufffd]"
    )
    result.model_dump_json()


def test_the_loop_guard_ends_a_repeated_action():
    looping = [" again\nAction 1: Search[Paris]"] * 7
    result = Agent(ScriptedModel(looping), tools=[search], max_repeats=3).run("q?")
    assert result.stop_reason is StopReason.repeated_action and len(result.steps) == 3
    assert result.error == "Search[Paris] gave the same observation 3 times"
    off = Agent(ScriptedModel(looping), tools=[search], max_repeats=0).run("q?")
    assert off.stop_reason is StopReason.max_steps and len(off.steps) == 7


def test_the_loop_guard_lets_a_changing_observation_go_on(demo_wiki, demo_questions):
    from react_agent.envs.hotpotqa import HotpotQAEnv

    # Paris's page has three sentences with "the": each Lookup shows the next one.
    walk = (
        [" x\nAction 1: Search[Paris]"] + [" y\nAction 2: Lookup[the]"] * 3 + [" z\nAction 5: Finish[Seine]"]
    )
    result = Agent(ScriptedModel(walk), HotpotQAEnv(demo_wiki), max_repeats=2).run(demo_questions[0])
    assert result.stop_reason is StopReason.finished and len(result.steps) == 5
    assert [s.observation[:14] for s in result.steps[1:4]] == [
        "(Result 1 / 3)",
        "(Result 2 / 3)",
        "(Result 3 / 3)",
    ]

import asyncio

import pytest

from react_agent import Agent, EpisodeResult, EpisodeStart, Step, StopReason
from react_agent.envs.hotpotqa import HotpotQAEnv
from react_agent.models import ModelError, ScriptedModel


@pytest.fixture
def eiffel(demo_questions):
    return next(q for q in demo_questions if "Eiffel Tower stands" in q.question)


GOLD_RUN = [
    " I need the city of the Eiffel Tower, then its river.\nAction 1: Search[Eiffel Tower]",
    " It is in Paris. I need the river of Paris.\nAction 2: Search[Paris]",
    " Paris stands on the Seine.\nAction 3: Finish[Seine]",
]


def test_scripted_episode_finishes_with_gold_answer(demo_wiki, eiffel):
    model = ScriptedModel(GOLD_RUN)
    result = Agent(model, HotpotQAEnv(demo_wiki)).run(eiffel)
    assert result.stop_reason is StopReason.finished
    assert (result.answer, result.em, result.f1) == ("Seine", 1.0, 1.0)
    assert result.steps[0].observation.startswith("The Eiffel Tower is a wrought-iron lattice tower")
    assert [s.action.text for s in result.steps] == ["Search[Eiffel Tower]", "Search[Paris]", "Finish[Seine]"]


def test_prompt_grows_by_one_step_and_stops_at_the_next_observation(demo_wiki, eiffel):
    model = ScriptedModel(GOLD_RUN)
    Agent(model, HotpotQAEnv(demo_wiki)).run(eiffel)
    first, second = model.requests[0], model.requests[1]
    assert first.prompt.endswith(f"Question: {eiffel.question}\nThought 1:")
    assert first.stop == ["\nObservation 1:"]
    assert second.prompt.startswith(first.prompt)
    added = second.prompt[len(first.prompt) :]
    assert added.startswith(
        " I need the city of the Eiffel Tower, then its river.\nAction 1: Search[Eiffel Tower]\n"
    )
    assert "\nObservation 1: The Eiffel Tower is" in added and added.endswith("\nThought 2:")


def test_episode_stops_at_max_steps_without_answer(demo_wiki, eiffel):
    model = ScriptedModel([f" again\nAction {i}: Search[Paris]" for i in range(1, 8)])
    result = Agent(model, HotpotQAEnv(demo_wiki), max_steps=3).run(eiffel)
    assert result.stop_reason is StopReason.max_steps
    assert len(result.steps) == 3
    assert result.answer is None and result.em == 0.0


def test_missing_action_is_asked_for_once_more(demo_wiki, eiffel):
    model = ScriptedModel(
        [" I should look at the tower first.", " Search[Eiffel Tower]", " Done.\nAction 2: Finish[Seine]"]
    )
    result = Agent(model, HotpotQAEnv(demo_wiki)).run(eiffel)
    reask = model.requests[1]
    assert reask.prompt.endswith("Thought 1: I should look at the tower first.\nAction 1:")
    assert reask.stop == ["\n"]
    assert result.steps[0].action.text == "Search[Eiffel Tower]"
    assert result.steps[0].usage.calls == 2
    assert result.em == 1.0


def test_no_action_even_when_asked_again_is_invalid_output(demo_wiki, eiffel):
    model = ScriptedModel([" hmm", "   "])
    result = Agent(model, HotpotQAEnv(demo_wiki)).run(eiffel)
    assert result.stop_reason is StopReason.invalid_output
    assert result.steps == [] and "no action" in result.error


def test_unknown_action_becomes_an_observation(demo_wiki, eiffel):
    model = ScriptedModel([" x\nAction 1: Fly[Paris]", " y\nAction 2: Finish[Seine]"])
    result = Agent(model, HotpotQAEnv(demo_wiki)).run(eiffel)
    assert result.steps[0].observation == "Invalid action: Fly[Paris]"
    assert result.stop_reason is StopReason.finished


def test_model_failure_ends_the_episode_with_error(demo_wiki, eiffel):
    model = ScriptedModel(GOLD_RUN[:1])  # runs out after one call
    result = Agent(model, HotpotQAEnv(demo_wiki)).run(eiffel)
    assert result.stop_reason is StopReason.error
    assert "ran out of outputs" in result.error
    assert len(result.steps) == 1


def test_failing_tool_is_an_observation_not_a_crash(demo_wiki, eiffel):
    class BrokenWiki:
        def find(self, entity):
            raise ConnectionError("wiki is down")

    model = ScriptedModel([" x\nAction 1: Search[Paris]", " y\nAction 2: Finish[Seine]"])
    result = Agent(model, HotpotQAEnv(BrokenWiki())).run(eiffel)
    assert result.steps[0].observation == "Error: ConnectionError: wiki is down"
    assert result.stop_reason is StopReason.finished


def test_stream_yields_each_step_then_the_result(demo_wiki, eiffel):
    events = list(Agent(ScriptedModel(GOLD_RUN), HotpotQAEnv(demo_wiki)).stream(eiffel))
    assert [type(e) for e in events] == [EpisodeStart, Step, Step, Step, EpisodeResult]
    assert events[0].question == f"Question: {eiffel.question}"


def test_async_run_gives_the_same_result_as_sync(demo_wiki, eiffel):
    sync = Agent(ScriptedModel(GOLD_RUN), HotpotQAEnv(demo_wiki)).run(eiffel)
    asynchronous = asyncio.run(Agent(ScriptedModel(GOLD_RUN), HotpotQAEnv(demo_wiki)).arun(eiffel))
    strip = {"seconds": True, "steps": {"__all__": {"model_seconds", "env_seconds"}}}
    assert sync.model_dump(exclude=strip) == asynchronous.model_dump(exclude=strip)


def test_result_round_trips_through_json(demo_wiki, eiffel):
    result = Agent(ScriptedModel(GOLD_RUN), HotpotQAEnv(demo_wiki)).run(eiffel)
    assert EpisodeResult.model_validate_json(result.model_dump_json()) == result


def test_scripted_model_honours_stop_sequences():
    from react_agent.models import ModelRequest

    model = ScriptedModel([" a\nAction 1: Search[x]\nObservation 1: made up"])
    assert model.complete(ModelRequest("p", stop=["\nObservation 1:"])).text == " a\nAction 1: Search[x]"
    with pytest.raises(ModelError):
        model.complete(ModelRequest("p"))


def test_weak_vote_falls_back_to_react_and_unfinished_react_to_the_vote(demo_wiki, eiffel):
    from react_agent import methods
    from react_agent.prompts import builtin_prompt

    cot = builtin_prompt("hotpotqa", "cot")
    env = HotpotQAEnv(demo_wiki)
    weak = [" a\nAnswer: Loire", " b\nAnswer: Rhine", " c\nAnswer: Thames"]  # 1 of 3 votes each
    model = ScriptedModel(weak + GOLD_RUN)
    vote = methods.SelfConsistency(model, env, cot, samples=3)
    result = asyncio.run(methods.SelfConsistencyThenReact(vote, Agent(model, env)).arun(eiffel))
    assert vote.votes == 1 and result.answer == "Seine" and len(result.steps) == 3 + 3
    assert result.model_outputs == weak + GOLD_RUN

    unfinished = [f" again\nAction {i}: Search[Paris]" for i in (1, 2)]
    strong = [" x\nAnswer: Seine", " y\nAnswer: seine", " z\nAnswer: Loire"]
    model = ScriptedModel(unfinished + strong)
    vote = methods.SelfConsistency(model, env, cot, samples=3)
    react = Agent(model, env, max_steps=2)
    result = asyncio.run(methods.ReactThenSelfConsistency(react, vote).arun(eiffel))
    assert vote.votes == 2 and result.answer == "Seine" and result.em == 1.0
    assert [s.index for s in result.steps] == [1, 2, 3, 4, 5]

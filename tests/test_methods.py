"""Every method of the paper's Table 1 plays by the one `AgentSettings` it is given: with every
field set to something other than its default, each request each method sends shows each setting
(an option copied field by field, and dropped on the way, shows here)."""

import asyncio

import pytest

from react_agent import AgentSettings, StopReason, make_player
from react_agent.envs.hotpotqa import HotpotQAEnv, hotpotqa_prompt
from react_agent.methods import METHODS
from react_agent.models import Completion, Model, ModelRequest
from react_agent.reflexion import ReflectionPrompt
from react_agent.settings import AgentSettings as Defaults
from react_agent.trajectory import Scoring, Usage

REFLECTION = ReflectionPrompt.builtin()
REFLECTION_CUE = REFLECTION.cue
SCORING = Scoring(score="em")

SETTINGS = AgentSettings(
    max_steps=4,
    max_tokens=64,
    temperature=0.3,
    final_answer=True,
    max_repeats=2,
    grammar=True,
    shots=1,
    sc_samples=3,
    sc_temperature=0.9,
    attempts=2,
    oracle_feedback=True,  # Reflexion on HotpotQA: its attempts judged by the gold answer
    top_p=0.8,
    # Limits no episode here reaches: every method must keep them (test_limits.py reaches them).
    episode_tokens=10**9,
    episode_seconds=10**6,
)
# The same, under the paper's rules, which have no loop guard and ask for no answer at the limit.
PAPER = SETTINGS.but(paper=True, final_answer=False, max_repeats=0)
WALK = ["Paris", "France", "Seine", "Eiffel Tower"]  # four searches, four observations: the step limit


def test_the_settings_here_are_none_of_the_defaults():
    defaults = Defaults()
    assert [name for name in Defaults.model_fields if getattr(SETTINGS, name) == getattr(defaults, name)] == [
        # The tools format refuses the grammar and an answer at the limit, and plays only the
        # methods that act: test_tool_calls.py plays each of those with it.
        "format",
        "paper",  # it refuses a loop guard and an answer at the limit: PAPER sets it, with the rest
    ]
    assert PAPER.paper and all(
        getattr(PAPER, n) == getattr(SETTINGS, n) for n in ("max_tokens", "shots", "grammar")
    )


class ByPrompt(Model):
    """Answers as the request's prompt says: a step of the loop question searches Paris again and
    again (the loop guard ends it); a step of the other walks through four pages (the step limit
    ends it); CoT samples disagree (a weak vote); an answer is asked for by `Finish[`."""

    name = "by-prompt"

    def __init__(self, loop_question: str):
        self.loop_question = loop_question
        self.requests: list[ModelRequest] = []
        self.samples = 0

    def complete(self, request, stop_when=None):
        self.requests.append(request)
        prompt = request.prompt
        if prompt.endswith("Finish["):
            text = "Seine]"
        elif prompt.endswith(REFLECTION_CUE):
            text = " I searched the same page again. Next time I will search another."
        elif prompt.endswith("Thought:"):  # a CoT sample
            self.samples += 1
            text = f" It is one of three rivers.\nAnswer: {['Seine', 'Loire', 'Rhine'][self.samples % 3]}"
        elif prompt.endswith("Answer:"):
            text = " Seine"
        else:
            step = int(prompt.rsplit(" ", 1)[1].rstrip(":"))
            page = "Paris" if self.loop_question in prompt.rsplit("\nQuestion: ", 1)[1] else WALK[step - 1]
            action = f"Search[{page}]"
            text = (
                f" {action}" if prompt.endswith(f"Action {step}:") else f" I look.\nAction {step}: {action}"
            )
        return Completion(text=text, usage=Usage(calls=1))

    async def acomplete(self, request, stop_when=None):
        return self.complete(request, stop_when)


def kind(request: ModelRequest) -> str:
    prompt = request.prompt
    if prompt.endswith(REFLECTION_CUE):
        return "reflection"
    if prompt.endswith("Finish["):
        return "final"
    if prompt.endswith("Thought:"):
        return "vote" if request.temperature == SETTINGS.sc_temperature else "cot"
    if prompt.endswith("Answer:"):
        return "standard"
    return "step"


@pytest.mark.parametrize("settings", [SETTINGS, PAPER], ids=["ours", "paper"])
@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_plays_by_every_setting(method, settings, demo_wiki, demo_questions):
    loop, walk = demo_questions[:2]
    prompts = {role: hotpotqa_prompt("cot" if role == "votes" else role) for role in METHODS[method].roles}
    model = ByPrompt(loop.question)
    player = make_player(
        method,
        model,
        lambda role: HotpotQAEnv(demo_wiki, prompt=prompts[role], rules=settings.rules),
        settings,
        scoring=SCORING,
    )
    # ReAct-SC samples whole episodes: each step of each of them, at the samples' temperature.
    episodes = settings.sc_samples if "react" in METHODS[method].sampled else 1
    step_temperature = settings.sc_temperature if episodes > 1 else settings.temperature
    # Reflexion plays every attempt: no answer here is the gold one.
    episodes *= settings.attempts if METHODS[method].tries_again else 1
    results = {}
    for question in (loop, walk):
        before = len(model.requests)
        results[question.id] = asyncio.run(player.arun(question))
        asked = model.requests[before:]
        kinds = [kind(request) for request in asked]

        for request, what in zip(asked, kinds, strict=True):
            role = {"vote": "votes", "step": None, "final": None, "reflection": None}.get(what, what)
            prompt = prompts[role or next(r for r in prompts if r != "votes")]
            first, second = prompt.example_list()[:2]
            if what == "reflection":  # on an attempt, without the examples, in the budget of its prompt file
                assert first not in request.prompt and request.max_tokens == REFLECTION.max_tokens
            else:
                assert first in request.prompt and second not in request.prompt, "shots: 1"
                assert request.max_tokens == (48 if what == "final" else 64), "max_tokens"
            assert request.stop == {"final": ["]", "\n"], "standard": ["\n"]}.get(what, request.stop)
            assert request.temperature == (0.9 if what == "vote" else step_temperature), (
                "temperature, sc_temperature"
            )
            assert request.top_p == 0.8, "top_p"
            assert (request.grammar is not None) == (what in ("step", "final")), "grammar"

        assert kinds.count("reflection") == (episodes - 1 if METHODS[method].tries_again else 0), "attempts"
        votes = kinds.count("vote")
        assert votes in (0, SETTINGS.sc_samples), "sc_samples"
        steps = kinds.count("step")
        if question is loop and steps:
            assert steps == episodes * (4 if settings.paper else 2), (
                "max_repeats: the second same step ends it"
            )
            assert "final" not in kinds
        if question is walk and steps:
            finals = 0 if settings.paper else episodes
            assert steps == episodes * settings.max_steps, "max_steps"
            assert kinds.count("final") == finals, "final_answer"

    if method in ("react", "act"):
        loop_end = StopReason.max_steps if settings.paper else StopReason.repeated_action
        assert results[loop.id].stop_reason is loop_end
        assert results[walk.id].stop_reason is StopReason.max_steps
        assert results[walk.id].answer == (None if settings.paper else "Seine")
    if method in ("react-then-cot-sc", "cot-sc-then-react", "cot-sc", "react-sc"):
        assert all(result.votes is not None for result in results.values())

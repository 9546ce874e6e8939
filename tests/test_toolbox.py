"""Tools from plain functions, and agents that use them."""

import asyncio
import json

import pytest

from react_agent import Agent, StopReason, ToolError, tool
from react_agent.models import Model, ScriptedModel
from react_agent.toolbox import ToolEnvironment, as_tool, instruction_for


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two whole numbers.

    Only the first paragraph is the tool's description."""
    return a * b


def test_the_readme_example_with_a_scripted_model():
    model = ScriptedModel(
        [' I multiply.\nAction 1: Multiply[{"a": 17, "b": 23}]', " It is 391.\nAction 2: Finish[391]"]
    )
    agent = Agent(model=model, tools=[multiply])
    result = agent.run("What is 17 times 23?")
    assert result.answer == "391" and result.stop_reason is StopReason.finished
    assert result.steps[0].observation == "391"
    first = model.requests[0].prompt
    assert '(1) Multiply[{"a": int, "b": int}] Multiply two whole numbers.\n' in first
    assert "(2) Finish[answer] gives the answer and ends the task.\n" in first
    assert first.endswith("Question: What is 17 times 23?\nThought 1:")
    assert "Here are some examples" not in first  # zero-shot: no examples promised


def test_a_decorated_function_is_still_a_function():
    assert multiply(6, 7) == 42 and multiply.name == "Multiply" and multiply.parameters == ["a", "b"]


def play(tools, *outputs, **options):
    model = ScriptedModel(list(outputs))
    return Agent(model=model, tools=tools, **options).run("q?"), model


def test_a_bad_argument_is_an_observation_naming_the_field():
    result, _ = play([multiply], ' x\nAction 1: Multiply[{"a": "x"}]', " y\nAction 2: Finish[no]")
    observation = result.steps[0].observation
    assert observation.startswith("Invalid input for Multiply (a: Input should be a valid integer")
    assert "b: Field required" in observation and observation.endswith(
        'It takes Multiply[{"a": int, "b": int}].'
    )
    assert result.stop_reason is StopReason.finished


def test_not_a_json_object_and_an_unknown_tool_say_what_is_accepted():
    result, _ = play(
        [multiply], " x\nAction 1: Multiply[17, 23]", " y\nAction 2: Divide[4]", " z\nAction 3: Finish[no]"
    )
    assert result.steps[0].observation == 'Multiply takes a JSON object: Multiply[{"a": int, "b": int}]'
    assert result.steps[1].observation == (
        'Invalid action: Divide[4] (the actions are Multiply[{"a": int, "b": int}], Finish[answer])'
    )


def test_one_parameter_takes_the_bracket_text_and_names_match_in_any_case():
    @tool
    def square(n: int) -> int:
        """Square a number."""
        return n * n

    result, model = play([square], " x\nAction 1: SQUARE[12]", " y\nAction 2: finish[144]")
    assert result.steps[0].observation == "144" and result.answer == "144"
    assert "(1) Square[n] Square a number.\n" in model.requests[0].prompt


def test_a_tool_error_is_the_observation_and_any_other_exception_ends_the_episode():
    @tool
    def fetch(url: str) -> str:
        """Fetch a page."""
        if url == "down":
            raise ToolError("The site did not answer.")
        raise KeyError(url)

    result, _ = play([fetch], " x\nAction 1: Fetch[down]", " y\nAction 2: Fetch[bug]")
    assert result.steps[0].observation == "The site did not answer."
    assert result.stop_reason is StopReason.error and len(result.steps) == 1
    assert "Traceback" in result.error and result.error.rstrip().endswith("KeyError: 'bug'")


async def slow_double(x: int) -> int:
    """Double a number, after a pause."""
    await asyncio.sleep(0.01)
    return 2 * x


def test_async_tools_are_awaited_in_arun_and_run_in_run():
    outputs = [" x\nAction 1: SlowDouble[21]", " y\nAction 2: Finish[42]"]
    result = asyncio.run(Agent(model=ScriptedModel(outputs), tools=[slow_double]).arun("q?"))
    assert result.steps[0].observation == "42"
    result, _ = play([slow_double], *outputs)
    assert result.steps[0].observation == "42"

    async def run_inside_a_loop():  # the sync API called from async code still works
        return Agent(model=ScriptedModel(outputs), tools=[slow_double]).run("q?")

    assert asyncio.run(run_inside_a_loop()).steps[0].observation == "42"


def test_any_value_is_shown_as_text_and_cut_to_length():
    def table(rows: int) -> list[dict[str, int]]:
        """Make a table."""
        return [{"row": i} for i in range(rows)]

    env = ToolEnvironment([table], observation_chars=30)
    model = ScriptedModel([" x\nAction 1: Table[2]", " y\nAction 2: Table[100]", " z\nAction 3: Finish[ok]"])
    result = Agent(model, env).run("q?")
    assert json.loads(result.steps[0].observation) == [{"row": 0}, {"row": 1}]
    whole = json.dumps([{"row": i} for i in range(100)])
    assert result.steps[1].observation == f"{whole[:30]} [... {len(whole) - 30} more characters]"


def test_instruction_and_examples_of_ones_own():
    env = ToolEnvironment(
        [multiply], instructions="Use the tools.\n", examples=["Question: a\n", "Question: b\n"]
    )
    prompt = env.prompt("q?")
    assert (prompt.instruction, prompt.examples) == ("Use the tools.\n", "Question: a\nQuestion: b\n")
    assert instruction_for([multiply]).endswith("(2) Finish[answer] gives the answer and ends the task.\n")


def test_defaults_and_names_of_ones_own():
    def convert(value: float, unit: str = "km") -> str:
        """Convert a length."""
        return f"{value} {unit}"

    converter = as_tool(convert, name="ToMiles", description="turns a length into miles")
    assert converter.signature == """ToMiles[{"value": float, "unit": str (default 'km')}]"""
    env = ToolEnvironment([converter])
    env.reset("q?")
    from react_agent.trajectory import Action

    observation = env.step(Action(text='ToMiles[{"value": 3}]', name="tomiles", argument='{"value": 3}'))
    assert observation.text == "3.0 km"


def test_tools_made_again_for_each_episode_share_their_argument_model():
    def make(limit: int = 3):
        def top(query: str, n: int = limit) -> str:
            return query * n

        return as_tool(top)

    assert make().arguments is make().arguments  # built once: episodes make their tools anew
    assert make(5).bind('{"query": "a"}') == {"query": "a", "n": 5}  # but each default is its own
    assert make().bind('{"query": "a"}') == {"query": "a", "n": 3}

    def listed(query: str, seen: list = []) -> str:  # noqa: B006 (an unhashable default)
        return query

    assert as_tool(listed).bind('{"query": "a"}') == {"query": "a", "seen": []}


def test_an_agent_takes_an_environment_or_tools():
    with pytest.raises(TypeError, match="one of them"):
        Agent(ScriptedModel([]))


class Oracle(Model):
    """A model that answers each question with its own number, so any order of play gives the same."""

    name = "oracle"

    def complete(self, request, stop_when=None):
        from react_agent.models import Completion
        from react_agent.trajectory import Usage

        question = request.prompt.rsplit("Question: ", 1)[1].split("\n", 1)[0]
        return Completion(f" I know.\nAction 1: Finish[{question.strip('q?')}]", Usage(calls=1))

    async def acomplete(self, request, stop_when=None):
        return self.complete(request, stop_when)


def test_many_tasks_from_python_concurrent_and_resumable(tmp_path):
    from react_agent import read_results, run_all

    out = tmp_path / "run.jsonl"
    first = run_all(["q1?", "q2?"], lambda: Agent(Oracle(), tools=[multiply]), workers=2, out=out)
    assert sorted(r.answer for r in first) == ["1", "2"]
    again = run_all(["q1?", "q2?", "q3?"], lambda: Agent(Oracle(), tools=[multiply]), out=out)
    assert [r.answer for r in again] == ["3"]  # the first two were already in the file
    assert sorted(r.answer for r in read_results(out)) == ["1", "2", "3"]


def test_a_long_run_need_not_keep_its_results_in_memory(tmp_path):
    import gc
    import weakref

    from react_agent import read_results, run_all

    alive = []
    tasks = [f"q{i}?" for i in range(1, 7)]
    returned = run_all(
        tasks,
        lambda: Agent(Oracle(), tools=[multiply]),
        workers=3,
        out=tmp_path / "run.jsonl",
        on_result=lambda result: alive.append(weakref.ref(result)),
        keep_results=False,  # as react bench plays: the results are in the file
    )
    gc.collect()
    assert returned == [] and len(alive) == 6 and not any(ref() for ref in alive)
    assert sorted(r.answer for r in read_results(tmp_path / "run.jsonl")) == [str(i) for i in range(1, 7)]


def test_a_hybrid_plays_the_prompt_of_its_react_role_at_the_settings_temperature(demo_wiki, demo_questions):
    from react_agent import AgentSettings, make_player
    from react_agent.envs.hotpotqa import HotpotQAEnv, hotpotqa_prompt

    prompts = {"react": hotpotqa_prompt("act"), "votes": hotpotqa_prompt("cot")}  # Act in ReAct's place
    model = ScriptedModel([" x\nAction 1: Finish[Seine]"])
    settings = AgentSettings(temperature=0.3, sc_samples=1)
    player = make_player(
        "react-then-cot-sc", model, lambda role: HotpotQAEnv(demo_wiki, prompt=prompts[role]), settings
    )
    asyncio.run(player.arun(demo_questions[0]))
    [request] = model.requests  # Act finished: no votes
    assert request.prompt.endswith("\nAction 1:") and request.temperature == 0.3


def test_the_react500_sample_is_the_paper_shuffle():
    import random

    from react_agent.datafiles import DataFileError
    from react_agent.envs.hotpotqa import Question, react500

    questions = [Question(id=str(i), question=f"q{i}", answer="a") for i in range(7405)]
    indices = list(range(7405))
    random.Random(233).shuffle(indices)
    assert [q.id for q in react500(questions)] == [str(i) for i in indices[:500]]
    with pytest.raises(DataFileError, match="official dev file"):
        react500(questions[:10])


def test_a_typed_answer_is_validated_kept_and_written():
    import json

    from pydantic import BaseModel

    from react_agent import Agent
    from react_agent.environment import Environment
    from react_agent.models import ScriptedModel

    class Year(BaseModel):
        year: int

    outputs = [" Say it.\nAction 1: Finish[seventeen]", " As a number.\nAction 2: Finish[1775]"]
    result = Agent(ScriptedModel(outputs), tools=[], output_type=Year).run("When was Jane Austen born?")
    invalid = "Invalid input for Finish (year: Input should be a valid integer"
    assert result.steps[0].observation.startswith(invalid)
    assert result.output == Year(year=1775) and result.answer == "1775"
    assert json.loads(result.model_dump_json())["output"] == {"year": 1775}  # a results line keeps its fields

    class Own(Environment):
        def prompt(self, task): ...
        def reset(self, task): ...
        def step(self, action): ...
        def outcome(self): ...

    with pytest.raises(TypeError, match="output_type goes with tools"):
        Agent(ScriptedModel([]), Own(), output_type=Year)

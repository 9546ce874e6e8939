"""Many requests on one local model at once (react_agent/models/llama_batch.py), with the real
SmolLM2-135M-Instruct: the answers are those of one request at a time, token for token."""

import asyncio

import pytest

from react_agent import Agent
from react_agent.envs.hotpotqa import HotpotQAEnv
from react_agent.models import ModelRequest
from react_agent.models.llama_batch import SMALL_DECODE, prompt_chunk
from react_agent.models.llama_cpp import LlamaCppModel
from react_agent.runner import run_all

PREFIX = (
    "Answer each question with a search.\n"
    "Question: Where is the Louvre?\nThought 1: I should search the Louvre.\nAction 1: Search[Louvre]\n"
    "Observation 1: The Louvre is a museum in Paris.\n"
)
QUESTIONS = ["Where is Paris?", "Who wrote Hamlet?", "What is the Nile?", "When was Rome founded?"]


def requests() -> list[tuple[ModelRequest, object]]:
    """Prompts that share a prefix, with stop sequences, budgets and an early stop of their own."""
    made = []
    for i, question in enumerate(QUESTIONS):
        request = ModelRequest(
            PREFIX + f"Question: {question}\nThought 1:", stop=["\nObservation"], max_tokens=20 + 7 * i
        )
        made.append((request, None if i % 2 else (lambda text: "]" in text)))
    made.append((ModelRequest("The capital of France is", max_tokens=6), None))
    return made


@pytest.mark.slow  # whole episodes twice; the quick run checks concurrent requests against lone ones (below)
def test_episodes_sharing_one_model_take_the_steps_they_take_alone(
    smollm2, smollm2_path, demo_wiki, demo_questions
):
    # More episodes than sequences: a sequence serves one episode's step, then another's.
    together = LlamaCppModel(smollm2_path, sequences=2, n_ctx=4096)
    questions = demo_questions[:3]
    alone = run_all(questions, lambda: Agent(smollm2, HotpotQAEnv(demo_wiki), max_steps=2), workers=1)
    batched = run_all(questions, lambda: Agent(together, HotpotQAEnv(demo_wiki), max_steps=2), workers=3)

    def steps(results):
        by_task = {r.task_id: r for r in results}
        return {
            task: [
                (s.thought, s.action, s.observation, s.usage.prompt_tokens, s.usage.completion_tokens)
                for s in r.steps
            ]
            for task, r in by_task.items()
        }

    assert steps(batched) == steps(alone)
    assert sum(len(r.steps) for r in alone) >= 5  # several steps each: later prompts reuse the cache


# Prompt chunks of 32 tokens: the shared prefix takes several decodes, and the requests that wait
# for it must wait for all of it, not take the first chunks and evaluate the rest themselves.
@pytest.mark.parametrize("n_batch", [2048, 32])
def test_concurrent_requests_answer_as_one_at_a_time_and_their_usage_adds_up(smollm2, smollm2_path, n_batch):
    model = LlamaCppModel(smollm2_path, sequences=3, n_ctx=1024, n_batch=n_batch)
    made = requests() * 2  # more requests than sequences: some wait for one to free

    async def all_at_once():
        return await asyncio.gather(*(model.acomplete(request, stop_when) for request, stop_when in made))

    completions = asyncio.run(all_at_once())
    assert [c.text for c in completions] == [smollm2.complete(r, s).text for r, s in made]
    for (request, stop_when), completion in zip(made, completions, strict=True):
        usage = completion.usage
        assert usage.prompt_tokens == len(model.tokenize(request.prompt))
        assert min(SMALL_DECODE, usage.prompt_tokens) <= usage.evaluated_tokens <= usage.prompt_tokens
        assert 1 <= usage.completion_tokens <= request.max_tokens
        if stop_when is not None:  # decoding ended at the first "]", if one came
            assert "]" not in completion.text[:-1]
    # What the requests say they decoded is what llama.cpp counted: every prompt token evaluated,
    # and every sampled token but each request's last fed back.
    evaluated = sum(c.usage.evaluated_tokens for c in completions)
    fed_back = sum(c.usage.completion_tokens - 1 for c in completions)
    assert evaluated + fed_back == model.decoded_tokens
    # The shared prefix was evaluated once, not once per request that has it.
    prefix = len(model.tokenize(PREFIX)) - 2  # less the start token and where the text joins
    sharing = sum(request.prompt.startswith(PREFIX) for request, _ in made)
    assert evaluated <= sum(c.usage.prompt_tokens for c in completions) - (sharing - 1) * prefix


def test_a_cancelled_request_frees_its_sequence(smollm2_path):
    model = LlamaCppModel(smollm2_path, sequences=1, n_ctx=1024)
    long = ModelRequest("Count to a thousand: 1, 2, 3,", max_tokens=900)
    short = ModelRequest("The capital of France is", max_tokens=4)

    async def cancel_then_ask():
        task = asyncio.create_task(model.acomplete(long))
        await asyncio.sleep(0.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await asyncio.wait_for(model.acomplete(short), timeout=60)

    assert asyncio.run(cancel_then_ask()).usage.completion_tokens == 4


def test_sampled_draws_differ_from_each_other_and_repeat_from_the_seed(smollm2_path):
    request = ModelRequest("Once upon a time", max_tokens=24, temperature=1.0)
    first, second = (LlamaCppModel(smollm2_path, sequences=2, n_ctx=512, seed=7) for _ in range(2))
    draws = [first.complete(request).text for _ in range(3)]

    async def concurrently():  # the same draws, whatever order the requests run in
        return [c.text for c in await asyncio.gather(*(second.acomplete(request) for _ in range(3)))]

    assert len(set(draws)) == 3
    assert sorted(asyncio.run(concurrently())) == sorted(draws)


@pytest.mark.slow  # decodes every request alone and in company: minutes
def test_no_token_is_computed_on_a_path_that_depends_on_its_company(smollm2, smollm2_path, monkeypatch):
    """ggml's kernels change path with a decode's size (see SMALL_DECODE): nine sequences generate
    in decodes of fewer than 8 tokens, and prompts go in chunks of 8 tokens up to one ubatch, the
    last never short, whatever a sequence held before. The answers are those of one at a time."""
    model = LlamaCppModel(smollm2_path, sequences=9, n_ctx=2048)
    decoder = model._decoder
    sizes: list[tuple[bool, int]] = []
    decode = decoder._decode

    def recording(parts, prompt=False):
        sizes.append((prompt, sum(len(tokens) for _, tokens, _ in parts)))
        return decode(parts, prompt)

    monkeypatch.setattr(decoder, "_decode", recording)
    long = ModelRequest(" ".join(f"w{i}" for i in range(300)) + "\nSay: done", max_tokens=3)
    made = [(ModelRequest(PREFIX + f"Question: {q}\nThought 1:", max_tokens=12), None) for q in QUESTIONS * 2]
    made.append((long, None))

    async def all_at_once():
        return await asyncio.gather(*(model.acomplete(request, stop_when) for request, stop_when in made))

    completions = asyncio.run(all_at_once())
    assert [c.text for c in completions] == [smollm2.complete(r, s).text for r, s in made]
    generation = [n for prompt, n in sizes if not prompt]
    chunks = [n for prompt, n in sizes if prompt]
    assert max(generation) == SMALL_DECODE - 1 and min(generation) >= 1
    assert min(chunks) >= SMALL_DECODE and max(chunks) == decoder.chunk
    assert len(model.tokenize(long.prompt)) > decoder.chunk + 1  # its chunks: one ubatch, then the rest


def test_prompt_chunks_are_one_ubatch_at_most_and_never_leave_a_short_one():
    assert prompt_chunk(30, 512) == 30
    assert prompt_chunk(512 + 3, 512) == 512 + 3 - SMALL_DECODE
    assert prompt_chunk(512 + SMALL_DECODE, 512) == 512
    assert prompt_chunk(2000, 512) == 512

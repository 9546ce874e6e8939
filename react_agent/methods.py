"""The paper's methods that combine episodes (Yao et al., 2022, section 3.2):

- CoT-SC: sample several chain-of-thought answers at a temperature, answer by majority vote.
- ReAct -> CoT-SC: when ReAct ends without an answer, fall back to CoT-SC.
- CoT-SC -> ReAct: when the majority answer of CoT-SC wins fewer than half of the samples, the
  vote is weak: fall back to ReAct.

Each is an object with `arun(task)`, like `Agent`, and gives one `EpisodeResult` that holds every
step and every model output of the episodes it ran, in order, so that a replay reproduces it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from react_agent.agent import Agent
from react_agent.environment import Environment
from react_agent.formats import FINISH
from react_agent.models.base import Model, model_for_task
from react_agent.prompts import Prompt
from react_agent.trajectory import Action, EpisodeResult, StopReason, Usage

SC_SAMPLES = 21  # the paper's number of sampled chains
SC_TEMPERATURE = 0.7  # and their temperature


def _model_for(model: Model, task: Any) -> Model:
    # Taken once per task, so that the episodes run here consume a replay's outputs in order.
    return model_for_task(model, str(getattr(task, "id", "")))


def _combined(results: list[EpisodeResult], scored: EpisodeResult | None = None) -> EpisodeResult:
    """One result for episodes run in turn: their steps renumbered, their outputs and costs summed,
    with the answer and metrics of the last (or of `scored`)."""
    final = scored or results[-1]
    steps = [step for result in results for step in result.steps]
    steps = [step.model_copy(update={"index": i}) for i, step in enumerate(steps, start=1)]
    usage = Usage()
    for result in results:
        usage += result.usage
    return final.model_copy(
        update={
            "steps": steps,
            "usage": usage,
            "seconds": sum(result.seconds for result in results),
            "model_outputs": [text for result in results for text in result.model_outputs],
        }
    )


class SelfConsistency:
    """CoT-SC. `votes` after a run: how many samples gave the winning answer."""

    def __init__(
        self,
        model: Model,
        env: Environment,
        cot_prompt: Prompt,
        *,
        samples: int = SC_SAMPLES,
        temperature: float = SC_TEMPERATURE,
    ):
        self.model, self.env, self.cot_prompt = model, env, cot_prompt
        self.samples, self.temperature = samples, temperature
        self.votes = 0

    async def arun(self, task: Any, model: Model | None = None) -> EpisodeResult:
        model = model or _model_for(self.model, task)
        agent = Agent(model, self.env, prompt=self.cot_prompt, max_steps=1, temperature=self.temperature)
        runs = [await agent.arun(task) for _ in range(self.samples)]
        answers = [run.answer.strip() for run in runs if run.answer and run.answer.strip()]
        if not answers:
            self.votes = 0
            return _combined(runs).model_copy(
                update={"stop_reason": StopReason.invalid_output, "answer": None}
            )
        (winner, self.votes), *_ = Counter(answer.lower() for answer in answers).most_common(1)
        answer = next(a for a in answers if a.lower() == winner)
        # Score the voted answer the way the environment scores any answer: as its Finish action.
        await asyncio.to_thread(self.env.reset, task)
        await asyncio.to_thread(self.env.step, Action(text=f"Finish[{answer}]", name=FINISH, argument=answer))
        outcome = self.env.outcome()
        voted = runs[-1].model_copy(
            update={
                "answer": outcome.answer,
                "metrics": outcome.metrics,
                "stop_reason": StopReason.finished,
                "error": None,
            }
        )
        return _combined(runs, voted)


class ReactThenSelfConsistency:
    """ReAct -> CoT-SC."""

    def __init__(self, react: Agent, fallback: SelfConsistency):
        self.react, self.fallback = react, fallback

    async def arun(self, task: Any) -> EpisodeResult:
        model = _model_for(self.react.model, task)
        react = await Agent(
            model, self.react.env, max_steps=self.react.max_steps, max_tokens=self.react.max_tokens
        ).arun(task)
        if react.stop_reason is StopReason.finished:
            return react
        return _combined([react, await self.fallback.arun(task, model)])


class SelfConsistencyThenReact:
    """CoT-SC -> ReAct."""

    def __init__(self, first: SelfConsistency, react: Agent):
        self.first, self.react = first, react

    async def arun(self, task: Any) -> EpisodeResult:
        model = _model_for(self.react.model, task)
        voted = await self.first.arun(task, model)
        if self.first.votes * 2 >= self.first.samples:
            return voted
        react = await Agent(
            model, self.react.env, max_steps=self.react.max_steps, max_tokens=self.react.max_tokens
        ).arun(task)
        return _combined([voted, react])

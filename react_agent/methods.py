"""The paper's methods (Yao et al., 2022, Table 1), and what plays each of them.

- `react`, `act`, `cot`, `standard`: one `Agent` each, with the method's prompt (its step format
  says how the steps are written).
- CoT-SC: sample several chain-of-thought answers at a temperature, answer by majority vote.
- ReAct -> CoT-SC: when ReAct ends without an answer, fall back to CoT-SC.
- CoT-SC -> ReAct: when the majority answer of CoT-SC wins fewer than half of the samples, the
  vote is weak: fall back to ReAct.

Each player has `arun(task)`, like `Agent`, and gives one `EpisodeResult` that holds every step and
every model output of the episodes it ran, in order, so that a replay reproduces it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from react_agent.agent import Agent
from react_agent.environment import Environment, task_id_of
from react_agent.formats import FINISH
from react_agent.models.base import Model, model_for_task
from react_agent.prompts import Prompt
from react_agent.trajectory import Action, EpisodeResult, StopReason, Usage

SC_SAMPLES = 21  # the paper's number of sampled chains
SC_TEMPERATURE = 0.7  # and their temperature

SINGLE_METHODS = ("react", "act", "cot", "standard")  # one episode with the method's own prompt
VOTING_METHODS = ("cot-sc", "react-then-cot-sc", "cot-sc-then-react")  # they vote with a CoT prompt
METHODS = SINGLE_METHODS + VOTING_METHODS
VOTES = "votes"  # the role of the CoT prompt that voting methods sample, in a run's provenance


def roles(method: str) -> list[str]:
    """The prompts a method plays with: its own (named after it), `votes` for the CoT samples."""
    if method in SINGLE_METHODS:
        return [method]
    return [VOTES] if method == "cot-sc" else ["react", VOTES]


def make_player(
    method: str,
    model: Model,
    env: Environment,
    *,
    votes_prompt: Prompt | None = None,
    max_steps: int = 7,
    max_tokens: int = 128,
    sc_samples: int = SC_SAMPLES,
    final_answer_on_limit: bool = False,
    max_repeats: int = 0,
    grammar: bool = False,
    tracer: Any = None,
) -> Agent | SelfConsistency | ReactThenSelfConsistency | SelfConsistencyThenReact:
    """What plays `method` with this model and environment; `env`'s prompt is the method's own (the
    ReAct prompt for the hybrids), and `votes_prompt` the CoT prompt that voting methods sample."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r} (known: {', '.join(METHODS)})")
    agent = Agent(
        model,
        env,
        max_steps=max_steps,
        max_tokens=max_tokens,
        final_answer_on_limit=final_answer_on_limit,
        max_repeats=max_repeats,
        grammar=grammar,
        tracer=tracer,
    )
    if method in SINGLE_METHODS:
        return agent
    if votes_prompt is None:
        raise ValueError(f"{method} needs the CoT prompt it votes with")
    vote = SelfConsistency(model, env, votes_prompt, samples=sc_samples, max_tokens=max_tokens, tracer=tracer)
    if method == "cot-sc":
        return vote
    if method == "react-then-cot-sc":
        return ReactThenSelfConsistency(agent, vote)
    return SelfConsistencyThenReact(vote, agent)


def _model_for(model: Model, task: Any) -> Model:
    # Taken once per task, so that the episodes run here consume a replay's outputs in order.
    return model_for_task(model, task_id_of(task))


def _combined(results: list[EpisodeResult], scored: EpisodeResult | None = None) -> EpisodeResult:
    """One result for episodes run in turn: their steps (and the steps their model outputs were
    asked for) numbered on from one episode to the next, their costs summed, with the answer and
    metrics of the last (or of `scored`)."""
    final = scored or results[-1]
    steps, outputs, usage = [], [], Usage()
    for result in results:
        before = len(steps)
        steps += [step.model_copy(update={"index": before + step.index}) for step in result.steps]
        outputs += [
            output.model_copy(update={"step": before + output.step}) for output in result.model_outputs
        ]
        usage += result.usage
    return final.model_copy(
        update={
            "steps": steps,
            "usage": usage,
            "seconds": sum(result.seconds for result in results),
            "model_outputs": outputs,
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
        max_tokens: int = 128,
        tracer: Any = None,
    ):
        self.model, self.env, self.cot_prompt = model, env, cot_prompt
        self.samples, self.temperature, self.max_tokens, self.tracer = (
            samples,
            temperature,
            max_tokens,
            tracer,
        )
        self.votes = 0

    async def arun(self, task: Any, model: Model | None = None) -> EpisodeResult:
        model = model or _model_for(self.model, task)
        agent = Agent(
            model,
            self.env,
            prompt=self.cot_prompt,
            max_steps=1,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            tracer=self.tracer,
        )
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


def _react(agent: Agent, model: Model) -> Agent:
    """The ReAct agent of a hybrid as it was given (prompt, limits, temperature, final answer, loop
    guard), answering with the task's model (a replay's, per task)."""
    return Agent(
        model,
        agent.env,
        prompt=agent.prompt,
        max_steps=agent.max_steps,
        max_tokens=agent.max_tokens,
        temperature=agent.temperature,
        final_answer_on_limit=agent.final_answer_on_limit,
        max_repeats=agent.max_repeats,
        tracer=agent.tracer,
    )


class ReactThenSelfConsistency:
    """ReAct -> CoT-SC."""

    def __init__(self, react: Agent, fallback: SelfConsistency):
        self.react, self.fallback = react, fallback

    async def arun(self, task: Any) -> EpisodeResult:
        model = _model_for(self.react.model, task)
        react = await _react(self.react, model).arun(task)
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
        react = await _react(self.react, model).arun(task)
        return _combined([voted, react])

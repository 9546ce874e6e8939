"""`HotpotQAEnv`: Search, Lookup and Finish over a wiki, as the ReAct paper's environment answers."""

from __future__ import annotations

from typing import Any

from react_agent.environment import Observation, Outcome
from react_agent.envs.hotpotqa.data import (
    Question,
)
from react_agent.envs.hotpotqa.metrics import exact_match, f1_score, normalize_answer
from react_agent.envs.hotpotqa.prompts import hotpotqa_prompt
from react_agent.parsing import paper_form
from react_agent.prompts import Prompt
from react_agent.rules import OURS, Rules
from react_agent.toolbox import Tool, ToolEnvironment
from react_agent.tools.wikipedia import Wiki, WikiBrowser, wiki_tools
from react_agent.trajectory import Action


class HotpotQAEnv(ToolEnvironment):
    """Answer a question with Search[entity], Lookup[keyword] and Finish[answer] over a wiki: the
    tools of `tools.wikipedia.wiki_tools`, over a browser of the episode's own.

    Observations follow the ReAct paper's environment: `Invalid action: ...` for anything else,
    `Nice thought.` for a thought written as `Think[...]`, and `Episode finished, reward = <EM>`.
    `prompt` is the method's prompt (default: our ReAct prompt); see `hotpotqa_prompt`.
    """

    def __init__(self, wiki: Wiki, *, prompt: Prompt | None = None, rules: Rules = OURS):
        super().__init__(observation_chars=None)  # the paper's observations are shown whole
        self.wiki = wiki
        self._prompt = prompt or hotpotqa_prompt("react")
        self.rules = rules  # its pages' sentences, its invalid actions' wording (react_agent.rules)
        self.question: Question | None = None

    def tools_for(self, task: Question) -> list[Tool]:
        return wiki_tools(WikiBrowser(self.wiki, rules=self.rules))

    def prompt(self, task: Question) -> Prompt:
        return self._prompt

    def reset(self, task: Question) -> str:
        self.question = task
        return super().reset(task)

    def call_for(self, action: Action) -> tuple[Tool, dict[str, Any]] | Observation:
        if action.name == "think" and action.argument is not None:
            return Observation("Nice thought.")
        return super().call_for(action)

    def finished(self, answer: str) -> Observation:
        em = self.outcome().metrics["em"]
        return Observation(f"Episode finished, reward = {em:g}", done=True)

    def invalid_action(self, action: Action) -> str:
        # The paper's code names the action as it handed it over: first letter lowered, stripped.
        handed = paper_form(action.text) if self.rules.invalid_action_as_handed else action.text
        return f"Invalid action: {handed}"

    def describe(self) -> dict[str, Any]:
        return {"wiki": self.wiki.describe()}

    def answer_key(self, answer: str) -> str:
        return normalize_answer(answer)  # two answers EM scores alike are one vote

    def outcome(self) -> Outcome:
        if self.question is None:
            return Outcome(answer=self.answer)
        gold, answer = self.question.answer, self.answer or ""
        return Outcome(
            answer=self.answer,
            gold=gold,
            metrics={"em": exact_match(answer, gold), "f1": f1_score(answer, gold)},
            category=self.question.type,
        )

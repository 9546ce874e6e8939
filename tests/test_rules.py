"""The rules of play are one value (`react_agent.rules`): made from the settings in one place, handed
to the step format, the environment and the wiki browser, and an agent and an environment of other
rules refuse to play together."""

from __future__ import annotations

import ast
import dataclasses

import pytest

from conftest import REPO
from react_agent import Agent, AgentSettings
from react_agent.environment import Environment, Observation, Outcome
from react_agent.envs.hotpotqa import TASK as HOTPOTQA
from react_agent.envs.hotpotqa import HotpotQAEnv
from react_agent.errors import OptionError
from react_agent.formats import FORMATS
from react_agent.models.scripted import ScriptedModel
from react_agent.prompts import Prompt
from react_agent.rules import OURS, PAPER, Rules, rules_of
from react_agent.tasks import Task, TaskOptions, TaskSetup
from react_agent.tools.wikipedia import WikiBrowser
from react_agent.trajectory import Scoring


class Echo(Environment):
    """An environment of a user's own: it has no paper rules."""

    def prompt(self, task):
        return Prompt(instruction="Say it.\n", examples="", format="numbered")

    def reset(self, task):
        return str(task)

    def step(self, action):
        return Observation(action.text, done=True)

    def outcome(self):
        return Outcome()


def test_every_rule_is_documented_and_the_two_sets_differ_in_each_but_their_names():
    source = (REPO / "react_agent" / "rules.py").read_text()
    body = next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == "Rules").body
    documented = {
        node.target.id
        for node, after in zip(body, body[1:], strict=False)
        if isinstance(node, ast.AnnAssign)
        and isinstance(after, ast.Expr)
        and isinstance(after.value, ast.Constant)
    }
    fields = {f.name for f in dataclasses.fields(Rules)}
    assert documented == fields
    same = {f for f in fields if getattr(OURS, f) == getattr(PAPER, f)}
    assert same == set()  # a field on which both agree is no rule


def test_the_settings_make_the_rules_and_resolve_their_defaults_from_them():
    assert AgentSettings().rules is OURS and AgentSettings(paper=True).rules is PAPER
    assert rules_of(AgentSettings(paper=True)) is PAPER and rules_of(AgentSettings()) is OURS
    paper = AgentSettings(paper=True)
    assert (paper.budget, paper.loop_guard, paper.nucleus) == (PAPER.max_tokens, 0, 1.0)
    ours = AgentSettings()
    assert (ours.budget, ours.loop_guard, ours.nucleus) == (OURS.max_tokens, OURS.loop_guard, None)
    with pytest.raises(ValueError, match="the paper's rules ask for no answer at the step limit"):
        AgentSettings(paper=True, final_answer=True)


def test_an_agent_and_an_environment_of_other_rules_refuse_to_play_together(demo_wiki):
    model = ScriptedModel(["Thought 1: x\nAction 1: Finish[x]"])
    for env, settings in (
        (HotpotQAEnv(demo_wiki), {"paper": True}),
        (HotpotQAEnv(demo_wiki, rules=PAPER), {}),
    ):
        with pytest.raises(ValueError) as refused:
            Agent(model, env, **settings)
        assert len(str(refused.value).splitlines()) == 1
        assert "by the paper's rules and its environment by our rules" in str(refused.value) or (
            "by our rules and its environment by the paper's rules" in str(refused.value)
        )
    Agent(model, HotpotQAEnv(demo_wiki, rules=PAPER), paper=True)  # the same rules: they play


def test_an_environment_of_ones_own_has_no_paper_rules():
    with pytest.raises(ValueError, match="its environment by our rules"):
        Agent(ScriptedModel([]), Echo(), paper=True)


def test_a_task_without_the_papers_rules_refuses_them_in_one_line():
    def setup(options, roles, rules):
        return TaskSetup(["a"], make_env=lambda role: Echo(), scoring=Scoring(score="exact"))

    own = Task("echo", TaskOptions, setup)
    assert own.set_up({}, ("react",)).tasks == ["a"]
    with pytest.raises(OptionError, match=r"^echo has no environment that plays by the paper's rules$"):
        own.set_up({}, ("react",), PAPER)
    assert PAPER in HOTPOTQA.rules


def test_the_rules_reach_the_wiki_browser_and_the_step_format(demo_wiki):
    for rules in (OURS, PAPER):
        browser = WikiBrowser(demo_wiki, rules=rules)
        browser.search("Mercury")
        assert browser.lookup("no such word anywhere") == rules.lookup_end
        numbered = FORMATS["numbered"].under(rules)
        assert numbered.is_complete("Thought 1: x\nAction 1: Search[y]") is not rules.read_to_stop
        assert numbered.reask.rules is rules

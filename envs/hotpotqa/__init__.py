"""HotpotQA: question files (`data`), the wiki environment of the ReAct paper (`environment`), its
prompts, EM / F1 scoring (`metrics`), why episodes fail (`diagnosis`), and the task that `react run
--task hotpotqa` plays (here)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from react_agent.datafiles import FileDigest
from react_agent.envs.hotpotqa.data import (
    DEMO_QUESTIONS,
    DEMO_WIKI,
    REACT500,
    SHARED_SAMPLE_SHA256,
    SHARED_SAMPLE_TEST,
    Question,
    identities,
    load_questions,
    react500,
)
from react_agent.envs.hotpotqa.diagnosis import (
    FAILURE_CATEGORIES,
    FROM_MEMORY,
    REASONING,
    RIGHT,
    SEARCH,
    diagnose,
    opened_a_page,
    supports,
)
from react_agent.envs.hotpotqa.environment import HotpotQAEnv
from react_agent.envs.hotpotqa.metrics import exact_match, f1_score, normalize_answer
from react_agent.envs.hotpotqa.prompts import PAPER_PROMPT_KEYS, hotpotqa_prompt, votes_prompt
from react_agent.errors import OptionError
from react_agent.rules import OURS, PAPER, Rules
from react_agent.tasks import VOTES, PromptFileOptions, Task, TaskSetup
from react_agent.tools.wikipedia import Wiki
from react_agent.trajectory import Scoring


class HotpotQAOptions(PromptFileOptions):
    """What `react run --task hotpotqa` takes beside `data` (a question file, or a data set's name:
    `react data get hotpotqa-dev`) and the prompt file."""

    wiki: list[str] | None = Field(
        None,
        description="'live' for Wikipedia, or a file to index (abstracts dump, its shards' folder, a "
        "question file's context paragraphs, hotpotqa-abstracts); repeatable. Default: the demo wiki, or "
        "the question file's own context paragraphs",
    )
    wiki_timeout: float = Field(10.0, gt=0, description="seconds for each request to live Wikipedia")
    sample: Literal["react500"] | None = Field(None, description="react500: the paper's 500 dev questions")
    cot_prompt_key: str | None = Field(
        None, description="the CoT prompt of the prompt file that cot-sc and the hybrids vote with"
    )


def setup(options: HotpotQAOptions, roles: tuple[str, ...], rules: Rules = OURS) -> TaskSetup:
    """HotpotQA as `react run --task hotpotqa` plays it: `options.data`'s questions (default: the
    demo set), over `options.wiki` (files, or `live`; default: the demo wiki, or the question
    file's own context paragraphs), with the prompt of each role."""
    from react_agent.downloads import resolve
    from react_agent.tools.wikipedia import LiveWikipedia, LocalWiki

    options.check_prompt_key()
    own = [role for role in roles if role != VOTES]
    if not own and options.prompt_key:
        raise OptionError("cot-sc plays no prompt but its votes': choose that one with `cot_prompt_key`")
    if options.cot_prompt_key and (own == list(roles) or options.prompt_file is None):
        raise OptionError(
            "`cot_prompt_key` picks the votes' prompt of `prompt_file`, for cot-sc and the hybrids"
        )
    data = resolve(options.data) if options.data is not None else None  # a data set's name, or a file
    wikis = [w if w == "live" else str(resolve(w)) for w in options.wiki or []]
    questions = load_questions(data or DEMO_QUESTIONS)
    if options.sample == "react500":
        questions = react500(questions)
    sources = wikis or [DEMO_WIKI if data is None else data]
    wiki: Wiki
    if "live" in sources:
        if len(sources) > 1:
            raise OptionError("`wiki` live cannot be combined with wiki files")
        wiki = LiveWikipedia(timeout=options.wiki_timeout)
    else:
        if data is not None and not wikis and not any(q.context for q in questions):
            raise OptionError(f"{data} has no context paragraphs: give `wiki` FILE or `wiki` live")
        wiki = LocalWiki.from_corpus(*sources)
    prompts = {
        role: votes_prompt(options.prompt_file, options.cot_prompt_key)
        if role == VOTES
        else hotpotqa_prompt(role, options.prompt_file, options.prompt_key)
        for role in roles
    }
    digest = FileDigest.of(data or DEMO_QUESTIONS)
    if data is None:  # the demo set is the demo leaderboard's test set, whole
        test_tasks = len(questions)
    elif digest.sha256 == SHARED_SAMPLE_SHA256 and options.sample is None:
        test_tasks = SHARED_SAMPLE_TEST
    else:
        test_tasks = 0
    return TaskSetup(
        questions,
        make_env=lambda role: HotpotQAEnv(wiki, prompt=prompts[role], rules=rules),
        scoring=Scoring(score="em", category="question type", failures=list(FAILURE_CATEGORIES)),
        diagnose=diagnose,
        max_steps=7,
        data=Path(options.data).name if options.data is not None else "built-in",
        data_files=[digest],
        sample=options.sample,
        test_tasks=test_tasks,
        identify=identities,
        prompt_key=lambda question, role: options.prompt_key or role,
    )


TASK = Task(
    "hotpotqa", HotpotQAOptions, setup, roles=("react", "act", "cot", "standard", VOTES), rules=(OURS, PAPER)
)

__all__ = [
    "DEMO_QUESTIONS",
    "DEMO_WIKI",
    "FAILURE_CATEGORIES",
    "FROM_MEMORY",
    "HotpotQAEnv",
    "HotpotQAOptions",
    "PAPER_PROMPT_KEYS",
    "Question",
    "REACT500",
    "REASONING",
    "RIGHT",
    "SEARCH",
    "SHARED_SAMPLE_SHA256",
    "SHARED_SAMPLE_TEST",
    "TASK",
    "diagnose",
    "exact_match",
    "f1_score",
    "hotpotqa_prompt",
    "identities",
    "load_questions",
    "normalize_answer",
    "opened_a_page",
    "react500",
    "setup",
    "supports",
    "votes_prompt",
]

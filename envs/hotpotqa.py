"""HotpotQA: question files, the wiki environment of the ReAct paper, and EM / F1 scoring."""

from __future__ import annotations

import hashlib
import random
import re
import string
from collections import Counter
from dataclasses import replace
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from react_agent.datafiles import DataFileError, FileDigest, read_records
from react_agent.diagnosis import (
    ERROR,
    INVALID,
    LIMIT,
    LOOP,
    SOLVED,
    STEP_LIMIT,
    WRONG,
    refused,
    shared_rules,
)
from react_agent.environment import Observation, Outcome
from react_agent.options import OptionError
from react_agent.parsing import paper_form
from react_agent.prompts import Prompt, builtin_prompt, choose_key, prompt_from, read_prompt_file
from react_agent.rules import OURS, PAPER, Rules
from react_agent.tasks import VOTES, PromptFileOptions, Task, TaskSetup
from react_agent.toolbox import Tool, ToolEnvironment, tools_prompt
from react_agent.tools.wikipedia import Wiki, WikiBrowser, wiki_tools
from react_agent.trajectory import Action, EpisodeResult, Scoring, Step

_DEMO = files("react_agent.envs").joinpath("data")
DEMO_QUESTIONS = Path(str(_DEMO.joinpath("hotpotqa_demo_questions.jsonl")))
DEMO_WIKI = Path(str(_DEMO.joinpath("hotpotqa_demo_wiki.jsonl")))


class Question(BaseModel):
    """One HotpotQA question. Only `question` and `answer` are required (the answer-only layout)."""

    id: str
    question: str
    answer: str
    type: str | None = None
    level: str | None = None
    supporting_facts: list[tuple[str, int]] = []
    context: list[tuple[str, list[str]]] = []


def load_questions(path: str | Path) -> list[Question]:
    """Questions from the official HotpotQA JSON (distractor or fullwiki), JSON lines of the same
    records, or the answer-only layout (`[{"question": ..., "answer": ...}, ...]`).

    Ids come from `_id` or `id`, else a hash of the question text (stable when the file changes
    around it). Errors name the file and the line.
    """
    path = Path(path)
    questions = [_question(where, record) for where, record in read_records(path, "question")]
    if not questions:
        raise DataFileError(f"{path}: no questions in the file")
    return questions


def _question(where: str, record: Any) -> Question:
    if not isinstance(record, dict):
        raise DataFileError(f"{where}: expected a JSON object with 'question' and 'answer'")
    record = dict(record)
    record["id"] = str(record.pop("_id", None) or record.get("id") or _id_from_text(record.get("question")))
    try:
        return Question.model_validate(record)
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"])
        raise DataFileError(f"{where}: field {field!r}: {problem['msg'].lower()}") from None


REACT500 = (7405, 233, 500)  # the official dev file's size, the paper's shuffle seed, the sample's size


def react500(questions: list[Question]) -> list[Question]:
    """The paper's 500 dev questions: `random.Random(233)` shuffles the indices of the official
    dev file's 7,405 questions, and the first 500 are taken."""
    size, seed, take = REACT500
    if len(questions) != size:
        raise DataFileError(
            f"the react500 sample needs HotpotQA's official dev file ({size:,} questions), "
            f"not {len(questions):,}"
        )
    indices = list(range(size))
    random.Random(seed).shuffle(indices)
    return [questions[i] for i in indices[:take]]


def _id_from_text(question: Any) -> str:
    return "q-" + hashlib.sha256(str(question).encode()).hexdigest()[:12]


# The shared sample of 410 dev questions (shared/data/hotpotqa/hotpot_dev_distractor_sample.jsonl),
# by its sha256: its first 100 questions are the test set of every paired comparison we publish.
SHARED_SAMPLE_SHA256 = "35677c008c639cf164874b1479ad95161c232789e1116de89350a7aeeab28e19"
SHARED_SAMPLE_TEST = 100


def identities(question: Question) -> list[str]:
    """A question is itself by its id and by its text (as answers are compared: lower case, no
    punctuation or articles), so that the same question under another id is still known."""
    text = hashlib.sha256(normalize_answer(question.question).encode()).hexdigest()[:16]
    return [f"id:{question.id}", f"question:{text}"]


# ---------------------------------------------------------------- prompts

# The ReAct paper's prompt keys in its `prompts_naive.json`, for each method of its Table 1.
PAPER_PROMPT_KEYS = {
    "react": "webthink_simple6",
    "act": "webact_simple6",
    "cot": "cotqa_simple6",
    "standard": "webqa_simple6",
}


def hotpotqa_prompt(
    method: str = "react", prompt_file: str | Path | None = None, prompt_key: str | None = None
) -> Prompt:
    """The prompt of a method (react, act, cot, standard): ours, or a file's.

    From a file, `prompt_key` picks the entry; without one, the entry named after the method, else
    the paper's key for it (`webthink_simple6` for react...). An entry of the paper's layout (the
    examples alone) takes its instruction and step format from our prompt of the same method. The
    instruction of the methods that act is written from the tools (Search, Lookup, Finish).
    """
    ours = builtin_prompt("hotpotqa", method)
    if method in ("react", "act"):
        written = tools_prompt(wiki_tools(WikiBrowser(None)), ours.format)
        ours = replace(
            ours,
            instruction=written.instruction,
            examples_intro=written.examples_intro,
            tools_instruction=written.tools_instruction,
        )
    if prompt_file is None:
        return ours
    data = read_prompt_file(prompt_file)
    candidates = [method, PAPER_PROMPT_KEYS[method]]
    key = prompt_key or choose_key(data, candidates, str(prompt_file), f"method {method!r}")
    return prompt_from(data, key, str(prompt_file), ours)


def votes_prompt(prompt_file: str | Path | None = None, cot_prompt_key: str | None = None) -> Prompt:
    """The CoT prompt that CoT-SC and the hybrids sample: the file's when it has one (`cot`, else
    the paper's `cotqa_simple6`, or `cot_prompt_key`), else ours."""
    if prompt_file is not None:
        has_cot = {"cot", PAPER_PROMPT_KEYS["cot"]} & set(read_prompt_file(prompt_file))
        if cot_prompt_key or has_cot:
            return hotpotqa_prompt("cot", prompt_file, cot_prompt_key)
    return hotpotqa_prompt("cot")


# ---------------------------------------------------------------- scoring (HotpotQA's official rules)


def normalize_answer(text: str) -> str:
    """Lower case, no punctuation, no articles (a, an, the), single spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def f1_score(prediction: str, gold: str) -> float:
    predicted, expected = normalize_answer(prediction), normalize_answer(gold)
    # yes / no / noanswer score only when they match exactly (HotpotQA's evaluation script).
    special = {"yes", "no", "noanswer"}
    if (predicted in special or expected in special) and predicted != expected:
        return 0.0
    predicted_tokens, expected_tokens = predicted.split(), expected.split()
    common = sum((Counter(predicted_tokens) & Counter(expected_tokens)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted_tokens), common / len(expected_tokens)
    return 2 * precision * recall / (precision + recall)


# ---------------------------------------------------------------- why episodes fail

# The paper's Table 2 sorts ReAct's failures by hand; these are the parts rules can tell.
RIGHT, REASONING, SEARCH, FROM_MEMORY = "answered right", "reasoning", "search", "from memory"
FAILURE_CATEGORIES = (RIGHT, REASONING, SEARCH, FROM_MEMORY, LOOP, INVALID, STEP_LIMIT, WRONG, LIMIT, ERROR)


def diagnose(result: EpisodeResult, question: Question) -> str:
    """`answered right`; else the shared rules (error, loop, invalid actions, step limit); else,
    for a wrong answer: `from memory` (no Search or Lookup found a page), `reasoning` (a supporting
    page was read: the question's `supporting_facts`), `search` (none was), or `wrong answer` when
    the data names no supporting page."""
    why = shared_rules(result, "em", refused)
    if why is not None:
        return RIGHT if why == SOLVED else why
    read = [step for step in result.steps if opened_a_page(step)]
    if not read:
        return FROM_MEMORY
    if not question.supporting_facts:
        return WRONG
    return REASONING if any(supports(step, question) for step in read) else SEARCH


def opened_a_page(step: Step) -> bool:
    if step.action.name not in ("search", "lookup") or step.action.argument is None:
        return False
    return not step.observation.startswith(("Could not find", "No more results", "Invalid"))


def supports(step: Step, question: Question) -> bool:
    """Whether a step showed a supporting page: a Search of its title, or any of its sentences
    (as the question's context has them) in what the step showed."""
    titles = {title for title, _ in question.supporting_facts}
    if step.action.name == "search" and step.action.argument.strip().casefold() in {
        title.casefold() for title in titles
    }:
        return True
    shown = " ".join(step.observation.split())
    return any(
        len(sentence) > 20 and " ".join(sentence.split()) in shown
        for title, sentences in question.context
        if title in titles
        for sentence in sentences
    )


# ---------------------------------------------------------------- the environment


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


# ---------------------------------------------------------------- the task, for react run / bench


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
    from react_agent.datasets import resolve
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

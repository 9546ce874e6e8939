"""HotpotQA's questions: the question files, the built-in demo set, the paper's 500 and the shared
sample's test split, and what makes a question itself."""

from __future__ import annotations

import hashlib
import random
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from react_agent.datafiles import DataFileError, read_records
from react_agent.envs.hotpotqa.metrics import normalize_answer

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

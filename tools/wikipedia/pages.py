"""A wiki's pages as the HotpotQA tools read them: `Page`, `NotFound`, the `Wiki` protocol that the
offline index (`local`) and the live site (`live`) speak, and the paper's way of cutting a plain
text page into sentences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from react_agent.datafiles import FileDigest

SEARCH_SENTENCES = 5  # a Search shows the page's first five sentences
SIMILAR_TITLES = 5


@dataclass(frozen=True)
class Page:
    title: str
    sentences: list[str]


@dataclass(frozen=True)
class NotFound:
    similar: list[str]


class Wiki(Protocol):
    def find(self, entity: str) -> Page | NotFound: ...

    def describe(self) -> list[FileDigest] | str:
        """What a run's record says of the pages: the files an index was built from, or `live`."""
        ...


def split_sentences(text: str) -> list[str]:
    """Sentences of a plain-text page, split as the paper's code splits them (at '. ')."""
    sentences = []
    for paragraph in text.split("\n"):
        paragraph = paragraph.strip()
        # Section headings ("== History ==") and short fragments are not prose.
        if len(paragraph.split(" ")) <= 2 or paragraph.startswith("=="):
            continue
        sentences += [s.strip() for s in paragraph.split(". ") if s.strip()]
    return [s if s.endswith(".") else s + "." for s in sentences]

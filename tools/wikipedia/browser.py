"""`WikiBrowser`: a wiki's pages as the ReAct paper's Search and Lookup observations, and the tools
that call them."""

from __future__ import annotations

from react_agent.rules import OURS, Rules
from react_agent.toolbox import Tool, tool
from react_agent.tools.wikipedia.pages import SEARCH_SENTENCES, SIMILAR_TITLES, NotFound, Page, Wiki


class WikiBrowser:
    """Search[entity] and Lookup[keyword] over a wiki, as in the ReAct paper's environment.

    - Search shows the first 5 sentences of the page titled `entity`, or `Could not find {entity}.
      Similar: [...]`. A disambiguation page ("may refer to:") is searched again as `[entity]`,
      which no title matches, as the paper's code does with Wikipedia's search page.
    - Lookup shows, one per call, the sentences of the current page holding the keyword
      (case-insensitive) as `(Result i / N) sentence`, then `No more results.`. A failed search
      keeps the page that was open, as in the paper.

    `rules` (`react_agent.rules`) say how a page is split into sentences (the paper's: as its code
    reads the scraped page, its text (here the intro's sentences as one paragraph, `clean_str` as
    the paper applies it) split at '. ', each piece given back its '.', so `U.S.` cuts a sentence)
    and what Lookup past the last match says.
    """

    def __init__(self, wiki: Wiki, *, rules: Rules = OURS):
        self.wiki = wiki
        self.rules = rules
        self.page: Page | None = None
        self._keyword: str | None = None
        self._matches: list[str] = []
        self._shown = 0

    def search(self, entity: str) -> str:
        found = self.wiki.find(entity)
        if isinstance(found, Page) and any("may refer to:" in s for s in found.sentences[:2]):
            return self.search(f"[{entity}]")
        if isinstance(found, NotFound):
            return f"Could not find {entity}. Similar: {found.similar[:SIMILAR_TITLES]}."
        self.page = found
        self._keyword = None
        return " ".join(self._sentences()[:SEARCH_SENTENCES])

    def _sentences(self) -> list[str]:
        if self.page is None:
            return []
        return paper_sentences(self.page) if self.rules.page_split_at_periods else self.page.sentences

    def lookup(self, keyword: str) -> str:
        if keyword != self._keyword:
            self._keyword = keyword
            self._matches = [s for s in self._sentences() if keyword.lower() in s.lower()]
            self._shown = 0
        if self._shown >= len(self._matches):
            return self.rules.lookup_end
        self._shown += 1
        return f"(Result {self._shown} / {len(self._matches)}) {self._matches[self._shown - 1]}"


def clean_str(text: str) -> str:
    """The paper's `clean_str` of a scraped paragraph: escape sequences written out in it (`\\u00e9`)
    become their characters; text it cannot read so is left as it is (the paper's code would stop)."""
    try:
        return text.encode().decode("unicode-escape").encode("latin1").decode("utf-8")
    except UnicodeError:
        return text


def paper_sentences(page: Page) -> list[str]:
    """A page's sentences as the paper's `WikiEnv` makes them: its paragraphs of more than two words
    (an intro here is one), split at '. ', each stripped and ended with '.'."""
    paragraph = " ".join(page.sentences)
    if len(paragraph.split(" ")) <= 2:
        return []
    pieces = clean_str(paragraph).strip().split(". ")
    return [piece.strip() + "." for piece in pieces if piece.strip()]


def wiki_tools(browser: WikiBrowser) -> list[Tool]:
    """The paper's HotpotQA tools, Search[entity] and Lookup[keyword], over one browser (an episode
    has a browser of its own: Lookup reads the page its last Search opened)."""

    @tool(name="Search")
    def search(entity: str) -> str:
        """opens the Wikipedia page titled entity and shows its first sentences; if there is no such
        page, it lists similar titles to search instead."""
        return browser.search(entity)

    @tool(name="Lookup")
    def lookup(keyword: str) -> str:
        """shows the next sentence of the open page that contains keyword."""
        return browser.lookup(keyword)

    return [search, lookup]

"""Wikipedia for the HotpotQA tools: an offline SQLite FTS5 index, or the live site.

Both backends answer one question, `find(entity)`: the page of that exact title, or the titles of
similar pages. `WikiBrowser` turns that into the ReAct paper's Search and Lookup observations.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import re
import sqlite3
import threading
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel

from react_agent.datafiles import DataFileError, FileDigest, default_cache_dir, read_records
from react_agent.environment import ToolError
from react_agent.rules import OURS, Rules
from react_agent.toolbox import Tool, tool

log = logging.getLogger("react_agent")

SEARCH_SENTENCES = 5  # a Search shows the page's first five sentences
SIMILAR_TITLES = 5
INDEX_VERSION = 3  # part of an index's cache key: an index of another layout is never reused
# Up to this many pages, similar titles are ranked by bm25 over every page sharing a word with the
# entity (title and text). Past it that ranking costs too much (half a second a Search on a
# million pages), and the titles alone are searched, at a bounded cost (`_similar_in_titles`).
RANK_EVERY_PAGE_UP_TO = 100_000
COMMON_TITLE_WORD = 1_000  # a word in this many titles or more is too common to rank titles by


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


# ---------------------------------------------------------------- the offline index


def _title(title: str) -> str:
    """A title as the index keeps it: HTML entities decoded (the dump escapes them), single spaces."""
    return " ".join(html.unescape(title).split())


def _title_key(title: str) -> str:
    return _title(title).casefold()


def _quoted_words(text: str) -> list[str]:
    """The words of any user string, each quoted: safe as FTS5 query terms."""
    return [f'"{word}"' for word in re.findall(r"\w+", text)]


def _fts_query(text: str) -> str:
    """Any user string as a safe FTS5 query: its words, any of them matching."""
    return " OR ".join(_quoted_words(text))


def read_pages(path: Path) -> Iterator[Page]:
    """Pages from a file: HotpotQA's abstracts dump (JSON lines, or its `wiki_NN.bz2` shards) or
    a HotpotQA question file (JSON array or JSON lines), whose context paragraphs are pages."""
    for where, record in read_records(path, "wiki"):
        yield from _pages_of(record, where)


def _pages_of(record: object, where: str) -> Iterator[Page]:
    if isinstance(record, dict) and "title" in record and "text" in record:
        text = record["text"]
        # The abstracts dump holds a list of sentences; the full dump a list of paragraphs of them.
        if text and isinstance(text[0], list):
            text = [s for paragraph in text for s in paragraph]
        yield Page(_title(record["title"]), [s.strip() for s in text if s.strip()])
    elif isinstance(record, dict) and isinstance(record.get("context"), list):
        for entry in record["context"]:
            if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], list)):
                raise DataFileError(f"{where}: a context entry is not [title, sentences]")
            yield Page(_title(entry[0]), [s.strip() for s in entry[1] if s.strip()])
    else:
        raise DataFileError(f"{where}: neither a wiki page (title, text) nor a question with context")


def corpus_files(source: Path) -> list[Path]:
    """A file, or every `wiki_NN.bz2` shard below a folder of the official dump."""
    if source.is_dir():
        shards = sorted(source.rglob("wiki_*.bz2"))
        if not shards:
            raise DataFileError(f"no wiki_*.bz2 shards below {source}")
        return shards
    if not source.exists():
        raise DataFileError(f"wiki file not found: {source}")
    return [source]


class IndexStats(BaseModel):
    sources: list[FileDigest]  # the files the index was built from
    pages: int
    duplicates: int  # pages skipped because an earlier one had the same title and the same text


class LocalWiki:
    """Wikipedia intro paragraphs in an SQLite FTS5 index.

    Every page is kept: pages whose titles differ only in case are different pages (Wikipedia's
    titles are case-sensitive after the first letter). A title is found exactly first, then
    case-insensitively (HTML entities decoded either way); otherwise the five pages whose title and
    text best match the entity's words are offered as similar (in an index of more than
    RANK_EVERY_PAGE_UP_TO pages, the titles that best match them: see `_similar_in_titles`).
    Only a page that repeats an earlier one exactly (same title, same text) is left out of the
    index, and counted.
    """

    def __init__(self, index_path: str | Path):
        self.index_path = Path(index_path)
        # Episodes may run in worker threads; one connection, used under a lock, serves them all.
        self._db = sqlite3.connect(self.index_path, check_same_thread=False)
        self._lock = threading.Lock()
        self._pages: int | None = None  # counted at the first similar-titles search

    @classmethod
    def from_corpus(
        cls, *sources: str | Path, cache_dir: str | Path | None = None, progress: bool = True
    ) -> LocalWiki:
        """The index of these sources, built on first use and reused while the sources are unchanged
        (keyed by their paths, sizes and modification times)."""
        files = [f.resolve() for source in sources for f in corpus_files(Path(source))]
        key = hashlib.sha256(f"index version {INDEX_VERSION}\n".encode())
        for file in files:
            stat = file.stat()
            key.update(f"{file}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        index = Path(cache_dir or default_cache_dir()) / f"wiki-{key.hexdigest()[:16]}.sqlite"
        if index.exists() and not _readable(index):
            log.warning("the wiki index %s is damaged; building it again", index)
            index.unlink()
        if not index.exists():
            build_index(files, index, progress=progress)
        return cls(index)

    def describe(self) -> list[FileDigest]:
        # By name: an index built before records kept only names holds the paths it was given.
        return [source.model_copy(update={"path": Path(source.path).name}) for source in self.stats.sources]

    @property
    def stats(self) -> IndexStats:
        """What the index was built from: each file's path, size and sha256, pages, duplicates."""
        with self._lock:
            (value,) = self._db.execute("SELECT value FROM meta WHERE key = 'stats'").fetchone()
        return IndexStats.model_validate_json(value)

    def find(self, entity: str) -> Page | NotFound:
        title = _title(entity)
        with self._lock:
            row = (
                self._db.execute(
                    "SELECT title, sentences FROM pages WHERE title = ? ORDER BY id LIMIT 1", (title,)
                ).fetchone()
                or self._db.execute(
                    "SELECT title, sentences FROM pages WHERE title_key = ? ORDER BY id LIMIT 1",
                    (title.casefold(),),
                ).fetchone()
            )
            if row:
                return Page(row[0], json.loads(row[1]))
            return NotFound(self.similar(entity))

    def similar(self, text: str, limit: int = SIMILAR_TITLES) -> list[str]:
        if self._pages is None:
            self._pages = self._db.execute("SELECT count(*) FROM pages").fetchone()[0]
        if self._pages > RANK_EVERY_PAGE_UP_TO:
            return self._similar_in_titles(text, limit)
        query = _fts_query(text)
        if not query:
            return []
        rows = self._db.execute(
            "SELECT pages.title FROM pages_fts JOIN pages ON pages.id = pages_fts.rowid "
            "WHERE pages_fts MATCH ? ORDER BY bm25(pages_fts, 10.0, 1.0) LIMIT ?",
            (query, limit),
        ).fetchall()
        return [title for (title,) in rows]

    def _similar_in_titles(self, text: str, limit: int) -> list[str]:
        """Similar titles in a big index: the titles holding the entity's rarer words (each in
        fewer than COMMON_TITLE_WORD titles) ranked by bm25 over their words, then titles holding
        all of its common words, in index order. Counting a word's titles stops at
        COMMON_TITLE_WORD and the ranking reads the rare words' titles only, so neither grows with
        the index; common words are only intersected, which FTS5 does by skipping through them."""
        rare, common = [], []
        for word in dict.fromkeys(_quoted_words(text)):
            (titles,) = self._db.execute(
                "SELECT count(*) FROM (SELECT rowid FROM titles_fts WHERE titles_fts MATCH ? LIMIT ?)",
                (word, COMMON_TITLE_WORD),
            ).fetchone()
            if titles:
                (rare if titles < COMMON_TITLE_WORD else common).append(word)
        found: dict[int, str] = {}  # page id: title, best first
        if rare:  # the titles holding a rare word, ranked by all the words they hold
            query = f"({' OR '.join(rare)}) AND ({' OR '.join(rare + common)})"
            found.update(self._titles(query, limit, ranked=True))
        if common and len(found) < limit:
            # twice the limit: enough, past those of them the rare words found already
            for page, title in self._titles(" AND ".join(common), 2 * limit, ranked=False):
                if len(found) < limit:
                    found.setdefault(page, title)
        return list(found.values())

    def _titles(self, query: str, limit: int, *, ranked: bool) -> list[tuple[int, str]]:
        """(page id, title) of the first `limit` titles that FTS5 `query` matches: best first
        (bm25), or in index order."""
        order = "rank" if ranked else "rowid"
        return self._db.execute(
            f"SELECT pages.id, pages.title FROM (SELECT rowid, {order} AS place FROM titles_fts "
            f"WHERE titles_fts MATCH ? ORDER BY {order} LIMIT ?) AS hit "
            "JOIN pages ON pages.id = hit.rowid ORDER BY hit.place",
            (query, limit),
        ).fetchall()

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM pages").fetchone()[0]


def _readable(index: Path) -> bool:
    """Whether an index file looks whole: its stats, and its last page (which, written last, sits at
    the end of the file), can be read. A file cut short or overwritten fails here rather than in
    the middle of a run; both reads cost a few pages, however big the index."""
    try:
        with sqlite3.connect(f"file:{index}?mode=ro", uri=True) as db:
            db.execute("SELECT value FROM meta WHERE key = 'stats'").fetchone()[0]
            last = db.execute("SELECT max(id) FROM pages").fetchone()[0]
            if last is not None:
                db.execute("SELECT title, sentences FROM pages WHERE id = ?", (last,)).fetchone()[0]
            return True
    except (sqlite3.Error, TypeError):
        return False


def build_index(files: Iterable[Path], index: Path, *, progress: bool = True) -> IndexStats:
    """Write the index of `files` to `index`, and say on stderr what went in."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    files = list(files)
    console = Console(stderr=True)
    index.parent.mkdir(parents=True, exist_ok=True)
    partial = index.with_name(index.name + f".{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    db = sqlite3.connect(partial)
    db.executescript(
        """
        -- A build writes a file of its own, renamed into place when whole and deleted otherwise:
        -- it needs no journal and no syncs. A bigger page cache saves FTS5 re-reading its segments.
        PRAGMA journal_mode = OFF;
        PRAGMA synchronous = OFF;
        PRAGMA cache_size = -131072;
        CREATE TABLE pages (id INTEGER PRIMARY KEY, title TEXT NOT NULL, title_key TEXT NOT NULL,
                            sentences TEXT NOT NULL, digest BLOB NOT NULL UNIQUE);
        CREATE INDEX pages_title ON pages (title);
        CREATE INDEX pages_title_key ON pages (title_key);
        CREATE VIRTUAL TABLE pages_fts USING fts5(title, body, content='');
        CREATE VIRTUAL TABLE titles_fts USING fts5(title, content='');
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """
    )
    bar = Progress(
        TextColumn("indexing {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not (progress and console.is_terminal),
        transient=True,
    )
    try:
        pages = duplicates = 0
        with bar:
            job = bar.add_task(f"{len(files)} file(s)", total=len(files))
            for file in files:
                bar.update(job, description=file.name)
                added, repeated = _index_file(db, file)
                pages, duplicates = pages + added, duplicates + repeated
                bar.advance(job)
        sources = [FileDigest.of(file) for file in files]
        stats = IndexStats(sources=sources, pages=pages, duplicates=duplicates)
        db.execute("INSERT INTO meta VALUES ('stats', ?)", (stats.model_dump_json(),))
        db.commit()
        db.close()
        partial.replace(index)  # atomic: a half-built index is never taken for a whole one
    except BaseException:
        db.close()
        partial.unlink(missing_ok=True)
        raise
    if progress:
        log.info(
            "indexed %s pages from %d file(s); %s skipped as exact duplicates (same title and text)",
            f"{pages:,}",
            len(files),
            f"{duplicates:,}",
        )
    return stats


def _index_file(db: sqlite3.Connection, file: Path) -> tuple[int, int]:
    added = repeated = 0
    for page in read_pages(file):
        sentences = json.dumps(page.sentences)
        digest = hashlib.sha256(f"{page.title}\0{sentences}".encode()).digest()
        cursor = db.execute(
            "INSERT OR IGNORE INTO pages (title, title_key, sentences, digest) VALUES (?, ?, ?, ?)",
            (page.title, _title_key(page.title), sentences, digest),
        )
        if not cursor.rowcount:
            repeated += 1
            continue
        added += 1
        db.execute(
            "INSERT INTO pages_fts (rowid, title, body) VALUES (?, ?, ?)",
            (cursor.lastrowid, page.title, " ".join(page.sentences)),
        )
        db.execute("INSERT INTO titles_fts (rowid, title) VALUES (?, ?)", (cursor.lastrowid, page.title))
    return added, repeated


# ---------------------------------------------------------------- the live site

# Characters MediaWiki never allows in a title: it answers such a title as `invalid`, which the
# `wikipedia` package does not expect (it fails with `KeyError: 'fullurl'`).
_INVALID_TITLE = re.compile(r"[\[\]{}|#<>]")
WIKI_TIMEOUT = 10.0  # seconds for each request to the live site


class _RequestsWithTimeout:
    """Stands in for the `requests` module inside the `wikipedia` package, whose calls have no
    timeout of their own: every GET it makes gets one."""

    def __init__(self, requests_module: object, timeout: float):
        self._requests = requests_module
        self.timeout = timeout

    def get(self, *args: object, **kwargs: object) -> object:
        kwargs.setdefault("timeout", self.timeout)
        return self._requests.get(*args, **kwargs)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._requests, name)


class LiveWikipedia:
    """The live Wikipedia through the `wikipedia` package.

    `api_url` points the package at another MediaWiki API (a mirror, or a test server), and
    `timeout` bounds each of its requests; the package keeps both in module globals, so they apply
    to the whole process. A request that times out or cannot connect is a `ToolError`: the model
    sees it as the observation, and the episode goes on.
    """

    def __init__(self, api_url: str | None = None, lang: str = "en", timeout: float = WIKI_TIMEOUT):
        import requests
        import wikipedia

        self._wikipedia = wikipedia
        self._network_errors = (requests.Timeout, requests.ConnectionError)
        self.timeout = timeout
        wikipedia.set_lang(lang)
        # The package speaks plain http to Wikipedia; we ask for https.
        wikipedia.wikipedia.API_URL = api_url or f"https://{lang.lower()}.wikipedia.org/w/api.php"
        wikipedia.wikipedia.requests = _RequestsWithTimeout(requests, timeout)

    def describe(self) -> str:
        return "live"

    def find(self, entity: str) -> Page | NotFound:
        wikipedia = self._wikipedia
        try:
            if _INVALID_TITLE.search(entity) or not entity.strip():
                # No page can have this title (the paper's retry of a disambiguation page as
                # `[entity]` lands here): what the site's search finds is all there is.
                return NotFound(wikipedia.search(entity, results=SIMILAR_TITLES))
            try:
                with warnings.catch_warnings():  # the package's BeautifulSoup call warns about its parser
                    warnings.simplefilter("ignore", UserWarning)
                    page = wikipedia.page(entity, auto_suggest=False, redirect=True)
            except wikipedia.DisambiguationError:
                return Page(entity, [f"{entity} may refer to:"])
            except wikipedia.PageError:
                return NotFound(wikipedia.search(entity, results=SIMILAR_TITLES))
            return Page(page.title, split_sentences(page.content))
        except self._network_errors[0] as error:
            raise ToolError(f"Wikipedia did not answer within {self.timeout:g} s.") from error
        except self._network_errors[1] as error:
            raise ToolError(f"Wikipedia could not be reached ({type(error).__name__}).") from error
        except (ValueError, KeyError) as error:  # an error page or garbage where JSON was due
            raise ToolError("Wikipedia sent an answer that could not be read; try again.") from error

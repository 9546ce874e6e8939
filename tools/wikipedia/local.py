"""The offline wiki: HotpotQA's abstracts (or a question file's context paragraphs) in an SQLite
FTS5 index, built once per set of files and kept in the cache folder."""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import BaseModel

from react_agent.datafiles import DataFileError, FileDigest, default_cache_dir, read_records
from react_agent.tools.wikipedia.pages import SIMILAR_TITLES, NotFound, Page

log = logging.getLogger("react_agent")

INDEX_VERSION = 3  # part of an index's cache key: an index of another layout is never reused
# Up to this many pages, similar titles are ranked by bm25 over every page sharing a word with the
# entity (title and text). Past it that ranking costs too much (half a second a Search on a
# million pages), and the titles alone are searched, at a bounded cost (`_similar_in_titles`).
RANK_EVERY_PAGE_UP_TO = 100_000
COMMON_TITLE_WORD = 1_000  # a word in this many titles or more is too common to rank titles by


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

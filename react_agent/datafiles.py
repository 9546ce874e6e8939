"""Reading JSON data files the way HotpotQA ships them, with errors that name the file and line."""

from __future__ import annotations

import bz2
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel


class DataFileError(ValueError):
    """A data file that is missing or cannot be read; the message names the file and line."""


def read_records(path: Path, kind: str) -> Iterator[tuple[str, Any]]:
    """The records of a JSON array (a whole document) or of JSON lines, plain or bz2-compressed,
    each with where it stands (`file:line`, or `file: record n`) for error messages.

    `kind` names the file in errors: "question file not found: ...".
    """
    opener = bz2.open if path.suffix == ".bz2" else open
    try:
        with opener(path, "rt", encoding="utf-8") as file:
            first = file.read(1)
            file.seek(0)
            if first == "[":  # a whole JSON document: the official question files
                try:
                    records = json.load(file)
                except json.JSONDecodeError as error:
                    raise DataFileError(f"{path}:{error.lineno}: not valid JSON ({error.msg})") from None
                for number, record in enumerate(records, start=1):
                    yield f"{path}: record {number}", record
                return
            for number, line in enumerate(file, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise DataFileError(f"{path}:{number}: not valid JSON ({error.msg})") from None
                yield f"{path}:{number}", record
    except FileNotFoundError:
        raise DataFileError(f"{kind} file not found: {path}") from None
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise DataFileError(f"cannot read {kind} file {path}: {error}") from None


def default_cache_dir() -> Path:
    """Where built indexes and file digests are kept: `$REACT_AGENT_CACHE`, else ~/.cache/react-agent."""
    return Path(os.environ.get("REACT_AGENT_CACHE", Path.home() / ".cache" / "react-agent"))


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes. Kept in the cache folder, keyed by the file's path, size and
    modification time, so that a multi-gigabyte model or dump is read once, not at every run."""
    path = Path(path).resolve()
    stat = path.stat()
    key = hashlib.sha256(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()
    memo = default_cache_dir() / "sha256" / key
    try:
        return memo.read_text().strip()
    except OSError:
        pass
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        partial = memo.with_name(f"{key}.{os.getpid()}.partial")
        partial.write_text(digest.hexdigest())
        partial.replace(memo)
    except OSError:
        pass  # a read-only cache only costs the time to hash again
    return digest.hexdigest()


class FileDigest(BaseModel):
    """A file as a run's provenance records it: its name, how big, and its bytes' sha256. Only the
    name: a record says nothing of the machine that made it, and the same bytes read from
    elsewhere compare equal. (Runs recorded before this kept the path as given.)"""

    path: str
    size: int
    sha256: str

    @classmethod
    def of(cls, path: str | Path) -> FileDigest:
        path = Path(path)
        return cls(path=path.name, size=path.stat().st_size, sha256=file_sha256(path))

    @classmethod
    def of_folder(cls, folder: Path, files: list[Path]) -> FileDigest:
        """Files of a folder as one record: the folder's name, their total size, and the sha256 of
        the list of their paths (relative to the folder) and sha256s."""
        listing = "".join(f"{file.relative_to(folder)}\0{file_sha256(file)}\n" for file in sorted(files))
        size = sum(file.stat().st_size for file in files)
        return cls(path=folder.name, size=size, sha256=hashlib.sha256(listing.encode()).hexdigest())

"""Reading JSON data files the way HotpotQA ships them, with errors that name the file and line."""

from __future__ import annotations

import bz2
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


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

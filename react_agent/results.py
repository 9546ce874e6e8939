"""Results files: one `EpisodeResult` per JSON line, written the moment the episode ends."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from react_agent.trajectory import EpisodeResult


def append_result(path: str | Path, result: EpisodeResult) -> None:
    """Append one line and force it to disk, so a crash or a kill loses no finished episode."""
    with open(path, "a", encoding="utf-8") as file:
        file.write(result.model_dump_json() + "\n")
        file.flush()
        os.fsync(file.fileno())


def read_results(path: str | Path) -> Iterator[EpisodeResult]:
    with open(path, encoding="utf-8") as file:
        for line in file:
            if line.strip():
                yield EpisodeResult.model_validate_json(line)

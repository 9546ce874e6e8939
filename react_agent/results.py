"""Results files: one `EpisodeResult` per JSON line, written the moment the episode ends.

A file only grows: a rerun appends, and when a task's trial appears more than once (an episode that
ended in `error`, played again on resume) the last line is the live one. A kill can leave a last line
half written; readers skip it with a warning, and a resumed run cuts it off before appending.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from react_agent.errors import OptionError
from react_agent.trajectory import EpisodeResult, RunConfig, StopReason

log = logging.getLogger("react_agent")

_TAIL_BLOCK = 1 << 16


class ResultsFileError(ValueError):
    """A results file that cannot be read; the message names the file and line."""


class ResultsFileBusy(OptionError):
    """Another process is writing the results file."""


def redacted_arguments(arguments: list[str]) -> list[str]:
    """Command-line arguments as they may be shown or stored: the value of --api-key hidden."""
    shown, hide = [], False
    for argument in arguments:
        if hide:
            shown.append("***")
        elif argument.startswith("--api-key="):
            shown.append("--api-key=***")
        else:
            shown.append(argument)
        hide = argument == "--api-key"
    return shown


@contextmanager
def sole_writer(path: str | Path) -> Iterator[None]:
    """Hold the results file for this process alone: an advisory lock (`flock`) on a sidecar file
    `<path>.lock`, which says who holds it. A second writer is refused at once, naming the first;
    the lock dies with its process, so a killed run never leaves the file locked."""
    lock_path = Path(f"{path}.lock")
    lock = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole block
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise ResultsFileBusy(
                f"{path} is being written by {holder}: wait for it, or give another `out`"
            ) from None
        lock.seek(0)
        lock.truncate()
        command = " ".join(["react", *redacted_arguments(sys.argv[1:])])
        lock.write(f"process {os.getpid()} ({command[:200]})")
        lock.flush()
        try:
            yield
        finally:
            lock_path.unlink(missing_ok=True)  # while still held: no other writer can slip in between
    finally:
        lock.close()


def append_result(path: str | Path, result: EpisodeResult) -> None:
    """Append one line and force it to disk, so a crash or a kill loses no finished episode."""
    with open(path, "a", encoding="utf-8") as file:
        file.write(result.model_dump_json() + "\n")
        file.flush()
        os.fsync(file.fileno())


def repair_torn_tail(path: str | Path) -> bool:
    """Cut a last line that a kill left half written, so appends start on a fresh line. The file
    is truncated in place at its last newline (never rewritten: a second kill loses nothing more).
    Returns whether anything was cut."""
    path = Path(path)
    if not path.exists():
        return False
    with open(path, "rb+") as file:
        size = file.seek(0, os.SEEK_END)
        end = size
        while end > 0:
            start = max(0, end - _TAIL_BLOCK)
            file.seek(start)
            block = file.read(end - start)
            if start + len(block) == size and block.endswith(b"\n"):
                return False
            newline = block.rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            end = start
        else:
            keep = 0
        if keep == size:
            return False
        os.truncate(file.fileno(), keep)
        os.fsync(file.fileno())
        return True


def read_results(path: str | Path, warn: Callable[[str], None] | None = None) -> Iterator[EpisodeResult]:
    """Every line of a results file, in order. A torn last line (no newline, not valid) is skipped
    with a warning (`warn`, by default logged); any other line that is not a result is an error
    naming it."""
    path = Path(path)
    with open(path, encoding="utf-8") as file:
        lines = file.readlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield EpisodeResult.model_validate_json(line)
        except ValidationError as error:
            if number == len(lines) and not line.endswith("\n"):
                message = f"{path}: skipped a torn last line (line {number}, cut off by an interrupted write)"
                (warn or log.warning)(message)
                return
            first = str(error).splitlines()
            detail = first[2].strip() if len(first) > 2 else first[0]
            raise ResultsFileError(f"{path}:{number}: not a result line ({detail})") from None


def read_run(path: str | Path) -> list[EpisodeResult]:
    """The live line of each trial in a results file (the last one written); a file that cannot be
    read is a `ResultsFileError` saying why."""
    try:
        return latest_results(read_results(path))
    except FileNotFoundError:
        raise ResultsFileError(f"results file not found: {path}") from None
    except IsADirectoryError:
        raise ResultsFileError(f"{path} is a folder, not a results file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ResultsFileError(f"cannot read results file {path}: {error}") from None


def latest_results(results: Iterable[EpisodeResult]) -> list[EpisodeResult]:
    """One result per trial of a task (one per task without `--epochs`): the last line written for
    it, in the order trials first appear."""
    latest: dict[tuple[str, int], EpisodeResult] = {}
    for result in results:
        latest[result.trial] = result
    return list(latest.values())


def results_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; a folder stands for every `*.jsonl` in it."""
    files: list[Path] = []
    for path in map(Path, paths):
        files += sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    return files


class Checkpoints:
    """Where a player that plays a task in parts (Reflexion's attempts) keeps the parts it has
    finished, so that a killed run resumes in the middle of a task: lines of the run's results
    file, each the task's result so far, ending in `error` (unfinished), which a resumed run plays
    again (see `runner.py`) from where the line left it. The file is read once, when first asked:
    the trials a run plays are its alone, and each is played once."""

    def __init__(self, path: Path, config: RunConfig):
        self.path, self.config = path, config
        self._earlier: dict[tuple[str, int], EpisodeResult] | None = None

    def earlier(self, trial: tuple[str, int]) -> EpisodeResult | None:
        """The parts of a trial an earlier run finished (a result with `attempts`), if its last line
        is one."""
        if self._earlier is None:
            found = latest_results(read_results(self.path)) if self.path.exists() else []
            self._earlier = {r.trial: r for r in found if r.stop_reason is StopReason.error and r.attempts}
        return self._earlier.get(trial)

    def keep(self, unfinished: EpisodeResult) -> None:
        append_result(self.path, unfinished.model_copy(update={"config": self.config}))

"""The benchmark suites behind our published numbers (`suites.json`): each entry is the `BenchSpec`
of one run, with the embedded model unless the entry names another. `react suite NAME` plays a
suite's runs (each resumable) so that anyone can reproduce the leaderboard.

In an entry, `{shared}` stands for the reference data folder (`../shared/data` beside a checkout)
and `{prompts}` for the folder of the prompt files that `react optimize` wrote (`benchmarks/prompts`
in a checkout); both are given when a suite is played.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from react_agent.bench import BenchSpec
from react_agent.errors import OptionError


def load_suites() -> dict[str, list[dict[str, Any]]]:
    """Each suite's entries, as `suites.json` gives them."""
    return json.loads(files("react_agent").joinpath("suites.json").read_text(encoding="utf-8"))


def out_of(entry: dict[str, Any]) -> str:
    """The results file an entry writes."""
    return entry["out"]


@dataclass(frozen=True)
class Places:
    """Where a suite's runs read and write: results go to `runs`; `shared` is the reference data,
    `prompts` the folder of bootstrapped prompt files."""

    runs: Path = Path("benchmarks/runs")
    shared: Path = Path("../shared/data")
    prompts: Path = Path("benchmarks/prompts")

    def filled(self, value: Any) -> Any:
        """`value` with `{shared}` and `{prompts}` written out."""
        if isinstance(value, str):
            return value.replace("{shared}", str(self.shared)).replace("{prompts}", str(self.prompts))
        if isinstance(value, dict):
            return {key: self.filled(item) for key, item in value.items()}
        return value


def spec_of(entry: dict[str, Any], places: Places, **changes: Any) -> BenchSpec:
    """The entry's spec, writing into `places.runs`, with its data where `places` says."""
    fields = places.filled(entry) | {"out": places.runs / out_of(entry)}
    return BenchSpec.model_validate(fields | changes)


def entries_of(name: str, only: list[str] | None = None) -> list[dict[str, Any]]:
    """The entries of suite `name`, or those of them writing the files `only` names."""
    suites = load_suites()
    if name not in suites:
        raise OptionError(f"no suite {name!r} (the suites: {', '.join(sorted(suites))})")
    entries = [entry for entry in suites[name] if not only or out_of(entry) in only]
    if only and len(entries) != len(set(only)):
        known = ", ".join(out_of(entry) for entry in suites[name])
        raise OptionError(f"`only` names a file that suite {name} does not write; it writes: {known}")
    return entries


def suite_specs(
    name: str,
    places: Places | None = None,
    *,
    only: list[str] | None = None,
    workers: int = 1,
    replay: Path | None = None,
    n: int | None = None,
) -> list[BenchSpec]:
    """The specs of suite `name`'s runs, each to play with `bench()` (which resumes what its results
    file holds). `replay`: play back the recorded runs of that folder instead of the model (the
    check that today's code sends exactly the recorded requests); `n`: only the first n tasks of
    each run. The runs' folder is made if it is missing."""
    places = places or Places()
    places.runs.mkdir(parents=True, exist_ok=True)
    specs = []
    for entry in entries_of(name, only):
        changes: dict[str, Any] = {"workers": workers}
        if n is not None:  # a sample of the entry's tasks, never more than the entry plays
            changes["n"] = min(n, entry.get("n") or n)
        if replay is not None:
            changes["model"] = f"replay:{replay / out_of(entry)}"
        specs.append(spec_of(entry, places, **changes))
    return specs

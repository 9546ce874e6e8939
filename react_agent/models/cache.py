"""A response cache: a model's answers kept in SQLite by request, so that a run made again (after a
change to scoring or reporting) asks the model nothing it was asked before.

An answer is found by the sha256 of the request (the fingerprint replays check: prompt, stop
sequences, token budget, temperature, grammar, top-p) and of the model (everything its `describe()`
says: file and sha256, server, build, package versions), so one cache folder can serve many
models. A sampled request (temperature above 0) is also keyed by the run's seed and by its draw: the
n-th time the same request is asked in a run is the n-th draw, so CoT-SC's samples stay distinct
and a run made again with the same seed gets the same samples back.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from react_agent.errors import OptionError
from react_agent.models.base import Completion, Model, ModelRequest, StopWhen
from react_agent.trajectory import ToolCall, Usage

CACHE_FILE = "responses.sqlite"
ANSWERS_TABLE = (
    "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, text TEXT, usage TEXT, tool_calls TEXT)"
)


class CachedModel(Model):
    """`model`, answering from `folder`'s cache what it was asked before; `hits` and `misses` count
    this process's calls. Usage of a cached answer is the usage recorded when it was made."""

    def __init__(self, model: Model, folder: str | Path, *, seed: int = 0):
        self.model = model
        self.name = model.name
        self.temperature = model.temperature
        self.provider, self.operation = model.provider, model.operation
        self.seed = seed
        self.hits = self.misses = 0
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(folder / CACHE_FILE, check_same_thread=False)
            self._db.execute(ANSWERS_TABLE)
            columns = [row[1] for row in self._db.execute("PRAGMA table_info(answers)")]
            if "tool_calls" not in columns:  # a cache made before chat models called tools
                self._db.execute("ALTER TABLE answers ADD COLUMN tool_calls TEXT")
        except (OSError, sqlite3.Error) as error:
            raise OptionError(f"cannot use `cache` folder {folder}: {error}") from None
        self._lock = threading.Lock()
        self._draws: dict[str, int] = {}
        self._model_key = json.dumps(model.describe(), sort_keys=True, default=str)

    def _key(self, request: ModelRequest) -> str:
        fingerprint = request.sha256()
        temperature = self.temperature if request.temperature is None else request.temperature
        draw = None
        if temperature:  # each draw of a sampled request is an answer of its own
            with self._lock:
                draw = self._draws[fingerprint] = self._draws.get(fingerprint, -1) + 1
        parts = [self._model_key, fingerprint] + ([self.seed, draw] if draw is not None else [])
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def _get(self, key: str) -> Completion | None:
        with self._lock:
            row = self._db.execute(
                "SELECT text, usage, tool_calls FROM answers WHERE key = ?", (key,)
            ).fetchone()
            if row is None:
                self.misses += 1
                return None
            self.hits += 1
        calls = tuple(ToolCall.model_validate(call) for call in json.loads(row[2] or "[]"))
        return Completion(text=row[0], usage=Usage.model_validate_json(row[1]), tool_calls=calls)

    def _put(self, key: str, completion: Completion) -> Completion:
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)",
                (
                    key,
                    completion.text,
                    completion.usage.model_dump_json(),
                    json.dumps([call.model_dump() for call in completion.tool_calls]),
                ),
            )
        return completion

    def complete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        key = self._key(request)
        return self._get(key) or self._put(key, self.model.complete(request, stop_when))

    async def acomplete(self, request: ModelRequest, stop_when: StopWhen | None = None) -> Completion:
        key = self._key(request)
        return self._get(key) or self._put(key, await self.model.acomplete(request, stop_when))

    def sampling(self, temperature: float, top_p: float | None) -> dict[str, float]:
        return self.model.sampling(temperature, top_p)

    def describe(self) -> dict[str, Any]:
        return self.model.describe() | {"cache": True}

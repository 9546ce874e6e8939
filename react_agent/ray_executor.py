"""Episodes on a Ray cluster (`pip install 'react-agent[ray]'`; `react bench --executor ray`).

Each worker is a Ray actor that builds its own player (model, environment, method) from a recipe
(`make_player`, which must pickle: `bench()` gives its `BenchSpec`) and plays one task at a time.
The driver keeps everything else: `run_many` hands each actor its tasks through a `RayPlayer`, and
stays the single writer of the results file (its lock, resume and config checks).
An actor that dies is restarted by Ray and its call played again; its result is written once, when
the call returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from react_agent.trajectory import EpisodeResult

RETRIES = 3  # restarts of a dead actor, and retries of the call it was playing


class RayUnavailable(RuntimeError):
    """Ray is not installed, or its cluster cannot be reached."""


def start(address: str | None = None, num_cpus: int | None = None) -> None:
    """Connect to the cluster at `address`, or start a local one (`num_cpus` CPUs)."""
    try:
        import ray
    except ImportError:
        raise RayUnavailable("the Ray executor needs ray: pip install 'react-agent[ray]'") from None
    if ray.is_initialized():
        return
    logging.getLogger("ray").setLevel(logging.ERROR)  # its notices would crowd our one-line messages
    try:
        ray.init(
            address=address,
            num_cpus=None if address else num_cpus,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise RayUnavailable(f"cannot reach the Ray cluster at {address}: {error}") from None


def players(
    make_player: Callable[[], Any], workers: int, *, num_cpus: float = 1, num_gpus: float = 0
) -> list[RayPlayer]:
    """`workers` actors, each holding the player `make_player` builds, each behind a `RayPlayer`."""
    import ray

    actor = ray.remote(max_restarts=RETRIES, max_task_retries=RETRIES)(_EpisodeActor)
    options = {"num_cpus": num_cpus, "num_gpus": num_gpus}
    return [RayPlayer(actor.options(**options).remote(make_player)) for _ in range(workers)]


class RayPlayer:
    """Plays a task on its actor, as an `Agent` plays it here: `await player.arun(task)`."""

    def __init__(self, actor: Any):
        self.actor = actor

    async def arun(self, task: Any, epoch: int = 0) -> EpisodeResult:
        import ray

        try:
            return EpisodeResult.model_validate_json(await self.actor.play.remote(task, epoch))
        except ray.exceptions.RayError as error:  # an actor that died more often than Ray restarts it
            raise RayUnavailable(
                f"a Ray actor failed {RETRIES + 1} times: {str(error).splitlines()[0]}"
            ) from None


class _EpisodeActor:
    """A worker of the cluster: its own player, one task at a time."""

    def __init__(self, make_player: Callable[[], Any]):
        self.player = make_player()

    async def play(self, task: Any, epoch: int) -> str:
        return (await self.player.arun(task, epoch)).model_dump_json()

    def pid(self) -> int:
        import os

        return os.getpid()

"""llama-cpp-python's own OpenAI-compatible server (`python -m llama_cpp.server`) on 127.0.0.1,
started as a child process: for the tests of the remote backend, and the serving benchmark (which
runs from a checkout: see benchmarks.checkout)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from react_agent.models.llama_cpp import usable_cpus


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def llama_cpp_server(
    model_path: Path,
    log: Path,
    *,
    n_ctx: int = 4096,
    alias: str = "smollm2",
    wait: float = 120.0,
    chat_format: str | None = None,
) -> Iterator[str]:
    """Serves `model_path` as `alias` (its chats in `chat_format`, default: the model's template);
    yields the API's base URL (ending in /v1). What the server prints goes to `log` (its
    prefix-cache hits among it). `RuntimeError` if it does not come up."""
    port = free_port()
    command = [sys.executable, __file__, "--model", str(model_path)]
    command += ["--model_alias", alias, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--n_ctx", str(n_ctx), "--n_threads", str(usable_cpus())]
    command += ["--chat_format", chat_format] if chat_format else []
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + wait
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base_url}/models", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama_cpp.server did not start within {wait:.0f} s")
            time.sleep(0.3)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    # `python tests/llama_server.py ARGS` is `python -m llama_cpp.server ARGS`, loading the model as
    # our backend does.
    import runpy

    from react_agent.models.llama_cpp import load_models_as_we_do

    load_models_as_we_do()
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)

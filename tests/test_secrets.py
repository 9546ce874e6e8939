"""An API key, given by environment or by flag, is never written anywhere: not in results files,
the lock file, what `react show` and `react leaderboard` print, error lines, the line that says how
to resume, or the line that names another writer. The test plants keys and looks for them in every
output. And live Wikipedia is asked over https."""

import os
import signal
import subprocess
import sys
import time

from bench_cli import answer_for
from openai_server import ECHO_KEY
from servers import scripted_openai_server, url_of

ENV_KEY = "sk-planted-by-environment-0123456789"
FLAG_KEY = "sk-planted-by-flag-9876543210"


def react(*args, env_key=None, **options):
    env = dict(os.environ, OPENAI_API_KEY=env_key) if env_key else dict(os.environ)
    return subprocess.run([sys.executable, "-m", "react_agent.cli", *map(str, args)], env=env, **options)


def bench(url, out, *extra):
    return ["bench", "--task", "hotpotqa", "--model", "openai:m", "--base-url", url, "--out", out, *extra]


def test_a_key_never_appears_in_any_output_or_file(tmp_path):
    outputs = []

    def keep(process):
        outputs.extend([process.stdout or "", process.stderr or ""])
        return process

    runs = tmp_path / "runs"
    runs.mkdir()
    echo_next = [True]  # the first request of each run is answered with a 400 that echoes the key

    def echo_once(number, body):
        echo, echo_next[0] = echo_next[0], False
        return ECHO_KEY if echo else None

    with scripted_openai_server(answer_for=answer_for, faults=echo_once) as server:
        url = url_of(server, "/v1")
        keep(
            react(
                *bench(url, runs / "env.jsonl", "--n", "3"), env_key=ENV_KEY, capture_output=True, text=True
            )
        )
        echo_next[0] = True
        flag_run = bench(url, runs / "flag.jsonl", "--n", "3", "--api-key", FLAG_KEY)
        keep(react(*flag_run, env_key=ENV_KEY, capture_output=True, text=True))
    for name in ("env.jsonl", "flag.jsonl"):  # each key reached the server, which echoed it: hidden
        assert "not allowed for Bearer ***" in (runs / name).read_text()

    with scripted_openai_server(answer_for=answer_for, delay=0.3) as server:
        url = url_of(server, "/v1")
        command = [
            sys.executable,
            "-m",
            "react_agent.cli",
            *map(str, bench(url, runs / "slow.jsonl", "--n", "8")),
        ]
        first = subprocess.Popen(
            [*command, "--api-key", FLAG_KEY], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while not (runs / "slow.jsonl.lock").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        outputs.append((runs / "slow.jsonl.lock").read_text())
        busy = keep(
            react(*bench(url, runs / "slow.jsonl", "--api-key", FLAG_KEY), capture_output=True, text=True)
        )
        assert busy.returncode == 2 and "--api-key ***" in busy.stderr
        first.send_signal(signal.SIGINT)
        stdout, stderr = first.communicate(timeout=30)
        outputs += [stdout, stderr]
        assert "resume with: react bench" in stderr and "--api-key '***'" in stderr

    for path in sorted(runs.glob("*")):
        outputs.append(path.read_text())
        keep(react("show", path, capture_output=True, text=True))
    keep(react("leaderboard", runs, "--format", "markdown", capture_output=True, text=True))
    keep(react("leaderboard", runs, "--format", "json", capture_output=True, text=True))
    everything = "\n".join(outputs)
    assert len(everything) > 10_000  # the outputs searched are real ones
    assert ENV_KEY not in everything and FLAG_KEY not in everything


def test_live_wikipedia_is_asked_over_https():
    import wikipedia

    from react_agent.tools.wikipedia import LiveWikipedia

    LiveWikipedia(lang="fr")
    assert wikipedia.wikipedia.API_URL == "https://fr.wikipedia.org/w/api.php"

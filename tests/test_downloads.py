"""`react data get`: downloads against a file server on 127.0.0.1 that speaks HTTP Range (or does
not), cuts a transfer short, or serves a file that then changes."""

import bz2
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from http.server import BaseHTTPRequestHandler

import pytest

from react_agent.downloads import DownloadError, get, manifest, resolve
from servers import serve, url_of

DEV = json.dumps(
    [{"_id": f"q{i}", "question": f"Question {i}?", "answer": "yes", "context": []} for i in range(2000)]
).encode()


class FileServer(BaseHTTPRequestHandler):
    """Serves `server.files`; `server.cut_once` ends the first transfer of a file halfway (the rest of
    its announced length never comes); `server.ranges` False ignores Range headers."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        data = self.server.files[self.path]
        self.server.seen.append(self.headers.get("Range"))
        start = 0
        if self.server.ranges and self.headers.get("Range", "").startswith("bytes="):
            start = int(self.headers["Range"][6:].split("-")[0])
        if start >= len(data) and start:
            self.send_response(416)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(data) - start))
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        body = data[start:]
        if self.server.cut_once:
            self.server.cut_once = False
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def files():
    with serve(FileServer, files={"/dev.json": DEV}, seen=[], cut_once=False, ranges=True) as server:
        yield server


def test_a_download_cut_in_the_middle_resumes_where_it_stopped(files, tmp_path):
    files.cut_once = True
    url = url_of(files, "/dev.json")
    with pytest.raises(DownloadError, match="run the same command again to resume|run it again to resume"):
        get("hotpotqa-dev", cache_dir=tmp_path, url=url, progress=False)
    path = get("hotpotqa-dev", cache_dir=tmp_path, url=url, progress=False)
    assert path.read_bytes() == DEV
    assert files.seen[0] is None and files.seen[1] == f"bytes={len(DEV) // 2}-"  # only the rest, asked for
    assert manifest(tmp_path)["hotpotqa-dev"]["sha256"] == hashlib.sha256(DEV).hexdigest()


def test_a_server_without_range_starts_the_download_over(files, tmp_path):
    files.cut_once, files.ranges = True, False
    url = url_of(files, "/dev.json")
    with pytest.raises(DownloadError):
        get("hotpotqa-dev", cache_dir=tmp_path, url=url, progress=False)
    assert get("hotpotqa-dev", cache_dir=tmp_path, url=url, progress=False).read_bytes() == DEV


def test_a_file_that_changed_since_its_download_is_refused_in_one_line(files, tmp_path):
    env = dict(os.environ, REACT_AGENT_CACHE=str(tmp_path))
    react = [sys.executable, "-m", "react_agent.cli"]
    got = subprocess.run(
        [*react, "data", "get", "hotpotqa-dev", "--url", url_of(files, "/dev.json")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert got.returncode == 0, got.stderr
    path = resolve("hotpotqa-dev", tmp_path)
    assert path.name == "hotpot_dev_distractor_v1.json" and f"hotpotqa-dev: {path}" in got.stdout
    listed = subprocess.run([*react, "data", "list"], capture_output=True, text=True, env=env)
    assert (
        "hotpotqa-dev: HotpotQA's dev questions" in listed.stdout
        and f"downloaded ({len(DEV):,} bytes)" in listed.stdout
    )
    path.write_bytes(DEV.replace(b"yes", b"no!"))  # same size, other bytes
    run = subprocess.run(
        [*react, "run", "--task", "hotpotqa", "--data", "hotpotqa-dev", "--wiki", "live"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 2
    assert run.stderr.strip() == (
        f"react: error: {path} is not the file that was downloaded (size or sha256 differs): "
        "react data get hotpotqa-dev"
    )


def test_the_abstracts_are_unpacked_into_shards_that_index(tmp_path):
    shard = bz2.compress(
        b"\n".join(
            json.dumps({"id": str(i), "url": "", "title": f"Page {i}", "text": [f"Text {i}."]}).encode()
            for i in range(3)
        )
    )
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:bz2") as tar:
        info = tarfile.TarInfo("enwiki-abstracts/AA/wiki_00.bz2")
        info.size = len(shard)
        tar.addfile(info, io.BytesIO(shard))
    from react_agent.tools.wikipedia import LocalWiki, WikiBrowser

    with serve(
        FileServer, files={"/a.tar.bz2": archive.getvalue()}, seen=[], cut_once=False, ranges=True
    ) as server:
        folder = get(
            "hotpotqa-abstracts", cache_dir=tmp_path, url=url_of(server, "/a.tar.bz2"), progress=False
        )
    assert resolve("hotpotqa-abstracts", tmp_path) == folder and folder.is_dir()
    wiki = LocalWiki.from_corpus(folder, cache_dir=tmp_path, progress=False)
    assert WikiBrowser(wiki).search("Page 2") == "Text 2."


def test_an_unknown_data_set_is_named():
    with pytest.raises(
        DownloadError,
        match="unknown data set 'imagenet' \\(known: hotpotqa-dev, hotpotqa-abstracts, alfworld\\)",
    ):
        get("imagenet")

"""`react data get NAME`: the real data sets, fetched once into the cache folder.

- `hotpotqa-dev`: HotpotQA's official dev file (distractor), which `--sample react500` needs.
- `hotpotqa-abstracts`: HotpotQA's Wikipedia abstracts dump (the intro paragraphs of 5.2M
  pages), unpacked to its folder of `wiki_NN.bz2` shards, for `--wiki`.
- `alfworld`: ALFWorld's games, through the alfworld package's own downloader.

A download resumes where it stopped (HTTP Range; a server that ignores Range starts it over), is
checked against the size the server announced, and its sha256 is recorded in the cache's manifest;
later, `--data hotpotqa-dev` and `--wiki hotpotqa-abstracts` name the files, and a file that no
longer matches its manifest is refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from react_agent.datafiles import DataFileError, default_cache_dir, file_sha256


@dataclass(frozen=True)
class Dataset:
    name: str
    url: str
    filename: str
    what: str
    unpack: bool = False  # a .tar.bz2 archive, unpacked into a folder of the same name


DATASETS = {
    dataset.name: dataset
    for dataset in [
        Dataset(
            "hotpotqa-dev",
            "http://curtis.ml.cmu.edu/datasets/hotpot/hotpot_dev_distractor_v1.json",
            "hotpot_dev_distractor_v1.json",
            "HotpotQA's dev questions, distractor setting (7,405; about 46 MB)",
        ),
        Dataset(
            "hotpotqa-abstracts",
            "https://nlp.stanford.edu/projects/hotpotqa/enwiki-20171001-pages-meta-current-withlinks-abstracts.tar.bz2",
            "enwiki-20171001-pages-meta-current-withlinks-abstracts.tar.bz2",
            "the Wikipedia abstracts HotpotQA was built from (5.2M pages; about 1.5 GB)",
            unpack=True,
        ),
    ]
}
ALFWORLD = "alfworld"


class DownloadError(DataFileError):
    """A download that cannot be completed or trusted; one line says why."""


def data_dir(cache_dir: str | Path | None = None) -> Path:
    return Path(cache_dir or default_cache_dir()) / "data"


def _manifest_path(cache_dir: str | Path | None) -> Path:
    return data_dir(cache_dir) / "manifest.json"


def listing(cache_dir: str | Path | None = None) -> list[str]:
    """A line for each data set: what it is, and whether it is downloaded."""
    have = manifest(cache_dir)
    lines = [
        f"{d.name}: {d.what}; "
        + (f"downloaded ({have[d.name]['size']:,} bytes)" if d.name in have else "not downloaded")
        for d in DATASETS.values()
    ]
    return [*lines, f"{ALFWORLD}: ALFWorld's games, through the alfworld package's downloader"]


def manifest(cache_dir: str | Path | None = None) -> dict[str, Any]:
    path = _manifest_path(cache_dir)
    return json.loads(path.read_text()) if path.exists() else {}


def _record(cache_dir: str | Path | None, name: str, entry: dict[str, Any]) -> None:
    entries = manifest(cache_dir) | {name: entry}
    path = _manifest_path(cache_dir)
    partial = path.with_name(f"manifest.{os.getpid()}.partial")
    partial.write_text(json.dumps(entries, indent=1))
    partial.replace(path)


def get(
    name: str, *, cache_dir: str | Path | None = None, url: str | None = None, progress: bool = True
) -> Path:
    """Fetch a data set (resuming a download cut short) and record it; returns where it is."""
    if name == ALFWORLD:
        return _alfworld(cache_dir)
    if name not in DATASETS:
        raise DownloadError(f"unknown data set {name!r} (known: {', '.join([*DATASETS, ALFWORLD])})")
    dataset = DATASETS[name]
    folder = data_dir(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / dataset.filename
    if name in manifest(cache_dir) and target.exists():
        check(name, cache_dir)
    else:
        _download(url or dataset.url, target, progress)
        _record(
            cache_dir,
            name,
            {
                "file": target.name,
                "size": target.stat().st_size,
                "sha256": file_sha256(target),
                "url": url or dataset.url,
            },
        )
    if not dataset.unpack:
        return target
    unpacked = folder / dataset.filename.removesuffix(".tar.bz2")
    if not unpacked.exists():
        partial = unpacked.with_name(unpacked.name + ".partial")
        with tarfile.open(target, "r:bz2") as archive:
            archive.extractall(partial, filter="data")
        partial.replace(unpacked)
    return unpacked


def _download(url: str, target: Path, progress: bool) -> None:
    import httpx
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    partial = target.with_name(target.name + ".partial")
    have = partial.stat().st_size if partial.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        with httpx.stream("GET", url, headers=headers, timeout=60, follow_redirects=True) as response:
            if response.status_code == 416:  # the part we have is the whole file
                total = have
            else:
                response.raise_for_status()
                if have and response.status_code != 206:  # Range ignored: start over
                    have = 0
                total = _total(response, have)
                mode = "ab" if have else "wb"
                with (
                    open(partial, mode) as file,
                    Progress(
                        TextColumn(target.name),
                        BarColumn(),
                        DownloadColumn(),
                        TransferSpeedColumn(),
                        disable=not progress,
                        transient=True,
                    ) as bar,
                ):
                    job = bar.add_task("download", total=total, completed=have)
                    for block in response.iter_bytes():  # as it comes: a cut keeps all that arrived
                        file.write(block)
                        bar.advance(job, len(block))
    except httpx.HTTPError as error:
        raise DownloadError(f"cannot download {url}: {error}; run the same command again to resume") from None
    size = partial.stat().st_size
    if total is not None and size != total:
        raise DownloadError(
            f"{url} sent {size:,} bytes of the {total:,} it announced; run it again to resume"
        )
    partial.replace(target)


def _total(response: Any, have: int) -> int | None:
    if response.status_code == 206:
        total = response.headers.get("content-range", "").rpartition("/")[2]
        return int(total) if total.isdigit() else None
    length = response.headers.get("content-length")
    return int(length) if length and length.isdigit() else None


def check(name: str, cache_dir: str | Path | None = None) -> Path:
    """The file of a downloaded data set, if it still is what was downloaded."""
    entry = manifest(cache_dir).get(name)
    if entry is None:
        raise DownloadError(f"{name} is not downloaded: react data get {name}")
    path = data_dir(cache_dir) / entry["file"]
    if not path.exists() or path.stat().st_size != entry["size"] or file_sha256(path) != entry["sha256"]:
        raise DownloadError(
            f"{path} is not the file that was downloaded (size or sha256 differs): react data get {name}"
        )
    return path


def resolve(value: str | Path, cache_dir: str | Path | None = None) -> Path:
    """A data set's name (`hotpotqa-dev`) as its checked file or folder; any other value as a path."""
    name = str(value)
    if name not in DATASETS or Path(name).exists():
        return Path(value)
    path = check(name, cache_dir)
    return path.with_name(path.name.removesuffix(".tar.bz2")) if DATASETS[name].unpack else path


def _alfworld(cache_dir: str | Path | None) -> Path:
    folder = data_dir(cache_dir) / ALFWORLD
    command = [os.path.join(os.path.dirname(sys.executable), "alfworld-download"), "--data-dir", str(folder)]
    try:
        subprocess.run(command, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        raise DownloadError(
            f"alfworld's downloader failed ({error}); pip install 'react-agent[alfworld]'"
        ) from None
    return folder

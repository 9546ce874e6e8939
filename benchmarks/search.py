"""LocalWiki's own cost, measured in one run: how fast an index builds, and how long a Search takes
(p50 and p99) on the shared slice of Wikipedia abstracts and on a generated corpus of a million
pages.

    python -m benchmarks.search [--pages 1000000] [--queries 200] [--slice PATH]

Three kinds of query, as the agent sends them: an exact title; a title in other case (the
case-folded index); and a title that is not there (the FTS5 search for similar titles, what the
model is shown instead). The generated pages are made of random words over a vocabulary of 50,000
with a Zipf-like spread, three sentences each, about the size of an abstract.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import tempfile
import time
from pathlib import Path

from react_agent.tools.wikipedia import LocalWiki


def generated_corpus(path: Path, pages: int, seed: int = 0) -> list[str]:
    """Writes `pages` pages as JSON lines (the abstracts dump's layout); returns their titles."""
    chance = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ra", "tu", "ne", "so", "vi", "da", "pe", "zo", "ru", "fa", "gi"]
    vocabulary = ["".join(chance.choices(syllables, k=chance.randint(2, 4))) for _ in range(50_000)]
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(vocabulary))))
    titles = []
    with path.open("w") as out:
        for number in range(pages):
            words = chance.choices(vocabulary, cum_weights=cumulative, k=60)
            title = f"{words[0].capitalize()} {words[1].capitalize()} ({number})"
            text = [" ".join(words[2 + 19 * i : 21 + 19 * i]).capitalize() + "." for i in range(3)]
            out.write(json.dumps({"id": str(number), "title": title, "text": text}) + "\n")
            titles.append(title)
    return titles


def slice_titles(path: Path) -> list[str]:
    with path.open() as lines:
        return [json.loads(line)["title"] for line in lines]


def percentiles(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p50, p99 = ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {p50 * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms"


def measure(name: str, files: list[Path], titles: list[str], queries: int, cache: Path) -> None:
    started = time.perf_counter()
    wiki = LocalWiki.from_corpus(*files, cache_dir=cache, progress=False)
    build = time.perf_counter() - started
    pages = len(wiki)
    print(f"{name}: {pages:,} pages indexed in {build:.1f} s ({pages / build:,.0f} pages/s)")
    chance = random.Random(1)
    asked = chance.sample(titles, min(queries, len(titles)))
    kinds = {
        "exact title": asked,
        "other case": [t.swapcase() for t in asked],
        "not there (similar titles)": [f"{t.split(' (')[0]} Qzx" for t in asked],
    }
    for kind, texts in kinds.items():
        seconds = []
        for text in texts:
            started = time.perf_counter()
            wiki.find(text)
            seconds.append(time.perf_counter() - started)
        print(f"  {kind}: {percentiles(seconds)} over {len(texts):,} queries")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1_000_000, help="pages of the generated corpus")
    parser.add_argument("--queries", type=int, default=200, help="queries of each kind")
    parser.add_argument(
        "--slice", type=Path, default=Path("../shared/data/hotpotqa/wiki_abstracts_slice.jsonl")
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "cache"
        if args.slice.exists():
            measure("shared slice", [args.slice], slice_titles(args.slice), args.queries, cache)
        else:
            print(f"shared slice: {args.slice} is absent, skipped")
        corpus = Path(folder) / "generated.jsonl"
        started = time.perf_counter()
        titles = generated_corpus(corpus, args.pages)
        seconds = time.perf_counter() - started
        print(f"generated {args.pages:,} pages ({corpus.stat().st_size / 1e6:,.0f} MB) in {seconds:.1f} s")
        measure("generated corpus", [corpus], titles, args.queries, cache)


if __name__ == "__main__":
    main()

"""Ingest throughput against the raw encoder on the same texts, in the same run.

    .venv/bin/python bench/ingest.py [--corpus handbook|demo] [--pages N] [--repeat R]

Prints, as medians over R runs:
  - raw encoder: micro-units per second when the bare encoder encodes exactly the texts the
    pipeline embeds (same batch size, same model);
  - full ingest: items and micro-units per second of a first ingest into an empty SQLite
    database (read, normalise, upsert, embed, publish the FAISS snapshot);
  - ratio = ingest units/s divided by raw encoder units/s (limit: at least 0.8);
  - unchanged re-ingest time as a fraction of the first ingest (it embeds nothing).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.pipeline import IngestReport, read_items  # noqa: E402
from ingest.records import unit_embedding_text  # noqa: E402
from ingest.sources import get_source  # noqa: E402
from recommender.embedding import Encoder  # noqa: E402
from service.core.runtime import Runtime  # noqa: E402
from service.core.settings import Settings  # noqa: E402

LIMIT_RATIO = 0.8
CORPORA = {
    "handbook": ("wiki", ROOT.parent / "shared" / "data" / "wiki_sourcegraph_handbook" / "content"),
    "demo": ("wiki", ROOT / "demo" / "catalog" / "wiki"),
}


def corpus_folder(name: str, pages: int | None, scratch: Path) -> tuple[str, Path]:
    kind, folder = CORPORA[name]
    if pages is None:
        return kind, folder
    subset = scratch / "subset"
    for index, page in enumerate(sorted(folder.rglob("*.md"))[:pages]):
        target = subset / f"{index:05d}-{page.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(page.read_bytes())
    return kind, subset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="handbook")
    parser.add_argument("--pages", type=int, default=None, help="only the first N pages")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    encoder = Encoder()
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        kind, folder = corpus_folder(args.corpus, args.pages, scratch)
        items = read_items(get_source(kind), folder, IngestReport(kind, kind, str(folder)))
        texts = [unit_embedding_text(i.title, u.title, u.text) for i in items for u in i.units]
        print(f"corpus {args.corpus}: {len(items)} items, {len(texts)} micro-units")
        encoder.encode(texts[:64])  # warm-up

        raw, full, again = [], [], []
        for run in range(args.repeat):
            start = time.perf_counter()
            encoder.encode(texts)
            raw.append(time.perf_counter() - start)

            home = scratch / f"home-{run}"
            runtime = Runtime(Settings(home=home), encoder=encoder)
            runtime.migrate()
            start = time.perf_counter()
            first = runtime.ingest("bench", kind, folder)
            full.append(time.perf_counter() - start)
            assert first.embedded == len(texts), (first.embedded, len(texts))
            start = time.perf_counter()
            second = runtime.ingest("bench", kind, folder)
            again.append(time.perf_counter() - start)
            assert second.embedded == 0 and second.unchanged == len(items)
            runtime.close()
            print(
                f"run {run + 1}: raw {raw[-1]:.2f}s  ingest {full[-1]:.2f}s  unchanged re-ingest {again[-1]:.2f}s"
            )

    raw_s, full_s, again_s = statistics.median(raw), statistics.median(full), statistics.median(again)
    raw_rate, ingest_rate = len(texts) / raw_s, len(texts) / full_s
    ratio = ingest_rate / raw_rate
    print(f"raw encoder:        {raw_rate:8.1f} units/s (median of {args.repeat})")
    print(f"full ingest:        {ingest_rate:8.1f} units/s, {len(items) / full_s:.1f} items/s")
    print(
        f"ratio ingest/raw:   {ratio:.3f}  (limit >= {LIMIT_RATIO}: {'OK' if ratio >= LIMIT_RATIO else 'BELOW'})"
    )
    print(f"unchanged re-ingest: {again_s:.2f}s = {again_s / full_s:.3f} of the first ingest")


if __name__ == "__main__":
    main()

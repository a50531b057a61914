"""How long `leerpad --help` takes, against its limit of 1 s (issue 17: it took about 5 s while the
command module imported torch, faiss and scikit-learn).

    .venv/bin/python bench/cli_startup.py [--runs 5]

Runs the installed console script `leerpad` (next to this interpreter) with --help, and with
`ingest --help`, each --runs times, and prints the median wall time and its ratio to the limit
(below 1.0 is within it). tests/service/test_cli_startup.py guards the cause without timing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

LIMIT_S = 1.0
LEERPAD = Path(sys.executable).with_name("leerpad")


def wall_time(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([str(LEERPAD), *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    if not LEERPAD.is_file():
        sys.exit(f"{LEERPAD} is missing: run make install")
    for args in (["--help"], ["ingest", "--help"]):
        times = [wall_time(args) for _ in range(runs)]
        median = statistics.median(times)
        print(
            f"leerpad {' '.join(args)}: median {median:.2f} s of {runs} "
            f"(min {min(times):.2f}, max {max(times):.2f}); limit {LIMIT_S:.1f} s; ratio {median / LIMIT_S:.2f}"
        )


if __name__ == "__main__":
    main()

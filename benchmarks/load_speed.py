"""How fast ``lrdiag.load`` reads each format, and how much memory it takes.

    python benchmarks/load_speed.py [--steps 1000000]

Writes one run per format into a temporary directory (lrdiag store: loss, LR and 20 per-layer
ratios per step; a TensorBoard event file: loss and LR; CSV and JSONL: step,lr,loss,grad_norm),
loads each and prints seconds, values per second and the peak memory traced during a second load.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

import lrdiag
from lrdiag import names
from lrdiag.store import StoreWriter


def _write_store(d: Path, n: int) -> tuple[Path, int]:
    w = StoreWriter(d / "store_run", meta={"optimizer": "SGD"})
    cols = [names.LOSS, names.lr("group0")] + [names.update_ratio(f"layer{i}") for i in range(20)]
    for lo in range(0, n, 256):  # the Monitor's default flush block
        s = np.arange(lo, min(n, lo + 256))
        w.append(s, {c: np.full(s.size, 0.5, dtype=np.float32) for c in cols})
    w.close()
    return d / "store_run", n * len(cols)


def _write_events(d: Path, n: int) -> tuple[Path, int]:
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(d / "tb_run"))
    for i in range(n):
        w.add_scalar("train/loss", 1.0 / (i + 1), i)
        w.add_scalar("train/learning_rate", 1e-3, i)
    w.close()
    return d / "tb_run", 2 * n


def _write_csv(d: Path, n: int) -> tuple[Path, int]:
    p = d / "log.csv"
    with open(p, "w") as f:
        f.write("step,lr,loss,grad_norm\n")
        for lo in range(0, n, 100_000):
            f.write("".join(f"{i},0.001,{1.0 / (i + 1)!r},2.5\n" for i in range(lo, min(n, lo + 100_000))))
    return p, 3 * n


def _write_jsonl(d: Path, n: int) -> tuple[Path, int]:
    p = d / "log.jsonl"
    with open(p, "w") as f:
        for i in range(n):
            f.write(json.dumps({"step": i, "lr": 0.001, "loss": 1.0 / (i + 1), "grad_norm": 2.5}) + "\n")
    return p, 3 * n


def _size(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) if p.is_dir() else p.stat().st_size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1_000_000, help="steps in the store and CSV runs (events and JSONL use a twentieth / a fifth)")
    n = ap.parse_args().steps
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        cases = [("lrdiag store", _write_store, n), ("TensorBoard events", _write_events, n // 20),
                 ("CSV", _write_csv, n), ("JSONL", _write_jsonl, n // 5)]
        print(f"{'format':<20}{'steps':>10}{'values':>12}{'MB':>9}{'seconds':>9}{'values/s':>12}{'peak MB':>9}")
        for label, write, steps in cases:
            path, values = write(d, steps)
            t = time.perf_counter()
            h = lrdiag.load(path)
            dt = time.perf_counter() - t
            assert len(h) == steps, (label, len(h))
            del h
            tracemalloc.start()  # a second load, traced (tracing slows Python code, not the count)
            lrdiag.load(path)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(f"{label:<20}{steps:>10}{values:>12}{_size(path) / 2**20:>9.1f}{dt:>9.2f}{values / dt:>12.3g}{peak / 2**20:>9.1f}")


if __name__ == "__main__":
    main()

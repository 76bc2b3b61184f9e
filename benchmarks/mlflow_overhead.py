"""What logging to MLflow adds to a training loop that already runs the Monitor.

    python benchmarks/mlflow_overhead.py            # starts a local `mlflow server` (about 2 min)
    python benchmarks/mlflow_overhead.py --quick    # fewer repetitions

Two copies of the same model and optimizer train side by side in one process, both with a
``lrdiag.Monitor``: one without MLflow, one with ``mlflow=<uri>``. Blocks of steps of the two are
interleaved in random order so that drifts in machine load hit both alike; the printed ratio is the
median over blocks of (CPU time with MLflow) / (CPU time without), where CPU time is
``time.process_time()`` of the whole process, so the Monitor's writer thread and the MLflow
sink's sender thread count (the tracking server's own work, in another process, does not).

Workloads (one CPU thread):
  * ``mlp_4m_adam_b256``: the foundation issue's overhead workload (MLP, ~4M parameters, Adam);
  * ``deep_mlp_48l_sgd_b32``: a 48-layer narrow MLP with fast steps, so that many series (one
    update ratio per layer) are sent per millisecond of training -- the hard case for a logger.
Targets: the foundation issue's <= 1.05x for the Monitor at every step; MLflow on top should add
little. Also printed: values/s the sender achieves against the server, and the sink's
``write()`` cost on the writer thread.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lrdiag.sinks.mlflow_sink import MLflowSink  # noqa: E402
from overhead import Copy, mlp_4m  # noqa: E402  (benchmarks/overhead.py, same folder)


def deep_mlp() -> nn.Module:
    layers: list[nn.Module] = [nn.Linear(32, 32), nn.ReLU()]
    for _ in range(46):
        layers += [nn.Linear(32, 32), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(32, 10))


WORKLOADS = {
    "mlp_4m_adam_b256": dict(model=mlp_4m, x=(256, 1024), opt=lambda p: torch.optim.Adam(p, lr=1e-3)),
    "deep_mlp_48l_sgd_b32": dict(model=deep_mlp, x=(32, 32), opt=lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)),
}


def measure(name: str, spec, uri: str, reps: int, block: int, tmp: Path) -> str:
    # both copies carry a Monitor: this measures what MLflow adds on top of it
    off = Copy(spec, {"flush_secs": 0.5}, tmp / f"{name}-off")
    on = Copy(spec, {"flush_secs": 0.5, "mlflow": uri}, tmp / f"{name}-on")
    for c in (off, on):
        c.block(3)
    t_off, t_on = [], []
    for _ in range(reps):
        pair = [(off, t_off), (on, t_on)]
        random.shuffle(pair)
        for c, acc in pair:
            acc.append(c.block(block))
    ratios = [a / b for a, b in zip(t_on, t_off)]
    q = statistics.quantiles(ratios, n=4)
    t0 = time.time()
    off.mon.close()
    on.mon.close()
    sink = next((s for s in on.mon._writer.sinks if isinstance(s, MLflowSink)), None) if hasattr(on.mon, "_writer") else None
    sent = f", {sink.values_sent:,} values sent" if sink is not None else ""
    step_ms = statistics.median(t_off) / block * 1e3
    return (f"{name}: step {step_ms:.1f} ms CPU; MLflow on / off = {statistics.median(ratios):.3f}x "
            f"(IQR {q[0]:.3f}-{q[2]:.3f}, {reps} blocks of {block} steps{sent}; close took {time.time() - t0:.1f} s)")


def sink_costs(uri: str, tmp: Path, layers: int = 200, steps: int = 20_000, block: int = 500) -> str:
    """write() time on the writer thread and the sender's throughput to the server."""
    sink = MLflowSink(tracking_uri=uri, run_dir=tmp / "sink-costs", experiment="lrdiag-bench", close_timeout=600)
    sink.open({"optimizer": "SGD"})
    names = ["lrdiag/loss", "lrdiag/lr/group0"] + [f"lrdiag/update_ratio/layers.{i}" for i in range(layers)]
    rng = np.random.default_rng(0)
    vals = {n: rng.lognormal(-7, 0.3, block).astype(np.float32) for n in names}
    t_write = 0.0
    t0 = time.perf_counter()
    n_blocks = steps // block
    for b in range(n_blocks):
        st = np.arange(b * block, (b + 1) * block, dtype=np.int64)
        t = time.perf_counter()
        sink.write(st, vals)
        t_write += time.perf_counter() - t
    sink.wait()
    dt = time.perf_counter() - t0
    sink.close()
    values = steps * len(names)
    return (f"sink: write() {t_write / n_blocks * 1e3:.2f} ms per {block}x{len(names)} block on the writer thread; "
            f"sender {sink.values_sent / dt:,.0f} values/s to the server ({sink.values_sent:,} of {values:,} values in {dt:.1f} s)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(root: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{root}/mlflow.db",
                             "--serve-artifacts", "--artifacts-destination", str(root / "artifacts"), "--host", "127.0.0.1",
                             "--port", str(port), "--workers", "1"], cwd=root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 240
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(uri + "/health", timeout=2):
                return proc, uri
        except OSError:
            time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("mlflow server did not start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--tracking-uri", help="use this server instead of starting one")
    args = ap.parse_args()
    torch.set_num_threads(1)
    reps, block = (8, 10) if args.quick else (20, 10)
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        proc = None
        uri = args.tracking_uri
        if not uri:
            (tmp / "server").mkdir()
            proc, uri = start_server(tmp / "server")
        try:
            os.environ.setdefault("MLFLOW_EXPERIMENT_NAME", "lrdiag-bench")
            print(f"tracking server: {uri}")
            for name, spec in WORKLOADS.items():
                print(measure(name, spec, uri, reps, block if name.startswith("mlp") else 5 * block, tmp), flush=True)
            print(measure("mlp_4m_adam_b256_sqlite_no_server", WORKLOADS["mlp_4m_adam_b256"],
                          f"sqlite:///{tmp / 'local.db'}", reps, block, tmp), flush=True)
            print(sink_costs(uri, tmp, steps=1000 if args.quick else 2000), flush=True)
        finally:
            if proc is not None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)


if __name__ == "__main__":
    main()

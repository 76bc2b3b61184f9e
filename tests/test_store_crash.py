"""Crash safety of what the Monitor writes: ``kill -9`` of a real training process, shared logdirs."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from lrdiag import names
from lrdiag.store import read_store, store_files

FLUSH_SECS = 0.5

# A real training process: a small MLP on generated data, one Monitor, the LR set per step by a
# formula the parent can check; "imported" once torch is loaded (before lrdiag), then one line
# "step wall_time" after each optimizer step.
CHILD = r"""
import faulthandler, signal, sys, time
faulthandler.register(signal.SIGUSR1, all_threads=True)  # the parent asks for stacks if it stalls
sys.path.insert(0, sys.argv[3])
import torch
from _train_helpers import mlp, batches
print("imported", flush=True)
import lrdiag

logdir, lr0 = sys.argv[1], float(sys.argv[2])
g = torch.Generator().manual_seed(0)
X = torch.randn(512, 20, generator=g)
y = (X[:, :3].argmax(1) + (X[:, 3] > 1).long()) %% 3  # generated, learnable labels
model = mlp(20, 32, 3)
opt = torch.optim.SGD(model.parameters(), lr=lr0, momentum=0.9)
mon = lrdiag.Monitor(opt, model, logdir=logdir, flush_secs=%(flush)s, analyze_on_close=False)
loss_fn = torch.nn.CrossEntropyLoss()
it = batches(X, y, 32)
steps = int(sys.argv[4])
for step in range(steps):
    for g in opt.param_groups:
        g["lr"] = lr0 * (1 + step %% 5)
    xb, yb = next(it)
    opt.zero_grad()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    mon.log_loss(loss)
    opt.step()
    print(step, time.time(), flush=True)
    time.sleep(0.01)
mon.close()
print("done", flush=True)
""" % {"flush": FLUSH_SECS}

TESTS_DIR = str(Path(__file__).resolve().parent)


def start_child(tmp_path: Path, logdir: Path, lr0: float, steps: int, stderr=subprocess.PIPE) -> subprocess.Popen:
    script = tmp_path / "child.py"
    # Written once: rewriting it (write_text truncates first) while an earlier child's interpreter
    # is still reading it hands that child an empty script, which exits 0 having done nothing.
    if not script.exists():
        script.write_text(CHILD)
    return subprocess.Popen([sys.executable, str(script), str(logdir), str(lr0), TESTS_DIR, str(steps)],
                            stdout=subprocess.PIPE, stderr=stderr, text=True)


def check_prefix(logdir: Path, lr0: float) -> tuple[np.ndarray, dict]:
    """The store holds steps 0..k with no gap, and every value is the one the child wrote."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a torn last chunk is reported by a warning; that is fine here
        meta, steps, series = read_store(logdir)
    k = steps.size
    assert steps.tolist() == list(range(k)), "a gap or duplicate in the recorded steps"
    if k:
        np.testing.assert_allclose(series[names.lr("group0")], lr0 * (1 + steps % 5), rtol=1e-6)
        assert np.all(np.isfinite(series[names.LOSS]))
        assert np.all(series[names.update_ratio("0")] > 0)
        assert meta["layers"] == ["0", "2", "4"]
    return steps, series


class Reader(threading.Thread):
    """Collects the child's "step wall_time" lines as they come."""

    def __init__(self, proc: subprocess.Popen):
        super().__init__(daemon=True)
        self.proc, self.lines, self.imported = proc, [], False
        self.last_output = time.time()

    def run(self) -> None:
        for line in self.proc.stdout:
            self.last_output = time.time()
            parts = line.split()
            if parts == ["imported"]:
                self.imported = True
            elif len(parts) == 2 and parts[0].isdigit():
                self.lines.append((int(parts[0]), float(parts[1])))


class Child:
    """One training process for the kill test: its stdout reader and its stderr file."""

    def __init__(self, tmp_path: Path, i: int, attempt: int = 0):
        self.logdir, self.attempt = tmp_path / f"run{i}", attempt
        self.err_path = tmp_path / f"child{i}.{attempt}.err"
        with open(self.err_path, "w") as err:  # a file, not a pipe: nothing can fill up and block
            self.proc = start_child(tmp_path, self.logdir, 0.01, 100_000, stderr=err)
        self.reader = Reader(self.proc)
        self.reader.start()

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")[-4000:]

    def stacks(self) -> str:
        """Every thread's Python stack, written by faulthandler on SIGUSR1."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)
            time.sleep(1.0)
        return self.stderr()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        self.reader.join(timeout=10)
        self.proc.stdout.close()


STALL_SECS = 90.0  # no output for this long: the child is stuck


def test_kill_9_at_random_steps_loses_at_most_the_last_flush_interval(tmp_path):
    rng = random.Random(int(os.environ.get("LRDIAG_TEST_SEED", "0")) or None)
    kills = 5
    # Several real training processes at once (start-up dominates on 2 cores), each killed with
    # SIGKILL after its own random amount of training.
    children = [Child(tmp_path, i) for i in range(kills)]
    kill_after = [rng.uniform(0.3, 3.0) for _ in children]
    killed_at: list[float | None] = [None] * kills
    checked_live = set()
    try:
        while any(k is None for k in killed_at):
            for i, c in enumerate(children):
                if killed_at[i] is not None:
                    continue
                r = c.reader
                assert c.proc.poll() is None, f"child {i} ended on its own (exit {c.proc.returncode}): {c.stderr()}"
                if time.time() - r.last_output > STALL_SECS:
                    if not r.imported:
                        # Stuck loading Python and torch, before lrdiag is imported: the machine's
                        # trouble, not the store's. One fresh start, said out loud.
                        assert c.attempt == 0, f"child {i} stuck twice before importing lrdiag: {c.stacks()}"
                        warnings.warn(f"child {i} did not load torch in {STALL_SECS:.0f}s; started again. {c.stacks()}")
                        c.stop()
                        children[i] = Child(tmp_path, i, attempt=1)
                        continue
                    where = f"after step {r.lines[-1][0]}" if r.lines else "before its first step"
                    pytest.fail(f"child {i} stalled {where} with lrdiag loaded; its threads:\n{c.stacks()}")
                if not r.lines:
                    continue
                ran = r.lines[-1][1] - r.lines[0][1]
                if i not in checked_live and ran > 0.5 * kill_after[i] and store_files(c.logdir):
                    check_prefix(c.logdir, 0.01)  # readable while the writer appends
                    checked_live.add(i)
                if ran >= kill_after[i]:
                    c.proc.send_signal(signal.SIGKILL)
                    killed_at[i] = time.time()
            time.sleep(0.02)
    finally:
        for c in children:
            c.stop()
    readers = [c.reader for c in children]
    for i, r in enumerate(readers):
        steps, _ = check_prefix(tmp_path / f"run{i}", 0.01)
        # Every step taken more than one flush interval (plus scheduling slack on a loaded
        # machine) before the kill must be in the store.
        slack = 1.0
        must_have = [s for s, t in r.lines if t <= killed_at[i] - FLUSH_SECS - slack]
        assert steps.size >= (max(must_have) + 1 if must_have else 0), (
            f"run {i}: store has {steps.size} steps, but step {max(must_have)} was taken "
            f"{killed_at[i] - dict(r.lines)[max(must_have)]:.2f}s before the kill")
    assert checked_live, "no store was read while being written"


def test_two_processes_writing_one_logdir_do_not_corrupt_each_other(tmp_path):
    logdir = tmp_path / "shared"
    procs = [start_child(tmp_path, logdir, lr0, 40) for lr0 in (0.01, 0.02)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0 and out.strip().endswith("done"), err[-2000:]
    files = store_files(logdir)
    assert len(files) == 2
    lr0s = []
    for f in files:
        meta, steps, series = read_store(f)
        assert steps.tolist() == list(range(40))
        lr0 = float(series[names.lr("group0")][0])
        lr0s.append(lr0)
        check_prefix(f, lr0)
    assert sorted(lr0s) == pytest.approx([0.01, 0.02])
    events = sorted(logdir.glob("events.out.tfevents.*"))
    assert len(events) == 2  # one event file per process, never interleaved records
    from tensorboard.backend.event_processing import event_accumulator as ea

    for ev in events:
        acc = ea.EventAccumulator(str(ev), size_guidance={ea.SCALARS: 0})
        acc.Reload()
        assert [e.step for e in acc.Scalars(names.LOSS)] == list(range(40))

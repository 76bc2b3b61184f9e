"""The Monitor and the range test on a CUDA device: no host sync per step, the same values as on CPU.

These run only where torch sees a GPU (CI has none; they ran on an H100, see the README). Host
syncs are caught with ``torch.cuda.set_sync_debug_mode("warn")``: every synchronizing CUDA call
then issues a warning, and a warning raised while one of lrdiag's frames is on the stack is one
lrdiag caused. The Monitor swallows its own exceptions (a training job must not die of it), so
the "error" mode would hide them; counting warnings does not.
"""

from __future__ import annotations

import math
import traceback
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import lrdiag
from lrdiag import names

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

LRDIAG_DIR = str(Path(lrdiag.__file__).resolve().parent)


@contextmanager
def sync_sites():
    """Record the Python stack of every host sync made inside the block (a list of stacks)."""
    sites: list[list[str]] = []
    previous = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if "synchroniz" in str(message).lower():
            stack = traceback.format_stack()
            if not any("set_sync_debug_mode" in frame for frame in stack):  # switching the mode on warns once
                sites.append(stack)
        else:
            previous(message, category, filename, lineno, file, line)

    torch.cuda.synchronize()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = show
        torch.cuda.set_sync_debug_mode("warn")
        try:
            yield sites
        finally:
            torch.cuda.set_sync_debug_mode(0)
            warnings.showwarning = previous


def by_lrdiag(sites: list[list[str]]) -> list[str]:
    """The syncs with an lrdiag frame on the stack, each as its innermost lrdiag frame."""
    out = []
    for stack in sites:
        ours = [f for f in stack if LRDIAG_DIR in f and "test_cuda" not in f]
        if ours:
            out.append(ours[-1].strip())
    return out


class Net(nn.Module):
    """Embedding, LayerNorm, MLP: several layers, biases, a norm without decay."""

    def __init__(self, dtype=torch.float32):
        super().__init__()
        self.emb = nn.Embedding(100, 64)
        self.norm = nn.LayerNorm(64)
        self.fc1 = nn.Linear(64, 128)
        self.fc2 = nn.Linear(128, 10)
        self.to(dtype)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(self.norm(self.emb(x).mean(1)))))


def data(device, n=8, batch=32, seed=0):
    """Token sequences whose label is their first token's last digit (learnable)."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        x = torch.randint(0, 100, (batch, 12), generator=g)
        out.append((x.to(device), (x[:, 0] % 10).to(device)))
    return out


def train(model, opt, batches, steps, monitor=None, scaler=None, autocast=None, scheduler=None, between=None):
    loss_fn = nn.CrossEntropyLoss()
    for s in range(steps):
        if between is not None:
            between(s, model)
        x, y = batches[s % len(batches)]
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=autocast, enabled=autocast is not None):
            loss = loss_fn(model(x).float(), y)
        if monitor is not None:
            monitor.log_loss(loss)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            opt.step()
        if scheduler is not None:
            scheduler.step()


OPTIMIZERS = {
    "adamw": lambda p: torch.optim.AdamW(p, lr=1e-3, weight_decay=0.01),
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),  # the momentum-buffer fast path
    "sgd_plain": lambda p: torch.optim.SGD(p, lr=0.05),  # lr·||g|| from the grad norms
}


@pytest.mark.parametrize("graphs", [True, False], ids=["graphs", "eager"])
@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("ratio_every", [1, 10])
def test_steps_between_drains_never_sync(tmp_path, opt_name, ratio_every, graphs):
    """Between two copies of the row buffer to the host, a monitored step makes no host sync:
    the norms, ratios, LR and loss stay on the device, and capturing the CUDA graphs makes none
    either. The training loop here makes none itself."""
    torch.manual_seed(0)
    model = Net().cuda()
    opt = OPTIMIZERS[opt_name](model.parameters())
    batches = data("cuda")
    mon = lrdiag.Monitor(opt, model, logdir=tmp_path, ratio_every=ratio_every, flush_rows=1000, flush_secs=3600,
                         analyze_on_close=False, cuda_graphs=graphs)
    train(model, opt, batches, 3, mon)  # the plan, buffers and optimizer state exist now
    with sync_sites() as sites:
        train(model, opt, batches, 60, mon)
    assert by_lrdiag(sites) == []
    assert sites == [], ["".join(stack[-4:]) for stack in sites]  # the bare loop makes none either
    ratio_steps = len(range(0, 63, ratio_every))
    # graphs: the before-step half is captured at the second ratio step, the after-step half at the
    # fourth (it keys on a replayed before-step graph); both replay from the fifth
    assert mon.norm_paths["cuda_graph"] == (ratio_steps - 4 if graphs else 0)
    hist = mon.history()
    mon.close()
    assert len(hist) == 63
    ratio = hist.series[names.update_ratio("fc1")]
    steps_with_ratio = np.flatnonzero(np.isfinite(ratio))
    assert list(hist.steps[steps_with_ratio]) == [s for s in range(63) if s % ratio_every == 0]
    assert np.all(ratio[steps_with_ratio] > 0)
    assert np.all(np.isfinite(hist.loss))


def test_drain_syncs_once_per_flush_rows(tmp_path):
    """The one sync lrdiag makes: copying the row buffer to the host every ``flush_rows`` rows."""
    torch.manual_seed(0)
    model = Net().cuda()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    batches = data("cuda")
    mon = lrdiag.Monitor(opt, model, logdir=tmp_path, flush_rows=16, flush_secs=3600, analyze_on_close=False)
    train(model, opt, batches, 8, mon)  # the graphs are captured
    with sync_sites() as sites:
        train(model, opt, batches, 64, mon)
    ours = by_lrdiag(sites)
    assert 3 <= len(ours) <= 5, ours  # 64 steps / 16 rows, give or take where the drain falls
    assert all("in _drain" in s for s in ours), ours  # the row buffer copied to the host, nothing else
    mon.close()


def test_cuda_values_match_cpu(tmp_path):
    """The same training on CPU (C kernel / float64 sums) and on CUDA (foreach, float32) records
    the same update ratios, gradient and weight norms, and losses."""
    torch.backends.cuda.matmul.allow_tf32 = False
    out = {}
    for device in ("cpu", "cuda"):
        torch.manual_seed(0)
        model = Net().to(device)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
        mon = lrdiag.Monitor(opt, model, logdir=tmp_path / device, analyze_on_close=False)
        train(model, opt, data(device), 12, mon)
        out[device] = mon.history()
        mon.close()
    cpu, gpu = out["cpu"], out["cuda"]
    assert list(cpu.steps) == list(gpu.steps) == list(range(12))
    for name in [names.LOSS, names.GRAD_NORM, names.WEIGHT_NORM, names.UPDATE_NORM] + [names.update_ratio(n) for n in cpu.layers]:
        np.testing.assert_allclose(gpu.series[name], cpu.series[name], rtol=2e-3, err_msg=name)
    assert sorted(cpu.layers) == sorted(gpu.layers) == ["emb", "fc1", "fc2", "norm"]


def test_mixed_dtypes_and_tensor_lr(tmp_path):
    """bf16 and fp32 parameters in one optimizer (two foreach buckets, scattered back into place),
    and a capturable Adam whose LR is a CUDA tensor: no sync between drains, the LR recorded."""
    torch.manual_seed(0)
    model = Net().cuda()
    model.fc1.to(torch.bfloat16)
    model.fc1.register_forward_pre_hook(lambda m, a: (a[0].to(torch.bfloat16),))
    model.fc1.register_forward_hook(lambda m, a, out: out.float())
    lr = torch.tensor(1e-3, device="cuda")
    opt = torch.optim.Adam(model.parameters(), lr=lr, capturable=True)
    batches = data("cuda")
    mon = lrdiag.Monitor(opt, model, logdir=tmp_path, flush_rows=1000, flush_secs=3600, analyze_on_close=False)
    train(model, opt, batches, 3, mon)
    with sync_sites() as sites:
        train(model, opt, batches, 20, mon)
    assert by_lrdiag(sites) == []
    hist = mon.history()
    mon.close()
    np.testing.assert_allclose(hist.lr(), 1e-3, rtol=1e-6)
    for layer in ("fc1", "fc2"):
        r = hist.series[names.update_ratio(layer)]
        assert np.all(np.isfinite(r)) and np.all(r > 0), layer


def test_grad_scaler_skipped_steps(tmp_path):
    """fp16 autocast with a GradScaler whose first scale overflows: the skipped steps are recorded
    (``lrdiag/skipped`` = 1, no ratios) and the steps after them have finite ratios."""
    torch.manual_seed(0)
    model = Net().cuda()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler("cuda", init_scale=2.0**40)
    mon = lrdiag.Monitor(opt, model, logdir=tmp_path, scaler=scaler, analyze_on_close=False)
    train(model, opt, data("cuda"), 40, mon, scaler=scaler, autocast=torch.float16)
    hist = mon.history()
    mon.close()
    skipped = hist.series[names.SKIPPED]
    ratio = hist.series[names.update_ratio("fc1")]
    assert len(hist) == 40
    assert 1 <= skipped.sum() < 40
    assert np.all(np.isnan(ratio[skipped == 1]))
    assert np.all(np.isfinite(ratio[skipped == 0])) and np.all(ratio[skipped == 0] > 0)


def test_range_test_on_cuda():
    """The range test runs on a CUDA model, restores its weights and finds a finite LR."""
    torch.manual_seed(0)
    model = Net().cuda()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    res = lrdiag.range_test(model, opt, nn.functional.cross_entropy, data("cuda", n=16), num_steps=60, progress=False)
    assert res.suggested_lr is not None and math.isfinite(res.suggested_lr) and 1e-6 < res.suggested_lr < 10
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def _decaying(opt):
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.9 ** s)  # the LR changes 10% a step


def _move_tensors(s, model):
    """Make the graphs' keys change mid-run: new parameter storage, and a step with no gradient
    for one layer (its grad is None)."""
    if s == 12:
        model.fc1.weight.data = model.fc1.weight.data.clone()
    if s == 20:
        model.fc2.bias.requires_grad_(False)
    if s == 21:
        model.fc2.bias.requires_grad_(True)


@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("move", [False, True], ids=["steady", "moved"])
def test_cuda_graphs_record_what_the_eager_steps_record(tmp_path, opt_name, move):
    """The same training with and without CUDA graphs records the same values, with an LR that
    changes every step (the SGD fast path reads it on the device: a graph that kept the LR of its
    capture would be 10% off a step later) and, in "moved", tensors that change address mid-run
    (a step that must run eagerly, then a new capture)."""
    out = {}
    for graphs in (True, False):
        torch.manual_seed(0)
        model = Net().cuda()
        opt = OPTIMIZERS[opt_name](model.parameters())
        mon = lrdiag.Monitor(opt, model, logdir=tmp_path / str(graphs), analyze_on_close=False, cuda_graphs=graphs)
        train(model, opt, data("cuda"), 40, mon, scheduler=_decaying(opt), between=_move_tensors if move else None)
        out[graphs] = (mon.history(), dict(mon.norm_paths), mon._plan.captures)
        mon.close()
    (g, paths_g, captures), (e, paths_e, _) = out[True], out[False]
    assert list(g.steps) == list(e.steps) == list(range(40))
    for name in [names.LOSS, names.GRAD_NORM, names.WEIGHT_NORM, names.UPDATE_NORM] + [names.update_ratio(n) for n in e.layers]:
        np.testing.assert_allclose(g.series[name], e.series[name], rtol=1e-4, err_msg=name)
    # from the fifth ratio step on (two to see the tensors settle, one to capture each half), less
    # the steps that "moved" makes eager: four after the new parameter storage, one without a grad
    assert paths_e["cuda_graph"] == 0 and paths_g["cuda_graph"] == (31 if move else 36), paths_g
    assert captures == (4 if move else 2)


def test_failed_capture_falls_back_to_the_eager_step(tmp_path, monkeypatch):
    """A capture that fails (here: refused, as CUDA refuses one that would sync) turns the graphs
    off for the plan; the steps keep recording the eager path's values and training goes on."""
    from lrdiag import cuda_graphs

    def refuse(self, fn, device):
        raise RuntimeError("operation not permitted when stream is capturing")

    out = {}
    for label in ("refused", "eager"):
        if label == "refused":
            monkeypatch.setattr(cuda_graphs.Captured, "__init__", refuse)
        else:
            monkeypatch.undo()
        torch.manual_seed(0)
        model = Net().cuda()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        mon = lrdiag.Monitor(opt, model, logdir=tmp_path / label, analyze_on_close=False, cuda_graphs=label == "refused")
        train(model, opt, data("cuda"), 20, mon)
        out[label] = (mon.history(), dict(mon.norm_paths), mon._plan.graphs, mon._plan.captures)
        mon.close()
    (h, paths, graphs_on, captures), (e, _, _, _) = out["refused"], out["eager"]
    assert paths == {"fused": 0, "foreach": 20, "cuda_graph": 0} and not graphs_on and captures == 1
    for name in [names.GRAD_NORM, names.UPDATE_NORM] + [names.update_ratio(n) for n in e.layers]:
        np.testing.assert_allclose(h.series[name], e.series[name], rtol=1e-4, err_msg=name)

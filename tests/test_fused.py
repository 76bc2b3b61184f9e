"""The fused C kernel (lrdiag.fused): same numbers as the foreach path, and every way it can be unavailable."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import lrdiag
from lrdiag import fused, names, norms
from lrdiag.store import read_store

from _train_helpers import batches, digits_data

STEPS = 12


@pytest.fixture(scope="module")
def kernels():
    k = fused.wait(timeout=300)
    if k is None:
        pytest.skip(f"no fused kernel on this machine: {fused.status()}")
    return k


@pytest.fixture
def build_env(tmp_path):
    """A MonkeyPatch for tests that break the kernel's build; the real kernel is rebuilt afterwards."""
    (tmp_path / "tmp").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fused.tempfile, "tempdir", str(tmp_path / "tmp"))
        yield mp
    fused.reset()  # the environment is restored: load the normal cached kernel again
    fused.wait(timeout=300)


class OddNet(nn.Module):
    """Odd sizes, a frozen parameter, a bfloat16 parameter (foreach fallback), one without a gradient."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.a = nn.Linear(64, 33)
        self.b = nn.Linear(33, 17)
        self.head = nn.Linear(17, 10)
        self.gain = nn.Parameter(torch.ones(17, dtype=torch.bfloat16))
        self.frozen = nn.Parameter(torch.randn(5), requires_grad=False)
        self.unused = nn.Parameter(torch.randn(3))  # in the optimizer, never gets a gradient

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.b(torch.relu(self.a(x))))
        return self.head(h * self.gain.float() + self.frozen.sum() * 0)


OPTIMIZERS = {
    "adam": lambda p: torch.optim.Adam(p, lr=3e-3),
    "sgd_nesterov_wd": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4),
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),  # the SGD state fast path
    "rmsprop": lambda p: torch.optim.RMSprop(p, lr=1e-3),
}


def run(tmp_path, label, make_opt, fused_flag, steps=STEPS, between=None, model=None):
    """Train OddNet on digits with a Monitor; ``between(step, model, opt)`` runs before each step."""
    X, y = digits_data(512)
    model = model or OddNet()
    opt = make_opt(model.parameters())
    mon = lrdiag.Monitor(opt, model, logdir=tmp_path / label, fused=fused_flag, tensorboard=False, analyze_on_close=False)
    it, loss_fn = batches(X, y, 64), nn.CrossEntropyLoss()
    for s in range(steps):
        if between is not None:
            between(s, model, opt)
        opt.zero_grad()
        xb, yb = next(it)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        mon.log_loss(loss)
        opt.step()
    paths, plan = dict(mon.norm_paths), mon._plan
    mon.close()
    _, st, series = read_store(tmp_path / label)
    return st, series, paths, plan


def assert_same_series(a, b, rtol=1e-5):
    assert set(a) == set(b)
    for name in a:
        x, z = np.asarray(a[name], np.float64), np.asarray(b[name], np.float64)
        assert np.array_equal(np.isnan(x), np.isnan(z)), name
        np.testing.assert_allclose(x, z, rtol=rtol, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
def test_fused_and_foreach_paths_record_the_same_norms_and_ratios(tmp_path, kernels, opt):
    st_f, fz, paths_f, plan = run(tmp_path, "fused", OPTIMIZERS[opt], True)
    st_e, fe, paths_e, _ = run(tmp_path, "foreach", OPTIMIZERS[opt], False)
    assert paths_f == {"fused": STEPS, "foreach": 0, "cuda_graph": 0} and paths_e == {"fused": 0, "foreach": STEPS, "cuda_graph": 0}
    # the bf16 parameter is left to the foreach path; every float32 one is fused
    kinds = {str(plan.params[i].dtype) for i in plan.rest_idx}
    assert kinds == {"torch.bfloat16"} and len(plan.fused_idx) == len(plan.params) - 1
    assert st_f.tolist() == st_e.tolist() == list(range(STEPS))
    assert_same_series(fz, fe)
    for layer in ("a", "b", "head"):
        assert np.all(fz[names.update_ratio(layer)] > 0), layer
    assert np.count_nonzero(fz[names.update_ratio("gain")]) >= 1  # bf16: a small step can round to 0
    assert np.all(fz[names.update_ratio("unused")] == 0)  # no gradient, not updated: a true zero
    snapped = [tuple(plan.params[i].shape) for i, t in enumerate(plan.snaps) if t is not None]
    if opt == "sgd_momentum":  # the SGD state fast path takes no snapshot (but one of the gradient-less param)
        assert snapped == [(3,)]
    else:
        assert len(snapped) == len(plan.params)


@pytest.mark.parametrize("threads", [1, 2])
def test_kernel_sums_match_float64_torch_on_awkward_sizes(kernels, threads):
    sizes = [0, 1, 3, 16, 17, 31, 1023, 300_007, 700_001]  # the last two make the kernel start threads
    g = torch.Generator().manual_seed(1)
    ps = [torch.randn(n, generator=g) for n in sizes]
    gs = [torch.randn(n, generator=g) if i % 2 else None for i, n in enumerate(sizes)]
    snaps = [torch.empty(n) if i % 3 else None for i, n in enumerate(sizes)]
    before = [p.clone() for p in ps]
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        fp = norms.FusedPass(kernels, ps)
        assert fp.pre(ps, gs, snaps) == []
        wsq, gsq = fp.wsq.clone(), fp.gsq.clone()
        for p in ps:
            p.add_(torch.randn(p.shape, generator=g), alpha=1e-3)
        assert fp.post(ps)
    finally:
        torch.set_num_threads(old)
    d = lambda t: t.double().square().sum().item() if t is not None else 0.0  # noqa: E731
    np.testing.assert_allclose(wsq.numpy(), [d(b) for b in before], rtol=1e-10)
    assert all(torch.equal(s, b) for s, b in zip(snaps, before) if s is not None)
    np.testing.assert_allclose(gsq.numpy(), [d(x) for x in gs], rtol=1e-10)
    want_u = [d(p.double() - s.double()) if s is not None else 0.0 for p, s in zip(ps, snaps)]
    np.testing.assert_allclose(fp.usq.numpy(), want_u, rtol=1e-10)


def test_unreadable_tensors_are_refused_before_reaching_c(kernels):
    p = torch.randn(6, 4)
    fp = norms.FusedPass(kernels, [p])
    assert fp.pre([p.t()], [None], [None]) is None  # not contiguous
    assert fp.pre([torch.randn(25)], [None], [None]) is None  # re-allocated with another size
    assert fp.pre([p.double()], [None], [None]) is None
    assert fp.pre([p], [None], [torch.empty(3)]) is None  # a snapshot of the wrong size
    # a gradient it cannot read is reported back for the foreach path (its gsq is left 0)
    assert fp.pre([p], [torch.randn(4, 6).t()], [None]) == [0] and fp.gsq.item() == 0
    assert fp.pre([p], [torch.randn(6, 4).to_sparse()], [None]) == [0]
    assert not fp.post([torch.randn(7)])


def test_reallocated_and_reshaped_parameters_between_steps(tmp_path, kernels):
    """p.data replaced (same shape, new storage; non-contiguous; another size) and a group added."""

    def between(step, model, opt):
        if step == 3:
            model.a.weight.data = model.a.weight.data.clone()  # new storage, same shape
        if step == 5:
            model.b.weight.data = model.b.weight.data.t().contiguous().t()  # same values, not contiguous
        if step == 7:
            model.unused.data = torch.randn(11)  # another size: the plan must not read 3 floats of 11
        if step == 9:
            extra = nn.Parameter(torch.randn(4))
            model.extra = extra
            opt.add_param_group({"params": [extra]})

    make = OPTIMIZERS["adam"]
    st_f, fz, paths_f, plan = run(tmp_path, "fused", make, True, between=between)
    st_e, fe, _, _ = run(tmp_path, "foreach", make, False, between=between)
    assert st_f.tolist() == list(range(STEPS))
    assert paths_f["fused"] >= STEPS - 2  # at most the steps right after a change fall back
    assert_same_series(fz, fe)
    b_weight = [i for i, p in enumerate(plan.params) if tuple(p.shape) == (17, 33)]
    assert len(b_weight) == 1 and b_weight[0] in plan.rest_idx  # the non-contiguous one moved to foreach
    assert np.isfinite(fz[names.update_ratio("a")]).all()


class ReplacingSGD(torch.optim.Optimizer):
    """An optimizer that re-allocates every parameter inside step() (p.data = new tensor)."""

    def __init__(self, params, lr=0.05):
        super().__init__(params, dict(lr=lr))

    @torch.no_grad()
    def step(self, closure=None):
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is not None:
                    p.data = p.data - g["lr"] * p.grad
        return None


def test_optimizer_that_reallocates_parameters_inside_step(tmp_path, kernels):
    st_f, fz, paths, _ = run(tmp_path, "fused", lambda p: ReplacingSGD(p), True)
    st_e, fe, _, _ = run(tmp_path, "foreach", lambda p: ReplacingSGD(p), False)
    assert paths == {"fused": STEPS, "foreach": 0, "cuda_graph": 0}
    assert_same_series(fz, fe)


def test_switch_keyword_and_environment(tmp_path, kernels, monkeypatch):
    monkeypatch.setenv("LRDIAG_FUSED", "0")
    _, _, paths, plan = run(tmp_path, "env-off", OPTIMIZERS["adam"], None, steps=3)
    assert paths == {"fused": 0, "foreach": 3, "cuda_graph": 0} and plan.fused_idx == []
    _, _, paths, _ = run(tmp_path, "kw-on", OPTIMIZERS["adam"], True, steps=3)  # the keyword wins
    assert paths == {"fused": 3, "foreach": 0, "cuda_graph": 0}
    monkeypatch.delenv("LRDIAG_FUSED")
    _, _, paths, _ = run(tmp_path, "default", OPTIMIZERS["adam"], None, steps=3)
    assert paths == {"fused": 3, "foreach": 0, "cuda_graph": 0}
    _, _, paths, _ = run(tmp_path, "kw-off", OPTIMIZERS["adam"], False, steps=3)
    assert paths == {"fused": 0, "foreach": 3, "cuda_graph": 0}
    assert fused.enabled(None) and not fused.enabled(False)
    for off in ("0", "false", "OFF", "no"):
        monkeypatch.setenv("LRDIAG_FUSED", off)
        assert not fused.enabled(None)


@pytest.mark.parametrize("cc", ["/nonexistent/bin/cc", "false"])
def test_no_compiler_or_a_failing_one_keeps_the_foreach_path(tmp_path, build_env, cc):
    """A missing compiler, or one that fails: no kernel, no exception, the Monitor records everything."""
    build_env.setenv("LRDIAG_CC", cc)
    build_env.setenv("LRDIAG_CACHE_DIR", str(tmp_path / "cache"))  # nothing cached: it must compile
    build_env.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    fused.reset()
    assert fused.wait(timeout=60) is None
    assert fused.status().startswith("unavailable:") and cc in fused.status()
    st, series, paths, plan = run(tmp_path, "nocc", OPTIMIZERS["adam"], True, steps=4)
    assert paths == {"fused": 0, "foreach": 4, "cuda_graph": 0} and plan.fused_idx  # eligible, but no kernel
    assert st.tolist() == [0, 1, 2, 3]
    for layer in ("a", "b", "head"):
        assert np.all(series[names.update_ratio(layer)] > 0)
    assert np.all(np.isfinite(series[names.GRAD_NORM])) and np.all(np.isfinite(series[names.LOSS]))


@pytest.mark.parametrize("first", ["uncreatable", "world-writable"])
def test_unusable_cache_directory_falls_back_to_the_next_one(tmp_path, build_env, first):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)  # another user could plant a library here: never load from it
    build_env.setenv("LRDIAG_CACHE_DIR", str(blocker / "cache" if first == "uncreatable" else shared))
    build_env.setenv("XDG_CACHE_HOME", str(blocker / "xdg"))
    fused.reset()
    k = fused.wait(timeout=300)
    if k is None and "no C compiler" in fused.status():
        pytest.skip("no C compiler here")
    assert k is not None, fused.status()
    assert k.path.parent.parent == tmp_path / "tmp" and k.path.exists()
    assert not any(shared.iterdir())
    # a second build finds the cached library instead of compiling again
    mtime = k.path.stat().st_mtime_ns
    fused.reset()
    assert fused.wait(timeout=60).path == k.path and k.path.stat().st_mtime_ns == mtime

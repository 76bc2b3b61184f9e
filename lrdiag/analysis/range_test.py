"""The LR range test: sweep the learning rate, read the loss curve, and confirm the suggestion.

Method (what ``range_test`` does and why)
-----------------------------------------
1. **Sweep.** From the model's current state, run ``num_steps`` optimizer steps with the LR going
   from ``start_lr`` to ``end_lr`` (``mode="exp"``: geometric, ``lr_i = start * (end/start)^(i/(n-1))``;
   ``"linear"``: arithmetic). Every param group is scaled by the *same* factor, so a model with
   per-group LRs (e.g. a smaller LR for the backbone) keeps its ratios; ``lrs`` reports the LR of
   the reference group (the first group with a non-zero LR). A step that an AMP ``GradScaler``
   skipped (inf/NaN gradients) does not count: the same LR is retried. With
   ``accumulation_steps=k`` each step accumulates ``k`` micro-batches (each loss divided by ``k``).
2. **Stop rule.** The sweep stops at the first non-finite loss, or when the causal running mean
   of the loss rises above ``best + diverge_th * max(start - best, 3 * noise)``, where ``start``
   is the median of the first losses, ``best`` the lowest running mean so far and ``noise`` the
   median absolute step-to-step change. Only differences of losses enter, so the rule works for
   negative losses and is invariant to adding a constant to the loss (the classic ``loss > 4*best``
   is neither).
3. **Smoothing without lag.** The curve is smoothed with a robust local-linear regression
   (LOWESS: tricube weights over a centred window of ``smooth_frac`` of the points, two bisquare
   robustness passes) against the step index, i.e. ``log lr`` in exp mode. A centred window has
   no lag, unlike the EMA used by other finders, which lags by ``beta/(1-beta)`` steps (~49 steps
   for beta = 0.98) and moves every feature of the curve to larger LRs.
4. **Curve estimate with its noise.** ``lr_min`` is where the smoothed loss is lowest. Its
   uncertainty comes from a residual block bootstrap (``bootstrap`` resamples of the residuals in
   blocks of 5, re-smoothed, argmin taken again). The bootstrap median of ``lr_min`` is the
   curve's estimate; the spread of the bootstrap is reported in ``curve``.
5. **Confirmation** (``confirm=True``, the default). The range test measures what trains best
   over a few dozen steps of a rising LR; what the user wants is the peak LR of an annealed
   schedule over a whole run. So short real runs are made, each from the saved initial state with
   an annealed one-cycle shape (linear warm-up over 25% of the run from peak/25, cosine decay to
   peak/1000), all on the same batches. Each is scored on ``val_data`` if given (mean loss over
   ``val_batches`` batches, model in eval mode), else on its own last 25% training losses (losses
   before each update, so on batches it has not yet fitted). Two stages:
   a. ``candidates`` runs of ``short_steps`` steps at ``lr_min / spacing**k`` (spacing sqrt(10));
   b. ``long_candidates`` runs of ``confirm_steps`` steps, spaced by sqrt(spacing) around where
      the stage-a optimum would move if the best LR fell as ``horizon ** -0.5``.
   In each stage, if the best candidate is at an end, up to ``max_extend`` more are tried beyond
   it, and the stage's optimum is the vertex of a parabola through the best candidate and its
   neighbours in ``log lr`` (kept within half a spacing of the best). ``suggested_lr`` is stage b's.
6. **Horizon.** A longer run wants a lower peak (more steps make up for a smaller LR, and the noise
   of a high LR accumulates; on small data, longer training also overfits more at a high LR). The
   two stages measure how fast the optimum falls with the horizon on *this* problem:
   ``a = log(lr_a / lr_b) / log(confirm_steps / short_steps)`` (clipped to [0, 1]), and
   ``RangeTestResult.lr_for(total_steps) = suggested_lr * (confirm_steps / total_steps) ** a``,
   which ``lrdiag.recommend`` uses (at most to ``MAX_EXTRAPOLATION`` = 10 x ``confirm_steps``;
   for a long run, make ``confirm_steps`` about a tenth of it if the budget allows). Extrapolating a measured trend beats a fixed rule: on the
   benchmark tasks the exponent ranges from about 0.3 (SGD on tabular data) to about 0.8 (Adam on
   digits).
7. **Uncertainty.** Scores are compared with *paired* per-batch differences (same batches for
   every candidate). ``confidence`` is the probability, under a normal approximation of those
   differences, that the chosen candidate beats both neighbours, i.e. that the optimum lies in
   ``lr_range``. ``lr_range`` spans the candidates whose score is within two standard errors of
   the best. Without confirmation, ``suggested_lr = lr_min / curve_divisor`` and ``lr_range`` /
   ``confidence`` come from the bootstrap (10th-90th percentile; share of resamples within a
   factor 2 of the estimate).

After the test, model parameters and buffers, optimizer state (including each group's LR), the
GradScaler's state and the Python, NumPy, torch CPU and CUDA RNG states are restored exactly,
from a snapshot kept in host memory (never a second copy on the accelerator). The sweep needs
the loss value each step (one host sync per step); this is a one-off test, not the training loop.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from .. import names, relative_step
from ..errors import LRDiagError, warn
from ..report import _json_safe

#: Horizon exponent used by ``RangeTestResult.lr_for`` when the result has no measured one
#: (a result read from an older report, or one whose long confirmation runs all diverged).
HORIZON_EXPONENT = 0.5
#: ``lr_for`` extrapolates the horizon trend at most this many times the confirmation horizon.
MAX_EXTRAPOLATION = 10

# ----------------------------------------------------------------------------- smoothing


def lowess(y: np.ndarray, frac: float = 0.15, robust_iters: int = 2, x: np.ndarray | None = None) -> np.ndarray:
    """Robust local-linear smoother with a centred tricube window (no lag). NaNs are ignored.

    ``frac`` is the window as a fraction of the points (at least 5 points). Vectorised: an
    ``(n, n)`` weight matrix, fine for the few hundred points of a range test.
    """
    y = np.asarray(y, dtype=float)
    n = y.size
    x = np.arange(n, dtype=float) if x is None else np.asarray(x, dtype=float)
    ok = np.isfinite(y)
    out = np.full(n, np.nan)
    if ok.sum() < 3:
        out[ok] = y[ok]
        return out
    xs, ys = x[ok], y[ok]
    m = xs.size
    k = int(min(m, max(5, math.ceil(frac * m))))
    dist = np.abs(xs[:, None] - xs[None, :])
    h = np.sort(dist, axis=1)[:, k - 1][:, None] * 1.0001 + 1e-12
    base = np.clip(1 - (dist / h) ** 3, 0, None) ** 3
    robust = np.ones(m)
    for it in range(robust_iters + 1):
        w = base * robust[None, :]
        s0, s1, s2 = w.sum(1), w @ xs, w @ (xs * xs)
        t0, t1 = w @ ys, w @ (xs * ys)
        den = s0 * s2 - s1 * s1
        safe = np.abs(den) > 1e-12 * np.maximum(s0 * s2, 1e-300)
        slope = np.where(safe, (s0 * t1 - s1 * t0) / np.where(safe, den, 1), 0.0)
        icpt = (t0 - slope * s1) / np.maximum(s0, 1e-300)
        fit = icpt + slope * xs
        if it == robust_iters:
            break
        res = ys - fit
        s = np.median(np.abs(res)) * 6 + 1e-12
        robust = np.clip(1 - (res / s) ** 2, 0, None) ** 2
    out[ok] = fit
    return out


def _bootstrap_argmin(y: np.ndarray, smoothed: np.ndarray, n_boot: int, frac: float, rng: np.random.Generator,
                      block: int = 5) -> np.ndarray:
    """Indices of the minimum of ``n_boot`` re-smoothed residual block-bootstrap resamples."""
    ok = np.flatnonzero(np.isfinite(y))
    res = (y - smoothed)[ok]
    m = ok.size
    out = np.empty(n_boot, dtype=int)
    nblocks = math.ceil(m / block)
    for b in range(n_boot):
        starts = rng.integers(0, max(1, m - block + 1), size=nblocks)
        r = np.concatenate([res[s:s + block] for s in starts])[:m]
        yb = np.full_like(y, np.nan)
        yb[ok] = smoothed[ok] + r
        sb = lowess(yb, frac, robust_iters=1)
        out[b] = int(np.nanargmin(sb))
    return out


# ----------------------------------------------------------------------------- state


def _to_host(obj: Any) -> Any:
    """Deep copy of a (nested) state dict with every tensor copied to host memory."""
    import torch

    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, dict):
        return {k: _to_host(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_host(v) for v in obj)
    return obj


class _Snapshot:
    """Everything the test changes, kept in host memory, restorable any number of times."""

    def __init__(self, model, optimizer, scaler=None):
        import torch

        self.model, self.optimizer, self.scaler = model, optimizer, scaler
        self.model_state = _to_host(model.state_dict()) if model is not None else None
        self.modes = [m.training for m in model.modules()] if model is not None else None
        self.opt_state = _to_host(optimizer.state_dict())
        self.scaler_state = _to_host(scaler.state_dict()) if scaler is not None else None
        self.rng = (random.getstate(), np.random.get_state(), torch.get_rng_state(),
                    torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else None)

    def restore_training_state(self) -> None:
        """Model, optimizer and scaler (not the RNG): the start point of every confirmation run."""
        import copy

        if self.model is not None:
            self.model.load_state_dict(self.model_state)
            for m, mode in zip(self.model.modules(), self.modes):
                m.training = mode
        self.optimizer.load_state_dict(copy.deepcopy(self.opt_state))
        if self.scaler is not None:
            self.scaler.load_state_dict(copy.deepcopy(self.scaler_state))

    def restore(self) -> None:
        import torch

        self.restore_training_state()
        py, npy, cpu, cuda = self.rng
        random.setstate(py)
        np.random.set_state(npy)
        torch.set_rng_state(cpu)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)


# ----------------------------------------------------------------------------- stepping


def _model_device(model):
    import torch

    if model is not None:
        for p in model.parameters():
            return p.device
    return torch.device("cpu")


def _to_device(obj: Any, device) -> Any:
    import torch

    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=True)
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_device(v, device) for v in obj)
    return obj


class _Cycle:
    """Endless iterator over an iterable, restarting it when exhausted (so short data is cycled)."""

    def __init__(self, data: Iterable):
        self.data = data
        self.it: Iterator = iter(data)
        self.empty_passes = 0

    def __next__(self):
        try:
            item = next(self.it)
            self.empty_passes = 0
            return item
        except StopIteration:
            self.empty_passes += 1
            if self.empty_passes > 1:
                raise LRDiagError("range_test: `data` yields no batches; pass an iterable of (inputs, targets)") from None
            self.it = iter(self.data)
            return next(self)


def _has_lazy(model) -> bool:
    from torch.nn.parameter import is_lazy

    return any(is_lazy(t) for t in itertools.chain(model.parameters(), model.buffers()))


def _materialise(model, batches: _Cycle | None, autocast) -> None:
    """Give a lazy module's parameters (``nn.LazyLinear``) their shapes: one forward pass on the
    first batch, without gradients and in eval mode, so that no BatchNorm statistic moves. The test
    must snapshot the model's state before its first step, and a shapeless parameter has none."""
    import torch

    if batches is None:
        raise LRDiagError("range_test: the model has lazy parameters (nn.LazyLinear, ...) that have no shape yet, and "
                          "with step_fn= lrdiag cannot run a forward pass itself; run one forward pass on a batch "
                          "before range_test (PyTorch's advice for lazy modules)")
    batch = next(batches)
    x = batch if isinstance(batch, dict) else batch[0]
    modes = [m.training for m in model.modules()]
    ctx = (torch.autocast(_model_device(model).type, dtype=autocast) if autocast is not None
           else contextlib.nullcontext())
    model.eval()
    try:
        with torch.no_grad(), ctx:
            x = _to_device(x, _model_device(model))
            model(**x) if isinstance(x, dict) else model(x)
    finally:
        for m, mode in zip(model.modules(), modes):
            m.training = mode


class _Stepper:
    """One optimizer step (with accumulation, AMP scaler, step_fn) at a given LR factor."""

    def __init__(self, model, optimizer, loss_fn, step_fn, accumulation_steps, scaler, autocast, sample_size=2048):
        import torch

        self.model, self.opt, self.loss_fn, self.step_fn = model, optimizer, loss_fn, step_fn
        self.accum = int(accumulation_steps)
        self.scaler, self.autocast = scaler, autocast
        self.device = _model_device(model)
        self.base = [float(g["lr"]) for g in optimizer.param_groups]
        ref = next((lr for lr in self.base if lr > 0), 0.0)
        self.ratios = [lr / ref for lr in self.base] if ref > 0 else [1.0] * len(self.base)
        # A fixed sample of each parameter's entries for the update ratio ||Δθ|| / ||θ||: a few
        # thousand numbers, not a copy of the model.
        params = [p for g in optimizer.param_groups for p in g["params"]]
        gen = torch.Generator().manual_seed(0)
        self.sample = []
        per = max(1, sample_size // max(1, len(params)))
        for p in params:
            n = p.numel()
            idx = torch.randperm(n, generator=gen)[:per] if n > per else torch.arange(n)
            self.sample.append((p, idx.to(p.device)))

    def set_lr(self, lr: float) -> None:
        for g, r in zip(self.opt.param_groups, self.ratios):
            g["lr"] = lr * r

    def _sampled(self):
        import torch

        with torch.no_grad():
            return torch.cat([p.detach().reshape(-1)[i].float() for p, i in self.sample]) if self.sample else None

    def _micro(self, batch) -> float:
        import torch

        if self.step_fn is not None:
            loss = self.step_fn()
            return float(loss.detach().float().mean()) if isinstance(loss, torch.Tensor) else float(loss)
        if isinstance(batch, dict):
            x, y = batch, None
        else:
            x, y = batch[0], batch[1]
        x, y = _to_device(x, self.device), _to_device(y, self.device)
        ctx = (torch.autocast(self.device.type, dtype=self.autocast) if self.autocast is not None
               else contextlib.nullcontext())
        with ctx:
            out = self.model(**x) if isinstance(x, dict) else self.model(x)
            loss = self.loss_fn(out, y) if y is not None else self.loss_fn(out)
        scaled = loss / self.accum
        (self.scaler.scale(scaled) if self.scaler is not None else scaled).backward()
        return float(loss.detach().float())

    def step(self, batches: Sequence[Any]) -> tuple[float, bool, float]:
        """Run one step over ``accumulation_steps`` batches; returns (loss, skipped, update ratio)."""
        self.opt.zero_grad(set_to_none=True)
        losses = [self._micro(b) for b in batches]
        loss = float(np.mean(losses))
        if not math.isfinite(loss):
            return loss, False, float("nan")
        before = self._sampled()
        if self.scaler is not None:
            scale = float(self.scaler.get_scale())
            self.scaler.step(self.opt)
            self.scaler.update()
            skipped = float(self.scaler.get_scale()) < scale  # the scaler only lowers its scale on inf/NaN grads
        else:
            self.opt.step()
            skipped = False
        ratio = float("nan")
        if before is not None and not skipped:
            after = self._sampled()
            ratio = float((after - before).norm() / before.norm().clamp_min(1e-12))
        return loss, skipped, ratio


# ----------------------------------------------------------------------------- result


@dataclass
class RangeTestResult:
    """What ``range_test`` returns. ``lrs`` are the reference group's LRs (see ``group_ratios``).

    Attributes
    ----------
    lrs, losses, smoothed : numpy arrays, one entry per completed (not skipped) sweep step
    suggested_lr : float or None
        Peak LR for an annealed schedule (one-cycle / cosine / WSD); ``lrdiag.recommend`` builds the
        schedule. None if the curve never improved.
    lr_range : (low, high) or None
        LRs that train about as well as ``suggested_lr`` (see the module docstring).
    confidence : float in [0, 1]
    update_ratios : per-step ||Δθ||/||θ|| on a fixed sample of parameter entries
    candidates : confirmation runs, each ``{"lr", "score", "se"}``
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggested_lr: float | None
    lr_range: tuple[float, float] | None
    confidence: float
    update_ratios: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lr_min: float | None = None
    lr_steepest: float | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    method: str = "curve"
    stop_reason: str = ""
    skipped_steps: int = 0
    cost_steps: int = 0
    group_ratios: list[float] = field(default_factory=lambda: [1.0])
    optimizer: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    curve: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (NaN/inf become null); stored as the Report JSON's ``range_test``."""
        return _json_safe({
            "lrs": self.lrs, "losses": self.losses, "smoothed": self.smoothed,
            "suggested_lr": self.suggested_lr,
            "lr_range": None if self.lr_range is None else list(self.lr_range),
            "confidence": self.confidence, "update_ratios": self.update_ratios,
            "lr_min": self.lr_min, "lr_steepest": self.lr_steepest, "candidates": self.candidates,
            "method": self.method, "stop_reason": self.stop_reason, "skipped_steps": self.skipped_steps,
            "cost_steps": self.cost_steps, "group_ratios": self.group_ratios, "optimizer": self.optimizer,
            "message": self.message, "curve": self.curve,
        })

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RangeTestResult":
        def arr(key):
            return np.array([np.nan if v is None else v for v in d.get(key) or []], dtype=float)

        lr_range = d.get("lr_range")
        return cls(lrs=arr("lrs"), losses=arr("losses"), smoothed=arr("smoothed"),
                   suggested_lr=d.get("suggested_lr"),
                   lr_range=tuple(lr_range) if lr_range and None not in lr_range else None,
                   confidence=float(d.get("confidence") or 0.0), update_ratios=arr("update_ratios"),
                   lr_min=d.get("lr_min"), lr_steepest=d.get("lr_steepest"), candidates=list(d.get("candidates") or []),
                   method=str(d.get("method", "curve")), stop_reason=str(d.get("stop_reason", "")),
                   skipped_steps=int(d.get("skipped_steps") or 0), cost_steps=int(d.get("cost_steps") or 0),
                   group_ratios=list(d.get("group_ratios") or [1.0]), optimizer=dict(d.get("optimizer") or {}),
                   message=str(d.get("message", "")), curve=dict(d.get("curve") or {}))

    def plot(self, ax=None, *, log_x: bool = True):
        """Matplotlib plot: raw losses, smoothed curve, suggestion and range. Returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        ax.plot(self.lrs, self.losses, ".", alpha=0.35, label="loss (raw)")
        ax.plot(self.lrs, self.smoothed, "-", label="smoothed (no lag)")
        if self.lr_range:
            ax.axvspan(*self.lr_range, color="tab:green", alpha=0.15, label="good range")
        for c in self.candidates:
            ax.axvline(c["lr"], color="gray", lw=0.6, alpha=0.5)
        if self.suggested_lr:
            ax.axvline(self.suggested_lr, color="tab:red", ls="--",
                       label=f"suggested {self.suggested_lr:.2e} (confidence {self.confidence:.0%})")
        if log_x:
            ax.set_xscale("log")
        fin = self.smoothed[np.isfinite(self.smoothed)]
        if fin.size:
            lo, hi = fin.min(), np.percentile(fin, 90)
            pad = 0.15 * (hi - lo + 1e-12)
            ax.set_ylim(lo - pad, hi + pad * 3)
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.legend(fontsize=8)
        return ax

    def lr_for(self, total_steps: int, exponent: float | None = None) -> float | None:
        """The peak LR for a run of ``total_steps`` steps.

        ``suggested_lr`` is the best peak over ``horizon = confirm_steps`` steps; a longer run wants a
        lower peak. ``lr_for`` scales it by ``(horizon / total_steps) ** exponent`` for
        ``total_steps > horizon``, with the exponent measured by the two confirmation stages
        (module docstring, step 6; :data:`HORIZON_EXPONENT` if none was measured), extrapolated at
        most to ``MAX_EXTRAPOLATION * horizon`` steps. A curve-only result is returned as is.
        """
        if self.suggested_lr is None:
            return None
        horizon = self.curve.get("horizon")
        a = self.curve.get("horizon_exponent", HORIZON_EXPONENT) if exponent is None else float(exponent)
        if not horizon or total_steps <= horizon:
            return float(self.suggested_lr)
        # A trend measured between two short horizons is not extrapolated arbitrarily far: beyond
        # MAX_EXTRAPOLATION x the horizon the peak is held (use a larger confirm_steps for long runs).
        return float(self.suggested_lr) * (horizon / min(total_steps, MAX_EXTRAPOLATION * horizon)) ** a

    def __repr__(self) -> str:
        s = "None" if self.suggested_lr is None else f"{self.suggested_lr:.3g}"
        r = "None" if self.lr_range is None else f"({self.lr_range[0]:.3g}, {self.lr_range[1]:.3g})"
        return (f"RangeTestResult(suggested_lr={s}, lr_range={r}, confidence={self.confidence:.2f}, "
                f"steps={self.lrs.size}, method={self.method!r}, stop={self.stop_reason!r})")


# ----------------------------------------------------------------------------- sweep


def _lr_values(start_lr: float, end_lr: float, num_steps: int, mode: str) -> np.ndarray:
    if not (start_lr > 0 and end_lr > start_lr):
        raise LRDiagError(f"range_test needs 0 < start_lr < end_lr (got start_lr={start_lr}, end_lr={end_lr})")
    if num_steps < 10:
        raise LRDiagError(f"range_test needs num_steps >= 10 to read a curve (got {num_steps})")
    if mode == "exp":
        return start_lr * (end_lr / start_lr) ** (np.arange(num_steps) / (num_steps - 1))
    if mode == "linear":
        return np.linspace(start_lr, end_lr, num_steps)
    raise LRDiagError(f"range_test mode must be 'exp' or 'linear' (got {mode!r})")


class _StopRule:
    """Divergence test on loss differences only (works for negative losses, shift-invariant)."""

    def __init__(self, diverge_th: float, window: int = 5):
        self.th, self.window = diverge_th, window
        self.values: list[float] = []
        self.best = math.inf

    def __call__(self, loss: float) -> str | None:
        if not math.isfinite(loss):
            return "non-finite loss"
        self.values.append(loss)
        v = self.values
        if len(v) < 2 * self.window:
            return None
        mean = float(np.mean(v[-self.window:]))
        self.best = min(self.best, mean)
        start = float(np.median(v[:self.window]))
        noise = float(np.median(np.abs(np.diff(v)))) + 1e-12 * (abs(start) + 1)
        if mean > self.best + self.th * max(start - self.best, 3 * noise):
            return "loss diverged"
        return None


def _sweep(stepper: _Stepper, batches: _Cycle | None, lrs: np.ndarray, diverge_th: float, bar) -> dict[str, Any]:
    stop = _StopRule(diverge_th)
    out_lr, out_loss, out_ratio, group_lrs = [], [], [], []
    skipped = 0
    reason = "end_lr reached"
    i = 0
    while i < lrs.size:
        stepper.set_lr(float(lrs[i]))
        micro = [next(batches) for _ in range(stepper.accum)] if batches is not None else [None] * stepper.accum
        loss, was_skipped, ratio = stepper.step(micro)
        if was_skipped:
            skipped += 1
            if skipped > lrs.size:
                reason = "every step was skipped by the GradScaler"
                break
            continue  # same LR again: a skipped step changed nothing
        capped = _capped_at(stepper.opt)
        if capped is not None:
            # torch.optim.Adafactor steps with min(lr, 1/sqrt(t)): higher LRs would not be tried
            reason = (f"torch.optim.Adafactor caps its LR at 1/sqrt(t): at step {i + 1} it stepped with {capped:.3g}, "
                      f"not {lrs[i]:.3g}, so higher LRs were not tried")
            break
        out_lr.append(float(lrs[i]))
        out_loss.append(loss)
        out_ratio.append(ratio)
        group_lrs.append([g["lr"] for g in stepper.opt.param_groups])
        if bar is not None:
            bar.update(1)
            bar.set_postfix(lr=f"{lrs[i]:.2e}", loss=f"{loss:.4g}")
        why = stop(loss)
        i += 1
        if why:
            reason = why
            break
    return {"lrs": np.array(out_lr), "losses": np.array(out_loss), "ratios": np.array(out_ratio),
            "group_lrs": np.array(group_lrs), "skipped": skipped, "stop_reason": reason, "steps": i + skipped}


def _capped_at(optimizer) -> float | None:
    """The LR a ``torch.optim.Adafactor`` group stepped with where its cap ``1/sqrt(t)`` bound the
    latest step (more than 1% under its ``lr``), else None."""
    for g in optimizer.param_groups:
        if relative_step.inverse_sqrt_capped(g) and isinstance(g.get("lr"), (int, float)):
            applied = relative_step.capped_lr(optimizer, g)
            if applied < 0.99 * float(g["lr"]):
                return applied
    return None


# ----------------------------------------------------------------------------- confirmation


def annealed_lr(t: int, steps: int, peak: float, pct_start: float = 0.25, div: float = 25.0,
                final_div: float = 1e3) -> float:
    """One-cycle shape used by the confirmation runs: linear warm-up, then cosine decay."""
    up = max(1, int(round(pct_start * steps)))
    if t < up:
        return peak / div + (peak - peak / div) * t / up
    frac = (t - up) / max(1, steps - 1 - up)
    lo = peak / final_div
    return lo + (peak - lo) * 0.5 * (1 + math.cos(math.pi * min(1.0, frac)))


def _evaluate(model, loss_fn, val: list, device) -> np.ndarray:
    import torch

    modes = [m.training for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            out = []
            for b in val:
                x, y = _to_device(b[0], device), _to_device(b[1], device)
                out.append(float(loss_fn(model(x), y).float()))
    finally:
        for m, mode in zip(model.modules(), modes):
            m.training = mode
    return np.array(out)


def _confirm_one(stepper: _Stepper, snap: _Snapshot, lr: float, steps: int, batches: list | None,
                 val: list | None, loss_fn) -> np.ndarray:
    """Per-batch scores of one short annealed run at peak ``lr`` (inf where it diverged)."""
    snap.restore_training_state()
    losses = []
    for t in range(steps):
        stepper.set_lr(annealed_lr(t, steps, lr))
        micro = batches[t] if batches is not None else [None] * stepper.accum
        loss, _, _ = stepper.step(micro)
        losses.append(loss)
        if not math.isfinite(loss):
            break
    tail = max(1, steps // 4)
    if len(losses) < steps or not np.all(np.isfinite(losses[-tail:])):
        n = len(val) if val is not None else tail
        return np.full(n, np.inf)
    if val is not None:
        scores = _evaluate(stepper.model, loss_fn, val, stepper.device)
        return np.where(np.isfinite(scores), scores, np.inf)
    return np.array(losses[-tail:])


def _pick(cands: dict[float, np.ndarray], spacing: float) -> tuple[float, tuple[float, float], float]:
    """Best candidate refined by a parabola in log-LR; range; confidence (see module docstring)."""
    from scipy.stats import norm

    lrs = sorted(cands)
    scores = np.array([np.mean(cands[lr]) for lr in lrs])
    b = int(np.argmin(scores))
    best = cands[lrs[b]]

    def p_better(j: int) -> float:
        d = cands[lrs[j]] - best
        if not np.all(np.isfinite(d)):
            return 1.0
        se = d.std(ddof=1) / math.sqrt(d.size) if d.size > 1 else 0.0
        return float(norm.cdf(d.mean() / se)) if se > 0 else float(d.mean() > 0)

    def se_of(j: int) -> float:
        d = cands[lrs[j]] - best
        return d.std(ddof=1) / math.sqrt(d.size) if d.size > 1 and np.all(np.isfinite(d)) else 0.0

    neigh = [j for j in (b - 1, b + 1) if 0 <= j < len(lrs)]
    confidence = float(np.prod([p_better(j) for j in neigh])) if neigh else 0.0
    x = np.log(lrs)
    lr = lrs[b]
    if 0 < b < len(lrs) - 1 and np.all(np.isfinite(scores[b - 1:b + 2])):
        x0, x1, x2 = x[b - 1:b + 2]
        y0, y1, y2 = scores[b - 1:b + 2]
        den = (x0 - x1) * (x0 - x2) * (x1 - x2)
        a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / den
        bb = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / den
        if a > 0:
            half = 0.5 * math.log(spacing)
            lr = float(math.exp(np.clip(-bb / (2 * a), x1 - half, x1 + half)))
    good = [lrs[j] for j in range(len(lrs)) if j == b or (np.isfinite(scores[j]) and
                                                           scores[j] - scores[b] <= 2 * se_of(j))]
    lo, hi = min(good + [lr]), max(good + [lr])
    if lo == hi:
        lo, hi = lr / math.sqrt(spacing), lr * math.sqrt(spacing)
    return lr, (float(lo), float(hi)), confidence


# ----------------------------------------------------------------------------- sinks


def _log_curve(res: RangeTestResult, logdir: str | None, mlflow: bool) -> None:
    """Write the curve to the same places Monitor writes: local store, TensorBoard, MLflow."""
    steps = np.arange(res.lrs.size)
    cols = {names.RANGE_TEST_LR: res.lrs, names.RANGE_TEST_LOSS: res.losses, names.RANGE_TEST_SMOOTHED: res.smoothed}
    meta = {"kind": "range_test", "optimizer": res.optimizer, "suggested_lr": res.suggested_lr}
    if logdir:
        from ..store import StoreWriter

        w = StoreWriter(logdir, meta=meta)
        try:
            w.append(steps, cols)
        finally:
            w.close()
        try:
            from torch.utils.tensorboard import SummaryWriter

            tb = SummaryWriter(logdir)
            try:
                for name, vals in cols.items():
                    for s, v in zip(steps, vals):
                        if math.isfinite(v):
                            tb.add_scalar(name, float(v), int(s))
            finally:
                tb.close()
        except Exception as e:  # never lose the result because a writer failed
            warn(f"range_test: could not write TensorBoard scalars to {logdir}: {e}")
    if mlflow:
        try:
            from ..sinks.mlflow_sink import MLflowSink

            from ..report import Report

            sink = MLflowSink()
            try:
                sink.open(meta)
                sink.write(steps, cols)
                # the result on the run page too: lrdiag.suggested_lr tag, description, report.html
                # with the range-test figure (no findings: a range test diagnoses no run)
                sink.write_report(Report(run="range_test", steps=(0, int(steps[-1])) if steps.size else None,
                                         range_test=res.to_dict(), summary=f"LR range test: {res.message}"), None)
                sink.flush()
            finally:
                sink.close()
        except Exception as e:
            warn(f"range_test: could not log the curve to MLflow: {e}")


# ----------------------------------------------------------------------------- entry point


def _progress(progress: bool | None, total: int):
    import sys

    show = sys.stderr.isatty() if progress is None else bool(progress)
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="LR range test", leave=False)


def _optimizer_info(optimizer) -> dict[str, Any]:
    g = optimizer.param_groups[0]
    # beta2_decay and d: torch.optim.Adafactor's, whose LR is capped (relative_step.inverse_sqrt_capped)
    keep = ("lr", "momentum", "betas", "weight_decay", "nesterov", "eps", "beta2_decay", "d")
    return {"name": type(optimizer).__name__,
            "hparams": {k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items() if k in keep}}


def range_test(model, optimizer, loss_fn: Callable | None = None, data: Iterable | None = None, *,
               start_lr: float = 1e-7, end_lr: float = 10.0, num_steps: int = 100, mode: str = "exp",
               step_fn: Callable[[], Any] | None = None, accumulation_steps: int = 1, scaler=None,
               autocast=None, val_data: Iterable | None = None, val_batches: int = 8,
               confirm: bool = True, confirm_steps: int = 40, short_steps: int | None = None, candidates: int = 4,
               long_candidates: int = 3, spacing: float = 10 ** 0.5, max_extend: int = 1,
               max_cost_steps: int | None = None, curve_divisor: float = 3.0, diverge_th: float = 1.5,
               smooth_frac: float = 0.15, bootstrap: int = 100, seed: int = 0,
               logdir: str | None = None, mlflow: bool = False, progress: bool | None = None) -> RangeTestResult:
    """Find a good peak learning rate for ``model`` trained with ``optimizer``; see the module docstring.

    Parameters
    ----------
    model : torch.nn.Module (may be None with ``step_fn`` and ``confirm=False``)
    optimizer : torch.optim.Optimizer
        Its param groups' LR ratios are kept; its state is restored afterwards.
    loss_fn : callable ``(outputs, targets) -> scalar tensor`` (with ``data``)
    data : iterable of ``(inputs, targets)`` batches, cycled if shorter than needed
    start_lr, end_lr, num_steps, mode : the sweep (``mode`` "exp" or "linear")
    step_fn : callable ``() -> loss`` that runs forward and backward of one micro-batch itself (and
        scales the loss with the scaler if it uses one); replaces ``loss_fn``/``data``
    accumulation_steps : micro-batches per optimizer step
    scaler : ``torch.amp.GradScaler``; steps it skips are retried at the same LR and not counted
    autocast : dtype for ``torch.autocast`` around the forward pass (e.g. ``torch.bfloat16``), or None
    val_data, val_batches : batches that score the confirmation runs (default: their own training losses)
    confirm, confirm_steps, short_steps, candidates, long_candidates, spacing, max_extend : the
        confirmation runs (step 5): ``candidates`` runs of ``short_steps`` (default confirm_steps // 4)
        steps spaced by ``spacing``, then ``long_candidates`` runs of ``confirm_steps`` spaced by
        sqrt(spacing); each stage tries up to ``max_extend`` more when its best is at an end
    max_cost_steps : optional cap on all optimizer steps of the test (sweep + confirmation); extra
        candidates beyond an end are skipped when they would exceed it (the planned ones always run)
    curve_divisor : without confirmation, ``suggested_lr = lr_min / curve_divisor``
    diverge_th : stop rule threshold (step 2)
    smooth_frac, bootstrap, seed : smoother window, bootstrap resamples, seed of the bootstrap
    logdir : also write the curve (series ``lrdiag/range_test/*``) to the local store and TensorBoard here
    mlflow : also log the curve to the active MLflow run
    progress : tqdm bar; None shows it when stderr is a terminal

    Returns
    -------
    RangeTestResult
    """
    if step_fn is None and (model is None or loss_fn is None or data is None):
        raise LRDiagError("range_test needs model, loss_fn and data (an iterable of (inputs, targets)), or step_fn=")
    if accumulation_steps < 1:
        raise LRDiagError(f"accumulation_steps must be >= 1 (got {accumulation_steps})")
    lr_values = _lr_values(start_lr, end_lr, num_steps, mode)
    batches = _Cycle(data) if step_fn is None else None
    if model is not None and _has_lazy(model):
        _materialise(model, batches, autocast)
    snap = _Snapshot(model, optimizer, scaler)
    # Adafactor's relative step ignores the LR: the test sweeps the LR it takes with the relative
    # step off (the snapshot puts the groups back), and the advice switches it off too
    relative = [g for g in optimizer.param_groups if relative_step.uses_relative_step(g)]
    for g in relative:
        relative_step.make_absolute(g, start_lr)
    stepper = _Stepper(model, optimizer, loss_fn, step_fn, accumulation_steps, scaler, autocast)
    bar = _progress(progress, num_steps)
    t0 = time.perf_counter()
    try:
        sweep = _sweep(stepper, batches, lr_values, diverge_th, bar)
        res = _analyse(sweep, smooth_frac, bootstrap, seed, curve_divisor)
        res.group_ratios = list(stepper.ratios)
        res.optimizer = _optimizer_info(optimizer)
        lrs = [g["lr"] for g in snap.opt_state["param_groups"]]
        # the reference group's (the first that trains: a group frozen at 0 is no measure)
        res.optimizer["hparams"]["lr"] = next((v for v in lrs if v is not None and v > 0), lrs[0])
        if relative:
            res.optimizer["hparams"]["relative_step"] = True
        if confirm and res.lr_min is not None and model is not None:
            short = int(short_steps or max(5, confirm_steps // 4))
            _run_confirmation(res, stepper, snap, batches, val_data, val_batches, loss_fn, int(confirm_steps), short,
                              candidates, long_candidates, spacing, max_extend, bar,
                              math.inf if max_cost_steps is None else max_cost_steps)
    finally:
        if bar is not None:
            bar.close()
        snap.restore()
    res.message = _message(res)
    res.curve["seconds"] = round(time.perf_counter() - t0, 3)
    if logdir or mlflow:
        _log_curve(res, logdir, mlflow)
    return res


def _analyse(sweep: dict[str, Any], frac: float, n_boot: int, seed: int, divisor: float) -> RangeTestResult:
    lrs, losses = sweep["lrs"], sweep["losses"]
    if lrs.size == 0:
        raise LRDiagError("range_test: no step completed (every step was skipped or the first loss was not finite)")
    smoothed = lowess(losses, frac)
    res = RangeTestResult(lrs=lrs, losses=losses, smoothed=smoothed, suggested_lr=None, lr_range=None, confidence=0.0,
                          update_ratios=sweep["ratios"], stop_reason=sweep["stop_reason"],
                          skipped_steps=sweep["skipped"], cost_steps=sweep["steps"])
    res.curve = {"group_lrs": sweep["group_lrs"]}
    fin = np.isfinite(smoothed)
    if fin.sum() < 5:
        res.message = "too few finite losses to read a curve"
        return res
    i_min = int(np.nanargmin(smoothed))
    start = float(np.nanmedian(losses[:5]))
    noise = float(np.nanmedian(np.abs(np.diff(losses[fin])))) if fin.sum() > 2 else 0.0
    if start - smoothed[i_min] <= 2 * noise / math.sqrt(5):
        res.message = "the loss never decreased clearly during the sweep"
        return res
    x = np.log(lrs)
    grad = np.gradient(smoothed, x) if lrs.size > 2 else np.zeros_like(x)
    res.lr_steepest = float(lrs[int(np.nanargmin(grad[: i_min + 1]))])
    boots = _bootstrap_argmin(losses, smoothed, n_boot, frac, np.random.default_rng(seed)) if n_boot else np.array([i_min])
    boot_lr = lrs[boots]
    res.lr_min = float(np.exp(np.median(np.log(boot_lr))))
    res.curve.update({"lr_min_raw": float(lrs[i_min]), "lr_min_p10": float(np.percentile(boot_lr, 10)),
                      "lr_min_p90": float(np.percentile(boot_lr, 90))})
    res.suggested_lr = res.lr_min / divisor
    res.lr_range = (res.curve["lr_min_p10"] / divisor, res.curve["lr_min_p90"] / divisor)
    res.confidence = float(np.mean(np.abs(np.log(boot_lr / res.lr_min)) <= math.log(2)))
    res.method = "curve (bootstrap of the lag-free smoothed minimum)"
    return res


def _stage(run: Callable[[float], np.ndarray], lrs: Sequence[float], spacing: float, max_extend: int,
           affordable: Callable[[], bool] = lambda: True) -> dict:
    """Score ``lrs``; while the best is at an end (and the budget allows), try up to ``max_extend`` more."""
    cands = {lr: run(lr) for lr in lrs}
    for _ in range(max_extend):
        if not affordable():
            break
        srt = sorted(cands)
        b = int(np.argmin([np.mean(cands[lr]) for lr in srt]))
        if b == 0:
            cands[srt[0] / spacing] = run(srt[0] / spacing)
        elif b == len(srt) - 1:
            cands[srt[-1] * spacing] = run(srt[-1] * spacing)
        else:
            break
    return cands


def _run_confirmation(res, stepper, snap, batches, val_data, val_batches, loss_fn, steps, short, n_cand, n_cand2,
                      spacing, max_extend, bar, budget: float = math.inf) -> None:
    """Step 5 of the method: short annealed runs at two horizons, paired on the same batches."""
    replay = [[next(batches) for _ in range(stepper.accum)] for _ in range(steps)] if batches is not None else None
    val = list(itertools.islice(iter(val_data), val_batches)) if val_data is not None else None
    if bar is not None:
        bar.total = bar.n + n_cand * short + n_cand2 * steps
        bar.set_description("LR range test: confirming")
    record: list[dict[str, Any]] = []

    def runner(horizon: int) -> Callable[[float], np.ndarray]:
        def run(lr: float) -> np.ndarray:
            scores = _confirm_one(stepper, snap, lr, horizon, replay, val, loss_fn)
            res.cost_steps += horizon
            ok = np.all(np.isfinite(scores))
            record.append({"lr": lr, "horizon": horizon, "score": float(np.mean(scores)) if ok else None,
                           "se": float(np.std(scores, ddof=1) / math.sqrt(scores.size)) if ok and scores.size > 1 else None})
            if bar is not None:
                bar.update(horizon)
            return scores
        return run

    # Extensions of stage a only if stage b still fits the budget afterwards; of stage b if it fits.
    first = _stage(runner(short), [res.lr_min / spacing ** k for k in range(n_cand)], spacing, max_extend,
                   lambda: res.cost_steps + short + n_cand2 * steps <= budget)
    res.candidates = record
    if not any(np.all(np.isfinite(v)) for v in first.values()):
        res.message = "every confirmation run diverged; the curve-only suggestion is kept"
        return
    b1 = _pick(first, spacing)[0]
    # Stage 2 at the full horizon, centred where a horizon exponent of 0.5 would put the optimum.
    fine = math.sqrt(spacing)
    centre = b1 * (short / steps) ** 0.5
    half = (n_cand2 - 1) / 2
    second = _stage(runner(steps), [centre * fine ** (k - half) for k in range(n_cand2)], fine, max_extend,
                    lambda: res.cost_steps + steps <= budget)
    if not any(np.all(np.isfinite(v)) for v in second.values()):
        res.message = "every long confirmation run diverged; the short runs' suggestion is kept"
        res.suggested_lr, res.lr_range, res.confidence = _pick(first, spacing)
        res.curve["horizon"] = int(short)
        return
    b2, res.lr_range, res.confidence = _pick(second, fine)
    res.suggested_lr = b2
    alpha = float(np.clip(math.log(b1 / b2) / math.log(steps / short), 0.0, 1.0))
    res.curve.update({"horizon": int(steps), "horizon_exponent": alpha, "short_horizon": int(short), "short_lr": b1})
    res.method = (f"confirmed: {len(first)} annealed runs of {short} steps and {len(second)} of {steps} steps, "
                  "paired scores")


def _message(res: RangeTestResult) -> str:
    if res.suggested_lr is None:
        return res.message or "no suggestion"
    lo, hi = res.lr_range or (res.suggested_lr, res.suggested_lr)
    extra = f"; {res.message}" if res.message else ""
    return (f"suggested peak LR {res.suggested_lr:.3g} (good range {lo:.3g}..{hi:.3g}, confidence {res.confidence:.0%}); "
            f"loss lowest at LR {res.lr_min:.3g} in the sweep, which stopped because: {res.stop_reason}{extra}")

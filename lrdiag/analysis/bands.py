"""The healthy band of update-norm / weight-norm ratios, per optimizer family.

The per-step relative update ``r = ||Δθ|| / ||θ||`` of a layer is the most direct measure of
how hard the learning rate pushes it:

* **SGD** (with or without momentum): ``Δθ = -lr · v`` scales with the gradient, and the classic
  rule of thumb for a healthy run is ``r ≈ 1e-3`` per step. Much lower means the layer barely
  moves (LR too low); much higher means each step rewrites a large part of the weights
  (unstable). With ``dampening`` d, PyTorch's momentum buffer takes ``(1 - d) · g`` per step, so
  the whole step is ``1 - d`` times the undampened one: the band's edges are scaled by it.
* **Adam family** (Adam, AdamW, NAdam, RAdam, Adamax, ...): the update is normalised per element,
  ``|Δθ_i| ≈ lr · |m_i| / sqrt(v_i)``, and in steady state ``|m / sqrt(v)|`` is about 0.2 (noisy
  gradients), so ``r ≈ 0.2 · lr / rms(θ)``: it depends on the LR and the weight scale but not on
  the gradient scale. With Adam's usual LR (1e-3) and weights of rms 0.02-0.1 that is 2e-3 to
  1e-2, so Adam's band sits higher than SGD's.
* **RAdam** warms itself up: its step is Adam's times the rectification ``r_t`` (0 for the first
  5 steps, 0.16 at step 60, 0.43 at 400, 0.83 at 2,000 with ``beta2 = 0.999``), so the band's
  lower edge follows ``r_t`` (``low_edge_scale``): a small ratio early in a RAdam run is its
  design, not a low LR.
* **RMSprop** (round 39): ``Δθ = -lr · g / sqrt(v)`` with ``v`` the running mean of ``g**2``, so
  the normalised step has an rms of about 1 whether successive gradients agree or not, and
  ``r ≈ lr / rms(θ)``: 2e-2 at lr 1e-3 and weights of rms 0.05, five times Adam's. Its band is
  ``[1e-3, 5e-2]`` around ``1e-2``: the benchmark's RMSprop runs (fresh27-fresh37, tuned LRs 3e-4
  to 1e-3, weights larger than 0.05) read 3e-3 to 1.5e-2 (median layer, first quarter of the run)
  at their tuned LR, 4e-4 to 1.7e-3 at 1/10 of it and up to 0.17 at 100x (weights thrown
  large). The low edge is 10x under the centre, as Adam's (2e-3 flagged 5 of those 24 tuned runs
  too low); the high edge is the SGD guess's.
* Anything else (Adagrad, Adadelta, LBFGS, unknown): the SGD band, marked as a guess in evidence.

A layer is reported only when its ratio stays outside the band for a long stretch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

ADAM_LIKE = ("adam", "adamw", "nadam", "radam", "adamax", "sparseadam", "lamb", "lion", "adafactor")
SGD_LIKE = ("sgd", "asgd")
RMSPROP_LIKE = ("rmsprop",)


@dataclass(frozen=True)
class Band:
    """Healthy range ``[low, high]`` of the per-step update ratio, and where it comes from."""

    low: float
    high: float
    center: float
    family: str  # "sgd", "adam", "rmsprop", "adagrad" or "unknown"
    basis: str  # one sentence: the rule behind the numbers

    def to_dict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "center": self.center, "family": self.family, "basis": self.basis}


def normalised_name(name: str | None) -> str:
    """An optimizer's name as the bands and ``recommend`` compare it: lower case, no underscores."""
    return (name or "").lower().replace("_", "")


def optimizer_family(name: str | None) -> str:
    """``"sgd"``, ``"adam"``, ``"rmsprop"``, ``"adagrad"`` or ``"unknown"`` from an optimizer class
    name (any case)."""
    n = normalised_name(name)
    if not n:
        return "unknown"
    if n in RMSPROP_LIKE:
        return "rmsprop"
    if n == "adagrad":
        return "adagrad"
    if any(n.startswith(a) or n.endswith(a) for a in ADAM_LIKE) or "adam" in n:
        return "adam"
    if any(n.startswith(s) for s in SGD_LIKE) or "sgd" in n:
        return "sgd"
    return "unknown"


#: ``(centre, low divisor, high multiplier)`` per family. The SGD band is lopsided on purpose:
#: 1e-3 is the steady-state rule of thumb, but small models with momentum run at 1e-2 early in
#: a healthy run, and a too-low SGD LR shows up as a ratio only a few times below 1e-3 (the
#: gradient stays large when nothing is learnt). Adam's ratio follows the LR directly, so its
#: band is symmetric. Set on the tuning split of benchmarks/detectors.py (digits). RMSprop's band
#: (round 39; module docstring) keeps the SGD guess's high edge, 5e-2. Adagrad's (round 41) is the
#: SGD guess with its low edge 10x under the centre, as Adam's: its step lr g / sqrt(acc + sum g^2)
#: starts small where a layer's gradients are small next to the initial accumulator, and shrinks as
#: the sum grows. On the benchmark's Adagrad runs (fresh27, 33, 36, 43), the median layer's ratio
#: over a run at the tuned LR was 6.8e-4 to 6.8e-3, at 1/100 of it 3.9e-6 to 5.6e-5; the SGD
#: guess's edge, 3.3e-4, read "too low" on 4 of fresh43's 5 runs at the tuned LR (blind, round 41),
#: whose initial accumulator of 0.3 held the first steps down.
FACTORS = {"sgd": (1e-3, 3.0, 50.0), "adam": (None, 10.0, 10.0), "rmsprop": (1e-2, 10.0, 5.0),
           "adagrad": (1e-3, 10.0, 50.0), "unknown": (1e-3, 3.0, 50.0)}


def band_for(optimizer: str | None = None, hparams: Mapping[str, Any] | None = None) -> Band:
    """The healthy band for ``optimizer`` (class name) and its hyper-parameters.

    SGD: centre ``1e-3 * (1 - dampening)``, band ``[centre / 3, centre * 50]`` (``dampening`` from
    ``hparams``, 0 if absent or without ``momentum``: the Monitor records every optimizer group's
    scalar settings).
    Adam: centre ``0.2 * lr_ref / rms_ref`` with ``lr_ref = 1e-3`` (Adam's default LR) and
    ``rms_ref = 0.05`` (a typical weight scale), i.e. ``4e-3``, band ``[centre / 10, centre
    * 10]``. ``hparams`` may carry ``weight_rms`` (a measured weight scale) to move the Adam
    centre. RMSprop: ``[1e-3, 5e-2]`` around ``1e-2`` (moved by ``weight_rms`` as Adam's is).
    Adagrad: ``[1e-4, 5e-2]`` around ``1e-3`` (``FACTORS``). Unknown optimizers get the SGD band,
    marked as a guess in ``basis``.
    """
    fam = optimizer_family(optimizer)
    hp = dict(hparams or {})
    center, down, up = FACTORS[fam]
    if fam == "adam":
        rms = _positive(hp.get("weight_rms")) or 0.05
        center = 0.2 * 1e-3 / rms
        basis = f"Adam-family relative update ≈ 0.2·lr/rms(w); at lr 1e-3 and rms(w) {rms:g} that is {center:.1e} per step"
    elif fam == "rmsprop":
        rms = _positive(hp.get("weight_rms"))
        center *= 0.05 / rms if rms else 1.0
        basis = ("RMSprop relative update ≈ lr/rms(w) (its step lr·g/sqrt(v) has an rms of about 1); "
                 f"healthy {center / down:.0e} to {center * up:.0e} per step")
    elif fam == "sgd":
        basis = "SGD update-norm / weight-norm ≈ 1e-3 per step in a healthy run (up to ~1e-2 early in training)"
        damp = _positive(hp.get("dampening"))
        if damp is not None and damp < 1 and _positive(hp.get("momentum")) is not None:
            # b <- m b + (1 - d) g: every step, and so the healthy ratio, is (1 - d) times smaller
            # (without momentum PyTorch ignores dampening)
            center *= 1.0 - damp
            basis += f"; x{1.0 - damp:g} for dampening {damp:g}"
    elif fam == "adagrad":
        basis = ("Adagrad: the SGD rule of thumb (≈ 1e-3 per step), its low edge 10x under it (its steps start small "
                 "next to the initial accumulator and shrink as squared gradients add up)")
    else:
        basis = f"optimizer {optimizer or 'unknown'}: SGD rule of thumb (≈ 1e-3 per step) used as a guess"
    return Band(low=center / down, high=center * up, center=center, family=fam, basis=basis)


def band_from_meta(meta: Mapping[str, Any]) -> Band:
    """``band_for`` with the optimizer class and hyper-parameters a History recorded."""
    hp = meta.get("hparams") or {}
    return band_for(meta.get("optimizer") or hp.get("optimizer"), hp if isinstance(hp, Mapping) else {})


def low_edge_scale(meta: Mapping[str, Any], steps: np.ndarray) -> np.ndarray | None:
    """Per-step factor on the band's lower edge, or None (1 everywhere).

    RAdam (Liu et al. 2020) scales Adam's step by

        rho_inf = 2 / (1 - beta2) - 1
        rho_t   = rho_inf - 2 t beta2^t / (1 - beta2^t)
        r_t     = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))   (rho_t > 5)

    and takes an un-normalised momentum step (no band applies: factor 0) while ``rho_t <= 5``.
    ``t`` counts optimizer steps from the first logged one (a resumed run's is later: this
    only makes the test more lenient). ``beta2`` comes from the recorded ``betas`` (default 0.999).
    """
    hp = meta.get("hparams") or {}
    name = str(meta.get("optimizer") or (hp.get("optimizer") if isinstance(hp, Mapping) else "") or "").lower()
    if name != "radam" or steps.size == 0:
        return None
    betas = hp.get("betas") if isinstance(hp, Mapping) else None
    beta2 = _positive(betas[1]) if isinstance(betas, (list, tuple)) and len(betas) == 2 else None
    beta2 = beta2 if beta2 is not None and beta2 < 1 else 0.999
    t = np.maximum(1.0, np.asarray(steps, dtype=np.float64) - float(steps[0]) + 1.0)
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        b = np.power(beta2, t)
        rho = rho_inf - 2.0 * t * b / (1.0 - b)
        r = np.sqrt((rho - 4.0) * (rho - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho))
    return np.where(rho > 5.0, np.nan_to_num(r, nan=0.0), 0.0)


def _positive(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) and f > 0 else None

"""Turn a range test or an analysed run into a complete LR schedule: parameters, scheduler, code.

``recommend(result_or_report, *, total_steps, optimizer=None)``

From a :class:`~lrdiag.analysis.range_test.RangeTestResult` (or its dict) it builds a schedule
for the planned budget, peaking at ``result.suggested_lr``:

=================  ===========================================================================
optimizer, budget  schedule
=================  ===========================================================================
SGD (+momentum)    ``one_cycle``: ``OneCycleLR``, 25% warm-up from peak/25, cosine decay to
                   peak/1000; momentum cycled 0.95 -> 0.85 -> 0.95 when the optimizer uses momentum
                   (high momentum while the LR is low, low while it is high; Smith 2018).
Adam-like, short   ``one_cycle`` as above, cycling ``beta1``; used while the budget is shorter than
                   4x the warm-up Adam needs (see next row), where a full warm-up would not fit.
Adam-like          ``cosine_warmup``: linear warm-up over ``2/(1-beta2)`` steps (2,000 for
                   beta2=0.999: Adam's second-moment estimate needs that long before its steps are
                   well scaled; Ma & Yarats 2021), then cosine decay to peak/1000.
any, very long     ``wsd`` (warm-up, stable, decay) from 200,000 steps on: the constant middle can
                   be extended or branched from, the last 20% decays linearly to peak/1000.
=================  ===========================================================================

``kind=`` forces one of ``one_cycle``, ``cosine_warmup``, ``wsd``, ``step_decay`` (x0.1 at 50%
and 75% of the budget) or ``constant``.

From a :class:`~lrdiag.report.Report` it prescribes the fix for the most severe finding (among
as severe ones: divergence, then oscillation, lr_too_high, plateau, lr_too_low; round 41, where
the kind alone had decided):

* ``divergence`` at step s with LR x: ``cosine_warmup`` peaking at x/m (or at the range test's
  suggestion if lower), a warm-up at least as long as s, and gradient clipping (``clip_grad_norm``);
  m is the median layer's update ratio over the band's centre, within [3, 30], read from the
  report's ``lr_too_high`` finding (``_lower_factor``, round 40); where no finding measured it, the
  median layer's first update ratio at that LR (``evidence["first_update_ratio"]``: a run that blew
  up in its first steps) over the band's top, within [3, 30] (round 41); 3 where neither was
  measured and for Adagrad (``SELF_DECAYING``) (a flat 3 before round 40).
* ``oscillation`` at step s with LR x: ``step_decay``: multiply the LR by 0.3 at step s
  (``MultiStepLR(milestones=[s], gamma=0.3)``), so the LR after s is 0.3x.
* ``lr_too_high`` with LR x: the same schedule shape peaking at x/m, m as for ``divergence``.
* ``plateau`` in state ``stalled_low_lr`` (update ratios below the band: the finding says the LR
  is too low to move): as ``lr_too_low``; a plateau that learnt nothing with update ratios above
  the band (``evidence["nothing_learnt"]`` and ``layers_above_band``): as ``lr_too_high``.
  Lowering the LR on such a plateau would contradict the finding.
* ``plateau`` from step s (length L) with LR x: ``reduce_on_plateau`` with PyTorch's parameters:
  the ones the finding quotes (``evidence["reduce_lr_on_plateau"]``: ``mode="min", factor=0.1``,
  ``threshold=0.01`` relative, and since round 43 ``patience`` the plateau test's reference span,
  at most L), ``cooldown=patience//2, min_lr=x/1000``; for a finding without them ``factor=0.3,
  patience=max(2, L//4) steps, threshold=1e-3``; ``params["decay_start"] = s`` says where a planned
  decay should start instead. Stepped every step, it judges the mean of the last
  ``params["loss_mean_steps"]`` losses (round 44: ``plateau_mean_steps``; ``scheduler`` builds a
  ``MeanLossReduceLROnPlateau``), not each minibatch's.
  A stall the run left on its own at its LR (state ``escaped``, round 43) is info and gets no
  advice: ReduceLROnPlateau would have cut the LR inside it and held the run there.
* ``lr_too_low`` with LR x: the annealed schedule whose *mean* LR is m·x, so peaking at m·x / f with
  f the schedule's mean LR over its peak (``mean_lr_fraction``: about 1/2 for ``one_cycle`` and
  ``cosine_warmup``, 1 held ``constant``; round 42, m·x was the peak before), or at the range
  test's suggestion if higher; m the ratio the raise aims at (``raise_target``: the band's
  geometric middle for SGD, sqrt(5) times its centre for Adam, ``RMSPROP_RAISE_AIM`` for RMSprop)
  over the median layer's update ratio, within [3, 100]; for Adadelta under ``ADADELTA_LR`` (1),
  the factor that brings x to 1 (at most 100), held ``constant`` (round 39)
  (``_raise_factor``; a flat 3x before round 36, the band's centre in round 36); for Adagrad
  (``SELF_DECAYING``, round 37) held ``constant`` at m·x: its steps already shrink as its
  squared gradients add up.
* ``divergence`` or ``lr_too_high`` set off by an LR blip (``evidence["lr_blip"]``: the LR
  jumped over 2x what the schedule held for a step or two): ``kind="keep"`` at the held LR with
  ``clip_grad_norm=1.0`` -- remove what raised the LR; the held one trained until then.
* ``spike`` only: ``kind="keep"`` with ``clip_grad_norm=1.0`` (keep the schedule, clip gradients),
  at the LR the schedule held when an LR jump set the spike off (``evidence["lr_raised_before"]``,
  round 38: ``peak_lr`` had been the jump's LR);
  a blow-up in the first steps that recovered (``evidence["state"] == "early_blowup"``) with LR x:
  ``cosine_warmup`` with a warm-up, peaking at x/3 (or at the range test's suggestion if lower)
  when the loss rose ``EARLY_BLOWUP_LOWER`` (20) or more times its start, else at x. It decides
  over later spikes of the same run, which add ``clip_grad_norm=1.0``.
* ``plateau`` in state ``nothing_learnt`` (a run that learnt nothing, logged without update ratios
  or with them inside the band, so the side of the LR is unknown): the range test's schedule if
  the report has one, else ``kind="keep"`` with "run a range test".
* an eval loss that rose after its best (``plateau``, state ``eval_rising``: overfitting): ``kind="keep"``
  with ``best_step`` (keep the best checkpoint; no schedule fixes overfitting).

A report with no findings gives ``kind="keep"``: keep the current schedule; ``scheduler()`` then
returns a ``LambdaLR`` that leaves the optimizer's LR unchanged. (``recommend`` never returns
None, so ``lrdiag.analyze`` can always store ``.to_dict()``.)

``lr_at(step)`` is computed from closed-form formulas (not by stepping torch), and the tests check
it against the real scheduler stepped step by step. For ``reduce_on_plateau``, which depends on the
metric, ``lr_at`` assumes the metric stops improving at ``decay_start`` (what happened in the run).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from .. import relative_step
from ..errors import AnalysisError
from ..report import Report, _json_safe
from .bands import normalised_name
from .engine import FREQUENT_SPIKES

KINDS = ("one_cycle", "cosine_warmup", "wsd", "step_decay", "constant", "reduce_on_plateau", "keep")
ADAM_LIKE = ("Adam", "AdamW", "NAdam", "RAdam", "Adamax", "Lamb", "LAMB", "Lion")
#: Optimizers whose steps decay by themselves (an accumulated, never-forgotten sum of squared
#: gradients in the denominator): a low LR raised for them is held constant, not annealed. Round
#: 37, the benchmark's Adagrad runs at 1/100 of their tuned LR (fresh36, fresh39; 10 runs), the
#: advice's peak trained as a one-cycle and as a constant: the one-cycle ended 1.08-11.6x the
#: constant's whole-set loss, in every run. A lowered LR keeps its decay: Adagrad at 100x on
#: fresh39's tanh-product task, lowered 3x, ended at 0.21x the tuned LR's loss as a one-cycle and
#: 1.88x as a constant (a peak estimated from above is hedged by the decay).
SELF_DECAYING = ("Adagrad",)
#: Optimizers whose raised LR is held constant: the self-decaying ones, and Adadelta, whose LR
#: multiplies the step sizes it remembers (``ADADELTA_LR``).
HELD_CONSTANT = SELF_DECAYING + ("Adadelta",)
WSD_FROM = 200_000
FINAL_DIV = 1000.0  # final LR = peak / FINAL_DIV
WARM_DIV = 25.0  # one-cycle starts at peak / WARM_DIV
#: Which finding decides the advice: the most severe, and among as severe ones the first kind
#: here (round 41: a critical ``lr_too_high``, a run that became unstable and stalled, had been
#: outranked by a warning oscillation later in the same run, and the advice cut the LR 0.3x at the
#: oscillation's step instead of lowering the peak).
_PRIORITY = ("divergence", "oscillation", "lr_too_high", "plateau", "lr_too_low", "spike")
#: An early blow-up (``evidence["state"] == "early_blowup"``) whose peak reached this many times
#: the starting loss gets a peak 3x lower with its warm-up; a smaller one keeps the peak. Round 36,
#: on the 21 runs of the benchmark's splits fresh26-fresh38 whose advice an early blow-up decides,
#: each re-trained with a warm-up to x and to x/3 (whole-set loss at the end): where the loss rose
#: 20x or more (11 runs, 10 at 100x the tuned LR) x/3 ended lower in 9 (0.14-0.98x) and higher in
#: 2 (1.09x, 1.27x); under 20x (10 runs) x ended lower in 5 (by 1.09-3.96x) and level in 5 (both
#: under 1e-4).
EARLY_BLOWUP_LOWER = 20.0
#: A low LR (``lr_too_low``, or a plateau in state ``stalled_low_lr``) is raised by the ratio the
#: raise aims at (``raise_target``) over the median layer's update ratio (``_raise_factor``), at
#: least RAISE_MIN and at most RAISE_MAX times. Round 36 (``benchmarks/detectors.py --follow``,
#: runs at 1/100 of their tuned LR on fresh26-28 and fresh36-38, the advice followed): with the flat
#: 3x of rounds 1-35, 1 of 71 ended within 1.25x of the tuned LR's loss (median 16.7x it); aiming at
#: the band's centre, 10 of 71 (median 3.3x). Round 37 aims higher (``raise_target``). The bounds
#: hold the estimate, which since round 42 is the schedule's mean LR (``mean_lr_fraction``): an
#: annealed schedule peaks higher, a one-cycle up to about 198x.
RAISE_MIN, RAISE_MAX = 3.0, 100.0
#: A high LR (``divergence``, ``lr_too_high``, or a plateau that learnt nothing with update ratios
#: above the band) is lowered by the median layer's update ratio over the band's centre
#: (``_lower_factor``), at least LOWER_MIN and at most LOWER_MAX times: by LOWER_MIN where no
#: ``lr_too_high`` finding measured that ratio, and for ``SELF_DECAYING`` optimizers (fresh36's
#: four Adagrad runs at 10-100x, lowered by their ratio of 24-300x the centre, ended 1.1-4.0x the
#: tuned LR's loss, 0.62-0.84x with 3x) (a flat 3x in every case before round 40). Round 40,
#: on the 144 runs labelled unstable whose advice lowers the LR on fresh26-fresh38, fresh40 and
#: fresh41 (cached trainings, the advice trained as ``--follow`` does): 59 had such a ratio, and
#: their advice, trained, ended within 1.25x of the tuned LR's whole-set loss in 39 -> 52 (median
#: 1.0x -> 0.67x, worst 87x -> 3.9x; lower in 52, over 1.25x worse in one: 0.45x -> 0.60x). Fixed
#: factors on the same runs: 10x and 30x beat 3x at 100x the tuned LR but lost at 10x (SGD: 10/13
#: within with 3x, 5/13 with 30x); the measured ratio tells the two apart. The cap: 100 and 30 did
#: as well there, and on ``examples/unstable_training.py`` (SGD at 1.0 on digits, 150 steps, ratio
#: 161x the centre) 100x left it short of training (held-out loss 0.22, accuracy 95%; 30x: 0.10, 97%).
#: Round 41: where no finding measured a ratio over the run (a divergence in its first steps, a run
#: that became unstable and stalled), the median layer's first update ratio at the finding's LR
#: over the band's *top* (the most a healthy run shows early: a first update is made from fresh
#: weights, SGD's first ratios at its tuned LR sat at 5-32x the centre, the top is 50x), within the
#: same bounds. On the 63 runs labelled unstable on fresh26-fresh42 whose factor moved off 3x
#: (cached trainings, the advice trained as ``--follow`` does): within 1.25x of the tuned LR's
#: whole-set loss 39 -> 56, median 0.99x -> 0.74x, worst 1320x -> 2.5x; none left that 1.25x.
LOWER_MIN, LOWER_MAX = 3.0, 30.0
#: Adam's raise aims this many times above the band's centre: the centre assumes a normalised step
#: ``|m / sqrt(v)|`` of about 0.2 (noisy gradients), and at a too-low LR, where successive gradients
#: agree, it approaches 1, so the ratio measured there overstates the LR by up to 5x; sqrt(5) is the
#: geometric middle of 1x and 5x.
ADAM_RAISE_AIM = math.sqrt(5.0)
#: The SGD band's geometric middle over its centre, sqrt(50 / 3): what a raise of SGD, and of
#: Adagrad (``raise_target``), aims at.
SGD_MIDDLE = math.sqrt(50.0 / 3.0)
#: The update ratio a raise aims at for RMSprop (round 38; its detection band was the SGD guess
#: until round 39, and its own band's centre, 1e-2, sits under this: a ratio read at a too-low LR
#: runs high, as ``raise_target`` says).
#: Its step is ``lr · g / sqrt(v)`` with ``v`` the running mean of ``g**2``, so the normalised step
#: has an rms of about 1 whether successive gradients agree or not (Adam's ``|m / sqrt(v)|`` is
#: 0.2-1 because ``m`` averages them out): the ratio is about ``lr / rms(w)``, and at the reference
#: scales of the Adam band (lr 1e-3, weights of rms 0.05) that is 2e-2. On the benchmark's splits
#: fresh26-fresh38, the 24 RMSprop runs at 1/100 of their tuned LR would have needed aims of 4e-3 to
#: 2.8e-2 (median 1.6e-2) for the true 100x; the SGD band's geometric middle, 4.1e-3, raised them
#: 14-95x (median 25x).
RMSPROP_RAISE_AIM = 1e-3 / 0.05
#: The LR a low Adadelta LR is raised to (round 39), whatever its update ratio, and held there
#: (``HELD_CONSTANT``). Adadelta's step, ``lr · sqrt(E[dx**2] + eps) / sqrt(E[g**2] + eps) · g``,
#: takes its size from its own past steps: at ``lr`` 1 that memory grows to the size the gradients
#: ask for, and at ``lr`` under 1 each step shrinks it, toward ``lr · sqrt(eps)`` per weight, so the
#: ratio is not linear in the LR (no ratio aim fits) and a warm-up or a decay below 1 shrinks every
#: later step too. The method is built to run at 1 (Zeiler 2012; PyTorch's default). On the 14
#: Adadelta runs at 1/100 of fresh3, fresh9, fresh17 and fresh29, trained as advised: the SGD
#: guess's ratio aim raised them 9-37x, within 1.25x of the LR-1 run's loss 3/14; raised to 1 as a
#: one-cycle, 7/14 (0.23-12.7x); held at 1, the LR-1 run itself (README, round 39).
ADADELTA_LR = 1.0
#: A per-step ReduceLROnPlateau advice judges the mean of the last this-many training losses
#: (``params["loss_mean_steps"]``, at most a quarter of its patience: ``plateau_mean_steps``), not
#: each minibatch's (round 44). PyTorch's rule compares every metric with the best one so far, and
#: the best of a noisy per-step loss is a lucky low draw, so when the scheduler cuts is luck more
#: than trend. Study (every run the per-step advice answers with ReduceLROnPlateau on the
#: benchmark's fresh26-fresh46, cached trainings, the advice trained with its real scheduler as
#: ``--follow`` does): of the seven labelled unstable, within 1.25x of the tuned LR's loss 4 stepped
#: with each loss, 5 with the mean of 25 (fresh45's SGD at 100x 1.76x -> 0.83x, fresh46's SGD at 10x
#: 1.50x -> 1.38x, fresh40's AdamW at 100x 0.99x -> 0.83x; fresh43's AdamW 1.06x -> 1.18x and
#: fresh32's Adam 1.01x -> 1.09x at 100x; fresh31's Adamax at 10x 4.8x -> 5.2x); the three clean runs
#: 1.05-1.08x -> 1.03-1.07x the run as it was. The mean of 10 left fresh40's AdamW 5.5x; of 50, as 25
#: but fresh45 0.97x.
PLATEAU_MEAN_STEPS = 25


def plateau_mean_steps(patience: int) -> int:
    """How many of the latest losses a per-step ReduceLROnPlateau advice with ``patience`` averages:
    ``PLATEAU_MEAN_STEPS``, at most ``patience // 4`` (at least 1), so that the mean's lag, half
    its length, stays small next to the patience."""
    return int(max(1, min(PLATEAU_MEAN_STEPS, int(patience) // 4)))


def _cos(start: float, end: float, pct: float) -> float:
    return end + (start - end) / 2.0 * (math.cos(math.pi * min(max(pct, 0.0), 1.0)) + 1)


@dataclass
class Recommendation:
    """A complete LR schedule (``kind`` + ``params``) with the reasons for it.

    ``params`` always holds ``peak_lr`` (the LR of the optimizer's first group; other groups keep
    their ratio to it) and the parameters of ``kind``; extra advice (``clip_grad_norm``,
    ``decay_start``, ``momentum``) is in ``params`` too.
    """

    kind: str
    params: dict[str, Any]
    total_steps: int
    rationale: str
    source: str = "range_test"
    finding: dict[str, Any] | None = None

    # ------------------------------------------------------------------ the LR curve
    def lr_at(self, step: int) -> float:
        """LR of the first param group at optimizer step ``step`` (0-based), from closed forms."""
        p, t, T = self.params, int(step), self.total_steps
        peak = float(p["peak_lr"])
        if self.kind == "one_cycle":
            end1 = float(p["pct_start"] * T) - 1
            init = peak / p["div_factor"]
            if t <= end1:
                return _cos(init, peak, t / end1)
            return _cos(peak, init / p["final_div_factor"], (t - end1) / (T - 1 - end1))
        if self.kind in ("cosine_warmup", "wsd"):
            w = int(p["warmup_steps"])
            if t < w:
                s = p["warmup_start_factor"]
                return peak * (s + (1 - s) * t / w)
            if self.kind == "cosine_warmup":
                return _cos(peak, p["final_lr"], (t - w) / (T - w))
            stable = int(p["stable_steps"])
            if t < w + stable:
                return peak
            d = max(1, T - w - stable)
            return peak * (1 + (p["final_lr"] / peak - 1) * min(t - w - stable, d) / d)
        if self.kind == "step_decay":
            return peak * p["gamma"] ** sum(t >= m for m in p["milestones"])
        if self.kind == "reduce_on_plateau":
            return float(self._plateau_curve(t + 1)[t])
        return peak  # constant, keep

    def curve(self, steps: int | None = None) -> np.ndarray:
        """``lr_at`` for steps ``0..steps-1`` (default: ``total_steps``)."""
        n = int(steps or self.total_steps)
        if self.kind == "reduce_on_plateau":
            return self._plateau_curve(n)
        return np.array([self.lr_at(t) for t in range(n)])

    def _plateau_curve(self, n: int) -> np.ndarray:
        """ReduceLROnPlateau's rule by hand, fed a metric that improves until ``decay_start``, then is
        flat (``metric_for_plateau``), judged as ``MeanLossReduceLROnPlateau`` judges it: the mean of
        the last ``loss_mean_steps`` values. A relative threshold is applied to the log of that mean,
        so the preview of a long run holds its LR until ``decay_start`` (the metric itself, falling 1%
        a step, underflows to 0 after about 74,000 steps, and from there nothing improves on it)."""
        p = self.params
        lr, bad, cool = float(p["peak_lr"]), 0, 0
        log_mean = _plateau_log_mean(n, int(p["decay_start"]), int(p.get("loss_mean_steps") or 1))
        rel = str(p.get("threshold_mode", "rel")) == "rel"
        # PyTorch's test for min mode: a < best * (1 - threshold) (rel) or a < best - threshold (abs)
        gate = math.log1p(-float(p["threshold"])) if rel and p["threshold"] < 1 else -math.inf
        values = log_mean if rel else np.exp(log_mean)
        best = math.inf
        out = np.empty(n)
        for t in range(n):
            out[t] = lr
            metric = float(values[t])
            if (metric < best + gate) if rel else (metric < best - p["threshold"]):
                best, bad = metric, 0
            else:
                bad += 1
            if cool > 0:
                cool -= 1
                bad = 0
            if bad > p["patience"]:
                new = max(lr * p["factor"], p["min_lr"])
                if lr - new > p.get("eps", 1e-8):
                    lr = new
                cool, bad = p["cooldown"], 0
        return out

    def metric_for_plateau(self, steps: int) -> list[float]:
        """The metric curve ``lr_at`` assumes for ``reduce_on_plateau`` (feed it to ``scheduler.step``)."""
        return [float(v) for v in _plateau_metric(np.arange(steps), self.params.get("decay_start", steps))]

    # ------------------------------------------------------------------ torch objects
    def _prepare(self, optimizer) -> None:
        """Set every group's LR to peak x (its ratio to the first group), and momentum if advised."""
        ratios = _ratios(optimizer)
        peak = float(self.params["peak_lr"])
        for g, r in zip(optimizer.param_groups, ratios):
            if relative_step.uses_relative_step(g):
                relative_step.make_absolute(g, peak)
            else:
                g["lr"] = peak * r
            g.pop("initial_lr", None)

    def scheduler(self, optimizer):
        """A real ``torch.optim.lr_scheduler`` object driving ``optimizer`` along this schedule.

        The optimizer's groups are first set to ``peak_lr`` times their current ratio to the first
        group. Call ``scheduler.step()`` once after every ``optimizer.step()`` (for
        ``reduce_on_plateau``: ``scheduler.step(metric)``).
        """
        from torch.optim import lr_scheduler as S

        if self.kind == "keep":
            return S.LambdaLR(optimizer, _one)  # leaves every group's LR as it is
        self._prepare(optimizer)
        p, T = self.params, self.total_steps
        if self.kind == "one_cycle":
            peaks = [g["lr"] for g in optimizer.param_groups]
            cycle = bool(p.get("cycle_momentum"))
            return S.OneCycleLR(optimizer, max_lr=peaks, total_steps=T, pct_start=p["pct_start"],
                                anneal_strategy="cos", div_factor=p["div_factor"], final_div_factor=p["final_div_factor"],
                                cycle_momentum=cycle, base_momentum=p.get("base_momentum", 0.85),
                                max_momentum=p.get("max_momentum", 0.95))
        if self.kind in ("cosine_warmup", "wsd"):
            w = int(p["warmup_steps"])
            warm = S.LinearLR(optimizer, start_factor=p["warmup_start_factor"], end_factor=1.0, total_iters=w)
            if self.kind == "cosine_warmup":
                rest = S.LambdaLR(optimizer, _CosineFactor(T - w, p["final_lr"] / p["peak_lr"]))
                return S.SequentialLR(optimizer, [warm, rest], milestones=[w])
            stable = int(p["stable_steps"])
            hold = S.ConstantLR(optimizer, factor=1.0, total_iters=stable)
            decay = S.LinearLR(optimizer, start_factor=1.0, end_factor=p["final_lr"] / p["peak_lr"],
                               total_iters=max(1, T - w - stable))
            return S.SequentialLR(optimizer, [warm, hold, decay], milestones=[w, w + stable])
        if self.kind == "step_decay":
            return S.MultiStepLR(optimizer, milestones=list(p["milestones"]), gamma=p["gamma"])
        if self.kind == "reduce_on_plateau":
            from .plateau_scheduler import MeanLossReduceLROnPlateau

            return MeanLossReduceLROnPlateau(optimizer, mean_steps=int(p.get("loss_mean_steps") or 1), mode=p["mode"],
                                             factor=p["factor"], patience=p["patience"], threshold=p["threshold"],
                                             threshold_mode=p["threshold_mode"], cooldown=p["cooldown"],
                                             min_lr=p["min_lr"], eps=p.get("eps", 1e-8))
        return S.LambdaLR(optimizer, _one)

    # ------------------------------------------------------------------ text
    @property
    def code(self) -> str:
        """A PyTorch snippet to paste after the optimizer is created (``optimizer`` in scope)."""
        p, T = self.params, self.total_steps
        head = "from torch.optim import lr_scheduler\n"
        lr_line = ("ref = next(g['lr'] for g in optimizer.param_groups if g['lr'] > 0)  # the others keep their ratio to it\n"
                   f"for g in optimizer.param_groups:\n    g['lr'] = {p['peak_lr']:.4g} * g['lr'] / ref\n")
        if p.get("switch_off_relative_step"):  # every group took the same relative step: one LR for all
            lr_line = relative_step.ABSOLUTE_LINES.format(lr=float(f"{p['peak_lr']:.4g}"))
        if self.kind == "one_cycle":
            # max_lr is a list of the peaks just set: a single number would give every group the same
            # peak (a backbone at 0.1x the head's LR would be raised 10x more than the head)
            body = (f"scheduler = lr_scheduler.OneCycleLR(\n    optimizer, max_lr=[g['lr'] for g in optimizer.param_groups], total_steps={T}, "
                    f"pct_start={p['pct_start']}, anneal_strategy='cos',\n    div_factor={p['div_factor']}, "
                    f"final_div_factor={p['final_div_factor']}, cycle_momentum={bool(p.get('cycle_momentum'))}"
                    + (f", base_momentum={p['base_momentum']}, max_momentum={p['max_momentum']}" if p.get("cycle_momentum") else "")
                    + ")\n")
        elif self.kind == "cosine_warmup":
            w = p["warmup_steps"]
            body = (f"warmup = lr_scheduler.LinearLR(optimizer, start_factor={p['warmup_start_factor']}, total_iters={w})\n"
                    f"cosine = lr_scheduler.LambdaLR(optimizer, lambda t: {p['final_lr'] / p['peak_lr']:.4g} + "
                    f"(1 - {p['final_lr'] / p['peak_lr']:.4g}) * 0.5 * (1 + math.cos(math.pi * min(t, {T - w}) / {T - w})))\n"
                    f"scheduler = lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[{w}])\n")
            head = "import math\n" + head
        elif self.kind == "wsd":
            w, s = p["warmup_steps"], p["stable_steps"]
            body = (f"warmup = lr_scheduler.LinearLR(optimizer, start_factor={p['warmup_start_factor']}, total_iters={w})\n"
                    f"stable = lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters={s})\n"
                    f"decay = lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor={p['final_lr'] / p['peak_lr']:.4g}, "
                    f"total_iters={max(1, T - w - s)})\n"
                    f"scheduler = lr_scheduler.SequentialLR(optimizer, [warmup, stable, decay], milestones=[{w}, {w + s}])\n")
        elif self.kind == "step_decay":
            body = f"scheduler = lr_scheduler.MultiStepLR(optimizer, milestones={list(p['milestones'])}, gamma={p['gamma']})\n"
        elif self.kind == "reduce_on_plateau":
            body = (f"scheduler = lr_scheduler.ReduceLROnPlateau(\n    optimizer, mode={p['mode']!r}, factor={p['factor']}, "
                    f"patience={p['patience']}, threshold={p['threshold']},\n    threshold_mode={p['threshold_mode']!r}, "
                    f"cooldown={p['cooldown']}, min_lr={p['min_lr']:.4g})\n")
        else:
            # A second scheduler on the same optimizer would fight the user's own one (a LambdaLR
            # of 1.0 resets the LR to its initial value every step), so "keep" pastes nothing.
            head = lr_line = ""
            body = "# nothing to change: keep your optimizer's LR and your current LR scheduler\n"
        if self.kind == "keep":
            step = ""
        elif self.kind == "reduce_on_plateau" and int(p.get("loss_mean_steps") or 1) > 1:
            k = int(p["loss_mean_steps"])
            head = "from collections import deque\n" + head
            body += f"recent = deque(maxlen={k})  # the latest training losses\n"
            step = ("# patience counts scheduler.step() calls: after every optimizer.step(), step it with the mean of\n"
                    f"# the last {k} training losses (one minibatch's loss is too noisy a metric):\n"
                    "#     recent.append(loss.item()); scheduler.step(sum(recent) / len(recent))\n"
                    "# (lrdiag's rec.scheduler(optimizer) takes the mean itself: scheduler.step(loss.item()))\n")
        elif self.kind == "reduce_on_plateau":
            step = ("# patience counts scheduler.step() calls: call it after every optimizer.step() with the training loss,\n"
                    "#     scheduler.step(loss.item())\n"
                    "# or once per evaluation with patience divided by the steps between evaluations.\n")
        else:
            step = "# in the training loop, after optimizer.step():\n#     scheduler.step()\n"
        clip = ""
        if p.get("clip_grad_norm"):
            clip = (f"# before optimizer.step():\n#     torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm={p['clip_grad_norm']})\n")
        return head + lr_line + body + step + clip

    def to_dict(self, max_points: int = 500) -> dict[str, Any]:
        """JSON-safe dict for the Report JSON's ``recommendation`` (includes the LR curve)."""
        n = self.total_steps
        steps = np.unique(np.linspace(0, n - 1, min(n, max_points)).round().astype(int))
        curve = self.curve(n)[steps]
        return _json_safe({"kind": self.kind, "params": self.params, "total_steps": n, "rationale": self.rationale,
                           "source": self.source, "finding": self.finding, "code": self.code,
                           "curve": {"steps": steps, "lrs": curve}})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Recommendation":
        return cls(kind=str(d["kind"]), params=dict(d["params"]), total_steps=int(d["total_steps"]),
                   rationale=str(d.get("rationale", "")), source=str(d.get("source", "range_test")),
                   finding=d.get("finding"))

    def __repr__(self) -> str:
        return f"Recommendation(kind={self.kind!r}, peak_lr={self.params.get('peak_lr'):.3g}, total_steps={self.total_steps})"


def _plateau_log_metric(t, start: int):
    """The log of ``_plateau_metric`` (``t`` a step or an array of steps)."""
    return -0.01 * np.minimum(t, start)


def _plateau_metric(t, start: int):
    """Falls 1% per step (well above ReduceLROnPlateau's 0.1% threshold) until ``start``, then flat
    (``t`` a step or an array of steps)."""
    return np.exp(_plateau_log_metric(t, start))


def _plateau_log_mean(n: int, start: int, k: int) -> np.ndarray:
    """For steps ``0..n-1``: the log of the mean of the last ``k`` values of ``_plateau_metric``
    (all of them before ``k``), computed against the newest value so that nothing underflows."""
    t = np.arange(n)
    newest = _plateau_log_metric(t, start)
    total = np.zeros(n)
    for j in range(min(k, n)):  # each older value over the newest
        older = t >= j
        total[older] += np.exp(_plateau_log_metric(t[older] - j, start) - newest[older])
    return newest + np.log(total / np.minimum(k, t + 1))


def _one(_: int) -> float:
    return 1.0


class _CosineFactor:
    """LR multiplier of a cosine decay from 1 to ``floor`` over ``steps`` steps (picklable)."""

    def __init__(self, steps: int, floor: float):
        self.steps, self.floor = max(1, int(steps)), float(floor)

    def __call__(self, t: int) -> float:
        return _cos(1.0, self.floor, t / self.steps)


def _ratios(optimizer) -> list[float]:
    """Each group's LR over the first positive one's (``History.reference_group``'s); 0 for a group
    frozen at LR 0 (it stays frozen: round 51, it had been given the peak); 1 for a group without
    an LR of its own (a relative step)."""
    lrs = [_own_lr(g) for g in optimizer.param_groups]
    ref = next((v for v in lrs if v is not None and v > 0), 0.0)
    if ref <= 0:
        return [1.0] * len(lrs)
    return [1.0 if v is None else max(v, 0.0) / ref for v in lrs]


# ---------------------------------------------------------------------- optimizer facts


def _own_lr(group: Mapping[str, Any]) -> float | None:
    """A group's configured LR (``initial_lr`` under a scheduler); None for a relative step or none."""
    lr = group.get("initial_lr", group.get("lr"))
    return None if relative_step.uses_relative_step(group) or lr is None else float(lr)


def _opt_facts(optimizer, info: Mapping[str, Any] | None) -> dict[str, Any]:
    """Name, momentum and betas from a live optimizer or from a range test's ``optimizer`` dict."""
    if optimizer is not None:
        g = optimizer.param_groups[0]
        return {"name": type(optimizer).__name__, "momentum": float(g.get("momentum", 0.0) or 0.0),
                "betas": tuple(g["betas"]) if "betas" in g else None, "lr": _own_lr(g),
                "relative_step": relative_step.uses_relative_step(g),
                "inverse_sqrt_cap": relative_step.inverse_sqrt_capped(g)}
    info = info or {}
    hp = info.get("hparams") or {}
    betas = hp.get("betas")
    rel = relative_step.uses_relative_step(hp)
    return {"name": str(info.get("name", "")), "momentum": float(hp.get("momentum") or 0.0),
            "betas": tuple(betas) if betas else None, "lr": None if rel else hp.get("lr"), "relative_step": rel,
            "inverse_sqrt_cap": relative_step.inverse_sqrt_capped(hp)}


def _named(name: str | None, names: tuple[str, ...]) -> bool:
    """Whether an optimizer's name is one of ``names`` in any case, underscores aside (as
    ``bands.optimizer_family`` reads it): a log may name it ``"adadelta"`` or ``"Adam_W"``, not only
    by its class name."""
    n = normalised_name(name)
    return bool(n) and n in {normalised_name(m) for m in names}


def _adam_warmup(betas) -> int:
    beta2 = float(betas[1]) if betas else 0.999
    return int(math.ceil(2.0 / (1.0 - beta2)))


def schedule_for(peak: float, total_steps: int, facts: Mapping[str, Any], kind: str | None = None) -> tuple[str, dict, str]:
    """Pick the schedule kind and all its parameters for ``peak`` over ``total_steps`` (table above)."""
    name = facts.get("name", "")
    adam = _named(name, ADAM_LIKE) or facts.get("betas") is not None
    warm = _adam_warmup(facts.get("betas")) if adam else 0
    if kind is None:
        if total_steps >= WSD_FROM:
            kind = "wsd"
        elif adam and total_steps >= 4 * warm:
            kind = "cosine_warmup"
        else:
            kind = "one_cycle"
    final = peak / FINAL_DIV
    why: list[str] = []
    if kind == "one_cycle":
        mom = facts.get("momentum", 0.0) if not adam else (facts.get("betas") or (0.9, 0.999))[0]
        cycle = bool(mom and mom > 0)
        params = {"peak_lr": peak, "pct_start": 0.25, "div_factor": WARM_DIV, "final_div_factor": FINAL_DIV / WARM_DIV,
                  "cycle_momentum": cycle, "base_momentum": 0.85, "max_momentum": 0.95, "final_lr": final}
        why.append(f"one-cycle: warm up from {peak / WARM_DIV:.3g} to {peak:.3g} over the first 25% "
                   f"({int(0.25 * total_steps)} steps), then cosine decay to {final:.3g}")
        if adam and warm > 0.25 * total_steps:
            why.append(f"Adam's usual warm-up of 2/(1-beta2) = {warm} steps does not fit a budget of {total_steps} "
                       "steps, so the one-cycle warm-up (25% of the budget) takes its place")
        if cycle:
            what = "beta1" if adam else "momentum"
            why.append(f"{what} cycles 0.95 -> 0.85 -> 0.95, opposite to the LR, as in one-cycle training")
    elif kind in ("cosine_warmup", "wsd"):
        w = max(warm, int(0.02 * total_steps), 1) if adam else max(int(0.05 * total_steps), 1)
        w = min(w, max(1, total_steps // 4))
        params = {"peak_lr": peak, "warmup_steps": w, "warmup_start_factor": 0.01, "final_lr": final}
        why.append(f"linear warm-up over {w} steps" + (f" (Adam: 2/(1-beta2) = {warm} steps)" if adam and w == warm else ""))
        if kind == "wsd":
            params["stable_steps"] = int(0.8 * total_steps) - w
            why.append(f"then hold {peak:.3g} for {params['stable_steps']} steps and decay linearly to {final:.3g} over the "
                       "last 20% (warmup-stable-decay: a long run can be extended from the stable phase)")
        else:
            why.append(f"then cosine decay from {peak:.3g} to {final:.3g}")
    elif kind == "step_decay":
        params = {"peak_lr": peak, "milestones": [int(0.5 * total_steps), int(0.75 * total_steps)], "gamma": 0.1}
        why.append("step decay: x0.1 at 50% and 75% of the budget")
    elif kind == "constant":
        params = {"peak_lr": peak}
        why.append(f"constant LR {peak:.3g}")
        if _named(name, SELF_DECAYING):
            why.append(f"{name} already shrinks its steps as the squared gradients add up, so no decay on top")
        elif _named(name, ("Adadelta",)):
            why.append("Adadelta's LR multiplies the step sizes it remembers, so a warm-up or a decay below 1 shrinks "
                       "every later step too: no schedule on top")
    else:
        raise AnalysisError(f"unknown schedule kind {kind!r}; use one of {KINDS[:5]}")
    if facts.get("relative_step"):
        params["switch_off_relative_step"] = True
        why.append("Adafactor's relative step ignores the LR, so it is switched off (relative_step=False, "
                   "warmup_init=False; scale_parameter as it was) and these LRs are its lr")
    if facts.get("inverse_sqrt_cap"):
        # a few thousand steps tell where the schedule is over the cap (a million lr_at calls would not be free)
        steps = sorted({int(v) for v in np.linspace(0, total_steps - 1, min(total_steps, 4000))})
        rec = Recommendation(kind, params, total_steps, "")
        note = relative_step.cap_note(steps, [rec.lr_at(t) for t in steps]) if kind != "reduce_on_plateau" else None
        if note:
            why.append(note)
    return kind, params, "; ".join(why) + "."


# ---------------------------------------------------------------------- entry points


def recommend(result_or_report: Any, *, total_steps: int, optimizer=None, kind: str | None = None) -> Recommendation:
    """A complete schedule from a range test, or the fix for what an analysed run shows.

    Parameters
    ----------
    result_or_report : RangeTestResult, its dict, Report, or a Report dict
    total_steps : int
        The planned number of optimizer steps (the budget the schedule spans).
    optimizer : torch.optim.Optimizer, optional
        Used for its type, momentum/betas and current LR (else the range test's record of them).
    kind : str, optional
        Force a schedule shape (``one_cycle``, ``cosine_warmup``, ``wsd``, ``step_decay``, ``constant``).

    Returns
    -------
    Recommendation (never None; ``kind="keep"`` when a report has nothing to fix)
    """
    total_steps = int(total_steps)
    if total_steps < 2:
        raise AnalysisError(f"total_steps must be >= 2 (got {total_steps})")
    obj = result_or_report
    if isinstance(obj, Mapping) and obj.get("schema"):
        obj = Report.from_dict(dict(obj))
    if isinstance(obj, Report):
        return _from_report(obj, total_steps, optimizer, kind)
    if isinstance(obj, Mapping):
        if "suggested_lr" not in obj:
            raise AnalysisError("recommend() takes a RangeTestResult, a Report, or their dicts; this dict is neither")
        from .range_test import RangeTestResult

        obj = RangeTestResult.from_dict(dict(obj))
    if not hasattr(obj, "suggested_lr"):
        raise AnalysisError(f"recommend() takes a RangeTestResult or a Report, not {type(obj).__name__}")
    return _from_range_test(obj, total_steps, optimizer, kind)


def _from_range_test(res, total_steps: int, optimizer, kind: str | None) -> Recommendation:
    facts = _opt_facts(optimizer, getattr(res, "optimizer", None))
    if not res.suggested_lr:
        lr = facts.get("lr") or 1e-3
        return Recommendation("keep", {"peak_lr": float(lr)}, total_steps,
                              f"The range test gave no suggestion ({res.message or res.stop_reason}); keep the current LR "
                              f"{lr:.3g} and rerun the test over a wider LR range or with more steps.")
    found = float(res.suggested_lr)
    peak = float(res.lr_for(total_steps)) if hasattr(res, "lr_for") else found
    k, params, why = schedule_for(peak, total_steps, facts, kind)
    lo, hi = res.lr_range or (found, found)
    horizon = (res.curve or {}).get("horizon")
    scaled = (f" scaled to {peak:.3g} for {total_steps} steps (x(horizon/steps)^a, horizon {horizon} steps)"
              if peak != found else "")
    rationale = (f"Peak LR {found:.3g} from the range test (good range {lo:.3g}..{hi:.3g}, confidence "
                 f"{res.confidence:.0%}; {res.method}){scaled}. For {facts['name'] or 'this optimizer'} and "
                 f"{total_steps} steps: {why}")
    params["lr_range"] = [lo * peak / found, hi * peak / found]
    params["confidence"] = float(res.confidence)
    return Recommendation(k, params, total_steps, rationale, source="range_test")


def _schedule_peak(report: Report, optimizer, facts) -> float | None:
    """The LR a "keep the schedule" recommendation names: a live optimizer's configured LR (its
    ``initial_lr``), else the highest LR the log's schedule reached (``meta.peak_lr``). A Monitor's
    recorded ``hparams.lr`` is the LR when it started, a warm-up's first value (1e-5 for a 6e-4
    schedule warmed up over 60 steps), and the log's last LR is a decay's end (about 0 after a
    Hugging Face linear decay): MLflow's ``lrdiag.suggested_lr`` showed those for healthy runs."""
    if optimizer is not None and facts.get("lr"):
        return float(facts["lr"])
    return report.meta.get("peak_lr") or _current_lr(report, None, facts)


def _current_lr(report: Report, finding, facts) -> float | None:
    if finding is not None and finding.lr:
        return float(finding.lr)
    return facts.get("lr") or (report.meta.get("hparams") or {}).get("lr") or report.meta.get("final_lr")


def _from_reported_range_test(report: Report, total_steps: int, optimizer, kind: str | None) -> Recommendation:
    """``_from_range_test`` on the range test a report carries (``report.range_test``, a dict)."""
    from .range_test import RangeTestResult

    return _from_range_test(RangeTestResult.from_dict(report.range_test), total_steps, optimizer, kind)


def _plateau_side(finding) -> str | None:
    """The side of the LR a plateau finding itself names: ``"lr_too_low"`` for a stall with the
    update ratios below the band (state ``stalled_low_lr``), ``"lr_too_high"`` for one that learnt
    nothing with ratios above it (``evidence["nothing_learnt"]`` with ``layers_above_band``),
    else None (a stall to decay the LR on, or an unknown side)."""
    ev = finding.evidence or {}
    if finding.kind != "plateau":
        return None
    if ev.get("state") == "stalled_low_lr":
        return "lr_too_low"
    if ev.get("state") == "stalled_high_lr" and ev.get("nothing_learnt") and (
            ev.get("layers_above_band") or ev.get("ratio_above_band_before")):
        return "lr_too_high"
    return None


def raise_target(band: Mapping[str, Any], optimizer: str | None = None) -> float:
    """The update ratio a raised LR aims at, for a band given as ``Band.to_dict()`` and the
    optimizer's class name (``optimizer``; None when the log does not say).

    At a too-low LR the measured ratio overstates the LR, in both families: SGD's gradient stays
    large while nothing is learnt (the reason the SGD band reaches 50x above its centre and only 3x
    below it), and Adam's normalised step grows from about 0.2 towards 1 (``ADAM_RAISE_AIM``). So
    the aim is above the centre: the SGD band's geometric middle, ``SGD_MIDDLE`` (4.1) times the
    centre, for SGD, Adagrad and unknown optimizers (``sqrt(low * high)`` for a band without a
    centre, the centre for one without edges), ``ADAM_RAISE_AIM`` times the centre for Adam. Round 36
    aimed at the centre: round 37's ``--follow`` runs at 1/100 of the tuned LR on fresh35-fresh38
    ended within 1.25x of the tuned LR's loss in 7 of 48 with it, 22 of 48 with this (README).
    RMSprop aims at ``RMSPROP_RAISE_AIM`` (round 38), known by its band's family or by name.
    """
    centre, low, high = band.get("center"), band.get("low"), band.get("high")
    if band.get("family") == "adam":
        return float(centre) * ADAM_RAISE_AIM if centre else 0.0
    if _is_rmsprop(band, optimizer):
        return RMSPROP_RAISE_AIM
    # SGD, Adagrad and unknown optimizers: the SGD band's middle, SGD_MIDDLE x the centre (Adagrad's
    # band has its own low edge since round 41, for what a run at its tuned LR shows, not for what a
    # raise should aim at: its raises were measured at this aim)
    if low and high:
        return float(centre) * SGD_MIDDLE if centre else math.sqrt(float(low) * float(high))
    return float(centre or 0.0)


def _is_rmsprop(band: Mapping[str, Any], optimizer: str | None) -> bool:
    return band.get("family") == "rmsprop" or _named(optimizer, ("RMSprop",))


def _raise_factor(report: Report, finding, optimizer: str | None = None,
                  lr: float | None = None) -> tuple[float, str, float | None]:
    """How many times to raise a low LR, why, and the LR to raise: ``raise_target`` of the band (and
    the optimizer) over the median layer's update ratio (``evidence["median_ratio_all_layers"]`` of
    the deciding finding or of the report's ``lr_too_low`` finding), within ``[RAISE_MIN,
    RAISE_MAX]``; ``RAISE_MIN`` when no finding measured it. The ratio scales with the LR (SGD's
    step is ``lr`` times the gradient; Adam's, RMSprop's and Adagrad's are ``lr`` times a normalised
    one), so this factor times the LR the ratio was read at (``evidence["median_ratio_lr"]``, round
    49; None where not recorded: the caller's LR) brings the median layer to the target. Adadelta's
    ratio does not scale so: an Adadelta ``lr`` under ``ADADELTA_LR`` is raised to it (at most
    ``RAISE_MAX`` times)."""
    if _named(optimizer, ("Adadelta",)) and lr and 0 < lr < ADADELTA_LR:
        mult = float(min(ADADELTA_LR / lr, RAISE_MAX))  # not RAISE_MIN: past 1 is not the remedy
        return mult, (f": Adadelta's step, lr·sqrt(E[dx²]+eps)/sqrt(E[g²]+eps)·g, takes its size from its own past "
                      f"steps, and an LR under 1 shrinks them step after step; the method is built to run at "
                      f"{ADADELTA_LR:g}"), None
    for f in [finding] + [g for g in report.sorted_findings() if g.kind == "lr_too_low"]:
        ev = f.evidence or {}
        typical, target = ev.get("median_ratio_all_layers"), raise_target(ev.get("band") or {}, optimizer)
        if typical and target and typical > 0:
            mult = float(min(max(target / typical, RAISE_MIN), RAISE_MAX))
            low, high = ev["band"].get("low"), ev["band"].get("high")
            band = f"the healthy band runs from {low:.2g} to {high:.2g}, and " if low and high else ""
            because = ("RMSprop's step, lr·g/sqrt(v), moves weights of rms 0.05 by about lr/0.05 per step"
                       if _is_rmsprop(ev["band"], optimizer) else "ratios read at a too-low LR run high")
            at = ev.get("median_ratio_lr") or None
            read = f" at LR {at:.3g}" if at else ""
            return mult, (f": the median layer's update ratio{read}, {typical:.2g}, sits {target / typical:.3g}x under "
                          f"{target:.2g}, the ratio a raise aims at ({band}{because})"), at
    return RAISE_MIN, "", None


def _lower_factor(report: Report, finding, optimizer: str | None) -> tuple[float, str, float | None]:
    """How many times lower a high LR's peak goes, why, and the LR to lower (None: the caller's):
    the median layer's update ratio (``evidence["median_ratio_all_layers"]`` of the deciding
    ``lr_too_high`` finding, or of the report's first) over the band's centre, within [``LOWER_MIN``,
    ``LOWER_MAX``], applied to the LR that ratio was read at (``median_ratio_lr``); else the
    deciding finding's ``first_update_ratio`` over the band's top, within the same bounds;
    ``LOWER_MIN`` where neither was measured (a log without ratios) and for a self-decaying
    optimizer (``SELF_DECAYING``: its early ratios overstate an LR its own decay brings down)."""
    if _named(optimizer, SELF_DECAYING):
        return LOWER_MIN, "", None
    for f in [finding] + [g for g in report.sorted_findings() if g.kind == "lr_too_high" and g.severity != "info"]:
        ev = f.evidence or {}
        typical, centre = ev.get("median_ratio_all_layers"), (ev.get("band") or {}).get("center")
        if f.kind == "lr_too_high" and typical and centre and typical > 0 and centre > 0:
            div = float(min(max(typical / centre, LOWER_MIN), LOWER_MAX))
            at = ev.get("median_ratio_lr") or None
            read = f" at LR {at:.3g}" if at else ""
            return div, (f": the median layer's update ratio{read}, {typical:.2g}, sits {typical / centre:.3g}x over the band's "
                         f"centre, {centre:.2g}"), at
    ev = finding.evidence or {}
    early = ev.get("first_update_ratio") or {}
    ratio, top = early.get("median_ratio"), early.get("band_high")
    if ratio and top and ratio > 0 and top > 0:
        div = float(min(max(ratio / top, LOWER_MIN), LOWER_MAX))
        return div, (f": the median layer's update ratio at step {early.get('step')}, {ratio:.2g}, sits {ratio / top:.3g}x "
                     f"over the band's top, {top:.2g} (an early ratio, read against the most a healthy run shows early)"), None
    return LOWER_MIN, "", None


def _lowered_by(peak: float, lr: float, div: float, how_far: str) -> str:
    """The words for a lowered peak: by ``div``, or the range test's where that was lower."""
    return "the range test's, lower still" if peak < lr / div else f"{div:.3g}x lower{how_far}"


def _keep_held_lr(held: float, jump_lr: float, step, what: str, total_steps: int, finding) -> Recommendation:
    """``keep`` at the LR the schedule held, with clipping, for a finding an LR jump of a step or two
    set off (``lr_blip``, ``lr_raised_before``): the held LR trained until then, and the fix is to
    whatever raised it."""
    times = f"{jump_lr / held:.3g}x" if held > 0 else "above"
    return Recommendation("keep", {"peak_lr": held, "clip_grad_norm": 1.0}, total_steps,
                          f"The LR jumped to {jump_lr:.3g} at step {step} ({times} the {held:.3g} the schedule held) "
                          f"and {what}: keep the schedule, remove what raised the LR at that step, and clip gradients "
                          "to norm 1.0 so one such update cannot undo the run.", source="report", finding=finding.to_dict())


def _is_early_blowup(finding) -> bool:
    return finding is not None and finding.kind == "spike" and (finding.evidence or {}).get("state") == "early_blowup"


def _from_report(report: Report, total_steps: int, optimizer, kind: str | None) -> Recommendation:
    facts = _opt_facts(optimizer, {"name": report.meta.get("optimizer", ""), "hparams": report.meta.get("hparams") or {}})
    rt_lr = (report.range_test or {}).get("suggested_lr")
    by_kind = {}
    for f in report.sorted_findings():
        if f.severity != "info":
            by_kind.setdefault(f.kind, f)
    later_spikes = []
    early = next((f for f in report.sorted_findings() if _is_early_blowup(f) and f.severity != "info"), None)
    if early is not None:
        # an early blow-up says more about the LR than the isolated spikes that may follow it
        later_spikes = [f for f in report.findings if f.kind == "spike" and f.severity != "info" and f is not early]
        by_kind["spike"] = early
    finding = min((f for k, f in by_kind.items() if k in _PRIORITY),
                  key=lambda f: (-f.severity_rank, _PRIORITY.index(f.kind)), default=None)
    if finding is None:
        if rt_lr:
            return _from_reported_range_test(report, total_steps, optimizer, kind)
        lr = _schedule_peak(report, optimizer, facts) or 0.0
        other = sorted(by_kind)
        why = (f"Found {', '.join(other)}, for which no schedule change is prescribed; keep the current schedule "
               "and see the findings." if other else "No LR problem was found; keep the current schedule.")
        return Recommendation("keep", {"peak_lr": float(lr)}, total_steps, why, source="report")
    x = _current_lr(report, finding, facts)
    if finding.kind == "plateau" and (finding.evidence or {}).get("state") == "eval_rising":
        # overfitting: no LR schedule fixes it; the best checkpoint and the step count do
        return Recommendation("keep", {"peak_lr": float(x or 0.0), "best_step": int(finding.start_step)}, total_steps,
                              f"The eval loss was lowest at step {finding.start_step} and rose after it (overfitting), "
                              "which no LR schedule fixes: keep the schedule, keep the checkpoint from step "
                              f"{finding.start_step} or train about that long, and add regularization or data to go further.",
                              source="report", finding=finding.to_dict())
    if finding.kind == "plateau" and (finding.evidence or {}).get("state") == "nothing_learnt":
        # the log cannot tell which side the LR is on (no ratios, or ratios inside the band): a range test can
        what = (f"Nothing was learnt (plateau from step {finding.start_step}" + (f" with LR {x:.3g}" if x else "")
                + "), and this log cannot tell whether the LR is too low or too high")
        if rt_lr:
            rec = _from_reported_range_test(report, total_steps, optimizer, kind)
            rec.rationale = f"{what}; the range test can: {rec.rationale}"
            return rec
        return Recommendation("keep", {"peak_lr": float(x or 0.0)}, total_steps,
                              f"{what}: run a range test (lrdiag.range_test) to find where the model learns, and check "
                              "the data and labels.",
                              source="report", finding=finding.to_dict())
    blip = (finding.evidence or {}).get("lr_blip")
    if blip and finding.kind in ("divergence", "lr_too_high"):
        # the held LR trained until a blip of a step or two broke the run: lowering it treats the
        # wrong LR; the fix is to the thing that raised it (a scheduler bug, a hand-set value)
        state = (finding.evidence or {}).get("state")
        what = ("the loss diverged" if finding.kind == "divergence" else
                "the loss got worse for good" if state == "loss_rose" else "the run became unstable and stalled")
        return _keep_held_lr(float(blip["held_lr"]), float(blip["lr"]), blip["step"], f"{what} there", total_steps, finding)
    if _is_early_blowup(finding) and x:
        # A warm-up prevents the blow-up. Whether the peak should also come down depends on how far
        # the untrained model was thrown: see EARLY_BLOWUP_LOWER.
        ev = finding.evidence or {}
        jump = float(ev.get("peak_loss") or 0.0) / float(ev.get("start_level") or math.inf)
        lower = jump >= EARLY_BLOWUP_LOWER
        peak = min(float(x) / 3.0, rt_lr or math.inf) if lower else float(x)
        k, params, why = schedule_for(peak, total_steps, facts, kind or "cosine_warmup")
        clip = ""
        if later_spikes:
            params["clip_grad_norm"] = 1.0
            steps = ", ".join(str(f.start_step) for f in sorted(later_spikes, key=lambda f: f.start_step)[:3])
            clip = f", and clip gradients to norm 1.0 (it spiked again later, at step {steps})"
        lowered = "about 3x lower" if peak == float(x) / 3.0 else "the range test's, lower still"
        what = (f"warm up, and to a peak {lowered} ({peak:.3g}): the loss rose {jump:.3g}x its start, so the LR is "
                "near the edge for the trained model too" if lower else "keep the peak LR but warm up to it")
        return Recommendation(k, params, total_steps,
                              f"The loss blew up in the first steps (at step {finding.start_step} with LR {x:.3g}) and "
                              f"recovered: {what}{clip}: {why}", source="report", finding=finding.to_dict())
    raised = (finding.evidence or {}).get("lr_raised_before") if finding.kind == "spike" else None
    if raised and raised.get("held_lr"):
        # the LR jumped just before the spike: the cause is known, and the LR to keep is the held one
        held = float(raised["held_lr"])
        back = "recovered" if (finding.evidence or {}).get("recovered", True) else "came most of the way back"
        return _keep_held_lr(held, held * float(raised["factor"]), raised["step"],
                             f"the loss spiked right after, at step {finding.start_step}, and {back}", total_steps, finding)
    if finding.kind == "spike":  # spikes it came back from: the schedule can stay, clipping absorbs them
        at = f" with LR {x:.3g}" if x else ""
        spikes = [int(f.start_step) for f in report.findings if f.kind == "spike"]
        if len(spikes) >= FREQUENT_SPIKES:
            # the summary calls them frequent: say what to do if clipping does not stop them
            why = (f"The loss spiked {len(spikes)} times (first at step {min(spikes)}{at}) and recovered: keep the schedule "
                   "and clip gradients to norm 1.0; if it still spikes with clipping, the LR is too high for this model "
                   "and batch size: lower it 2-3x or warm up.")
        else:
            why = f"The loss spiked at step {finding.start_step}{at}, but recovered: keep the schedule and clip gradients to norm 1.0."
        return Recommendation("keep", {"peak_lr": float(x or 0.0), "clip_grad_norm": 1.0}, total_steps, why,
                              source="report", finding=finding.to_dict())
    if not x:
        raise AnalysisError(f"the {finding.kind} finding has no LR (the run logged no LR series); "
                            "log the LR or pass optimizer= to recommend()")
    s = int(finding.start_step)
    where = f"{finding.kind} at step {s} with LR {x:.3g}"
    fd = finding.to_dict()
    # A plateau that names the side of the LR is answered on that side: ReduceLROnPlateau would
    # lower an LR the finding says is too low to move.
    side = _plateau_side(finding)
    if finding.kind == "divergence":
        div, how_far, at = _lower_factor(report, finding, facts.get("name"))
        peak = min((at or x) / div, rt_lr or math.inf)
        k, params, why = schedule_for(peak, total_steps, facts, kind or "cosine_warmup")
        if "warmup_steps" in params:
            params["warmup_steps"] = int(min(max(params["warmup_steps"], s), total_steps // 4 or 1))
            why = f"linear warm-up over {params['warmup_steps']} steps, then the same decay"
        params["clip_grad_norm"] = 1.0
        return Recommendation(k, params, total_steps,
                              f"The loss diverged ({where}). Lower the peak LR to {peak:.3g} ({_lowered_by(peak, at or x, div, how_far)}), warm up for "
                              f"at least as long as it took to diverge, and clip gradients to norm 1.0: {why}",
                              source="report", finding=fd)
    if finding.kind == "oscillation":
        params = {"peak_lr": float(x), "milestones": [s], "gamma": 0.3}
        return Recommendation("step_decay", params, total_steps,
                              f"The loss oscillates ({where}): the LR is too high for this phase of training. Multiply "
                              f"the LR by 0.3 at step {s} (to {0.3 * x:.3g}), or use a peak about 3x lower.",
                              source="report", finding=fd)
    if finding.kind == "lr_too_high" or side == "lr_too_high":
        div, how_far, at = _lower_factor(report, finding, facts.get("name"))
        peak = min((at or x) / div, rt_lr or math.inf)
        k, params, why = schedule_for(peak, total_steps, facts, kind)
        before = (finding.evidence or {}).get("ratio_above_band_before")
        what = (f"The LR is too high ({where})" if side is None else
                f"Nothing was learnt ({where}) after update ratios sat above the healthy band from step {before['step']} "
                "and fell under it at about the same LR: the LR is too high" if before else
                f"Nothing was learnt ({where}) while update ratios sit above the healthy band: the LR is too high")
        return Recommendation(k, params, total_steps, f"{what}; peak at {peak:.3g} instead ({_lowered_by(peak, at or x, div, how_far)}): {why}",
                              source="report", finding=fd)
    if finding.kind == "plateau" and side is None:
        length = max(1, int(finding.end_step) - s)
        # The detector states the plateau in ReduceLROnPlateau terms (the parameters that would
        # have cut it); reuse them so the finding and the advice quote one set of numbers.
        rop = dict((finding.evidence or {}).get("reduce_lr_on_plateau") or {})
        patience = int(rop.get("patience") or max(2, length // 4))
        factor = float(rop.get("factor") or 0.3)
        threshold = float(rop.get("threshold") or 1e-3)
        mode, threshold_mode = str(rop.get("mode") or "min"), str(rop.get("threshold_mode") or "rel")
        params = {"peak_lr": float(x), "mode": mode, "factor": factor, "patience": patience, "threshold": threshold,
                  "threshold_mode": threshold_mode, "cooldown": patience // 2, "min_lr": float(x) / 1000.0, "eps": 1e-8,
                  "decay_start": s, "loss_mean_steps": plateau_mean_steps(patience)}
        ev = finding.evidence or {}
        if ev.get("source") == "eval_loss":
            # patience counts evaluations there; the preview steps the scheduler every step
            every = max(1, length // max(1, int(ev.get("evaluations_since_best") or 1)))
            params["patience"] = patience * every
            params["cooldown"] = patience * every // 2
            params.pop("loss_mean_steps")  # stepped once per evaluation, with the eval loss
            return Recommendation("reduce_on_plateau", params, total_steps,
                                  f"The eval loss stopped improving ({where}, {length} steps). Lower the LR when it "
                                  f"stalls: ReduceLROnPlateau(factor={factor:g}, patience={patience} evaluations, "
                                  f"threshold={threshold:g} {'relative' if threshold_mode == 'rel' else 'absolute'}, "
                                  f"min_lr={x / 1000:.3g}), stepped with the eval loss after each evaluation (the preview "
                                  f"assumes one every {every} steps); or start a planned decay at step {s}.",
                                  source="report", finding=fd)
        return Recommendation("reduce_on_plateau", params, total_steps,
                              f"The loss stopped improving ({where}, {length} steps). Lower the LR when it stalls: "
                              f"ReduceLROnPlateau(factor={factor:g}, patience={patience} steps, threshold={threshold:g} "
                              f"{'relative' if threshold_mode == 'rel' else 'absolute'}, cooldown={patience // 2}, "
                              f"min_lr={x / 1000:.3g}), stepped every step with the mean of the last "
                              f"{params['loss_mean_steps']} losses; or start a planned decay at step {s}.",
                              source="report", finding=fd)
    # lr_too_low, or a plateau whose update ratios sit below the band
    mult, how_far, at = _raise_factor(report, finding, facts.get("name"), float(x))
    # the LR the ratios were read at: a finding's LR is the one at its first step, a warm-up's
    # first value where it starts in one (round 49: 1/100 of the LR after a LinearLR warm-up from
    # 1%, so the raise came out 100x short)
    base = at or x
    named = "" if base == x else f" the LR {base:.3g} the update ratios were read at"
    # raised from below, the peak is an estimate the decay of a self-decaying optimizer would undercut,
    # and Adadelta's warm-up and decay would shrink the steps it remembers (HELD_CONSTANT)
    held = _named(facts.get("name"), HELD_CONSTANT)
    k, params, why = schedule_for(mult * base, total_steps, facts, kind or ("constant" if held else None))
    # mult * base estimates an LR to train at, held; an annealed schedule spends most steps under its
    # peak, so it peaks where its mean LR is that (round 42). For HELD_CONSTANT optimizers it is the
    # LR to hold (Adadelta's design value), and a schedule forced on them peaks there, as before.
    frac = 1.0 if held else mean_lr_fraction(k, params, total_steps)
    peak = max(mult * base / frac, rt_lr or 0.0)
    k, params, why = schedule_for(peak, total_steps, facts, k)
    what = (f"The LR is too low ({where})" if side is None else f"The loss stalled ({where}) while the update ratios "
            "sit below the healthy band: the LR is too low to make progress")
    if peak > mult * base / frac:
        by = "the range test's"
    elif frac < 0.99:
        by = f"{mult / frac:.3g}x{named}, so that the schedule's mean LR, {frac:.2f} of its peak, is {mult:.3g}x {'it' if named else 'the LR'}{how_far}"
    else:
        by = f"{mult:.3g}x{named}{how_far}"
    return Recommendation(k, params, total_steps, f"{what}; peak at {peak:.3g} instead ({by}): {why}",
                          source="report", finding=fd)


def mean_lr_fraction(kind: str, params: Mapping[str, Any], total_steps: int, samples: int = 2001) -> float:
    """The mean LR of schedule ``kind`` with ``params`` over ``total_steps``, as a fraction of its
    peak (read at up to ``samples`` evenly spaced steps: exact enough, and cheap for any budget):
    about 0.5 for ``one_cycle``, ``cosine_warmup`` and ``step_decay``, 0.88 for ``wsd``, 1 for ``constant``.

    A raise estimates an LR to train at; the schedule that carries it peaks at that over this
    fraction (round 42). On the benchmark's 72 runs at 1/100 of their tuned LR (fresh36,
    fresh38-fresh44) whose raise was answered with a one-cycle, trained for their length (cached
    trainings, as ``--follow`` does), the whole-set loss at the end against the tuned LR held as
    long: peaked at the estimate, 25 within 1.25x (median 1.50x); peaked at twice it, 49 (1.02x),
    one over 1.25x worse than before; a one-cycle peaked at the tuned LR itself, 43 (1.12x). A
    lowered LR keeps its peak (a peak estimated from above, hedged by the decay): on 23 runs of
    fresh41-fresh43 lowered with a schedule, 19 within 1.25x as advised, 17 peaked twice as high.
    """
    peak = float(params.get("peak_lr") or 0.0)
    if peak <= 0 or total_steps < 2 or kind in ("constant", "keep", "reduce_on_plateau"):
        return 1.0
    rec = Recommendation(kind, dict(params), int(total_steps), "")
    steps = np.unique(np.linspace(0, total_steps - 1, min(samples, total_steps)).astype(np.int64))
    frac = float(np.mean([rec.lr_at(int(t)) for t in steps])) / peak
    return min(max(frac, 1e-3), 1.0)

"""The eval (validation) loss: stopped improving, or rising while training goes on.

Hugging Face's Trainer, Lightning's ``val_loss`` and many TensorBoard logs carry a loss on held-out
data every few hundred steps (``lrdiag/eval_loss``). It is measured on a fixed set, so it is far
less noisy than a minibatch loss, and it answers the question a plateau finding on the training
loss can only approach: is more training at this LR still buying anything?

``detect_eval_plateau`` applies ReduceLROnPlateau's own rule to those evaluations
(``mode='min', threshold=0.01, threshold_mode='rel'``): an evaluation counts as progress only if it
beats the best so far by 1%. When ``patience`` (2) or more evaluations after the best brought no
progress and they span at least ``window_frac`` (15%) of the run, there is one finding, kind
``plateau`` with ``evidence["source"] = "eval_loss"`` and ``evidence["state"]``:

* ``"eval_rising"`` (warning): the last evaluation is ``rise`` (5%) or more above the best. The
  model fits the training data better and held-out data worse (overfitting): keep the best
  checkpoint; a lower LR does not fix it.
* ``"converged"`` (info): no progress, and the LR has decayed to at most ``low_lr_frac`` (20%) of
  its peak: the run could have stopped at the best evaluation.
* ``"eval_stalled"`` (warning): no progress with the LR still high: decay it on the eval loss
  (ReduceLROnPlateau stepped after each evaluation) or stop early.

Each eval set's loss is judged on its own (round 51): a Trainer given several eval datasets logs
``eval_<name>_loss`` and no ``eval_loss``; the finding's ``evidence["series"]`` names the one judged.

Thirty or more evaluations as noisy as a minibatch loss (a val loss of one batch logged every
step) are judged on their running median, and a rise must exceed five times that median's noise
(``_denoised``; round 50).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy.ndimage import median_filter

from .. import names
from ..report import Finding
from ..sources.detect import is_eval_loss_name

if TYPE_CHECKING:  # detectors imports this module
    from .detectors import Series


def detect_eval_plateau(s: "Series", *, threshold: float = 0.01, patience: int = 2, min_evals: int = 4,
                        rise: float = 0.05, window_frac: float = 0.15, low_lr_frac: float = 0.2) -> list[Finding]:
    """ReduceLROnPlateau's rule on the eval loss (see the module docstring), on each eval set's."""
    found = eval_loss_series(s.history)
    out: list[Finding] = []
    for name, label in found:
        out += _judge(s, name, label, len(found) > 1, threshold=threshold, patience=patience,
                      min_evals=min_evals, rise=rise, window_frac=window_frac, low_lr_frac=low_lr_frac)
    return out


def eval_loss_series(history) -> list[tuple[str, str]]:
    """``(series, the source's name for it)`` of each eval loss in ``history``: ``lrdiag/eval_loss``,
    then any other eval set's (a Trainer given several eval datasets logs ``eval_<name>_loss``;
    a loop's ``val/loss`` beside ``test/loss``)."""
    tags = history.meta.get("tags") or {}
    out = [(names.EVAL_LOSS, str(tags.get(names.EVAL_LOSS, names.EVAL_LOSS)))] if names.EVAL_LOSS in history.series else []
    return out + [(n, n) for n in history.series if not n.startswith(names.PREFIX) and is_eval_loss_name(n)]


def _judge(s: "Series", name: str, label: str, several: bool, *, threshold: float, patience: int, min_evals: int, rise: float,
           window_frac: float, low_lr_frac: float) -> list[Finding]:
    """The rule on one eval loss, ``label`` the source's name for it (in the message where there
    are ``several``)."""
    ev = s.history.series[name]
    what = f"The eval loss ({label})" if several else "The eval loss"
    ok = np.isfinite(ev) & (ev > 0)
    steps, v = s.history.steps[ok], np.asarray(ev[ok], dtype=np.float64)
    if v.size < min_evals:
        return []
    v, width, noise = _denoised(v)
    # a rise the running medians' own noise could make is not one: the last median has half a
    # window (sd about sqrt(2) times the noise), so the difference has about sqrt(3) times it; 3 sd
    rise = max(rise, 5.0 * noise)
    best_i = 0
    for i in range(1, v.size):  # an evaluation is progress only if it beats the best by `threshold`
        if v[i] < (1.0 - threshold) * v[best_i]:
            best_i = i
    after = v.size - 1 - best_i
    span = float(s.history.steps[-1] - s.history.steps[0])
    sb, sl = int(steps[best_i]), int(steps[-1])
    if after < patience or sl - sb < window_frac * span:
        return []
    best, last = float(v[best_i]), float(v[-1])
    lr_end, peak = s.lr_at(sl), s.peak_lr()
    evidence = s.sampling_evidence()
    evidence.update({"source": "eval_loss", "series": label, "best_eval_loss": best, "best_step": sb, "last_eval_loss": last,
                     "evaluations_since_best": after, "evaluations": int(v.size), "threshold_rel": threshold,
                     "median_of_evaluations": width, "rise_needed": rise,
                     "lr_end": lr_end, "peak_lr": peak,
                     "reduce_lr_on_plateau": {"mode": "min", "threshold": threshold, "threshold_mode": "rel",
                                              "patience": max(1, after - 1), "factor": 0.1,
                                              "patience_unit": "evaluations"}})
    train = s.ends(sb, sl)  # the training loss at both ends of the stretch
    if train:
        evidence["training_loss"] = {"at_best": train[0], "at_end": train[1]}
    fell = train is not None and train[1] < 0.9 * train[0]
    head = f"{after} evaluations, {sl - sb} steps" + (f"; running medians of {width}, as they are noisy" if width > 1 else "")
    still = (f" (the training loss still fell from {train[0]:.3g} to {train[1]:.3g}: the extra steps fit the training "
             f"set only)") if fell else ""
    if last >= (1.0 + rise) * best:
        state, sev = "eval_rising", "warning"
        while_txt = f" while the training loss fell from {train[0]:.3g} to {train[1]:.3g}" if fell else ""
        msg = (f"{what} rose from its best, {best:.3g} at step {sb}, to {last:.3g} at step {sl} ({last / best:.2f}x over "
               f"{head}){while_txt}: the model fits held-out data worse as training goes on (overfitting). Keep the checkpoint "
               f"from step {sb} ({_keep_best(s.history.meta, label, max(1, after - 1))}); more regularization or data helps, a "
               f"lower LR alone does not.")
    elif lr_end is not None and peak and lr_end <= low_lr_frac * peak:
        state, sev = "converged", "info"
        msg = (f"{what} stopped improving after step {sb} ({best:.3g}; under {threshold:.0%} better over the next "
               f"{head}) with the LR decayed to {lr_end:.3g}: the run converged on held-out data and could have stopped "
               f"around step {sb}{still}.")
    else:
        state, sev = "eval_stalled", "warning"
        lr_txt = f"with the LR still at {lr_end:.3g}" if lr_end is not None else "(no LR series to tell why)"
        msg = (f"{what} has not improved by {threshold:.0%} since step {sb} ({best:.3g}) over {head} {lr_txt}{still}. "
               f"Decay the LR on the eval loss: ReduceLROnPlateau(optimizer, mode='min', factor=0.1, "
               f"patience={max(1, after - 1)}, threshold={threshold}) stepped after each evaluation; or stop early.")
    evidence["state"] = state
    conf = float(min(0.95, 0.6 + 0.1 * after))
    return [Finding("plateau", sb, sl, sev, conf, s.lr_at(sb), msg, evidence)]


def _keep_best(meta: dict, tag: str, patience: int) -> str:
    """How the tool that wrote the run (``tag``: its name for the eval loss) keeps its best
    checkpoint, in its own terms."""
    hparams = meta.get("hparams") if isinstance(meta.get("hparams"), dict) else {}
    # a Trainer's own log, its TensorBoard callback's tag, or its MLflow callback's run (whose
    # params are the TrainingArguments); a bare eval_loss column is any tool's
    if (meta.get("source_format") == "hf-trainer-state" or tag == "eval/loss"
            or "per_device_train_batch_size" in hparams):
        metric = tag.replace("/", "_") if tag.startswith("eval") else "eval_loss"
        return (f"Trainer: load_best_model_at_end=True, metric_for_best_model='{metric}'; or "
                f"EarlyStoppingCallback(early_stopping_patience={patience})")
    if tag.rsplit("/", 1)[-1].startswith("epoch_") and "/" in tag:  # a Keras split run's validation/epoch_loss
        return f"Keras: EarlyStopping(monitor='val_loss', patience={patience}, restore_best_weights=True)"
    return f"save a checkpoint at each evaluation and keep the best; or stop early with patience {patience}"


def _denoised(v: np.ndarray, *, dense: int = 30, target: float = 0.005) -> tuple[np.ndarray, int, float]:
    """``(v, 1, 0)``, or where there are ``dense`` (30) or more evaluations as noisy as a
    minibatch's (a val loss of one batch logged every step), their centred running median over
    ``w`` of them, ``w`` and the median's relative noise: ``w`` brings the noise under ``target``
    (0.5%, half the rule's threshold), at most a fifth of the evaluations. The noise is read from
    successive differences of the log (a robust sd, so the trend hardly counts). On such a log the
    rule had judged noise: the best evaluation was a low draw and the last a random one; a flat
    eval loss 13% noisy, 600 evaluations, was called overfitting on 15 of 20 seeds, 18 of 20 with
    3,000 (round 50)."""
    if v.size < dense:
        return v, 1, 0.0
    d = np.diff(np.log(v))
    sigma = 1.4826 * float(np.median(np.abs(d - np.median(d)))) / math.sqrt(2)
    w = int(min(v.size // 5, round((sigma / target) ** 2)))
    w -= 1 - w % 2  # odd, so the median is centred
    if w < 3:
        return v, 1, 0.0
    # mirrored at the ends: a window padded with the last value would follow that one draw
    return median_filter(v, size=w, mode="mirror"), w, 1.2533 * sigma / math.sqrt(w)

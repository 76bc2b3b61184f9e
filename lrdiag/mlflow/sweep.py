"""A sweep's runs compared: final loss against LR, the best LR with an interval, unstable runs.

Pure arithmetic on rows (one per run: ``run_id``, ``lr``, ``final_loss``, ``unstable``, ...);
``lrdiag.mlflow.experiment`` reads the rows from an MLflow experiment and renders the view.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ..history import History
    from ..report import Report

#: Verdicts that make a run unstable in the sweep view.
UNSTABLE_KINDS = ("divergence", "spike", "oscillation", "lr_too_high")


_LR_PARAMS = ("lr", "learning_rate", "learning-rate", "base_lr", "max_lr", "peak_lr", "initial_lr")


def _param_lr(params: Mapping[str, str]) -> float | None:
    lowered = {k.lower(): v for k, v in params.items()}
    for k in _LR_PARAMS:
        if k in lowered:
            try:
                v = float(lowered[k])
            except ValueError:
                continue
            if math.isfinite(v) and v > 0:
                return v
    return None


def final_loss(loss: np.ndarray | None, tail: float = 0.1) -> float | None:
    """Median of the last ``tail`` fraction (3 to 50 values) of the logged loss values.

    ``inf`` when the run's last logged value is not finite (it diverged); ``None`` without loss.
    The median keeps one noisy last batch from deciding the comparison.
    """
    if loss is None:
        return None
    v = np.asarray(loss, dtype=np.float64)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return None
    if not np.isfinite(v[-1]):
        return math.inf
    k = int(min(50, max(3, round(tail * v.size))))
    last = v[-k:]
    last = last[np.isfinite(last)]
    return float(np.median(last))


def initial_loss(loss: np.ndarray | None) -> float | None:
    """Median of the first 5% (3 to 20) finite loss values; None without any."""
    if loss is None:
        return None
    v = np.asarray(loss, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return None
    k = int(min(20, max(3, round(0.05 * v.size))))
    return float(np.median(v[:k]))


def run_row(run: Any, history: "History", report: "Report") -> dict[str, Any]:
    """One MLflow run's row of the sweep: its LR (a ``lr``-like param, else the peak of its LR
    series), final and initial loss, verdict, finding kinds, and whether (and why) it is unstable."""
    lr = _param_lr(run.data.params)
    lr_source = "param"
    if lr is None:
        series = history.lr()
        finite = series[np.isfinite(series)] if series is not None else np.zeros(0)
        lr = float(finite.max()) if finite.size else None
        lr_source = "peak of the LR series" if lr is not None else None
    fl = final_loss(history.loss)
    first = initial_loss(history.loss)
    kinds = sorted({f.kind for f in report.findings})
    if fl is not None and not math.isfinite(fl):
        why = "the loss is not finite at the end"
    elif report.verdict in UNSTABLE_KINDS:
        why = f"verdict {report.verdict}"
    elif fl is not None and first is not None and fl >= first:
        why = "the loss did not fall below its start"
    else:
        why = None
    return {
        "run_id": run.info.run_id,
        "run_name": run.info.run_name or run.data.tags.get("mlflow.runName") or run.info.run_id,
        "lr": lr, "lr_source": lr_source, "final_loss": fl, "initial_loss": first, "verdict": report.verdict,
        "findings": kinds, "unstable": why is not None, "unstable_reason": why, "steps": len(history), "error": None,
    }


def sweep_summary(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Final loss against LR over a sweep: the best LR, an interval around it, unstable runs.

    A run is unstable when its loss is not finite at the end, its verdict is one of
    divergence / spike / oscillation / lr_too_high, or its final loss is not below its initial
    loss (it learned nothing, typically after blowing up).

    Runs with the same LR (seeds) are averaged. The best swept LR is the stable LR with the
    lowest final loss; the interval is bounded by its neighbours in the sweep (a grid search
    cannot place the optimum more finely, assuming loss is unimodal in log LR). Inside it, a
    parabola through the best point and its two neighbours in (log10 LR, loss) gives the point
    estimate when it opens upwards; otherwise the estimate is the best swept LR. A best LR at the
    edge of the sweep is flagged: the optimum may lie beyond it.
    """
    groups: dict[float, dict[str, Any]] = {}
    for r in rows:
        if r.get("lr") is None or r.get("final_loss") is None:
            continue
        g = groups.setdefault(float(f"{r['lr']:.6g}"), {"losses": [], "runs": [], "unstable": False})
        g["runs"].append(r["run_id"])
        g["unstable"] |= bool(r["unstable"])
        if math.isfinite(r["final_loss"]):
            g["losses"].append(r["final_loss"])
    points = [{"lr": lr, "final_loss": (float(np.mean(g["losses"])) if g["losses"] else None), "runs": g["runs"],
               "unstable": g["unstable"]} for lr, g in sorted(groups.items())]
    out: dict[str, Any] = {"points": points, "best_lr": None, "best_swept_lr": None, "interval": None, "at_edge": None,
                           "unstable_runs": [r["run_id"] for r in rows if r.get("unstable")]}
    ok = [i for i, p in enumerate(points) if not p["unstable"] and p["final_loss"] is not None]
    if not ok:
        return out
    b = min(ok, key=lambda i: points[i]["final_loss"])
    best = points[b]["lr"]
    low = points[b - 1]["lr"] if b > 0 else None
    high = points[b + 1]["lr"] if b + 1 < len(points) else None
    estimate = best
    if low is not None and high is not None:
        ya, yc = points[b - 1]["final_loss"], points[b + 1]["final_loss"]
        if ya is not None and yc is not None and not points[b - 1]["unstable"] and not points[b + 1]["unstable"]:
            x = np.log10([low, best, high])
            a, bb, _ = np.polyfit(x, [ya, points[b]["final_loss"], yc], 2)
            if a > 0:
                estimate = float(10 ** np.clip(-bb / (2 * a), x[0], x[2]))
    out.update(best_lr=estimate, best_swept_lr=best, interval=[low if low is not None else best, high if high is not None else best],
               at_edge="low" if low is None else ("high" if high is None else None))
    return out

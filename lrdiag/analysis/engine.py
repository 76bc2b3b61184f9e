"""``analyze``: run every detector over a History and assemble the Report.

    report = lrdiag.analyze("runs/exp1")            # anything lrdiag.load reads
    report = lrdiag.analyze(history, spike={"z": 10})  # per-detector keyword options
    print(report.summary)

Findings are de-duplicated (a divergence swallows the spikes and oscillation at its onset),
ranked (most severe, most confident, earliest first), and summarised in one paragraph. When the
recommender (``lrdiag.analysis.recommend``) is installed its suggestion is attached.
"""

from __future__ import annotations

import math
import time
import warnings
from collections import Counter
from typing import Any, Mapping

import numpy as np

from .. import names
from ..errors import AnalysisError, LRDiagError
from ..history import History
from ..report import Finding, Report
from . import detectors as D

#: This many spike findings in one run are a pattern, said so in the summary and the advice:
#: clip first; if it still spikes with clipping, the LR is too high.
FREQUENT_SPIKES = 5

#: How to log what analysis needs, quoted when a History has nothing to analyse.
WHAT_TO_LOG = ("log the training loss every step (lrdiag.Monitor(...).log_loss(loss), a TensorBoard scalar such as "
               "'train/loss', or a CSV/JSONL column 'loss'), ideally with the learning rate ('lr')")


def analyze(source_or_history: Any, **options: Any) -> Report:
    """Analyse a run and return its ``Report``.

    Parameters
    ----------
    source_or_history : History or str or path
        A ``History``, or anything ``lrdiag.load`` accepts (run directory, event file, CSV/JSONL,
        ``trainer_state.json``, ``mlflow:<run_id>``).
    **options
        ``divergence=``, ``spike=``, ``oscillation=``, ``plateau=``, ``lr_band=``, ``unstable_stall=``,
        ``loss_rise=``: dicts of
        keyword options for that detector (see ``lrdiag.analysis.detectors``), or ``False`` to
        skip it. ``recommend=False`` skips the recommender; ``total_steps=`` is passed to it
        (default: the last step of the run). Other options go to ``lrdiag.load``.

    Raises
    ------
    AnalysisError
        Only when there is nothing to analyse at all (no loss series); the message says what
        to log. Empty, one-step, all-NaN and constant inputs give a Report that says so.
    """
    det_opts = {k: options.pop(k) for k in list(options) if k in D.DETECTORS}
    use_rec = options.pop("recommend", True)
    total_steps = options.pop("total_steps", None)
    history = _as_history(source_or_history, options)
    t0 = time.perf_counter()
    report = _analyze_history(history, det_opts)
    if use_rec:
        _attach_recommendation(report, total_steps if total_steps is not None else _default_total(history))
    report.summary = summarize(report, history)
    report.meta["analysis_seconds"] = round(time.perf_counter() - t0, 4)
    return report


def _as_history(src: Any, load_options: Mapping[str, Any]) -> History:
    if isinstance(src, History):
        return src
    if isinstance(src, Report):
        raise AnalysisError("analyze() needs a run (History or a source path), not a Report")
    from ..sources import load

    return load(src, **load_options)


def _default_total(history: History) -> int:
    return int(history.steps[-1]) + 1 if len(history) else 0


def _analyze_history(history: History, det_opts: Mapping[str, Any]) -> Report:
    if history.loss is None:
        have = ", ".join(sorted(history.series)[:8]) or "no series at all"
        raise AnalysisError(f"{history.run}: no loss series to analyse (found: {have}); {WHAT_TO_LOG}")
    steps = (int(history.steps[0]), int(history.steps[-1])) if len(history) else None
    report = Report(run=history.run, steps=steps)
    s = D.Series.from_history(history)
    report.meta["ratio_band"] = s.band.to_dict()
    if s.not_judged:  # recorded, drawn, not judged against the band (``Series.layers``)
        report.meta["layers_not_judged"] = s.not_judged
        s.notes["update ratios"] = _not_judged_note(s.not_judged)
    report.meta["loss_points"] = int(s.steps.size)
    if s.gap == s.gap:
        report.meta["loss_logged_every"] = s.gap
    if history.meta.get("optimizer"):
        report.meta["optimizer"] = str(history.meta["optimizer"])
    if isinstance(history.meta.get("hparams"), dict):
        report.meta["hparams"] = history.meta["hparams"]
    lr = history.lr()
    if lr is not None and np.isfinite(lr).any():
        report.meta["final_lr"] = float(lr[np.isfinite(lr)][-1])
        # the LR a "keep the schedule" recommendation names (no finding carries one then)
        report.meta["peak_lr"] = float(np.max(lr[np.isfinite(lr)]))
    state = _input_state(s)
    report.meta["input"] = state
    findings: list[Finding] = []
    if state in ("ok", "constant") or state == "nonfinite":
        for name, fn in D.DETECTORS.items():
            opts = det_opts.get(name, {})
            if opts is False:
                continue
            if state == "constant" and name in ("spike", "oscillation"):
                continue
            try:
                findings.extend(fn(s, **(opts or {})))
            except LRDiagError:
                raise
            except Exception as e:  # one detector's bug must not cost the whole report
                warnings.warn(f"lrdiag: detector {name} failed on {history.run}: {e!r}", RuntimeWarning, stacklevel=2)
                report.meta.setdefault("detector_errors", {})[name] = repr(e)
    if s.notes:
        report.meta["not_tested"] = dict(s.notes)
    report.findings = rank(dedupe(findings))
    return report


_ROLE_WORDS = {"vector": "with gains and biases only (norms)", "embedding": "embedding",
               "zero_init": "started at zero (LoRA's B)"}


def _not_judged_note(roles: Mapping[str, str]) -> str:
    """One line for the report's notes: how many layers of each role the band did not judge."""
    parts = ", ".join(f"{n} {_ROLE_WORDS.get(r, r)}" for r, n in Counter(roles.values()).items())
    return (f"not judged against the band for {len(roles)} layers: {parts}; their ratios follow other rules "
            "(meta.layers_not_judged)")


def _input_state(s: D.Series) -> str:
    """``empty`` (no loss point), ``all_nan``, ``too_short`` (< 3 finite), ``nonfinite`` (has
    inf/NaN tail), ``constant``, or ``ok``."""
    if s.steps.size == 0:
        return "all_nan" if len(s.history) else "empty"
    if s.fsteps.size == 0:
        return "nonfinite"
    if s.fsteps.size < 3:
        # a loss that turned non-finite after a value or two diverged: that is not "too short"
        # (SGD at 100x its LR read as 10-step means: 3.6e22, then inf at every later log)
        return "nonfinite" if D._first_nonfinite_step(s) is not None else "too_short"
    if float(np.ptp(s.y)) == 0.0:
        return "constant"
    return "ok"


def dedupe(findings: list[Finding]) -> list[Finding]:
    """Drop findings explained by a more serious one.

    A divergence explains spikes, oscillation and plateaus that start at or after its onset
    (minus a short lead: the first jumps *are* the divergence; a plateau 90%+ after it) and later
    too-small updates (a dead network); a spike that overlaps an oscillation is part of it. A
    stall after instability (``detect_unstable_stall``) likewise explains too-small updates and
    plateaus lying 90%+ after its onset, except a plateau "stalled at a high LR" that begins after
    the onset: that one says where the loss sat still at the LR that is too high, and
    ReduceLROnPlateau would have cut it there (one from step 0 is the stall itself). The stall is
    itself dropped when a divergence was found. A loss that rose and stayed worse
    (``detect_loss_rise``) explains later plateaus, and is dropped when a divergence or a stall
    after instability already says the LR is too high.
    """
    div = [f for f in findings if f.kind == "divergence"]
    onset = min((d.start_step for d in div), default=None)
    osc = [f for f in findings if f.kind == "oscillation"]
    stall = [f for f in findings if (f.evidence or {}).get("state") == "stalled_after_instability"]
    stall_onset = min((f.start_step for f in stall), default=None)
    rose = [f for f in findings if (f.evidence or {}).get("state") == "loss_rose"]
    rose_onset = min((f.start_step for f in rose), default=None)
    out = []
    for f in findings:
        if f in stall and div:
            continue  # the divergence already says it, more strongly
        if f in rose and (div or stall):
            continue  # a blow-up or a stall after instability already names the too-high LR
        if f.kind == "plateau" and rose_onset is not None and f.start_step >= rose_onset and not (div or stall):
            continue  # a flat stretch after the loss got worse is not "decay the LR": it is too high
        if (f.kind == "lr_too_low" or f.kind == "plateau" and not _later_stall_at_high_lr(f, stall_onset)) \
                and stall_onset is not None and _mostly_after(f, stall_onset):
            continue  # stalled after instability: tiny ratios are dead units, not a low LR nor convergence
        if f.kind == "lr_too_low" and onset is not None and f.start_step >= onset:
            continue  # after a blow-up the layers are dead: tiny updates say nothing about the LR
        if f.kind in ("spike", "oscillation", "plateau") and div:
            lead = max(1, (f.end_step - f.start_step) // 4 + 1) if f.kind != "plateau" else 0
            # a plateau lying (90%+) after the onset is the level the loss diverged to
            if f.end_step >= onset - lead and f.kind != "plateau" or f.kind == "plateau" and _mostly_after(f, onset):
                continue
        if f.kind == "spike" and any(o.start_step <= f.start_step <= o.end_step for o in osc):
            continue
        out.append(f)
    return out


def _later_stall_at_high_lr(f: Finding, onset: int | None) -> bool:
    """A plateau "stalled at a high LR" that begins after the instability's onset: a separate
    stretch where the loss sat still at the LR that is too high. One that begins at or before the
    onset is the stall itself (a dead network flat from step 0), which the stall already reports."""
    return onset is not None and (f.evidence or {}).get("state") == "stalled_high_lr" and f.start_step > onset


def _mostly_after(f: Finding, onset: int, share: float = 0.9) -> bool:
    """At least ``share`` of the finding's interval lies at or after ``onset`` (a plateau that
    starts a few steps before an instability, window edges, is still the stall after it)."""
    return f.end_step - max(f.start_step, onset) >= share * (f.end_step - f.start_step)


def rank(findings: list[Finding]) -> list[Finding]:
    """Most severe first, then most confident, then earliest."""
    return sorted(findings, key=lambda f: (-f.severity_rank, -f.confidence, f.start_step, f.kind))


def _attach_recommendation(report: Report, total_steps: int) -> None:
    try:
        from .recommend import recommend
    except ImportError:
        return
    try:
        rec = recommend(report, total_steps=max(1, int(total_steps)))
        report.recommendation = rec.to_dict() if rec is not None else None
    except Exception as e:  # the report is still useful without a recommendation
        report.meta["recommendation_error"] = f"{type(e).__name__}: {e}"


# -- the summary paragraph -------------------------------------------------------------------

_STATE_TEXT = {
    "empty": "The run has no steps, so there is nothing to analyse yet; " + WHAT_TO_LOG + ".",
    "all_nan": "Every loss value in this run is missing or NaN, so nothing can be said about its progress; check that the loss is logged as a number.",
    "too_short": "The run has fewer than 3 finite loss values, too few to judge; analyse it again after more steps.",
    "constant": "The loss is exactly constant over the whole run: the model is not learning at all (LR of zero, frozen parameters, or the loss is not connected to them).",
}


def summarize(report: Report, history: History | None = None) -> str:
    """One paragraph in plain words: what the run did, the main problem, what to do."""
    state = report.meta.get("input", "ok")
    parts: list[str] = []
    if state in _STATE_TEXT:
        parts.append(_STATE_TEXT[state])
    if report.steps is not None and state not in ("empty",):
        lo, hi = report.steps
        parts.insert(0, f"{report.run} was analysed over steps {lo} to {hi}.")
    problems = [f for f in report.findings if f.severity != "info"]
    infos = [f for f in report.findings if f.severity == "info"]
    if state in ("ok", "nonfinite", "constant"):
        if not report.findings and state != "constant":
            # a blow-up hidden inside a sparse log's first interval is not "no problem" (see not_tested)
            after = " after the first logged interval" if "convergence" in (report.meta.get("not_tested") or {}) else ""
            parts.append(f"No learning-rate problem was found{after}: no divergence, spikes, oscillation, stalled progress, "
                         "or update ratios outside the healthy band.")
        elif problems:
            top = problems[0]
            parts.append(f"Main problem: {top.message}")
            others = _count_kinds(problems[1:])
            if others:
                parts.append(f"Also found: {others}.")
            if infos:
                parts.append(f"For information: {_count_kinds(infos)}.")
        elif infos:
            # info findings (a converged plateau, a few layers out of band) are not problems
            parts.append(f"No learning-rate problem was found. For information: {infos[0].message}")
    spikes = [f for f in report.findings if f.kind == "spike"]
    if len(spikes) >= FREQUENT_SPIKES:
        # the recommendation for spikes the loss came back from says what to do (clip first; round
        # 51: this sentence had said "try 2-3x lower" beside a recommendation to keep the LR)
        said = "spiked" in str((report.recommendation or {}).get("rationale", ""))
        parts.append(f"The loss spiked {len(spikes)} times: some updates are too large for this model and batch size"
                     + ("." if said else "; clip gradients (norm 1.0), and if it still spikes with clipping, the LR is "
                                          "too high: lower it 2-3x or warm up."))
    nt = report.meta.get("not_tested") or {}
    for kind, why in nt.items():
        parts.append(f"{kind.capitalize()} {'were' if kind.endswith('s') else 'was'} {why}.")  # "update ratios"
    rec = report.recommendation or {}
    if rec.get("rationale"):
        parts.append(f"Suggested: {rec['rationale']}")
    return " ".join(p.strip() for p in parts if p)


def _count_kinds(findings: list[Finding]) -> str:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return ", ".join(f"{n} {k.replace('_', ' ')}" + ("s" if n > 1 and not k.startswith("lr_") else "") for k, n in counts.items())

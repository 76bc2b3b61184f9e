"""The eval-loss plateau test (ReduceLROnPlateau's rule on a logged eval loss), on synthetic
evaluation series whose answer follows from the rule by hand."""

from __future__ import annotations

import numpy as np
import pytest

import lrdiag
from lrdiag import names
from lrdiag.analysis import detectors as D
from lrdiag.analysis.eval_loss import detect_eval_plateau
from lrdiag.history import History


def _run(evals: list[float], *, every: int = 200, lr: np.ndarray | float = 0.1, n: int | None = None) -> History:
    n = n or every * len(evals)
    t = np.arange(n)
    rng = np.random.default_rng(0)
    loss = (0.5 + 2.0 * (1 + t / 100.0) ** -0.5) * np.exp(0.05 * rng.standard_normal(n))
    ev = np.full(n, np.nan)
    ev[every - 1 :: every][: len(evals)] = evals
    lr_col = np.full(n, lr) if np.isscalar(lr) else lr
    return History(t, {names.LOSS: loss, names.lr("group0"): lr_col, names.EVAL_LOSS: ev}, {"optimizer": "SGD"})


def _eval_findings(h: History) -> list:
    return detect_eval_plateau(D.Series.from_history(h))


def test_rising_eval_loss_is_overfitting_from_the_best_step():
    f = _eval_findings(_run([2.0, 1.5, 1.2, 1.25, 1.3, 1.4, 1.5]))
    assert len(f) == 1 and f[0].evidence["state"] == "eval_rising" and f[0].severity == "warning"
    assert (f[0].start_step, f[0].end_step) == (599, 1399)  # best at the 3rd evaluation
    assert f[0].evidence["evaluations_since_best"] == 4 and f[0].evidence["best_eval_loss"] == 1.2
    assert "1.25x" in f[0].message and "step 599" in f[0].message


def test_stalled_eval_loss_at_a_high_lr_says_decay_on_it():
    # 0.995 is under 1% better than 1.0: no progress by ReduceLROnPlateau's rule
    f = _eval_findings(_run([2.0, 1.4, 1.0, 0.999, 0.995, 1.001, 0.998]))
    assert [x.evidence["state"] for x in f] == ["eval_stalled"]
    assert f[0].start_step == 599 and "patience=3" in f[0].message and "0.1" in f[0].message


def test_stalled_eval_loss_after_the_lr_decayed_is_converged():
    n = 1400
    lr = 0.1 * (1 + np.cos(np.pi * np.arange(n) / n)) / 2
    f = _eval_findings(_run([2.0, 1.4, 1.0, 0.999, 0.995, 1.001, 0.998], lr=lr))
    assert [(x.evidence["state"], x.severity) for x in f] == [("converged", "info")]


def test_no_finding_while_the_eval_loss_improves():
    assert _eval_findings(_run([2.0, 1.5, 1.2, 1.1, 1.0, 0.95, 0.9])) == []


def test_patience_counts_evaluations_after_the_best():
    evals = [2.0, 1.5, 1.2, 1.25, 1.3]  # 2 evaluations after the best, 400 of 1000 steps
    assert [x.evidence["state"] for x in _eval_findings(_run(evals))] == ["eval_rising"]
    assert detect_eval_plateau(D.Series.from_history(_run(evals)), patience=3) == []


def test_too_few_evaluations_or_none_give_no_finding():
    assert _eval_findings(_run([1.0, 1.2, 1.3])) == []  # 3 < min_evals
    h = _run([2.0, 1.5, 1.2, 1.25, 1.3, 1.4, 1.5])
    del h.series[names.EVAL_LOSS]
    assert _eval_findings(h) == []


def test_analyze_ranks_it_and_recommends_keeping_the_best_checkpoint():
    rep = lrdiag.analyze(_run([2.0, 1.5, 1.2, 1.25, 1.3, 1.4, 1.5]))
    f = [x for x in rep.findings if x.evidence.get("source") == "eval_loss"]
    assert f and f[0].evidence["state"] == "eval_rising"
    assert rep.recommendation["kind"] == "keep" and rep.recommendation["params"]["best_step"] == 599
    assert "overfitting" in rep.summary


def test_an_eval_stall_recommends_reduce_on_plateau_counted_in_evaluations():
    rep = lrdiag.analyze(_run([2.0, 1.4, 1.0, 0.999, 0.995, 1.001, 0.998]))
    rec = rep.recommendation
    assert rec["kind"] == "reduce_on_plateau" and "patience=3 evaluations" in rec["rationale"]
    assert rec["params"]["patience"] == 3 * 200  # in steps for the preview: one evaluation every 200


def test_a_noisy_eval_loss_logged_every_step_is_judged_on_its_running_median():
    """Round 50. A val loss of one batch logged every step (``add_scalars`` of train and val is a
    common way) is as noisy as a minibatch loss. The rule compared its best draw with its last one:
    a flat eval loss 13% noisy over 600 evaluations was called overfitting on most seeds. It now
    judges a running median (its width from the noise) and asks a rise over 5x the median's noise;
    a real rise of 30% over the run's second half is still overfitting, from about its start."""
    t = np.arange(600)
    falsely, found = 0, 0
    for seed in range(10):
        rng = np.random.default_rng(seed)
        noise = np.exp(0.13 * rng.standard_normal(t.size))
        flat = _run(list(0.15 * noise), every=1)
        falsely += any(f.evidence["state"] == "eval_rising" for f in _eval_findings(flat))
        rising = 0.15 + 2 * np.exp(-t / 50) + 0.045 * np.clip((t - 300) / 300, 0, None)
        f = [f for f in _eval_findings(_run(list(rising * noise), every=1)) if f.evidence["state"] == "eval_rising"]
        found += bool(f)
        if f:
            assert 200 <= f[0].start_step <= 420 and f[0].evidence["median_of_evaluations"] > 1
            assert "running medians of" in f[0].message
    assert falsely <= 1 and found == 10


def test_each_eval_set_of_a_trainer_is_judged(tmp_path):
    """Round 51. A Trainer given several eval datasets (``eval_dataset={"squad": ..., "mnli":
    ...}``) logs ``eval_squad_loss`` and ``eval_mnli_loss``, no ``eval_loss``. The eval loss was
    not read at all; each is now judged, named in its finding, and the Trainer advice names it."""
    import json

    rows = []
    for s in range(10, 1010, 10):
        rows.append({"epoch": s / 1000, "learning_rate": 5e-5, "loss": 2.0 * s ** -0.2, "step": s})
        if s % 100 == 0:
            rows.append({"epoch": s / 1000, "eval_squad_loss": 1.0 + 0.0005 * s, "eval_squad_runtime": 1.0, "step": s})
            rows.append({"epoch": s / 1000, "eval_mnli_loss": 1.2 - 0.0001 * s, "eval_mnli_runtime": 1.0, "step": s})
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps({"log_history": rows, "global_step": 1000, "max_steps": 1000, "logging_steps": 10}))
    report = lrdiag.analyze(path)
    ev = [f for f in report.findings if f.evidence.get("source") == "eval_loss"]
    assert [(f.evidence["series"], f.evidence["state"], f.start_step) for f in ev] == [("eval_squad_loss", "eval_rising", 100)]
    assert ev[0].message.startswith("The eval loss (eval_squad_loss) rose from its best, 1.05 at step 100")
    assert "metric_for_best_model='eval_squad_loss'" in ev[0].message
    # a single eval set keeps its plain wording and evidence names the source's own series
    one = detect_eval_plateau(D.Series.from_history(_run([2.0, 1.5, 1.2, 1.25, 1.3, 1.4, 1.5])))
    assert one[0].message.startswith("The eval loss rose") and one[0].evidence["series"] == names.EVAL_LOSS


def test_the_keep_best_advice_speaks_the_writing_tools_language(tmp_path):
    """Round 51. The overfitting advice named the Hugging Face Trainer for every log. A CSV with an
    ``eval_loss`` column (timm's summary.csv) gets the plain advice; a Trainer's own log keeps the
    Trainer's (tested above), and Keras' the Keras callback (tests/test_sources.py)."""
    rows = ["epoch,train_loss,eval_loss,lr"]
    for e in range(100):
        rows.append(f"{e},{2 * (e + 1) ** -0.3:.5f},{1.5 * (e + 1) ** -0.2 + 0.003 * max(0, e - 60):.5f},0.1")
    (tmp_path / "summary.csv").write_text("\n".join(rows))
    rising = [f for f in lrdiag.analyze(tmp_path / "summary.csv").findings if f.evidence.get("state") == "eval_rising"]
    assert len(rising) == 1 and rising[0].start_step == 60
    assert "save a checkpoint at each evaluation and keep the best" in rising[0].message
    assert "Trainer" not in rising[0].message

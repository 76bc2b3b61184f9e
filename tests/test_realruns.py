"""The 12 real Hugging Face trainer_state.json files in ../shared/realruns all load, with true facts.

Expected numbers come from SOURCES.md (training rows) and from the JSON itself, read here with
nothing but ``json`` so the check is independent of the reader under test.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import lrdiag
from lrdiag import names
from lrdiag.cli import main as cli_main

from conftest import REALRUNS


def _documented_rows() -> dict[str, int]:
    text = (REALRUNS / "SOURCES.md").read_text()
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"`([^`]+\.json)`:.*\((\d+) training rows\)", text)}


def _train_rows(path):
    doc = json.loads(path.read_text())  # Python's json reads the NaN literals too
    return doc, [r for r in doc["log_history"] if "loss" in r and "learning_rate" in r]


def test_every_realrun_is_documented(realruns):
    assert sorted(p.name for p in realruns) == sorted(_documented_rows())
    assert len(realruns) == 12


def test_every_realrun_loads_with_true_facts(realruns):
    documented = _documented_rows()
    for path in realruns:
        doc, rows = _train_rows(path)
        h = lrdiag.load(path)
        assert len(rows) == documented[path.name]
        assert len(h) == documented[path.name], path.name  # eval rows share the training steps
        assert h.meta["source_format"] == "hf-trainer-state"
        assert int(h.steps[0]) == rows[0]["step"] and int(h.steps[-1]) == rows[-1]["step"], path.name
        assert h.steps.tolist() == [r["step"] for r in rows]
        np.testing.assert_array_equal(h.lr(), [r["learning_rate"] for r in rows])
        np.testing.assert_array_equal(h.loss, [r["loss"] for r in rows])
        assert h.groups == ["group0"]
        assert h.meta["global_step"] == doc["global_step"] and h.meta["max_steps"] == doc["max_steps"]
        for key in ("logging_steps", "train_batch_size"):
            if key in doc:
                assert h.meta[key] == doc[key] and h.meta["hparams"][key] == doc[key]
        evals = [r for r in doc["log_history"] if "eval_loss" in r]
        if evals:
            s, v = h.observed("lrdiag/eval_loss")
            assert s.tolist() == [r["step"] for r in evals]
            np.testing.assert_array_equal(v, [r["eval_loss"] for r in evals])
        else:
            assert "lrdiag/eval_loss" not in h.series
        grad = [r.get("grad_norm") for r in rows]
        if any(g is not None for g in grad):
            g = h.series[names.GRAD_NORM]
            np.testing.assert_array_equal(g, [np.nan if x is None else x for x in grad])
        summary = [r for r in doc["log_history"] if "train_runtime" in r]
        if summary:
            assert h.meta["train_summary"]["train_loss"] == summary[0]["train_loss"]


def test_nan_grad_norm_is_kept_as_nan(realruns):
    path = REALRUNS / "ChenguangYang96UCR__KG-LLM.json"
    h = lrdiag.load(path)
    assert math.isnan(h.series[names.GRAD_NORM][0])  # the file's first row says NaN
    assert h.lr()[0] == 0.0 and h.loss[0] == 4.3097


def test_cli_load_describes_every_realrun(realruns, capsys):
    documented = _documented_rows()
    for path in realruns:
        _, rows = _train_rows(path)
        assert cli_main(["load", str(path)]) == 0
        out = capsys.readouterr().out
        first, last = rows[0]["step"], rows[-1]["step"]
        assert f"{documented[path.name]} steps ({first}..{last})" in out, out
        assert "format: hf-trainer-state" in out
        lr_line = next(line for line in out.splitlines() if line.strip().startswith("lrdiag/lr/group0:"))
        assert f"{len(rows)} values" in lr_line
        assert f"max {max(r['learning_rate'] for r in rows):.4g}" in lr_line
        loss_line = next(line for line in out.splitlines() if line.strip().startswith("lrdiag/loss:"))
        assert f"first {rows[0]['loss']:.4g}" in loss_line and f"last {rows[-1]['loss']:.4g}" in loss_line


def test_cli_subprocess_on_a_realrun_and_on_garbage(realruns, tmp_path):
    path = REALRUNS / "poludmik__qlora-fine-tune.json"
    r = subprocess.run([sys.executable, "-m", "lrdiag.cli", "load", str(path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "100 steps (10..1000)" in r.stdout and "loss logged every 10 steps" in r.stdout
    bad = tmp_path / "trainer_state.json"
    bad.write_text('{"log_history": [{"eval_loss": 1.0, "step": 5}]}')
    r = subprocess.run([sys.executable, "-m", "lrdiag.cli", "load", str(bad)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "no training rows" in r.stderr and str(bad) in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("variant,expect", [
    ({"log_history": []}, "no training rows"),
    ({"log_history": [{"eval_loss": 0.5, "step": 10}]}, "no training rows"),
    ({"log_history": [{"loss": "high", "learning_rate": 1e-3, "step": 1}]}, "no training rows"),
    ({"global_step": 3}, "without a 'log_history' list"),
    ([1, 2, 3], "no row objects"),
])
def test_trainer_state_variants_give_clear_errors(tmp_path, variant, expect):
    p = tmp_path / "trainer_state.json"
    p.write_text(json.dumps(variant))
    with pytest.raises(lrdiag.errors.SourceError, match=expect), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lrdiag.load(p)


def test_trainer_state_with_strings_nan_and_missing_steps(tmp_path):
    p = tmp_path / "trainer_state.json"
    p.write_text('{"global_step": 30, "logging_steps": 10, "log_history": ['
                 '{"loss": 2.0, "learning_rate": "1e-3", "step": 10, "epoch": 0.1},'
                 '{"loss": NaN, "learning_rate": 1e-3, "grad_norm": Infinity, "step": 20},'
                 '{"loss": 1.5, "learning_rate": 5e-4},'
                 '{"loss": 1.0, "learning_rate": 2e-4, "step": "30"},'
                 '{"eval_loss": 1.7, "eval_runtime": 3.0, "step": 30}]}')
    with pytest.warns(UserWarning, match="1 log_history row"):
        h = lrdiag.load(p)
    assert h.steps.tolist() == [10, 20, 30]
    assert np.isnan(h.loss[1]) and h.loss[2] == 1.0
    np.testing.assert_array_equal(h.lr(), [1e-3, 1e-3, 2e-4])
    assert np.isinf(h.series[names.GRAD_NORM][1])
    assert h.observed("lrdiag/eval_loss")[1].tolist() == [1.7] and "eval_runtime" not in h.series



def test_output_dir_with_checkpoints_reads_the_latest(realruns, tmp_path):
    """An HF output directory: checkpoint-N/trainer_state.json, the latest holds the whole log."""
    import shutil

    early, late = REALRUNS / "Francis-xsc__BERT_Weibo_Rumor.json", REALRUNS / "sherryxzhao__lora_alpaca.json"
    for n, src in ((500, early), (1200, late)):
        (tmp_path / f"checkpoint-{n}").mkdir()
        shutil.copy(src, tmp_path / f"checkpoint-{n}" / "trainer_state.json")
    with pytest.warns(UserWarning, match="latest checkpoint's trainer_state.json \\(checkpoint-1200\\)"):
        h = lrdiag.load(tmp_path)
    assert len(h) == 121 and h.meta["run"] == "checkpoint-1200"
    (tmp_path / "other").mkdir()
    shutil.copy(early, tmp_path / "other" / "trainer_state.json")
    with pytest.raises(lrdiag.errors.SourceError, match="3 trainer_state.json files"):
        lrdiag.load(tmp_path)


def test_loading_never_imports_torch(realruns, tmp_path):
    """Reading logs needs neither torch nor MLflow (DESIGN: lazy imports)."""
    code = ("import sys, lrdiag; h = lrdiag.load(sys.argv[1]); "
            "bad = [m for m in ('torch', 'mlflow', 'lightning', 'transformers') if m in sys.modules]; "
            "print(len(h), bad); sys.exit(1 if bad else 0)")
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(tmp_path / "tb"))
    for i in range(5):
        w.add_scalar("train/loss", 1.0, i)
        w.add_scalar("train/learning_rate", 0.1, i, new_style=True)
    w.close()
    for source in (realruns[0], tmp_path / "tb"):
        r = subprocess.run([sys.executable, "-c", code, str(source)], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr


def test_a_plateau_message_never_calls_a_severalfold_fall_flat(realruns):
    """A finding that says "plateaued" must describe a loss that did not fall 2x over its window
    (AriesChen's loss fell 0.023 -> 0.003 after dropping under 1% of its start: "still fell")."""
    checked = 0
    for path in sorted(REALRUNS.glob("*.json")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            history = lrdiag.load(path)
            report = lrdiag.analyze(history)
        steps, loss = history.observed(names.LOSS)
        for f in report.findings:
            if f.kind != "plateau":
                continue
            if f.evidence.get("source") == "eval_loss":
                # about the eval loss: no evaluation after the best is 1% better than it
                es, ev = history.observed(names.EVAL_LOSS)
                best = ev[es == f.start_step][0]
                assert ev[es <= f.start_step].min() == best and (ev[es > f.start_step] >= 0.99 * best).all(), path.name
                checked += 1
                continue
            x = loss[(steps >= f.start_step) & (steps <= f.end_step)]
            k = max(1, x.size // 10)
            head, tail = float(np.median(x[:k])), float(np.median(x[-k:]))
            checked += 1
            if "plateaued" in f.message or "stalled" in f.message:
                assert not (head > 0 and tail < 0.5 * head), (path.name, f.message)
            else:
                assert "still fell" in f.message, (path.name, f.message)
    assert checked >= 3

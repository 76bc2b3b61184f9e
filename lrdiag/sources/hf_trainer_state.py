"""Hugging Face ``trainer_state.json``: the Trainer's ``log_history`` plus its run settings.

``log_history`` mixes row kinds, told apart by their keys:

* training rows (``loss``, ``learning_rate``, often ``grad_norm``, ``epoch``, ``step``): every
  numeric key becomes a series (``loss`` -> ``lrdiag/loss``, ``learning_rate`` ->
  ``lrdiag/lr/group0``, ``grad_norm`` -> ``lrdiag/grad_norm``, others keep their name);
* evaluation rows (``eval_loss``, ``eval_<metric>``): ``eval_loss`` -> ``lrdiag/eval_loss``, other
  metrics keep their name; runtime and throughput figures are dropped;
* the closing summary (``train_runtime``, ``train_loss`` = mean over the run) goes to
  ``meta["train_summary"]``, not into the series.

Values may be NaN literals (a diverged ``grad_norm``) or numeric strings; anything else is a
missing value. The loss of a training row is the mean over the ``logging_steps`` steps before it.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from .base import Columns, fail, to_float, to_step
from .tabular import load_json_document

# Copied to History.meta (and to meta["hparams"] where they are settings, not outcomes).
SETTINGS = ("max_steps", "logging_steps", "eval_steps", "save_steps", "train_batch_size", "num_train_epochs")
OUTCOMES = ("global_step", "epoch", "total_flos", "best_metric", "best_model_checkpoint", "best_global_step")
_EVAL_PREFIXES = ("eval_", "test_", "predict_")
_DROP_SUFFIXES = ("_runtime", "_samples_per_second", "_steps_per_second")


def is_trainer_state(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("log_history"), list)


def _row_kind(row: dict) -> str:
    if "loss" in row:
        return "train"
    if any(k.startswith(_EVAL_PREFIXES) for k in row):
        return "eval"
    if "train_runtime" in row or "train_loss" in row:
        return "summary"
    return "other"


def read_trainer_state(path: Path, doc: Any = None) -> tuple[Columns, dict]:
    """Read a parsed (or unparsed) trainer_state.json into columns and meta."""
    if doc is None:
        doc = load_json_document(path)
    if not is_trainer_state(doc):
        raise fail(path, "is JSON but has no 'log_history' list: not a Hugging Face trainer_state.json")
    cols = Columns(path)
    counts = {"train": 0, "eval": 0, "summary": 0, "other": 0}
    no_step = 0
    summary: dict[str, Any] = {}
    for row in doc["log_history"]:
        if not isinstance(row, dict):
            counts["other"] += 1
            continue
        kind = _row_kind(row)
        counts[kind] += 1
        if kind == "summary":
            summary.update({k: v for k, v in row.items() if to_float(v) is not None})
            continue
        step = to_step(row.get("step"))
        if step is None:
            no_step += 1
            continue
        for key, value in row.items():
            if key == "step" or (kind == "eval" and (key == "epoch" or key.endswith(_DROP_SUFFIXES))):
                continue
            x = to_float(value)
            if x is not None:
                cols.add(str(key), step, x)
    if no_step:
        warnings.warn(f"{path}: skipped {no_step} log_history row(s) without a usable 'step'")
    if counts["train"] == 0 or "loss" not in cols:
        raise fail(path, f"log_history has {len(doc['log_history'])} rows but no training rows with a 'loss' "
                         f"({counts['eval']} evaluation rows); was logging_steps larger than the run?")
    meta = _meta(doc)
    meta["train_summary"] = summary
    meta["log_rows"] = counts
    return cols, meta


def _meta(doc: dict) -> dict:
    state = {k: v for k, v in doc.items() if k not in ("log_history", "stateful_callbacks") and (v is None or isinstance(v, (str, int, float, bool)))}
    meta: dict[str, Any] = {"trainer_state": state}
    for k in SETTINGS + OUTCOMES:
        if k in state:
            meta[k] = state[k]
    meta["hparams"] = {k: state[k] for k in SETTINGS if k in state}
    return meta

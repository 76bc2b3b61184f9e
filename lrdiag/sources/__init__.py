"""Readers: every supported log format -> :class:`~lrdiag.history.History`.

``load(source)`` recognises the format by content, not by file name:

=====================================  ==========================================================
source                                 read as
=====================================  ==========================================================
``mlflow:<run_id>``, ``runs:/<run_id>``  an MLflow run, every metric's full history
a directory                            a run directory (lrdiag store and/or event files), or a
                                       logdir holding several (pick one with ``run=``), or a
                                       directory with a ``trainer_state.json``
a file starting with ``LRDS``          an lrdiag local store file
a file starting with a valid TFRecord  a TensorBoard event file
JSON object with ``log_history``       a Hugging Face ``trainer_state.json``
JSON objects, one per line             JSONL rows
a JSON array of objects                rows
other UTF-8 text                       CSV (``,`` ``;`` tab or ``|`` delimited) with a header row
=====================================  ==========================================================

Anything else, or a file without usable series, raises one :class:`~lrdiag.errors.SourceError`
naming the file and what is missing. Damaged input that still holds data gives a partial
History and a warning saying what was skipped.
"""

from __future__ import annotations

import json
import os
import struct
import warnings
import zlib
from pathlib import Path
from typing import Any, Sequence

from .. import names
from ..errors import SourceError
from ..history import History
from .base import fail, file_size, read_head, regular_file, short_list
from .detect import ROLES, classify, renamed

__all__ = ["load", "sniff"]

_MLFLOW_PREFIXES = ("mlflow:", "runs:/")


def load(source: Any, *, loss: str | None = None, lr: str | Sequence[str] | None = None,
         tracking_uri: str | None = None, run: str | None = None, step: str | None = None,
         **more: str) -> History:
    """Read a training log into a History.

    Parameters
    ----------
    source : str or path
        A run directory or logdir, an event file, a CSV / JSONL / JSON file, a Hugging Face
        ``trainer_state.json``, an lrdiag store file, or ``mlflow:<run_id>`` / ``runs:/<run_id>``.
        A History is returned unchanged.
    loss : name of the training-loss series in the source (detected when None).
    lr : name, or list of names, of the learning-rate series (one param group each).
    tracking_uri : MLflow tracking URI for ``mlflow:`` sources (MLflow's default when None).
    run : in a logdir with several runs, which one (its relative path or last path part).
    step : in a CSV / JSONL source, the column holding the step (detected when None).
    **more : ``grad_norm=``, ``weight_norm=``, ``eval_loss=`` name those series.

    Returns
    -------
    History with series named as in :mod:`lrdiag.names`; ``meta`` holds ``source``,
    ``source_format``, ``run`` and what the source recorded about the run.

    Raises
    ------
    SourceError
        The source does not exist, is not a recognised format, or holds neither a loss nor a
        learning-rate series.
    """
    if isinstance(source, History):
        return source
    unknown = set(more) - set(ROLES)
    if unknown:
        raise TypeError(f"load() got unexpected keyword(s) {sorted(unknown)}; series overrides are {list(ROLES)}")
    overrides = {k: v for k, v in dict(more, loss=loss, lr=lr).items() if v is not None}
    text = os.fspath(source) if isinstance(source, os.PathLike) else str(source)
    if text.startswith(_MLFLOW_PREFIXES):
        from .mlflow_source import load_mlflow

        return _finish(load_mlflow(text, tracking_uri=tracking_uri, overrides=overrides), text)
    path = Path(text).expanduser()
    if not path.exists():
        raise fail(text, "no such file or directory")
    try:
        if path.is_dir():
            history = _load_dir(path, run=run, overrides=overrides, step=step)
        else:
            history = _load_file(path, overrides=overrides, step=step)
    except SourceError:
        raise
    except (OSError, UnicodeError, ValueError, struct.error, zlib.error, MemoryError, RecursionError) as e:
        # A reader met input it could not make sense of: one line, not a deep traceback.
        raise fail(text, f"could not be read ({type(e).__name__}: {e})") from None
    return _finish(history, text)


def sniff(path: Path) -> str:
    """The format of one file from its first bytes: ``lrstore``, ``events``, ``json``, ``jsonl``,
    ``json-array`` or ``csv``; SourceError for empty or binary files."""
    from ..store import MAGIC
    from .tensorboard import looks_like_events

    head = read_head(path)
    if not head:
        raise fail(path, "is empty")
    if head.startswith(MAGIC):
        return "lrstore"
    if looks_like_events(head):
        return "events"
    if b"\x00" in head:
        raise fail(path, "is a binary file of unknown format (not a TensorBoard event file, lrdiag store, CSV, JSONL or trainer_state.json)")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:  # not just a character cut at the end of the sample
            raise fail(path, "is neither UTF-8 text nor a known binary format") from None
        text = head[: e.start].decode("utf-8")
    text = text.lstrip("\ufeff \t\r\n")
    if text.startswith("{"):
        lines = [ln for ln in text.split("\n") if ln.strip()]
        try:
            obj = json.loads(lines[0])
        except (ValueError, RecursionError):
            return "json"  # a multi-line (pretty-printed) JSON document
        if isinstance(obj, dict) and len(lines) > 1 and lines[1].lstrip().startswith("{") and "log_history" not in obj:
            return "jsonl"
        return "json"
    if text.startswith("["):
        return "json-array"
    if not text.strip():
        raise fail(path, "holds only whitespace")
    return "csv"


def _load_file(path: Path, *, overrides: dict, step: str | None) -> History:
    from . import hf_trainer_state, tabular, tensorboard

    regular_file(path)
    fmt = sniff(path)
    if fmt == "lrstore":
        return _store_file(path)
    if fmt == "events":
        cols, meta = tensorboard.read_events([path], path)
        return _to_history(cols, meta, path, "tensorboard", overrides)
    if fmt == "json":
        doc = tabular.load_json_document(path)
        if hf_trainer_state.is_trainer_state(doc):
            cols, meta = hf_trainer_state.read_trainer_state(path, doc)
            return _to_history(cols, meta, path, "hf-trainer-state", overrides)
        if isinstance(doc, dict):
            raise fail(path, "is a JSON object without a 'log_history' list: not a Hugging Face trainer_state.json "
                             "(lrdiag reads JSON as trainer_state.json, JSON Lines rows, or an array of rows)")
        cols, meta = tabular.read_json_records(path, step=step)
        return _to_history(cols, meta, path, "json", overrides)
    if fmt == "json-array":
        cols, meta = tabular.read_json_records(path, step=step)
        return _to_history(cols, meta, path, "json", overrides)
    if fmt == "jsonl":
        cols, meta = tabular.read_jsonl(path, step=step)
        return _to_history(cols, meta, path, "jsonl", overrides)
    cols, meta = tabular.read_csv(path, step=step)
    return _to_history(cols, meta, path, "csv", overrides)


def _store_file(path: Path) -> History:
    from ..store import read_store

    meta, steps, series = read_store(path)
    if steps.size == 0:
        raise fail(path, "lrdiag store holds no steps yet")
    meta.setdefault("run", path.parent.name)
    meta["source_format"] = "lrdiag-store"
    return History(steps, series, meta)


def _load_dir(path: Path, *, run: str | None, overrides: dict, step: str | None) -> History:
    from .local import find_runs, load_run_dir, pick_run, pick_trainer_state, run_parts

    runs, states = find_runs(path)
    if runs:
        parts = run_parts(runs)
        # add_scalars' directories and a split run's train/validation directories are parts of
        # their run, not runs (run= may still name one)
        owners = {p.owner for p in parts.values()} - set(runs)
        listed = sorted((runs if run is not None else [r for r in runs if r not in parts]) + list(owners))
        run_dir = pick_run(path, listed, run)
        label = run_dir.name if run_dir == path else run_dir.relative_to(path).as_posix()
        mine = [p for p in parts.values() if p.owner == run_dir and run_dir not in parts]
        return load_run_dir(run_dir, label=label, overrides=overrides, parts=mine)
    if states:
        if run is not None:
            raise fail(path, f"holds no TensorBoard runs, only trainer_state.json files; run={run!r} does not apply")
        state = pick_trainer_state(path, states)
        return _load_file(state, overrides=overrides, step=step)
    raise fail(path, "holds no TensorBoard event files (*tfevents*), lrdiag store (*.lrstore) or trainer_state.json")


def _to_history(cols: Columns, meta: dict, path: Path, fmt: str, overrides: dict) -> History:
    mapping = classify(cols.names(), source=path, **overrides)
    meta = dict(meta)
    if renamed(mapping):
        meta["tags"] = renamed(mapping)
    meta.setdefault("run", path.parent.name if path.name == "trainer_state.json" else path.stem)
    meta["source_format"] = fmt
    return cols.to_history(mapping, meta)


def _finish(history: History, source: str) -> History:
    """Check that the History holds something to analyse, and record where it came from."""
    history.meta["source"] = source
    history.meta.setdefault("run", Path(source).name or source)
    has_loss = names.LOSS in history.series
    has_lr = bool(history.groups)
    if len(history) == 0 or not history.series:
        raise fail(source, "holds no numeric series (nothing but steps, or no rows)")
    if not has_loss and not has_lr:
        raise fail(source, f"has no loss and no learning-rate series (found {short_list(history.series)}); "
                           "name them with loss=/lr= (CLI: --loss-tag/--lr-tag)")
    if not has_loss:
        warnings.warn(f"{source}: no loss series found (series: {short_list(history.series, 8)}); name it with loss= (CLI: --loss-tag)")
    elif not has_lr:
        warnings.warn(f"{source}: no learning-rate series found (series: {short_list(history.series, 8)}); name it with lr= (CLI: --lr-tag)")
    return history

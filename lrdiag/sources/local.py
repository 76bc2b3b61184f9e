"""Run directories: lrdiag's own (local store + TensorBoard events) and foreign TensorBoard logdirs.

A *run* is a directory that directly holds event files (``*tfevents*``, TensorBoard's own rule)
or lrdiag store files (``*.lrstore``). A logdir given to :func:`load_dir` may be one run or hold
several in subdirectories (``lightning_logs/version_0``, ``runs/<date>``); with several, the
caller names one with ``run=`` (its path relative to the logdir, or a unique last part).

In an lrdiag run the local store is read first: it has every step at full resolution, where the
event files may have been written at a coarser cadence. Event files beside a store are read only
when the store lacks the loss or every LR series (the user logged those with their own
``SummaryWriter`` into the same directory); their series then fill in what the store lacks.
A directory without runs but with a ``trainer_state.json`` (a Hugging Face checkpoint or
output directory) is read through that file.

``SummaryWriter.add_scalars(main_tag, {key: value})`` writes each key into a run directory of its
own, ``<logdir>/<main_tag>_<key>`` (a ``/`` in ``main_tag`` written as ``_``), whose one tag is
``main_tag``: TensorBoard shows them as runs, but they belong to the writer's run. Such a
subdirectory of a run is read as that run's series ``<main_tag>/<key>`` (``loss/train``,
``loss/val``), not listed as a run of its own (also beside an lrdiag run whose store has the loss
and the LR: a val loss logged so is read); ``run=`` may still name it. Likewise the directory
``SummaryWriter.add_hparams`` writes inside a run (named by the time, holding the HParams plugin's
session and one value of each metric): its settings are the run's ``meta["hparams"]`` (the run's
own win) and its metrics ``meta["hparam_metrics"]``.

Keras' ``TensorBoard`` callback (and many hand-written loops) write one training into sibling
directories, ``<run>/train`` and ``<run>/validation`` (or ``val``, ``eval``, ``test``, ...), with
the same tags in each (``epoch_loss``): TensorBoard overlays them as two runs of one chart. A
directory holding a training directory and evaluation directories, and no events of its own, is
read as one run: the training directory's tags as they are, an evaluation directory's as
``<its name>/<tag>`` (``validation/epoch_loss``, the eval loss). Keras writes ``epoch_*`` scalars
at the epoch number and ``batch_*`` ones (``update_freq``) at the iteration; where both are
present, or ``evaluation_<m>_vs_iterations`` tells where each epoch ended, the epochs are put on
the iterations' axis (:func:`epochs_on_iterations`), and the ``batch_*`` series, which Keras logs
as means since the epoch began, are turned back into each logged stretch's own mean.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, NamedTuple

import numpy as np

from .. import names
from ..history import History
from ..store import SUFFIX, read_store, store_files
from .base import Columns, fail, short_list
from .detect import classify, renamed
from .tensorboard import EVENTS_MARK, event_files, read_events

MAX_DEPTH = 8
MAX_ENTRIES = 200_000
TRAINER_STATE = "trainer_state.json"
_CHECKPOINT = re.compile(r"checkpoint-(\d+)$")
TRAIN_DIRS = ("train", "training")
EVAL_DIRS = ("validation", "val", "valid", "eval", "evaluation", "dev", "test")
_EVAL_VS_ITERATIONS = re.compile(r"^evaluation_(?P<metric>.+)_vs_iterations$")


class Part(NamedTuple):
    """A directory of scalars that belongs to another run (module docstring)."""

    owner: Path  # the run it belongs to (a directory that may hold no events of its own)
    rename: dict[str, str]  # {its tag: the run's series name}
    cols: Columns
    meta: Mapping[str, dict] = MappingProxyType({})  # what it adds to the run's meta (add_hparams')


def find_runs(root: Path) -> tuple[list[Path], list[Path]]:
    """``(run directories, trainer_state.json files)`` under ``root`` (root included).

    The walk is bounded (depth and entry count): pointing at ``/`` must not hang.
    """
    runs: list[Path] = []
    states: list[Path] = []
    seen = 0
    root_depth = len(root.parts)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        seen += len(dirnames) + len(filenames)
        if seen > MAX_ENTRIES:
            warnings.warn(f"{root}: stopped looking for runs after {MAX_ENTRIES} entries; point at the run directory itself")
            break
        d = Path(dirpath)
        if len(d.parts) - root_depth >= MAX_DEPTH:
            dirnames[:] = []
        dirnames[:] = sorted(n for n in dirnames if not n.startswith("."))
        if any(EVENTS_MARK in f or f.endswith(SUFFIX) for f in filenames):
            runs.append(d)
        if TRAINER_STATE in filenames:
            states.append(d / TRAINER_STATE)
    return runs, states


def run_parts(runs: list[Path]) -> dict[Path, Part]:
    """``{run directory: Part}`` for the run directories that belong to another run: those
    ``add_scalars`` wrote beside a run, and the training/evaluation siblings of a split run
    (module docstring). Unreadable ones are left as runs of their own, which say why when loaded."""
    found: dict[Path, Part] = {}
    run_set = set(runs)
    for d in runs:
        if d.parent not in run_set:
            continue
        cols, meta = _read_or_none(d)
        tags = cols.names() if cols is not None else []
        if "hparams" in meta and all(cols.count(t) <= 1 for t in tags):
            # add_hparams: the session's settings and its final metrics, one value each
            found[d] = Part(d.parent, {}, cols, {"hparams": meta["hparams"],
                                                 "hparam_metrics": {t: float(cols.arrays(t)[1][-1]) for t in tags}})
        elif len(tags) == 1 and "_" in d.name and d.name.startswith(tags[0].replace("/", "_") + "_"):
            found[d] = Part(d.parent, {tags[0]: f"{tags[0]}/{d.name[len(tags[0]) + 1:]}"}, cols)
    siblings: dict[Path, list[Path]] = {}
    for d in runs:
        if d.parent not in run_set and d.name.lower() in TRAIN_DIRS + EVAL_DIRS:
            siblings.setdefault(d.parent, []).append(d)
    for owner, dirs in siblings.items():
        train = [d for d in dirs if d.name.lower() in TRAIN_DIRS]
        evals = [d for d in dirs if d.name.lower() in EVAL_DIRS]
        if len(train) != 1 or not evals:
            continue
        read = {d: _read_or_none(d)[0] for d in train + evals}
        if any(cols is None for cols in read.values()):
            continue
        for d, cols in read.items():
            prefix = "" if d in train else d.name + "/"
            found[d] = Part(owner, {t: prefix + t for t in cols.names()}, cols)
    return found


def _read_or_none(run_dir: Path) -> tuple[Columns | None, dict]:
    try:
        return read_events(event_files(run_dir), run_dir)
    except Exception:
        return None, {}


def epochs_on_iterations(cols: Columns) -> str | None:
    """Put Keras' ``epoch_*`` series on the iterations' axis, in place.

    Keras writes epoch metrics (the LR among them) at the epoch number, and both its batch metrics
    (``update_freq``) and ``evaluation_<m>_vs_iterations`` at the iteration: read on one axis, the
    whole run would stand at its first few iterations. The iteration each epoch ends at comes from
    ``<eval dir>/evaluation_<m>_vs_iterations`` against ``<eval dir>/epoch_<m>`` (the same
    evaluations on both axes), else, with ``batch_*`` series, from the last batch step over the
    number of epochs when that is whole. Epoch ``e`` is put at its end, ``(e + 1) *
    steps_per_epoch``: the report's steps are then optimizer steps, as a schedule counts them.
    Returns a note for the user when the two axes are present but cannot be matched (the series
    are left as they are), else None.
    """
    tags = cols.names()
    epoch_tags = [t for t in tags if _leaf(t).startswith("epoch_")]
    if not epoch_tags:
        return None
    per_epoch = None
    for t in tags:
        m = _EVAL_VS_ITERATIONS.match(_leaf(t))
        twin = _beside(t, "epoch_" + m.group("metric")) if m else None
        if twin in cols and cols.count(twin) == cols.count(t):
            spe = cols.arrays(t)[0] / (cols.arrays(twin)[0] + 1.0)
            if spe.size and np.all(spe == spe[0]) and spe[0] >= 1 and spe[0] == int(spe[0]):
                per_epoch = int(spe[0])
                break
    if per_epoch is None:
        batch = [cols.arrays(t)[0] for t in tags if _leaf(t).startswith("batch_") and cols.count(t)]
        if not batch:
            return None  # epochs only: one axis
        last = max(int(b.max()) for b in batch)
        epochs = np.unique(np.concatenate([cols.arrays(t)[0] for t in epoch_tags]))
        if not epochs.size or 2 * (int(epochs.max()) + 1) > last:
            return None  # the epoch series are not at epoch numbers: one axis already
        if np.array_equal(epochs, np.arange(epochs.size)) and last % epochs.size == 0:
            per_epoch = last // epochs.size
        else:
            return ("its epoch_* series are at the epoch number and its batch_* series at the iteration; "
                    "they could not be matched, so read them apart (loss=/lr= name one axis's series)")
    for t in [t for t in tags if _leaf(t).startswith("batch_")]:
        _undo_running_mean(cols, t, per_epoch)
    for t in epoch_tags:
        steps, values = cols.arrays(t)
        steps, values = (steps + 1) * per_epoch, values.copy()
        cols.drop(t)
        cols.add_many(t, steps, values)
    return None


def _undo_running_mean(cols: Columns, tag: str, per_epoch: int) -> None:
    """Keras' ``batch_<m>`` is the mean of ``<m>`` since the epoch began (its metrics reset each
    epoch), not the batch's own value: a smooth curve that jumps at each epoch's start, where a
    per-step test needs each step's loss. It is one exactly where it ends each epoch on that
    epoch's ``epoch_<m>``; then the mean over the batches since the previous value logged is
    ``(k m_k - j m_j) / (k - j)`` (``k``, ``j``: batches into the epoch), each batch's own value
    when every batch is logged. Not a running mean: left as it is."""
    twin = _beside(tag, "epoch_" + _leaf(tag)[len("batch_"):])
    if twin not in cols:
        return
    steps, means = cols.arrays(tag)
    if np.unique(steps).size < steps.size:
        return  # a step logged twice (a resumed run): no stretch to take a mean over
    e_steps, e_means = cols.arrays(twin)
    ends = dict(zip(steps.tolist(), means.tolist()))
    pairs = [(ends[int(e + 1) * per_epoch], m) for e, m in zip(e_steps, e_means) if int(e + 1) * per_epoch in ends]
    if not pairs or not all(math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-9) for a, b in pairs):
        return
    order = np.argsort(steps, kind="stable")
    steps, means = steps[order], means[order]
    epoch = (steps - 1) // per_epoch
    k = (steps - epoch * per_epoch).astype(np.float64)
    new_epoch = np.r_[True, epoch[1:] != epoch[:-1]]
    j = np.where(new_epoch, 0.0, np.r_[0.0, k[:-1]])
    prev = np.where(new_epoch, 0.0, np.r_[0.0, means[:-1]])
    values = (k * means - j * prev) / (k - j)
    cols.drop(tag)
    cols.add_many(tag, steps, values)


def _leaf(tag: str) -> str:
    return tag.rsplit("/", 1)[-1]


def _beside(tag: str, leaf: str) -> str:
    """``leaf`` in the directory of ``tag``: ``validation/epoch_loss`` beside ``validation/evaluation_loss_vs_iterations``."""
    return tag[: len(tag) - len(_leaf(tag))] + leaf


def _run_label(root: Path, run_dir: Path) -> str:
    rel = run_dir.relative_to(root).as_posix()
    return "." if rel in ("", ".") else rel


def pick_run(root: Path, runs: list[Path], run: str | None) -> Path:
    labels = {_run_label(root, r): r for r in runs}
    if run is not None:
        if run in labels:
            return labels[run]
        matches = [r for label, r in labels.items() if label.split("/")[-1] == run or label.endswith("/" + run)]
        if len(matches) == 1:
            return matches[0]
        raise fail(root, f"no run {run!r} (given as run=); runs: {short_list(labels)}")
    if len(runs) == 1:
        return runs[0]
    raise fail(root, f"holds {len(runs)} runs: {short_list(labels)}; load one of them (its directory, or run=NAME)")


def pick_trainer_state(root: Path, states: list[Path]) -> Path:
    """One trainer_state.json; in an output directory with checkpoints, the latest checkpoint's."""
    if len(states) == 1:
        return states[0]
    numbered = [(int(m.group(1)), p) for p in states if (m := _CHECKPOINT.search(p.parent.name))]
    if len(numbered) == len(states):
        step, latest = max(numbered)
        warnings.warn(f"{root}: reading the latest checkpoint's trainer_state.json ({latest.parent.name}); its log_history holds the earlier ones")
        return latest
    raise fail(root, f"holds {len(states)} trainer_state.json files: {short_list(_run_label(root, p.parent) for p in states)}; load one of them")


def load_run_dir(run_dir: Path, *, label: str, overrides: dict[str, Any],
                 parts: list[Part] = ()) -> History:
    """Read one run directory (store and/or events) into a History, with the ``parts``
    (:func:`run_parts`) that belong to it."""
    stores = store_files(run_dir)
    events = event_files(run_dir)
    meta: dict[str, Any] = {}
    steps = np.zeros(0, dtype=np.int64)
    series: dict[str, np.ndarray] = {}
    formats = []
    if stores:
        store_meta, steps, series = read_store(run_dir)
        meta.update(store_meta)
        formats.append("lrdiag-store")
        meta["store_files"] = [str(s) for s in stores]
    have_lr = any(n.startswith(names.LR) for n in series)
    extra: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if parts or (events and (not series or names.LOSS not in series or not have_lr or overrides)):
        try:
            cols, ev_meta = read_events(events, run_dir) if events else (Columns(run_dir), {})
            for part in parts:
                for tag, name in part.rename.items():
                    cols.add_many(name, *part.cols.arrays(tag))
                for key, value in part.meta.items():
                    ev_meta[key] = {**value, **ev_meta.get(key, {})}  # the run's own events win
            note = epochs_on_iterations(cols)
            if note:
                warnings.warn(f"{run_dir}: {note}")
        except Exception as e:
            if not series:
                raise
            warnings.warn(f"{run_dir}: ignoring the event files beside the store ({e})")
        else:
            mapping = classify(cols.names(), source=run_dir, **overrides)
            extra = {mapping[tag]: cols.arrays(tag) for tag in cols.names() if mapping[tag] not in series}
            for key in ("hparams", "hparam_metrics"):  # what a Monitor recorded wins
                if key in ev_meta:
                    ev_meta[key] = {**ev_meta[key], **(meta.get(key) or {})}
            meta.update(ev_meta)
            if renamed(mapping):
                meta["tags"] = renamed(mapping)
            formats.append("tensorboard")
    if not series and not extra:
        what = "lrdiag store holds no steps yet" if stores else "no scalar series"
        raise fail(run_dir, what)
    meta.setdefault("run", label)
    meta["source_format"] = "+".join(formats)
    if not extra:
        # The store is already aligned on its steps (float32, NaN where a series has no value):
        # use it as it is, without re-aligning tens of millions of values.
        return History(steps, series, meta)
    columns = {name: (steps[~np.isnan(v)], v[~np.isnan(v)]) for name, v in series.items()}
    columns.update(extra)
    return History.from_columns(columns, meta)

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
and the LR: a val loss logged so is read); ``run=`` may still name it.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Any

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


def add_scalars_parts(runs: list[Path]) -> dict[Path, tuple[Path, str, Columns]]:
    """``{subdirectory: (its run, series name, its scalars)}`` for the run directories that
    ``add_scalars`` wrote beside a run (module docstring): a direct subdirectory of another run,
    named ``<tag>_<key>`` (``/`` as ``_``) and holding the one tag ``<tag>``."""
    found: dict[Path, tuple[Path, str, Columns]] = {}
    run_set = set(runs)
    for d in runs:
        if d.parent not in run_set or "_" not in d.name:
            continue
        try:
            cols, _ = read_events(event_files(d), d)
        except Exception:  # unreadable here: left as a run of its own, which says why when loaded
            continue
        tags = cols.names()
        if len(tags) == 1 and d.name.startswith(tags[0].replace("/", "_") + "_"):
            found[d] = (d.parent, f"{tags[0]}/{d.name[len(tags[0]) + 1:]}", cols)
    return found


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
                 parts: list[tuple[str, Columns]] = ()) -> History:
    """Read one run directory (store and/or events) into a History, with the series ``parts``
    (``add_scalars_parts``: ``(name, scalars of its one tag)``) its ``add_scalars`` calls wrote
    beside it."""
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
            for name, part in parts:
                cols.add_many(name, *part.arrays(part.names()[0]))
        except Exception as e:
            if not series:
                raise
            warnings.warn(f"{run_dir}: ignoring the event files beside the store ({e})")
        else:
            mapping = classify(cols.names(), source=run_dir, **overrides)
            extra = {mapping[tag]: cols.arrays(tag) for tag in cols.names() if mapping[tag] not in series}
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

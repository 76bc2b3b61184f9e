"""CSV, JSONL and JSON-array logs: one row per logging step, columns ``step,lr,loss[,...]``.

The step column may be called ``step``, ``global_step``, ``iteration``, ``iter``, ``it``,
``batch``, ``_step`` or ``trainer/global_step`` (W&B exports); without one, the row number is the
step. Other columns are matched to lrdiag's names by :mod:`lrdiag.sources.detect` (``lr``,
``learning_rate``, ``train_loss``, ``update_ratio/<layer>``, ...) or kept under their own name.

Damaged rows lose only themselves: a row without a usable step is skipped, a non-numeric cell
is a missing value, a row with too few or too many cells keeps the cells it has. Each kind of
damage is counted and reported in one warning. Columns with no numeric value at all (a text
column such as ``phase``) are dropped.
"""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from .base import (MAX_JSON_BYTES, Columns, bounded_lines, fail, file_size, parse_floats, parse_steps,
                   to_float, to_step)

STEP_NAMES = ("step", "steps", "global_step", "trainer/global_step", "_step", "iteration", "iter", "it",
              "batch", "train/global_step", "global step", "optimizer_step", "update")
_DELIMITERS = ",;\t|"
# W&B "export as CSV" adds min/max columns next to each metric; they are not series of their own.
_SKIP_SUFFIXES = ("__MIN", "__MAX", "__min", "__max")
_MAX_FLATTEN_DEPTH = 3
_CHUNK_ROWS = 65536


class Damage:
    """Counts of each kind of damage, reported once at the end."""

    def __init__(self, source):
        self.source = source
        self.counts: dict[str, int] = {}

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def report(self) -> None:
        if self.counts:
            parts = ", ".join(f"{n} {what}" for what, n in self.counts.items())
            warnings.warn(f"{self.source}: read with damage: {parts}")


def find_step_key(keys: Iterable[str]) -> str | None:
    """The step column among ``keys`` (case-insensitive, by the names above), or None."""
    low = {k.lower().strip(): k for k in keys}
    for name in STEP_NAMES:
        if name in low:
            return low[name]
    return None


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in _DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_csv(path: Path, *, step: str | None = None) -> tuple[Columns, dict]:
    """Read a delimited text file with a header row."""
    cols = Columns(path)
    damage = Damage(path)
    with open(path, "r", encoding="utf-8-sig", errors="replace", newline="") as f:
        lines = bounded_lines(f, path)
        first = next(lines, None)
        while first is not None and not first.strip():
            first = next(lines, None)
        if first is None:
            raise fail(path, "is empty: expected a header row such as step,lr,loss")
        delim = _sniff_delimiter(first)
        header = next(csv.reader([first], delimiter=delim))
        header = [h.strip() for h in header]
        if all(to_float(h) is not None for h in header if h):
            raise fail(path, f"has no header row (first row is {short(first)}); expected column names such as step,lr,loss")
        if step is not None and step not in header:
            raise fail(path, f"no column named {step!r} (given as step=); columns: {short(', '.join(header))}")
        step_key = step if step is not None else find_step_key([h for h in header if h])
        use = _usable_columns(header, step_key, damage)
        step_idx = header.index(step_key) if step_key else None
        width = len(header)
        rownum = 0
        chunk: list[list[str]] = []
        # a spreadsheet saved in a locale that writes 0,5 for 0.5 separates cells by ";" (or a
        # tab): in a file not separated by commas, a comma in a cell is a decimal comma
        decimal_comma = delim != ","
        for row in csv.reader(lines, delimiter=delim):
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if decimal_comma:
                row = [c.replace(",", ".") for c in row]
            if len(row) != width:
                damage.add("rows with a wrong number of cells")
            chunk.append(row)
            if len(chunk) >= _CHUNK_ROWS:
                _add_chunk(chunk, rownum, step_idx, use, cols, damage)
                rownum += len(chunk)
                chunk = []
        _add_chunk(chunk, rownum, step_idx, use, cols, damage)
        rownum += len(chunk)
    _drop_text_columns(cols, [n for _, n in use], damage)
    if not len(cols):
        raise fail(path, f"has no numeric column besides the step (columns: {short(delim.join(header))}, {rownum} rows)")
    damage.report()
    return cols, {"step_column": step_key or "(row number)", "rows": rownum, "delimiter": delim}


def _add_chunk(rows: list[list[str]], first_row: int, step_idx: int | None, use: list[tuple[int, str]],
               cols: Columns, damage: Damage) -> None:
    """Parse a block of CSV rows column by column (vectorised) into ``cols``."""
    if not rows:
        return
    if step_idx is None:
        steps, ok = np.arange(first_row, first_row + len(rows), dtype=np.int64), np.ones(len(rows), dtype=bool)
    else:
        steps, ok = parse_steps([r[step_idx] if step_idx < len(r) else "" for r in rows])
        if not ok.all():
            damage.add("rows without a usable step", int((~ok).sum()))
    for i, name in use:
        values, valid, bad = parse_floats([r[i] if i < len(r) else "" for r in rows])
        if bad:
            damage.add(f"non-numeric cells in {name!r}", bad)
        keep = ok & valid
        cols.add_many(name, steps[keep], values[keep])


def short(text: str, n: int = 60) -> str:
    text = text.strip()
    return repr(text if len(text) <= n else text[:n] + "...")


def _usable_columns(header: list[str], step_key: str | None, damage: Damage) -> list[tuple[int, str]]:
    use: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, h in enumerate(header):
        if not h or h == step_key or h.endswith(_SKIP_SUFFIXES):
            continue
        if h in seen:
            damage.add(f"repeated column {h!r} (first kept)")
            continue
        seen.add(h)
        use.append((i, h))
    return use


def _drop_text_columns(cols: Columns, expected: list[str], damage: Damage) -> None:
    """Drop damage notes for columns that never held a number: they are text columns, not damage."""
    for name in expected:
        if cols.count(name) == 0:
            damage.counts.pop(f"non-numeric cells in {name!r}", None)


def flatten(record: Mapping[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """``{"train": {"loss": 1}}`` -> ``{"train/loss": 1}`` (a few levels deep; deeper is ignored)."""
    out: dict[str, Any] = {}
    for k, v in record.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            if depth < _MAX_FLATTEN_DEPTH:
                out.update(flatten(v, key + "/", depth + 1))
        else:
            out[key] = v
    return out


def add_records(records: Iterable[Any], cols: Columns, damage: Damage, *, step: str | None = None) -> int:
    """Add dict records (one per logging step) to ``cols``; return how many rows were used."""
    step_key: str | None = step
    rownum = 0
    used = 0
    for rec in records:
        if not isinstance(rec, dict):
            damage.add("records that are not JSON objects")
            continue
        rec = flatten(rec)
        if step_key is None:
            step_key = find_step_key(rec) or ""
        s = rownum if not step_key else to_step(rec.get(step_key))
        rownum += 1
        if s is None:
            damage.add("records without a usable step")
            continue
        used += 1
        for k, v in rec.items():
            if k == step_key:
                continue
            x = to_float(v)
            if x is not None:
                cols.add(str(k), s, x)
    return used


def _jsonl_records(path: Path, damage: Damage) -> Iterable[Any]:
    with open(path, "r", encoding="utf-8-sig", errors="replace") as f:
        last_bad = False
        for line in bounded_lines(f, path):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                last_bad = False
            except (ValueError, RecursionError):
                damage.add("lines that are not JSON")
                last_bad = not line.endswith("\n")
                continue
            yield rec
        if last_bad:
            damage.add("truncated last line (the writer may still be running)", 1)


def read_jsonl(path: Path, *, step: str | None = None) -> tuple[Columns, dict]:
    """Read JSON Lines: one JSON object per line."""
    cols = Columns(path)
    damage = Damage(path)
    used = add_records(_jsonl_records(path, damage), cols, damage, step=step)
    if not used:
        raise fail(path, "holds no JSON object lines with a step (damage: " + (", ".join(damage.counts) or "none") + ")")
    damage.report()
    return cols, {"rows": used}


def load_json_document(path: Path) -> Any:
    """Parse a whole JSON file (NaN/Infinity literals allowed), refusing files over the limit."""
    size = file_size(path)
    if size > MAX_JSON_BYTES:
        raise fail(path, f"is {size / (1 << 20):.0f} MB, over the {MAX_JSON_BYTES >> 20} MB limit for a JSON document; write the log as JSONL or CSV instead")
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    try:
        return json.loads(text)
    except RecursionError:
        raise fail(path, "JSON nested too deeply to be a training log") from None
    except ValueError as e:
        raise fail(path, f"is not valid JSON ({e})") from None


def read_json_records(path: Path, *, step: str | None = None) -> tuple[Columns, dict]:
    """Read a JSON array of row objects, ``[{"step": 1, "loss": ...}, ...]``."""
    doc = load_json_document(path)
    if not isinstance(doc, list):
        raise fail(path, "is a JSON document but neither a trainer_state.json (no 'log_history') nor a list of rows")
    cols = Columns(path)
    damage = Damage(path)
    used = add_records(doc, cols, damage, step=step)
    if not used:
        raise fail(path, f"is a JSON array of {len(doc)} items but holds no row objects with a step")
    damage.report()
    return cols, {"rows": used}

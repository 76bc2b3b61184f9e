"""Pieces every reader shares: the column accumulator, value parsing, limits, errors.

Readers stream their input into a :class:`Columns` accumulator (``name -> (steps, values)`` kept
in compact ``array`` buffers, 16 bytes per value, never Python float objects) and then build one
:class:`~lrdiag.history.History`. Limits below bound what a hostile or damaged file can cost:
no reader allocates more than a small multiple of the file's size, and none reads a line or
record longer than the limit.
"""

from __future__ import annotations

import math
import os
import stat
from array import array
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from ..errors import SourceError
from ..history import History

#: Longest text line (CSV row, JSONL record) a reader accepts, in characters.
MAX_LINE = 1 << 20
#: Largest JSON document parsed whole (trainer_state.json, a JSON array of records), in bytes.
#: Real trainer_state.json files are kilobytes to a few megabytes.
MAX_JSON_BYTES = 256 << 20
#: Largest single TensorBoard record accepted (an image summary can be megabytes).
MAX_RECORD = 256 << 20
#: Most distinct series one source may hold; more means the file is not a training log.
MAX_SERIES = 100_000

_INT64_MAX = (1 << 63) - 1


def fail(source: Any, what: str) -> SourceError:
    """A one-line SourceError ``"<source>: <what>"`` (raise the result)."""
    return SourceError(f"{source}: {what}")


def regular_file(path: Path) -> Path:
    """``path`` if it is a regular file; a SourceError for a FIFO, device or socket.

    Reading a FIFO or ``/dev/zero`` would block or never end; no log is one of those.
    """
    try:
        mode = path.stat().st_mode
    except OSError as e:
        raise fail(path, f"cannot be read ({e.strerror or e})") from None
    if not stat.S_ISREG(mode):
        raise fail(path, "is not a regular file (a device, FIFO or socket); give a log file or a run directory")
    return path


def to_float(value: Any) -> float | None:
    """A finite-or-NaN float from a number or a numeric string; None for anything else.

    ``True``/``False`` are not numbers here (a flag column is not a metric). ``"nan"``,
    ``"NaN"``, ``"inf"`` parse as floats, as JSON's NaN literal does.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:  # an int beyond float range
            return None
    if isinstance(value, str):
        s = value.strip()
        if not s or len(s) > 64:
            return None
        try:
            return float(s)
        except ValueError:
            return None
    return None


def to_step(value: Any) -> int | None:
    """An int64 step from an int, an integral float or a numeric string; None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if -_INT64_MAX <= value <= _INT64_MAX else None
    f = to_float(value)
    if f is None or not math.isfinite(f) or f != int(f) or abs(f) > _INT64_MAX:
        return None
    return int(f)


class Columns:
    """Per-series ``(steps, values)`` buffers filled one value at a time.

    ``add`` is the only hot path; values go into ``array('q')``/``array('d')`` (8 bytes each).
    """

    def __init__(self, source: Any = ""):
        self.source = source
        self._data: dict[str, tuple[array, array]] = {}

    def add(self, name: str, step: int, value: float) -> None:
        col = self._data.get(name)
        if col is None:
            if len(self._data) >= MAX_SERIES:
                raise fail(self.source, f"more than {MAX_SERIES} distinct series: this is not a training log")
            col = self._data[name] = (array("q"), array("d"))
        col[0].append(step)
        col[1].append(value)

    def add_many(self, name: str, steps: np.ndarray, values: np.ndarray) -> None:
        """Append aligned int64 ``steps`` and float64 ``values`` of one series at once."""
        if not steps.size:
            return
        if name not in self._data:
            if len(self._data) >= MAX_SERIES:
                raise fail(self.source, f"more than {MAX_SERIES} distinct series: this is not a training log")
            self._data[name] = (array("q"), array("d"))
        s, v = self._data[name]
        s.frombytes(np.ascontiguousarray(steps, dtype=np.int64).tobytes())
        v.frombytes(np.ascontiguousarray(values, dtype=np.float64).tobytes())

    def names(self) -> list[str]:
        return list(self._data)

    def __contains__(self, name: str) -> bool:
        return name in self._data

    def __len__(self) -> int:
        return len(self._data)

    def count(self, name: str) -> int:
        return len(self._data[name][0]) if name in self._data else 0

    def drop(self, name: str) -> None:
        self._data.pop(name, None)

    def arrays(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        s, v = self._data[name]
        return np.frombuffer(s, dtype=np.int64) if len(s) else np.zeros(0, np.int64), np.frombuffer(v, dtype=np.float64) if len(v) else np.zeros(0)

    def to_history(self, mapping: Mapping[str, str], meta: Mapping[str, Any]) -> History:
        """Build a History, renaming series by ``mapping`` (original name -> History name)."""
        cols = {mapping.get(name, name): self.arrays(name) for name in self._data}
        first = next(iter(cols.values()), None)
        if first is not None and all(np.array_equal(s, first[0]) for s, _ in cols.values()) and np.all(np.diff(first[0]) > 0):
            # One step column shared by every series, already sorted (a CSV, most logs): no alignment needed.
            return History(first[0], {k: v for k, (_, v) in cols.items()}, meta)
        return History.from_columns(cols, meta)


def parse_floats(cells: list[str]) -> tuple[np.ndarray, np.ndarray, int]:
    """``(values, valid mask, number of non-empty cells that are not numbers)`` of text cells.

    NumPy converts a clean column in one call (the common case); a column with empty or
    non-numeric cells falls back to parsing cell by cell.
    """
    try:
        values = np.array(cells, dtype=np.float64)
        return values, np.ones(values.size, dtype=bool), 0
    except (ValueError, OverflowError, TypeError):
        pass
    parsed = [to_float(c) for c in cells]
    valid = np.fromiter((x is not None for x in parsed), dtype=bool, count=len(parsed))
    values = np.fromiter((np.nan if x is None else x for x in parsed), dtype=np.float64, count=len(parsed))
    bad = sum(1 for c, x in zip(cells, parsed) if x is None and c.strip())
    return values, valid, bad


def parse_steps(cells: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(int64 steps, valid mask)`` of text cells (integers, or integral floats like ``10.0``)."""
    try:
        steps = np.array(cells).astype(np.int64) if cells else np.zeros(0, np.int64)
        return steps, np.ones(steps.size, dtype=bool)
    except (ValueError, OverflowError, TypeError):
        pass
    parsed = [to_step(c) for c in cells]
    valid = np.fromiter((x is not None for x in parsed), dtype=bool, count=len(parsed))
    steps = np.fromiter((0 if x is None else x for x in parsed), dtype=np.int64, count=len(parsed))
    return steps, valid


def read_head(path: Path, n: int = 1 << 16) -> bytes:
    with open(path, "rb") as f:
        return f.read(n)


def file_size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def bounded_lines(f, source: Any, block: int = 1 << 20) -> Iterable[str]:
    """Lines of a text file (each ending in ``\n`` but the last), each at most MAX_LINE characters.

    Python's own line iteration reads a whole line whatever its length; a multi-gigabyte file
    without a newline would be read into memory at once. Reading fixed blocks bounds memory
    to about two blocks plus one line.
    """
    carry = ""
    lineno = 0
    while True:
        data = f.read(block)
        if not data:
            break
        parts = (carry + data).split("\n")
        carry = parts.pop()
        for part in parts:
            lineno += 1
            if len(part) > MAX_LINE:
                raise _too_long(source, lineno)
            yield part + "\n"
        if len(carry) > MAX_LINE:
            raise _too_long(source, lineno + 1)
    if carry:
        yield carry


def _too_long(source: Any, lineno: int) -> SourceError:
    return fail(source, f"line {lineno} is longer than {MAX_LINE // (1 << 20)} MB: not a CSV/JSONL log")


def short_list(items: Iterable[str], limit: int = 15) -> str:
    items = list(items)
    shown = ", ".join(repr(i) for i in items[:limit])
    if len(items) > limit:
        shown += f", ... ({len(items) - limit} more)"
    return shown or "none"

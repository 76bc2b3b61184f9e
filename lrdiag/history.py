"""History: the one input analysis reads.

A History is a table of per-step columns: ``steps`` (sorted, unique int64) and ``series``
(name -> float array aligned with ``steps``, NaN where that step has no value for that series),
plus ``meta`` (where it came from, optimizer class and hyper-parameters, group and layer names).
Every reader in ``lrdiag.sources`` produces one; nothing downstream knows where it came from.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np

from . import names


def align(columns: Mapping[str, tuple[Iterable[int], Iterable[float]]]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Align ``{name: (steps, values)}`` on the union of their steps.

    A step logged twice for one series keeps the last value (a resumed run re-logs steps).
    Returns ``(steps, {name: values})`` with NaN where a series has no value at a step.
    """
    parts = {}
    for name, (s, v) in columns.items():
        s = np.asarray(s, dtype=np.int64).ravel()
        v = np.asarray(v, dtype=np.float64).ravel()
        if s.shape != v.shape:
            raise ValueError(f"series {name!r}: {s.size} steps but {v.size} values")
        parts[name] = (s, v)
    if not parts:
        return np.zeros(0, dtype=np.int64), {}
    all_steps = np.unique(np.concatenate([s for s, _ in parts.values()]))
    out = {}
    for name, (s, v) in parts.items():
        col = np.full(all_steps.size, np.nan, dtype=np.float64)
        # last write wins: reverse so np.unique's first index is the last occurrence
        rs, rv = s[::-1], v[::-1]
        us, first = np.unique(rs, return_index=True)
        col[np.searchsorted(all_steps, us)] = rv[first]
        out[name] = col
    return all_steps, out


class History:
    """Aligned per-step series of one training run.

    Parameters
    ----------
    steps : array of int
        Optimizer step of each row. Sorted and unique after construction.
    series : dict of name -> array of float
        Each array has the length of ``steps``; NaN means "no value at this step".
        Names follow ``lrdiag.names`` (``lrdiag/loss``, ``lrdiag/lr/<group>``, ...).
    meta : dict
        ``source`` (what was read), ``optimizer`` (class name), ``hparams`` (dict),
        ``groups`` (param group names), ``layers`` (layer names), ``run`` (a display name),
        and anything a reader wants to keep.
    """

    def __init__(self, steps: Iterable[int], series: Mapping[str, Iterable[float]], meta: Mapping[str, Any] | None = None):
        steps = np.asarray(steps, dtype=np.int64).ravel()
        cols = {}
        for name, values in series.items():
            arr = np.asarray(values)
            if not np.issubdtype(arr.dtype, np.floating):
                arr = arr.astype(np.float64)
            arr = arr.ravel()
            if arr.size != steps.size:
                raise ValueError(f"series {name!r} has {arr.size} values for {steps.size} steps")
            cols[name] = arr
        if steps.size > 1 and not np.all(np.diff(steps) > 0):
            # Non-monotonic or repeated steps (a resumed run, merged files): sort and keep the
            # last value written for a step, like TensorBoard does for restarted runs.
            order = np.argsort(steps, kind="stable")
            steps_sorted = steps[order]
            keep = np.ones(steps_sorted.size, dtype=bool)
            keep[:-1] = steps_sorted[1:] != steps_sorted[:-1]
            idx = order[keep]
            steps = steps_sorted[keep]
            cols = {k: v[idx] for k, v in cols.items()}
        self.steps: np.ndarray = steps
        self.series: dict[str, np.ndarray] = cols
        self.meta: dict[str, Any] = dict(meta or {})

    @classmethod
    def from_columns(cls, columns: Mapping[str, tuple[Iterable[int], Iterable[float]]], meta: Mapping[str, Any] | None = None) -> "History":
        """Build from per-series ``(steps, values)`` pairs that need not share steps."""
        steps, series = align(columns)
        return cls(steps, series, meta)

    def __len__(self) -> int:
        return int(self.steps.size)

    def __repr__(self) -> str:
        return f"History(run={self.run!r}, steps={len(self)}, series={len(self.series)})"

    # -- convenient views -------------------------------------------------------------
    @property
    def run(self) -> str:
        return str(self.meta.get("run") or self.meta.get("source") or "run")

    @property
    def loss(self) -> np.ndarray | None:
        return self.series.get(names.LOSS)

    @property
    def groups(self) -> list[str]:
        """Param group names that have an LR series, in recorded order."""
        return [k[len(names.LR):] for k in self.series if k.startswith(names.LR)]

    def lr(self, group: str | None = None) -> np.ndarray | None:
        """The LR series of ``group`` (default: :attr:`reference_group`)."""
        if group is None:
            group = self.reference_group
            if group is None:
                return None
        return self.series.get(names.lr(group))

    @property
    def reference_group(self) -> str | None:
        """The group whose LR the analysis speaks of: the first that trains (an LR above 0 at some
        step), else the first. A group frozen with ``lr=0`` (a backbone, an embedding) comes first
        in many optimizers; its LR is no measure of the run's (round 51: "stalled at LR 0", and no
        advice). The advice keeps every group's ratio to this one (a frozen group stays at 0)."""
        groups = self.groups
        for g in groups:
            v = self.series[names.lr(g)]
            with np.errstate(invalid="ignore"):
                if np.any(v > 0):
                    return g
        return groups[0] if groups else None

    @property
    def layers(self) -> list[str]:
        """Layer names that have an update-ratio series."""
        return [k[len(names.UPDATE_RATIO):] for k in self.series if k.startswith(names.UPDATE_RATIO)]

    def layer_ratios(self) -> tuple[list[str], np.ndarray]:
        """``(layer names, array [n_layers, n_steps])`` of update-norm / weight-norm ratios."""
        layers = self.layers
        if not layers:
            return [], np.zeros((0, len(self)))
        return layers, np.vstack([self.series[names.update_ratio(n)] for n in layers])

    def observed(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(steps, values)`` of one series where it has a value (not NaN)."""
        v = self.series[name]
        ok = ~np.isnan(v)
        return self.steps[ok], v[ok]

    def median_step_gap(self, name: str = names.LOSS) -> float:
        """Median distance between steps at which ``name`` was logged (1.0 for per-step logs)."""
        if name not in self.series:
            return float("nan")
        s, _ = self.observed(name)
        if s.size < 2:
            return float("nan")
        return float(np.median(np.diff(s)))

    def select(self, start: int | None = None, end: int | None = None) -> "History":
        """The rows with ``start <= step <= end``."""
        lo = 0 if start is None else int(np.searchsorted(self.steps, start, "left"))
        hi = len(self) if end is None else int(np.searchsorted(self.steps, end, "right"))
        return History(self.steps[lo:hi], {k: v[lo:hi] for k, v in self.series.items()}, self.meta)

    def describe(self) -> str:
        """A few plain lines: what was read, how many steps, which series, value ranges."""
        lines = [f"{self.run}: {len(self)} steps"]
        if len(self):
            lines[0] += f" ({int(self.steps[0])}..{int(self.steps[-1])})"
        if self.meta.get("source_format"):
            lines.append(f"  format: {self.meta['source_format']}")
        if self.meta.get("optimizer"):
            lines.append(f"  optimizer: {self.meta['optimizer']}")
        layer_names = set(self.layers)
        shown = 0
        for name, v in self.series.items():
            if name.startswith(names.UPDATE_RATIO) and name[len(names.UPDATE_RATIO):] in layer_names:
                continue
            finite = v[np.isfinite(v)]
            n = int(np.count_nonzero(~np.isnan(v)))
            if finite.size:
                lines.append(f"  {name}: {n} values, first {finite[0]:.4g}, last {finite[-1]:.4g}, min {finite.min():.4g}, max {finite.max():.4g}")
            else:
                lines.append(f"  {name}: {n} values, none finite")
            shown += 1
        if layer_names:
            lines.append(f"  per-layer update ratios: {len(layer_names)} layers")
        gap = self.median_step_gap()
        if gap == gap and gap > 1:
            lines.append(f"  loss logged every {gap:g} steps (sparse)")
        return "\n".join(lines)

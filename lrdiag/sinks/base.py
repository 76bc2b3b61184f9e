"""The interface every sink implements. The Monitor (and the range test) call sinks from one
background writer thread, never from the training step itself.

A sink must not raise into training: the Monitor catches what a sink raises, reports it once, and
stops calling that sink; the local store keeps every value regardless.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ..history import History
    from ..report import Report


class Sink:
    """Receives blocks of per-step rows and, at the end, the Report."""

    #: short name used in the one-line messages about this sink ("tensorboard", "mlflow", ...)
    name = "sink"

    def open(self, meta: Mapping[str, Any]) -> None:
        """Called once before the first block with the run's metadata (optimizer, groups, layers)."""

    def write(self, steps: np.ndarray, columns: Mapping[str, np.ndarray]) -> None:
        """Write a block: ``steps`` (int64, n) and ``columns`` name -> float array (n), NaN = no value."""
        raise NotImplementedError

    def write_report(self, report: "Report", history: "History | None") -> None:
        """Write the final Report (and figures built from ``history``). Optional."""

    def flush(self) -> None:
        """Make what was written durable/visible."""

    def close(self) -> None:
        """Release files, threads and connections. Must be safe to call twice."""

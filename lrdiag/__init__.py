"""lrdiag: learning-rate diagnostics for PyTorch, shown in TensorBoard and MLflow.

Public API: ``Monitor``, ``range_test``, ``analyze``, ``recommend``, ``load`` (plus the data
types ``History``, ``Report``, ``Finding``). Imports are lazy so that reading and analysing logs
(``load``, ``analyze``) never imports torch, Lightning, Transformers or MLflow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "Monitor": ("lrdiag.monitor", "Monitor"),
    "range_test": ("lrdiag.analysis.range_test", "range_test"),
    "RangeTestResult": ("lrdiag.analysis.range_test", "RangeTestResult"),
    "analyze": ("lrdiag.analysis.engine", "analyze"),
    "recommend": ("lrdiag.analysis.recommend", "recommend"),
    "Recommendation": ("lrdiag.analysis.recommend", "Recommendation"),
    "load": ("lrdiag.sources", "load"),
    "History": ("lrdiag.history", "History"),
    "Report": ("lrdiag.report", "Report"),
    "Finding": ("lrdiag.report", "Finding"),
    "schedules": ("lrdiag.schedules", None),
}

__all__ = ["Monitor", "range_test", "analyze", "recommend", "load", "History", "Report", "Finding",
           "RangeTestResult", "Recommendation", "schedules"]

if TYPE_CHECKING:  # pragma: no cover
    from . import schedules
    from .analysis.engine import analyze
    from .analysis.range_test import RangeTestResult, range_test
    from .analysis.recommend import Recommendation, recommend
    from .history import History
    from .monitor import Monitor
    from .report import Finding, Report
    from .sources import load


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'lrdiag' has no attribute {name!r}") from None
    mod = importlib.import_module(module)
    value = mod if attr is None else getattr(mod, attr)
    globals()[name] = value
    return value

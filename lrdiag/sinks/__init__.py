"""Writers the Monitor feeds from its background thread: local store, TensorBoard, MLflow.

``Sink`` (``lrdiag.sinks.base``) is the interface. The concrete sinks are imported lazily so that
``import lrdiag.sinks`` pulls in neither TensorBoard's protobufs nor MLflow.
"""

from __future__ import annotations

import importlib
from typing import Any

from .base import Sink

_LAZY = {
    "LocalStoreSink": "lrdiag.sinks.local_sink",
    "TensorBoardSink": "lrdiag.sinks.tensorboard_sink",
    "MLflowSink": "lrdiag.sinks.mlflow_sink",
}

__all__ = ["Sink", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'lrdiag.sinks' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)

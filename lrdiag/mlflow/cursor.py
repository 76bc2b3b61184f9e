"""The cursor ``<run_dir>/lrdiag-mlflow.json``: which MLflow run a run directory logs to, how far.

Written by ``MLflowSink`` while training runs and by ``lrdiag sync``; read by ``lrdiag sync``.
Fields: ``tracking_uri``, ``run_id`` (null until the run exists), ``run_key`` (the client-side
key of a run lrdiag creates, so a lost create is adopted, not repeated), ``experiment_id``,
``experiment``, ``run_name``, ``owns_run`` (lrdiag created the run and ends it), ``values_sent``,
``last_step_written``, ``in_sync``, ``report_sent``, ``error``, ``closed``, ``updated``.
The report files waiting for MLflow are kept beside it in ``lrdiag-mlflow/`` (``PENDING_DIR``).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Mapping

from ..errors import LRDiagError

CURSOR_NAME = "lrdiag-mlflow.json"
PENDING_DIR = "lrdiag-mlflow"  # report files waiting for (or already given to) MLflow


def read_cursor(run_dir: str | os.PathLike) -> dict[str, Any] | None:
    """The cursor of ``run_dir``; None if there is none. An unreadable one is an LRDiagError."""
    p = Path(run_dir) / CURSOR_NAME
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise LRDiagError(f"{p} is unreadable ({e}); delete it to start a new MLflow run on the next sync") from None


def write_cursor(run_dir: str | os.PathLike, state: Mapping[str, Any]) -> None:
    """Replace the cursor atomically (write a temporary file, then rename); stamps ``updated``."""
    p = Path(run_dir) / CURSOR_NAME
    tmp = p.with_name(p.name + f".{os.getpid()}.tmp")
    state = {**state, "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    tmp.write_text(json.dumps(state, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, p)

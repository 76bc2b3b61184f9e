"""What the framework callbacks share (imports neither Lightning nor Transformers)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from ..errors import LRDiagError, warn


def start_monitor(optimizer: Any, model: Any, run_dir: str | os.PathLike, sinks: Sequence[Any], what: str,
                  **kwargs: Any) -> Any:
    """``lrdiag.Monitor(optimizer, model, logdir=run_dir, sinks=sinks, **kwargs)`` for a callback.

    Bad options (``every=0``, ...) raise their ``LRDiagError`` before any step ran. Anything
    unforeseen is reported once and the training goes on unmonitored (returns None): a callback
    must not stop a run that would have worked without it.
    """
    from ..monitor import Monitor

    try:
        return Monitor(optimizer, model=model, logdir=run_dir, sinks=list(sinks), **kwargs)
    except LRDiagError:
        raise
    except Exception as exc:
        warn(f"lrdiag: {what} is not monitored: {type(exc).__name__}: {exc}", stacklevel=3)
        for sink in sinks:
            sink.close()
        return None


def relative_to(path: str | os.PathLike, base: str | os.PathLike) -> str:
    """``path`` relative to ``base`` where it lies inside it, else absolute: a checkpoint's note of
    the run's directories then holds no path of the machine it was saved on for a run written under
    ``base`` (a checkpoint pushed to the Hub), and still works where ``base`` was moved whole."""
    root = Path(base).resolve()
    try:
        return os.fspath(Path(path).resolve().relative_to(root))
    except ValueError:
        return os.fspath(Path(path).resolve())


def resolved(paths: Sequence[str], base: str | os.PathLike) -> list[str]:
    """The directories ``relative_to`` wrote, read back against ``base`` (absolute ones as they are)."""
    root = Path(base).resolve()
    return [p if os.path.isabs(p) else os.fspath(root / p) for p in paths]

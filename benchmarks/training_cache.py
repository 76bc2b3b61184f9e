"""The detector benchmark's kept real trainings (``python benchmarks/detectors.py --cache DIR``).

The cached function lives here, not in ``detectors.py``: ``joblib.Memory`` retrains when a cached
function's source *or its line in its file* changes, and ``detectors.py``, whose labels and
tables change every round, would move it. What a training depends on besides its arguments is
the ``fingerprint`` argument (``detectors.training_fingerprint()``), so a change to the training
code, data or tables gives new keys instead of stale runs.
"""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np


def trained(fingerprint: str, train: Callable[..., Any], dataset: str, **kw: Any) -> tuple[Any, np.ndarray]:
    """``train(dataset, full_loss=..., **kw)`` and the whole-training-set loss it filled in
    (``kw["steps"]`` values): the unit the cache keeps. ``fingerprint`` only enters the key."""
    full = np.full(kw["steps"], np.nan)
    return train(dataset, full_loss=full, **kw), full


def cached(location: str | os.PathLike) -> Callable[..., tuple[Any, np.ndarray]]:
    """``trained`` kept in the directory ``location`` (``joblib.Memory``), keyed by ``fingerprint``,
    ``dataset`` and ``kw``."""
    from joblib import Memory

    # ``train`` is not part of the key: the fingerprint stands for its code, and a function object
    # hashes by its module's name, which differs between a script run and an imported module
    return Memory(location=str(location), verbose=0).cache(trained, ignore=["train"])

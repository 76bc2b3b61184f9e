"""LocalStoreSink: the full-resolution local store (``lrdiag.store``) plus ``report.json``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from ..store import StoreWriter
from .base import Sink

if TYPE_CHECKING:  # pragma: no cover
    from ..history import History
    from ..report import Report

REPORT_FILE = "report.json"


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: readers never see half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class LocalStoreSink(Sink):
    """Appends every block to one store file in ``run_dir``; writes ``run_dir/report.json``.

    Parameters
    ----------
    run_dir : path
        The run directory (created if missing). Each writing process gets its own store file.
    fsync : bool
        ``os.fsync`` after each chunk. Off by default: a killed *process* loses nothing that was
        written (the OS has it); fsync only matters for a power cut and costs a disk flush.
    """

    name = "local store"

    def __init__(self, run_dir: str | os.PathLike, *, fsync: bool = False):
        self.run_dir = Path(run_dir)
        self._fsync = fsync
        self._writer: StoreWriter | None = None

    @property
    def path(self) -> Path | None:
        """The store file this sink writes (None before ``open``)."""
        return None if self._writer is None else self._writer.path

    @property
    def bytes_written(self) -> int:
        return 0 if self._writer is None else self._writer.bytes_written

    def open(self, meta: Mapping[str, Any]) -> None:
        self._writer = StoreWriter(self.run_dir, meta, fsync=self._fsync)

    def update_meta(self, meta: Mapping[str, Any]) -> None:
        """Append a new META chunk (a later META replaces an earlier one for readers)."""
        if self._writer is not None:
            self._writer.write_meta(meta)

    def write(self, steps: np.ndarray, columns: Mapping[str, np.ndarray]) -> None:
        if self._writer is None:
            raise RuntimeError("LocalStoreSink.write called before open")
        self._writer.append(steps, columns)

    def write_report(self, report: "Report", history: "History | None") -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.run_dir / REPORT_FILE, report.to_json())

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

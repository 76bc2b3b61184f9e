"""TensorBoardSink: per-step scalars in an event file, and the Report as a plugin tensor summary.

Scalars are ordinary ``simple_value`` summaries under the series names (``lrdiag/loss``, ...), so
TensorBoard's Scalars tab shows them. One ``Event`` per step carries every value of that step.
The encoding of those events is done by hand: a scalar value's protobuf bytes are a fixed prefix
per tag followed by the 4 float bytes, so a block of rows becomes bytes with a few joins instead of
building a protobuf object per value. The Report (rare) is built with the real protobuf classes.

An event file is a sequence of TFRecords: ``u64 length, u32 masked_crc32c(length), data,
u32 masked_crc32c(data)``.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from .. import names
from .base import Sink

if TYPE_CHECKING:  # pragma: no cover
    from ..history import History
    from ..report import Report

# -- CRC32C (Castagnoli), table driven -------------------------------------------------------------
_POLY = 0x82F63B78


def _make_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _make_table()
_NP_TABLE = np.array(_TABLE, dtype=np.uint32)


def crc32c(data: bytes) -> int:
    """CRC32C of ``data`` (pure Python; fine for short records)."""
    crc = 0xFFFFFFFF
    t = _TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc32c_many(records: list[bytes]) -> list[int]:
    """CRC32C of many records at once: the byte loop runs over positions, vectorised over records.

    A CRC is sequential within a record but records are independent, so a block of n events of
    length m costs m numpy steps over n-vectors instead of n*m Python steps.
    """
    n = len(records)
    if n < 16:
        return [crc32c(r) for r in records]
    lengths = np.fromiter((len(r) for r in records), dtype=np.int64, count=n)
    m = int(lengths.max())
    buf = np.zeros((n, m), dtype=np.uint8)
    flat = np.frombuffer(b"".join(records), dtype=np.uint8)
    # scatter each record into its row
    row_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    rows = np.repeat(np.arange(n), lengths)
    cols = np.arange(flat.size) - np.repeat(row_starts, lengths)
    buf[rows, cols] = flat
    crc = np.full(n, 0xFFFFFFFF, dtype=np.uint32)
    uniform = bool((lengths == m).all())
    cols_t = np.ascontiguousarray(buf.T)
    for j in range(m):
        nxt = _NP_TABLE[(crc ^ cols_t[j]) & 0xFF] ^ (crc >> 8)
        if uniform:
            crc = nxt
        else:
            crc = np.where(lengths > j, nxt, crc)
    return [int(c) ^ 0xFFFFFFFF for c in crc]


def _masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _record(data: bytes, data_crc: int) -> bytes:
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", _masked(crc32c(header))) + data + struct.pack("<I", _masked(data_crc))


# -- protobuf wire format, by hand -----------------------------------------------------------------
def _varint(n: int) -> bytes:
    out = bytearray()
    n &= (1 << 64) - 1  # int64 negative values are 10-byte varints
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _scalar_prefix(tag: str) -> bytes:
    """Bytes of ``Summary.value { tag: ..., simple_value: <4 bytes follow> }`` up to the float."""
    t = tag.encode("utf-8")
    value = b"\x0a" + _varint(len(t)) + t + b"\x15"  # Value.tag (1, bytes), Value.simple_value (2, fixed32)
    return b"\x0a" + _varint(len(value) + 4) + value  # Summary.value (1, message)


def _event(wall_time: float, step: int, summary: bytes) -> bytes:
    """``Event { wall_time: 1 (double), step: 2 (int64), summary: 5 (message) }``."""
    return b"\x09" + struct.pack("<d", wall_time) + b"\x10" + _varint(step) + b"\x2a" + _varint(len(summary)) + summary


class TensorBoardSink(Sink):
    """Writes per-step scalars and the final Report into a TensorBoard event file in ``logdir``.

    Parameters
    ----------
    logdir : path
        The run directory TensorBoard will read (created if missing).
    """

    name = "tensorboard"

    def __init__(self, logdir: str | os.PathLike):
        self.logdir = Path(logdir)
        self._f = None
        self._prefix: dict[str, bytes] = {}
        self.last_step: int | None = None
        self.path: Path | None = None

    def open(self, meta: Mapping[str, Any]) -> None:
        self.logdir.mkdir(parents=True, exist_ok=True)
        host = socket.gethostname()
        self.path = self.logdir / f"events.out.tfevents.{int(time.time()):010d}.{host}.{os.getpid()}.{uuid.uuid4().hex[:8]}.lrdiag"
        self._f = open(self.path, "ab", buffering=0)
        first = b"\x09" + struct.pack("<d", time.time()) + b"\x1a" + _varint(len(b"brain.Event:2")) + b"brain.Event:2"
        self._f.write(_record(first, crc32c(first)))

    def _prefix_of(self, tag: str) -> bytes:
        p = self._prefix.get(tag)
        if p is None:
            p = self._prefix[tag] = _scalar_prefix(tag)
        return p

    def write(self, steps: np.ndarray, columns: Mapping[str, np.ndarray]) -> None:
        if self._f is None:
            raise RuntimeError("TensorBoardSink.write called before open")
        n = len(steps)
        if n == 0:
            return
        tags = list(columns)
        prefixes = [self._prefix_of(t) for t in tags]
        values = np.vstack([np.asarray(columns[t], dtype="<f4") for t in tags]) if tags else np.zeros((0, n), "<f4")
        finite = ~np.isnan(values)  # NaN means "no value at this step": not written
        raw = values.T.copy()  # (n, k) contiguous: row i's float bytes
        now = time.time()
        events = []
        for i in range(n):
            rb = raw[i].tobytes()
            ok = finite[:, i]
            summary = b"".join(prefixes[j] + rb[4 * j : 4 * j + 4] for j in np.flatnonzero(ok))
            if summary:
                events.append(_event(now, int(steps[i]), summary))
        crcs = crc32c_many(events)
        self._f.write(b"".join(_record(e, c) for e, c in zip(events, crcs)))
        self.last_step = int(steps[-1])

    def write_report(self, report: "Report", history: "History | None") -> None:
        """The Report JSON as a string tensor summary (tag ``names.REPORT_TAG``, plugin ``names.PLUGIN_NAME``)."""
        from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

        if self._f is None:
            self.open({})
        step = self.last_step
        if step is None and history is not None and len(history):
            step = int(history.steps[-1])
        meta = summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=names.PLUGIN_NAME, content=b"{}"),
            data_class=summary_pb2.DATA_CLASS_TENSOR,
        )
        tensor = tensor_pb2.TensorProto(
            dtype=types_pb2.DT_STRING,
            tensor_shape=tensor_shape_pb2.TensorShapeProto(),
            string_val=[json.dumps(report.to_dict(), allow_nan=False).encode("utf-8")],
        )
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=names.REPORT_TAG, metadata=meta, tensor=tensor)])
        ev = event_pb2.Event(wall_time=time.time(), step=int(step or 0), summary=summary).SerializeToString()
        self._f.write(_record(ev, crc32c(ev)))

    def close(self) -> None:
        if self._f is not None and not self._f.closed:
            self._f.close()

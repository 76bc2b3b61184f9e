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
from ..crc32c import TABLE, crc32c, mask
from .base import Sink

if TYPE_CHECKING:  # pragma: no cover
    from ..history import History
    from ..report import Report

def _record(data: bytes, data_crc: int) -> bytes:
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", mask(crc32c(header))) + data + struct.pack("<I", mask(data_crc))


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


def _zero_shift_tables(distances: np.ndarray) -> np.ndarray:
    """``T[i, b]``: the CRC register contribution of byte ``b`` followed by ``distances[i]`` bytes.

    The CRC register update is linear over XOR, so for messages of one length
    ``crc(template XOR delta) = crc(template) XOR (XOR over bytes of delta of T[position, byte])``.
    """
    need = {int(d): i for i, d in enumerate(distances)}
    out = np.empty((len(distances), 256), dtype=np.uint32)
    state = TABLE.copy()  # a byte b processed from register 0 leaves TABLE[b]
    for d in range(int(distances.max()) + 1 if len(distances) else 0):
        i = need.get(d)
        if i is not None:
            out[i] = state
        state = (state >> 8) ^ TABLE[state & 0xFF]  # one more zero byte
    return out


class _Layout:
    """Byte layout of one kind of step event: which tags it carries and how long its step varint is.

    Every event of a layout has the same length and the same bytes except at the "variable"
    positions (wall time, step, the float values). A block of such events is then encoded with a
    few numpy operations: copy the template, scatter the variable bytes, and CRC by table lookups
    at the variable positions only (see ``_zero_shift_tables``).
    """

    def __init__(self, prefixes: list[bytes], step_len: int):
        summary = bytearray()
        float_pos = []
        for p in prefixes:
            summary += p
            float_pos.extend(range(len(summary), len(summary) + 4))
            summary += b"\0\0\0\0"
        head = b"\x09" + b"\0" * 8 + b"\x10" + b"\x80" * (step_len - 1) + b"\0" + b"\x2a" + _varint(len(summary))
        event = head + bytes(summary)
        self.length = len(event)
        wall = list(range(1, 9))
        step = list(range(10, 10 + step_len))
        self.step_len = step_len
        self.var = np.array(wall + step + [len(head) + f for f in float_pos], dtype=np.int64)
        template = np.frombuffer(event, dtype=np.uint8).copy()
        template[self.var] = 0
        self.template = template
        self.crc0 = crc32c(template.tobytes())
        self.tables = _zero_shift_tables(self.length - 1 - self.var)
        header = struct.pack("<Q", self.length)
        self.header = np.frombuffer(header + struct.pack("<I", mask(crc32c(header))), dtype=np.uint8)

    def encode(self, wall_time: float, steps: np.ndarray, floats: np.ndarray) -> bytes:
        """TFRecords for ``len(steps)`` events; ``floats`` is (n, k) little-endian float32."""
        n = len(steps)
        var = np.empty((n, len(self.var)), dtype=np.uint8)
        var[:, :8] = np.frombuffer(struct.pack("<d", wall_time), dtype=np.uint8)
        s = steps.astype(np.uint64)
        for i in range(self.step_len):  # varint: 7 bits per byte, high bit = more bytes follow
            byte = (s >> np.uint64(7 * i)) & np.uint64(0x7F)
            if i < self.step_len - 1:
                byte |= np.uint64(0x80)
            var[:, 8 + i] = byte.astype(np.uint8)
        var[:, 8 + self.step_len :] = np.ascontiguousarray(floats, dtype="<f4").view(np.uint8).reshape(n, -1)
        events = np.tile(self.template, (n, 1))
        events[:, self.var] = var
        crc = np.bitwise_xor.reduce(self.tables[np.arange(len(self.var)), var], axis=1) ^ np.uint32(self.crc0)
        masked = mask(crc).astype("<u4")
        out = np.empty((n, len(self.header) + self.length + 4), dtype=np.uint8)
        out[:, : len(self.header)] = self.header
        out[:, len(self.header) : len(self.header) + self.length] = events
        out[:, -4:] = masked.view(np.uint8).reshape(n, 4)
        return out.tobytes()


def _varint_len(steps: np.ndarray) -> np.ndarray:
    s = np.maximum(steps.astype(np.int64), 0)
    n = np.ones(s.shape, dtype=np.int64)
    for k in range(1, 10):
        n += s >= (1 << (7 * k))
    return n


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
        self._layouts: dict[tuple, _Layout] = {}
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
        values = np.vstack([np.asarray(columns[t], dtype="<f4") for t in tags]) if tags else np.zeros((0, n), "<f4")
        finite = ~np.isnan(values)  # NaN means "no value at this step": not written
        steps = np.asarray(steps, dtype=np.int64)
        if np.any(steps < 0):
            raise ValueError("TensorBoard steps must be >= 0")
        now = time.time()
        # rows that carry the same tags and whose step varint has the same length share a layout
        step_lens = _varint_len(steps)
        keys = np.ascontiguousarray(np.concatenate([np.packbits(finite.T, axis=1), step_lens[:, None].astype(np.uint8)], axis=1))
        _, first, inverse = np.unique(keys.view(np.dtype((np.void, keys.shape[1]))).ravel(), return_index=True, return_inverse=True)
        inverse = inverse.ravel()
        parts = [b""] * n
        for u, row0 in enumerate(first):
            mask, step_len = finite[:, row0], int(step_lens[row0])
            if not mask.any():
                continue
            rows = np.flatnonzero(inverse == u)
            layout = self._layout(tuple(t for t, m in zip(tags, mask) if m), step_len)
            blob = layout.encode(now, steps[rows], values[mask][:, rows].T)
            size = len(blob) // len(rows)
            for j, r in enumerate(rows):
                parts[r] = blob[j * size : (j + 1) * size]
        self._f.write(b"".join(parts))  # in step order
        self.last_step = int(steps[-1])

    def _layout(self, tags: tuple[str, ...], step_len: int) -> _Layout:
        key = (tags, step_len)
        lay = self._layouts.get(key)
        if lay is None:
            if len(self._layouts) > 64:
                self._layouts.clear()
            lay = self._layouts[key] = _Layout([self._prefix_of(t) for t in tags], step_len)
        return lay

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

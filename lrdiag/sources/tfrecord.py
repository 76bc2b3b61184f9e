"""TFRecord framing with checksums verified many records at a time.

A TFRecord is ``u64 length, u32 masked_crc32c(length bytes), data, u32 masked_crc32c(data)``.
TensorBoard's pure-Python CRC-32C costs about a microsecond per byte per record in the
interpreter, which made reading a foreign event file of a million scalars take minutes. Scalar
events are short records of a handful of distinct lengths, so we frame a block of the file first
(reading only the length fields), then check the CRCs of all records of one length together with
NumPy: one table look-up per byte *position* over every record of the block, instead of one per
byte. Records that are long and rare (images, text) are checked one by one (``lrdiag.crc32c``).

Semantics are those of a sequential reader: every record before the first bad one is returned;
the first truncated or corrupt record ends the read with a warning giving its byte offset.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path
from typing import Iterator

import numpy as np

from ..crc32c import crc32c, crc32c_rows, mask
from .base import MAX_RECORD, file_size

_LEN = struct.Struct("<Q")
_BLOCK = 16 << 20  # bytes framed and verified at once
_VECTOR_MIN = 16  # fewer records of one length than this: checksum them one by one
_BATCH_BYTES = 1 << 20  # bound on the index matrix of one vectorised batch (x8 bytes)


def masked_crc32c_rows(rows: np.ndarray) -> np.ndarray:
    """Masked CRC-32C of each row of a ``[n, L]`` uint8 matrix, as TFRecord stores it."""
    return mask(crc32c_rows(rows))


def _scalar_crc(data: bytes) -> int:
    return mask(crc32c(data))


def _stored_u32(arr: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    b = arr[offsets[:, None] + np.arange(4)].astype(np.uint32)
    return b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16) | (b[:, 3] << 24)


def _check(arr: np.ndarray, starts: np.ndarray, length: int, crc_at: np.ndarray) -> np.ndarray:
    """Bool mask: the ``length``-byte fields at ``starts`` match the CRCs stored at ``crc_at``."""
    ok = np.ones(starts.size, dtype=bool)
    if length == 0:
        ok[:] = _stored_u32(arr, crc_at) == _scalar_crc(b"")
        return ok
    if starts.size < _VECTOR_MIN:
        for i, s in enumerate(starts.tolist()):
            ok[i] = _scalar_crc(arr[s:s + length].tobytes()) == int(_stored_u32(arr, crc_at[i:i + 1])[0])
        return ok
    per = max(1, _BATCH_BYTES // length)
    cols = np.arange(length)
    for lo in range(0, starts.size, per):
        s = starts[lo:lo + per]
        ok[lo:lo + per] = masked_crc32c_rows(arr[s[:, None] + cols]) == _stored_u32(arr, crc_at[lo:lo + per])
    return ok


def _first_bad(arr: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[int | None, str]:
    """Index of the first record whose header or data checksum fails, and which one failed."""
    n = starts.size
    bad_head = ~_check(arr, starts, 8, starts + 8)
    bad_data = np.zeros(n, dtype=bool)
    for length in np.unique(lengths).tolist():
        idx = np.nonzero(lengths == length)[0]
        s = starts[idx] + 12
        bad_data[idx] = ~_check(arr, s, int(length), s + int(length))
    bad = bad_head | bad_data
    if not bad.any():
        return None, ""
    i = int(np.argmax(bad))
    return i, "corrupt record header" if bad_head[i] else "corrupt record (checksum mismatch)"


def iter_records(path: Path) -> Iterator[bytes]:
    """Yield the data of every intact record; warn and stop at the first truncated or corrupt one."""
    for buf, starts, lengths in iter_record_blocks(path):
        for s, n in zip(starts.tolist(), lengths.tolist()):
            yield buf[s:s + n]


def iter_record_blocks(path: Path) -> Iterator[tuple[bytes, np.ndarray, np.ndarray]]:
    """Yield ``(buf, starts, lengths)``: a block of the file and where each intact record's data
    lies in it (int64 arrays), so callers can decode many records at once.

    Same semantics as :func:`iter_records` (warn and stop at the first truncated or corrupt record).
    """
    size = file_size(path)
    with open(path, "rb") as f:
        buf = b""
        base = 0  # file offset of buf[0]
        need = _BLOCK
        while True:
            data = f.read(need)
            buf = buf + data if buf else data
            arr = np.frombuffer(buf, dtype=np.uint8)
            starts, lengths = [], []
            pos, stop = 0, ""
            while pos + 12 <= len(buf):
                (length,) = _LEN.unpack_from(buf, pos)
                if length > MAX_RECORD or base + pos + 16 + length > size:
                    stop = "too long" if length > MAX_RECORD else "truncated"
                    break
                if pos + 16 + length > len(buf):
                    break  # the rest of this record is in the next read
                starts.append(pos)
                lengths.append(length)
                pos += 16 + length
            st = np.asarray(starts, dtype=np.int64)
            bad, why = _first_bad(arr, st, np.asarray(lengths, dtype=np.int64)) if starts else (None, "")
            good = len(starts) if bad is None else bad
            if good:
                yield buf, st[:good] + 12, np.asarray(lengths[:good], dtype=np.int64)
            if bad is not None:
                warnings.warn(f"{path}: {why} at byte {base + starts[bad]}; read the events before it")
                return
            if stop or (not data and pos < len(buf)):
                _report_stop(path, buf, pos, base + pos, stop)
                return
            if not data:
                return
            buf = buf[pos:]
            base += pos
            # read at least the rest of a long record at once (no quadratic re-concatenation)
            need = _BLOCK
            if len(buf) >= 12:
                need = max(_BLOCK, 16 + _LEN.unpack_from(buf)[0] - len(buf))


def _report_stop(path: Path, buf: bytes, pos: int, offset: int, stop: str) -> None:
    """Say why reading ended before the end of the file: a torn last record, or a bad header."""
    head = buf[pos:pos + 12]
    if len(head) == 12 and _scalar_crc(head[:8]) != struct.unpack_from("<I", head, 8)[0]:
        warnings.warn(f"{path}: corrupt record header at byte {offset}; read the events before it")
    elif stop == "too long":
        warnings.warn(f"{path}: record at byte {offset} claims {_LEN.unpack_from(head)[0]} bytes, over the {MAX_RECORD} byte limit; read the events before it")
    else:
        warnings.warn(f"{path}: ignoring a truncated record at byte {offset} (the writer may still be running)")

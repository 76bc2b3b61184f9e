"""The local store: full-resolution, append-only, crash-safe per-step series in the run directory.

TensorBoard keeps a sample of each scalar series; analysis needs every step. The Monitor appends
blocks of rows here at each flush. Format, chosen so that it needs neither torch nor a server to
read and survives ``kill -9``:

* one file per writing process, ``lrdiag-<time>-<host>-<pid>-<id>.lrstore`` in the run directory,
  so processes sharing a logdir never write into the same file;
* the file is a sequence of chunks ``MAGIC(4) kind(u8) version(u8) pad(u16) length(u32)
  crc32(u32) payload``; each chunk is written with one ``write`` and flushed, so a killed writer
  leaves at most one torn chunk at the end, which the reader detects (length or CRC) and drops;
* chunk kinds: ``META`` (UTF-8 JSON, the run's metadata; a later META replaces an earlier one)
  and ``BLOCK`` (zlib of: u32 header length, JSON header ``{"names": [...], "rows": n}``, int64
  steps, float32 values column by column, NaN where a step has no value).

Readers may open the file while it is being written: they read up to the last complete chunk.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import time
import uuid
import warnings
import zlib
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

MAGIC = b"LRDS"
VERSION = 1
KIND_META = 1
KIND_BLOCK = 2
SUFFIX = ".lrstore"
_HEAD = struct.Struct("<4sBBHII")  # magic, kind, version, pad, payload length, crc32
MAX_CHUNK = 1 << 30  # a length above this is corruption, not data


def new_store_path(run_dir: str | os.PathLike) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    host = "".join(c if c.isalnum() or c in "-_" else "_" for c in socket.gethostname())[:40]
    return Path(run_dir) / f"lrdiag-{stamp}-{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"


def _chunk(kind: int, payload: bytes) -> bytes:
    return _HEAD.pack(MAGIC, kind, VERSION, 0, len(payload), zlib.crc32(payload)) + payload


def encode_block(steps: np.ndarray, columns: Mapping[str, np.ndarray]) -> bytes:
    steps = np.ascontiguousarray(steps, dtype="<i8")
    names = list(columns)
    header = json.dumps({"names": names, "rows": int(steps.size)}).encode()
    values = np.empty((len(names), steps.size), dtype="<f4")
    for i, name in enumerate(names):
        values[i] = columns[name]
    raw = struct.pack("<I", len(header)) + header + steps.tobytes() + values.tobytes()
    return zlib.compress(raw, 1)


def decode_block(payload: bytes) -> tuple[np.ndarray, list[str], np.ndarray]:
    raw = zlib.decompress(payload)
    (hlen,) = struct.unpack_from("<I", raw, 0)
    header = json.loads(raw[4 : 4 + hlen])
    names, rows = list(header["names"]), int(header["rows"])
    off = 4 + hlen
    steps = np.frombuffer(raw, dtype="<i8", count=rows, offset=off)
    off += 8 * rows
    values = np.frombuffer(raw, dtype="<f4", count=rows * len(names), offset=off).reshape(len(names), rows)
    return steps, names, values


class StoreWriter:
    """Appends chunks to one store file. Not thread-safe: one writer thread owns it."""

    def __init__(self, run_dir: str | os.PathLike, meta: Mapping[str, Any] | None = None, *, fsync: bool = False):
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        self.path = new_store_path(run_dir)
        self._fsync = fsync
        self._f = open(self.path, "ab", buffering=0)
        self.bytes_written = 0
        self.values_written = 0
        if meta is not None:
            self.write_meta(meta)

    def _write(self, data: bytes) -> None:
        self._f.write(data)  # unbuffered: one write() per chunk reaches the OS at once
        if self._fsync:
            os.fsync(self._f.fileno())
        self.bytes_written += len(data)

    def write_meta(self, meta: Mapping[str, Any]) -> None:
        self._write(_chunk(KIND_META, json.dumps(meta, default=str).encode()))

    def append(self, steps: Iterable[int], columns: Mapping[str, Iterable[float]]) -> None:
        steps = np.asarray(steps)
        if steps.size == 0:
            return
        self._write(_chunk(KIND_BLOCK, encode_block(steps, {k: np.asarray(v) for k, v in columns.items()})))
        self.values_written += steps.size * len(columns)

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()


def iter_chunks(path: str | os.PathLike) -> Iterable[tuple[int, bytes]]:
    """Yield ``(kind, payload)`` of every complete chunk; warn once and stop at a torn or bad one."""
    data = Path(path).read_bytes()
    off = 0
    while off < len(data):
        if len(data) - off < _HEAD.size:
            warnings.warn(f"{path}: ignoring a torn chunk at byte {off} (the writer was stopped mid-write)")
            return
        magic, kind, version, _, length, crc = _HEAD.unpack_from(data, off)
        payload = data[off + _HEAD.size : off + _HEAD.size + length]
        if magic != MAGIC or length > MAX_CHUNK:
            warnings.warn(f"{path}: not an lrdiag store chunk at byte {off}; read {off} bytes before it")
            return
        if len(payload) < length or zlib.crc32(payload) != crc:
            warnings.warn(f"{path}: ignoring a torn or corrupt chunk at byte {off} (the writer was stopped mid-write)")
            return
        yield kind, payload
        off += _HEAD.size + length


def store_files(run_dir: str | os.PathLike) -> list[Path]:
    """Store files directly in ``run_dir`` (or ``run_dir`` itself if it is one), oldest first."""
    p = Path(run_dir)
    if p.is_file():
        return [p] if p.suffix == SUFFIX else []
    if not p.is_dir():
        return []
    return sorted(p.glob("*" + SUFFIX), key=lambda f: (f.stat().st_mtime, f.name))


def read_store(path: str | os.PathLike) -> tuple[dict[str, Any], np.ndarray, dict[str, np.ndarray]]:
    """Read one store file or every store file of a run directory (oldest first, later steps win).

    Returns ``(meta, steps, series)`` with ``series`` aligned on ``steps`` (float32, NaN where a
    series has no value at a step). Raises ``FileNotFoundError`` if there is no store.
    """
    files = store_files(path)
    if not files:
        raise FileNotFoundError(f"no lrdiag store ({SUFFIX} file) in {path}")
    meta: dict[str, Any] = {}
    blocks: list[tuple[np.ndarray, list[str], np.ndarray]] = []
    for f in files:
        for kind, payload in iter_chunks(f):
            try:
                if kind == KIND_META:
                    meta.update(json.loads(payload))
                elif kind == KIND_BLOCK:
                    blocks.append(decode_block(payload))
            except (ValueError, zlib.error, struct.error) as e:  # CRC passed but content is bad
                warnings.warn(f"{f}: skipping an unreadable chunk ({e})")
    return (meta, *_merge(blocks))


def _merge(blocks: list[tuple[np.ndarray, list[str], np.ndarray]]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    if not blocks:
        return np.zeros(0, dtype=np.int64), {}
    names: dict[str, None] = {}
    for _, ns, _ in blocks:
        names.update(dict.fromkeys(ns))
    total = sum(s.size for s, _, _ in blocks)
    steps = np.concatenate([s for s, _, _ in blocks]).astype(np.int64)
    series = {n: np.full(total, np.nan, dtype=np.float32) for n in names}
    off = 0
    for s, ns, vals in blocks:
        for i, n in enumerate(ns):
            series[n][off : off + s.size] = vals[i]
        off += s.size
    if steps.size > 1 and not np.all(np.diff(steps) > 0):
        # A step may appear in several blocks (a resumed run): merge values, later blocks win.
        order = np.argsort(steps, kind="stable")
        st = steps[order]
        uniq, start = np.unique(st, return_index=True)
        group = np.repeat(np.arange(uniq.size), np.diff(np.append(start, st.size)))
        merged = {}
        for n, v in series.items():
            vo = v[order]
            out = np.full(uniq.size, np.nan, dtype=np.float32)
            ok = ~np.isnan(vo)
            out[group[ok]] = vo[ok]  # assignment order = stable sort order: the last write wins
            merged[n] = out
        return uniq, merged
    return steps, series

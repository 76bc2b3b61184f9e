"""Read every scalar of TensorBoard event files (all events, not TensorBoard's 1,000-point sample).

An event file is a sequence of TFRecords, each holding a serialized ``Event`` proto. We frame the
records ourselves (:mod:`lrdiag.sources.tfrecord`) rather than through ``event_file_loader``,
for three reasons: a record length is checked against what is left in the file before anything
is allocated (a corrupt length cannot ask for gigabytes); a truncated or corrupt record is
reported with its byte offset instead of silently ending the read; and checksums are verified
many records at a time (TensorBoard's pure-Python CRC made a million scalars take minutes).
The protos are TensorBoard's own.

Scalars come in two encodings, both read: TF1 / ``torch.utils.tensorboard`` ``simple_value``,
and TF2 tensor summaries (``summary.value.tensor``, plugin ``scalars``, a 0-d or 1-element
float/double/int tensor).
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path


from .base import Columns, fail
from .tfrecord import iter_records

_CRC = struct.Struct("<I")
_PLUGIN_SCALARS = "scalars"

EVENTS_MARK = "tfevents"


def _masked_crc32c(data: bytes) -> int:
    global _masked_crc32c
    # TensorBoard's own checksum (pure Python; importing it pulls in the TF stub, so lazily once)
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    _masked_crc32c = masked_crc32c
    return masked_crc32c(data)


def looks_like_events(head: bytes) -> bool:
    """True if ``head`` starts with a TFRecord whose length checksum is right (1 in 2^32 by chance)."""
    if len(head) < 12:
        return False
    return _masked_crc32c(head[:8]) == _CRC.unpack_from(head, 8)[0]


def _tensor_scalar(tensor) -> float | None:
    """The value of a 0-d / 1-element numeric TensorProto, else None."""
    from tensorboard.util import tensor_util

    try:
        arr = tensor_util.make_ndarray(tensor)
    except Exception:  # unknown dtype, bad shape/content: not a scalar we can use
        return None
    if arr.size != 1 or arr.dtype.kind not in "fiub" or arr.dtype.kind == "b":
        return None
    return float(arr.reshape(()))


def read_event_file(path: Path, cols: Columns, plugin_of: dict[str, str]) -> int:
    """Add every scalar of one event file to ``cols``; return the number of events read.

    ``plugin_of`` remembers each tag's plugin across files (TF2 writes the metadata only with a
    tag's first value).
    """
    from google.protobuf.message import DecodeError
    from tensorboard.compat.proto import event_pb2

    n = 0
    bad = 0
    for data in iter_records(path):
        ev = event_pb2.Event()
        try:
            ev.ParseFromString(data)
        except (DecodeError, RuntimeError, ValueError):
            bad += 1
            continue
        n += 1
        if not ev.HasField("summary"):
            continue
        step = int(ev.step)
        for v in ev.summary.value:
            kind = v.WhichOneof("value")
            if v.HasField("metadata") and v.metadata.plugin_data.plugin_name:
                plugin_of.setdefault(v.tag, v.metadata.plugin_data.plugin_name)
            if kind == "simple_value":
                cols.add(v.tag, step, float(v.simple_value))
            elif kind == "tensor" and plugin_of.get(v.tag, _PLUGIN_SCALARS) == _PLUGIN_SCALARS:
                x = _tensor_scalar(v.tensor)
                if x is not None:
                    cols.add(v.tag, step, x)
    if bad:
        warnings.warn(f"{path}: skipped {bad} undecodable event(s)")
    return n


def event_files(run_dir: Path) -> list[Path]:
    """Event files directly in ``run_dir``, in the order they were written (name holds the time)."""
    out = [p for p in run_dir.iterdir() if EVENTS_MARK in p.name and p.is_file()]
    return sorted(out, key=lambda p: (_event_time(p), p.name))


def _event_time(p: Path) -> float:
    # events.out.tfevents.<unix time>.<host>.<pid>...: writers name files by creation time
    parts = p.name.split(".")
    try:
        return float(parts[parts.index(EVENTS_MARK) + 1])
    except (ValueError, IndexError):
        return p.stat().st_mtime


def read_events(files: list[Path], source) -> tuple[Columns, dict]:
    """Read several event files of one run (later files win on repeated steps)."""
    cols = Columns(source)
    plugin_of: dict[str, str] = {}
    events = 0
    for f in files:
        events += read_event_file(f, cols, plugin_of)
    if events == 0:
        raise fail(source, "no readable TensorBoard events (the event file is empty, truncated at its start, or not an event file)")
    return cols, {"event_files": [str(f) for f in files], "events": events}

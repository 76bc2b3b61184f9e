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
float/double/int tensor). The hyper-parameters of a session that TensorBoard's HParams plugin
records (``SummaryWriter.add_hparams``, ``tensorboard.plugins.hparams.api.hparams``: the tag
``_hparams_/session_start_info``) are returned as ``meta["hparams"]``.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np

from .base import Columns, fail
from .event_scalars import decode_block
from .tfrecord import iter_record_blocks

_CRC = struct.Struct("<I")
_PLUGIN_SCALARS = "scalars"
_PLUGIN_HPARAMS = "hparams"
_SESSION_START = "_hparams_/session_start_info"

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


def read_event_file(path: Path, cols: Columns, plugin_of: dict[str, str], hparams: dict | None = None) -> int:
    """Add every scalar of one event file to ``cols``; return the number of events read.

    ``plugin_of`` remembers each tag's plugin across files (TF2 writes the metadata only with a
    tag's first value). Plain scalar events are decoded a block at a time
    (:mod:`lrdiag.sources.event_scalars`); every other record goes through protobuf. A session's
    hyper-parameters found on the way are put into ``hparams``.
    """
    hparams = {} if hparams is None else hparams
    n = 0
    bad = 0
    for buf, starts, lengths in iter_record_blocks(path):
        fast, rest = decode_block(np.frombuffer(buf, dtype=np.uint8), starts, lengths)
        n += len(starts)
        slow: dict[str, tuple[list[int], list[int], list[float]]] = {}  # protobuf-parsed, per tag
        for i in rest.tolist():
            s = int(starts[i])
            events = _parse_event(buf[s:s + int(lengths[i])], plugin_of, hparams)
            if events is None:
                bad += 1
                n -= 1
                continue
            for tag, step, value in events:
                idx_, steps_, values_ = slow.setdefault(tag, ([], [], []))
                idx_.append(i)
                steps_.append(step)
                values_.append(value)
        for tag in [*fast, *(t for t in slow if t not in fast)]:  # first-seen order: it names the groups
            parts = [fast[tag]] if tag in fast else []
            if tag in slow:
                i, st, v = slow[tag]
                parts.append((np.asarray(i, dtype=np.int64), np.asarray(st, dtype=np.int64), np.asarray(v, dtype=np.float64)))
            idx, steps, values = (np.concatenate(x) for x in zip(*parts)) if len(parts) > 1 else parts[0]
            order = np.argsort(idx, kind="stable")  # file order within the tag (later values win)
            cols.add_many(tag, steps[order], values[order])
    if bad:
        warnings.warn(f"{path}: skipped {bad} undecodable event(s)")
    return n


def _parse_event(data: bytes, plugin_of: dict[str, str], hparams: dict) -> list[tuple[str, int, float]] | None:
    """The scalars of one event record parsed with protobuf (a session's hyper-parameters into
    ``hparams``); None when it does not decode."""
    from google.protobuf.message import DecodeError
    from tensorboard.compat.proto import event_pb2

    ev = event_pb2.Event()
    try:
        ev.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError):
        return None
    out: list[tuple[str, int, float]] = []
    if not ev.HasField("summary"):
        return out
    step = int(ev.step)
    for v in ev.summary.value:
        kind = v.WhichOneof("value")
        if v.HasField("metadata") and v.metadata.plugin_data.plugin_name:
            plugin_of.setdefault(v.tag, v.metadata.plugin_data.plugin_name)
            if v.tag == _SESSION_START and v.metadata.plugin_data.plugin_name == _PLUGIN_HPARAMS:
                hparams.update(_session_hparams(v.metadata.plugin_data.content))
        if kind == "simple_value":
            out.append((v.tag, step, float(v.simple_value)))
        elif kind == "tensor" and plugin_of.get(v.tag, _PLUGIN_SCALARS) == _PLUGIN_SCALARS:
            x = _tensor_scalar(v.tensor)
            if x is not None:
                out.append((v.tag, step, x))
    return out


def _session_hparams(content: bytes) -> dict:
    """``{name: value}`` of an HParams plugin session start (numbers, strings, booleans)."""
    from tensorboard.plugins.hparams import plugin_data_pb2

    data = plugin_data_pb2.HParamsPluginData()
    try:
        data.ParseFromString(content)
    except Exception:  # a damaged or foreign payload: no hyper-parameters, the scalars still count
        return {}
    out = {}
    for name, value in data.session_start_info.hparams.items():
        kind = value.WhichOneof("kind")
        if kind in ("number_value", "string_value", "bool_value"):
            out[name] = getattr(value, kind)
    return out


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
    hparams: dict = {}
    events = 0
    for f in files:
        events += read_event_file(f, cols, plugin_of, hparams)
    if events == 0:
        raise fail(source, "no readable TensorBoard events (the event file is empty, truncated at its start, or not an event file)")
    meta = {"event_files": [str(f) for f in files], "events": events}
    if hparams:
        meta["hparams"] = hparams
    return cols, meta

"""The block decoder of scalar events gives exactly what TensorBoard's own protobuf reader gives."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
from tensorboard.util import tensor_util
from torch.utils.tensorboard import SummaryWriter

from lrdiag.sources.base import Columns
from lrdiag.sources.event_scalars import decode_block, layout
from lrdiag.sources.tensorboard import event_files, read_event_file


def _reference(path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar of ``path`` in file order, through TensorBoard's loader (one proto per event)."""
    out: dict[str, list[tuple[int, float]]] = {}
    for ev in EventFileLoader(str(path)).Load():
        for v in ev.summary.value:
            kind = v.WhichOneof("value")
            if kind == "simple_value":
                x = float(v.simple_value)
            elif kind == "tensor" and v.metadata.plugin_data.plugin_name in ("", "scalars"):
                arr = tensor_util.make_ndarray(v.tensor)
                if arr.size != 1:
                    continue
                x = float(arr.reshape(()))
            else:
                continue
            out.setdefault(v.tag, []).append((int(ev.step), x))
    return out


def _ours(path) -> dict[str, list[tuple[int, float]]]:
    cols = Columns(path)
    read_event_file(path, cols, {})
    out = {}
    for tag in cols.names():
        s, v = cols.arrays(tag)
        out[tag] = list(zip(s.tolist(), v.tolist()))
    return out


def _same(a, b):
    assert a.keys() == b.keys()
    for tag in a:
        assert len(a[tag]) == len(b[tag]), tag
        for (s1, x1), (s2, x2) in zip(a[tag], b[tag]):
            assert s1 == s2 and (x1 == x2 or (math.isnan(x1) and math.isnan(x2))), (tag, s1, x1, s2, x2)


def test_mixed_event_file_matches_tensorboards_reader(tmp_path):
    """Steps whose varint width changes (0, 127/128, 16383/16384, 2**31), two tags of equal length
    (same record length, different templates), a restart that repeats steps, NaN/inf values,
    TF2-style tensor scalars, and non-scalar events in between."""
    w = SummaryWriter(str(tmp_path))
    steps = [0, 1, 2, 126, 127, 128, 129, 16383, 16384, 16385, 2**21, 2**31 + 5]
    for k, s in enumerate(steps):
        w.add_scalar("train/aa", 1.0 / (k + 1), s)
        w.add_scalar("train/bb", float(k), s)
        w.add_scalar("loss", [0.5, math.nan, math.inf, -math.inf][k % 4], s)
        w.add_scalar("tf2/loss", 0.25 * k, s, new_style=True)
        if k % 3 == 0:
            w.add_histogram("weights", np.arange(10.0), s)
            w.add_text("note", "hello", s)
    for s in (126, 127, 128):  # a restart: the same steps again, later values must come later
        w.add_scalar("train/aa", -1.0, s)
    for s in range(300):  # enough equal-length records for the vectorised path to matter
        w.add_scalar("train/aa", s * 0.001, 20_000 + s)
    w.close()
    (path,) = event_files(tmp_path)
    ref = _reference(path)
    assert {"train/aa", "train/bb", "loss", "tf2/loss"} <= ref.keys()
    _same(_ours(path), ref)


def test_the_vectorised_path_really_decodes_the_plain_scalars(tmp_path):
    w = SummaryWriter(str(tmp_path))
    for s in range(1000):
        w.add_scalar("train/loss", 1.0 / (s + 1), s)
    w.close()
    (path,) = event_files(tmp_path)
    data = path.read_bytes()
    starts, lengths, pos = [], [], 0
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 8], "little")
        starts.append(pos + 12)
        lengths.append(n)
        pos += 16 + n
    fast, rest = decode_block(np.frombuffer(data, np.uint8), np.array(starts), np.array(lengths))
    assert rest.tolist() == [0]  # only the file-version event is left to protobuf
    idx, steps, values = fast["train/loss"]
    order = np.argsort(idx)
    assert steps[order].tolist() == list(range(1000))
    np.testing.assert_array_equal(values[order], np.float32(1.0 / (np.arange(1000) + 1)))


@pytest.mark.parametrize("rec", [b"", b"\x09" + b"\0" * 8, b"\x09" + b"\0" * 8 + b"\x10\xff\xff", b"\x08garbage-bytes-here"])
def test_layout_refuses_what_is_not_a_plain_scalar_event(rec):
    assert layout(rec) is None

"""Every reader survives bad files: fuzzed (hypothesis) and hand-made hostile input.

The contract checked everywhere: ``lrdiag.load`` returns a History (possibly partial, with a
warning) or raises ``SourceError``; never another exception, never a hang, never memory that
grows beyond the file. Where the damage leaves a known good part (a truncated event file), the
History holds exactly that part and nothing invented.
"""

from __future__ import annotations

import json
import math
import os
import resource
import struct
import tempfile
import time
import uuid
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import lrdiag
from lrdiag import names
from lrdiag.errors import SourceError
from lrdiag.history import History
from lrdiag.sources.detect import classify

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_TMP = Path(tempfile.mkdtemp(prefix="lrdiag-fuzz-"))


def _file(data: bytes, suffix: str = "") -> Path:
    p = _TMP / f"{uuid.uuid4().hex}{suffix}"
    p.write_bytes(data)
    return p


def _load_or_error(source, **kw) -> History | None:
    """Load; None for a SourceError; any other exception fails the test."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            h = lrdiag.load(source, **kw)
    except SourceError as e:
        msg = str(e)
        assert "\n" not in msg and str(source) in msg  # one line, naming the source
        return None
    assert isinstance(h, History) and len(h) > 0
    for v in h.series.values():
        assert v.shape == h.steps.shape
    return h


# -- an intact event file and store to damage ------------------------------------------------

@pytest.fixture(scope="module")
def event_bytes() -> bytes:
    from torch.utils.tensorboard import SummaryWriter

    d = _TMP / "events-src"
    w = SummaryWriter(str(d))
    for i in range(40):
        w.add_scalar("train/loss", 1.0 / (i + 1), i)
        w.add_scalar("train/learning_rate", 0.01 * (i + 1), i)
    w.close()
    return next(d.glob("*tfevents*")).read_bytes()


@pytest.fixture(scope="module")
def store_bytes() -> bytes:
    from lrdiag.store import StoreWriter

    w = StoreWriter(_TMP / "store-src", meta={"optimizer": "SGD"})
    for lo in range(0, 40, 10):
        s = np.arange(lo, lo + 10)
        w.append(s, {names.LOSS: 1.0 / (s + 1), names.lr("group0"): 0.01 * (s + 1)})
    w.close()
    return w.path.read_bytes()


@FUZZ
@given(data=st.binary(max_size=4096))
def test_random_bytes(data):
    _load_or_error(_file(data))


@FUZZ
@given(cut=st.integers(min_value=0, max_value=10_000))
def test_truncated_event_file_loads_a_prefix(event_bytes, cut):
    cut = cut % (len(event_bytes) + 1)
    h = _load_or_error(_file(event_bytes[:cut], ".tfevents"))
    if h is not None:
        s, v = h.observed(names.LOSS)
        assert s.tolist() == list(range(s.size))  # a prefix of the steps, nothing invented
        np.testing.assert_allclose(v, 1.0 / (s + 1), rtol=1e-6)


@FUZZ
@given(pos=st.integers(min_value=0, max_value=10_000), byte=st.integers(0, 255), insert=st.booleans())
def test_corrupted_event_file(event_bytes, pos, byte, insert):
    pos %= len(event_bytes)
    b = bytearray(event_bytes)
    if insert:
        b.insert(pos, byte)
    else:
        assume(b[pos] != byte)
        b[pos] = byte
    h = _load_or_error(_file(bytes(b)))
    if h is not None and names.LOSS in h.series:
        s, v = h.observed(names.LOSS)
        # every value read is one that was written (checksums reject the damaged record)
        np.testing.assert_allclose(v, 1.0 / (s + 1), rtol=1e-6)


@FUZZ
@given(cut=st.integers(min_value=0, max_value=10_000), flip=st.integers(min_value=-1, max_value=10_000))
def test_damaged_store_file(store_bytes, cut, flip):
    b = bytearray(store_bytes[: cut % (len(store_bytes) + 1)])
    if flip >= 0 and b:
        b[flip % len(b)] ^= 0xFF
    h = _load_or_error(_file(bytes(b), ".lrstore"))
    if h is not None and names.LOSS in h.series:
        s, v = h.observed(names.LOSS)
        np.testing.assert_allclose(v, 1.0 / (s + 1), rtol=1e-6)


# -- CSV -------------------------------------------------------------------------------------

_cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.sampled_from(["", "nan", "NaN", "inf", "-", "null", "oops", '"1,5"', "1e999", "0x10", "  3 "]),
    st.text(max_size=8),
)
_headers = st.lists(st.sampled_from(["step", "lr", "loss", "update_ratio/fc", "learning_rate", "train/loss", "epoch",
                                     "phase", "", "loss", "Step", "grad_norm"]), min_size=1, max_size=6)


@FUZZ
@given(header=_headers, rows=st.lists(st.lists(_cells, max_size=8), max_size=20),
       sep=st.sampled_from([",", ";", "\t"]))
def test_csv_with_missing_extra_mistyped_columns(header, rows, sep):
    text = sep.join(header) + "\n" + "\n".join(sep.join(r) for r in rows)
    _load_or_error(_file(text.encode("utf-8", "surrogatepass")))


@FUZZ
@given(values=st.lists(st.tuples(st.floats(allow_nan=False, allow_infinity=False, width=64),
                                  st.floats(min_value=1e-8, max_value=10)), min_size=1, max_size=50))
def test_clean_csv_round_trips_exactly(values):
    text = "step,lr,loss\n" + "".join(f"{i},{lr!r},{loss!r}\n" for i, (loss, lr) in enumerate(values))
    h = _load_or_error(_file(text.encode()))
    assert h is not None
    np.testing.assert_array_equal(h.loss, [v[0] for v in values])
    np.testing.assert_array_equal(h.lr(), [v[1] for v in values])


# -- JSONL and trainer_state.json ------------------------------------------------------------------

_json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**20, max_value=10**20),
                          st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=10),
                          st.sampled_from(["1e-3", "nan", "12"]))
_json_values = st.recursive(_json_scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3), max_leaves=8)
_keys = st.sampled_from(["step", "loss", "learning_rate", "lr", "eval_loss", "epoch", "grad_norm", "train_runtime",
                         "train_loss", "eval_runtime", "x"])
_rows = st.dictionaries(_keys, _json_values, max_size=6)


@FUZZ
@given(rows=st.lists(st.one_of(_rows, _json_values), max_size=15), cut=st.integers(min_value=0, max_value=5000))
def test_jsonl_fuzz(rows, cut):
    text = "\n".join(json.dumps(r) for r in rows)
    text = text[: cut % (len(text) + 1)]
    _load_or_error(_file(text.encode("utf-8", "surrogatepass")))


@FUZZ
@given(rows=st.lists(_rows, max_size=25), extra=st.dictionaries(st.sampled_from(["global_step", "max_steps", "logging_steps",
                                                                                   "train_batch_size", "epoch"]), _json_values),
       pretty=st.booleans())
def test_trainer_state_fuzz(rows, extra, pretty):
    doc = dict(extra, log_history=rows)
    p = _file(json.dumps(doc, indent=2 if pretty else None).encode("utf-8", "surrogatepass"), "")
    h = _load_or_error(p)
    # Independent expectation: training rows = rows with a numeric loss and an integral step.
    good = {}
    for r in rows:
        step, loss = r.get("step"), r.get("loss")
        s = _as_step(step)
        x = _as_float(loss)
        if "loss" in r and s is not None and x is not None:
            good[s] = x  # the last row for a step wins
    if not good:
        assert h is None
        return
    assert h is not None
    s, v = h.observed(names.LOSS) if names.LOSS in h.series else (np.zeros(0), np.zeros(0))
    finite = {k: x for k, x in good.items() if not math.isnan(x)}
    got = dict(zip(s.tolist(), v.tolist()))
    assert got == finite


def _as_float(v):
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        try:
            return float(v)
        except OverflowError:
            return None
    if isinstance(v, str):
        try:
            return float(v.strip()) if v.strip() and len(v.strip()) <= 64 else None
        except ValueError:
            return None
    return None


def _as_step(v):
    f = _as_float(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return v if abs(v) < 2**63 - 1 else None
    if f is None or not math.isfinite(f) or f != int(f) or abs(f) >= 2**63 - 1:
        return None
    return int(f)


# -- tag detection (the part of the MLflow and TensorBoard readers that sees foreign names) ------

@FUZZ
@given(tags=st.lists(st.one_of(st.text(max_size=12), st.sampled_from([
    "loss", "train/loss", "lr", "learning_rate", "lr-Adam", "lr-Adam/pg1", "lrdiag/loss", "lrdiag/lr/g",
    "eval_loss", "val_loss", "grad_norm", "train/grad_norm", "lrdiag/grad_norm", "update_ratio", "update_ratio/a",
    "momentum-Adam", "source/loss", "lrdiag/update_ratio/model"])), max_size=12, unique=True))
def test_detection_maps_every_tag_to_a_distinct_series(tags):
    mapping = classify(tags)
    assert set(mapping) == set(tags)
    assert len(set(mapping.values())) == len(tags)  # no two tags become one series
    for t in tags:
        if t.startswith("lrdiag/"):
            assert mapping[t] == t


# -- hostile files: huge, endless, nested ---------------------------------------------------------

def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_huge_sparse_files_fail_fast_without_reading_them(tmp_path):
    before = _peak_mb()
    for i, start in enumerate([b"{", b"[", b"", b"step,loss\n1,"]):
        p = tmp_path / f"huge{i}"
        with open(p, "wb") as f:
            f.write(start)
            f.truncate(8 << 30)  # 8 GiB, sparse: costs no disk
        t = time.monotonic()
        with pytest.raises(SourceError):
            lrdiag.load(p)
        assert time.monotonic() - t < 5
    assert _peak_mb() - before < 200


def test_endless_line_is_refused(tmp_path):
    p = tmp_path / "long.csv"
    p.write_text("step,loss\n" + "1" * (3 << 20))
    with pytest.raises(SourceError, match="longer than 1 MB"):
        lrdiag.load(p)
    q = tmp_path / "long.jsonl"
    q.write_text('{"step": 1, "loss": 1}\n{"step": 2, "loss": "' + "x" * (3 << 20) + '"}\n')
    with pytest.raises(SourceError, match="longer than 1 MB"):
        lrdiag.load(q)


def test_event_record_claiming_a_terabyte(tmp_path):
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    header = struct.pack("<Q", 1 << 40)
    p = tmp_path / "events.out.tfevents.1.x"
    p.write_bytes(header + struct.pack("<I", masked_crc32c(header)) + b"\0" * 64)
    before = _peak_mb()
    with pytest.warns(UserWarning, match="claims 1099511627776 bytes, over the"), pytest.raises(SourceError, match="no readable TensorBoard events"):
        lrdiag.load(p)
    assert _peak_mb() - before < 50


def test_fifo_and_deep_nesting_do_not_hang(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(SourceError, match="not a regular file"):
        lrdiag.load(fifo)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(SourceError):
        lrdiag.load(deep)
    deep2 = tmp_path / "trainer_state.json"
    deep2.write_text('{"log_history": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(SourceError):
        lrdiag.load(deep2)


def test_large_csv_loads_in_bounded_memory(tmp_path):
    n = 100_000
    p = tmp_path / "big.csv"
    steps = np.arange(n)
    with open(p, "w") as f:
        f.write("step,lr,loss,grad_norm\n")
        for lo in range(0, n, 50_000):
            s = steps[lo:lo + 50_000]
            f.write("".join(f"{i},0.001,{1.0 / (i + 1)!r},2.5\n" for i in s.tolist()))
    size_mb = p.stat().st_size / 2**20
    import tracemalloc

    tracemalloc.start()
    t = time.monotonic()
    h = lrdiag.load(p)
    dt = time.monotonic() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(h) == n and h.loss[-1] == 1.0 / n
    print(f"\nCSV {n} rows ({size_mb:.1f} MB): {dt:.2f} s, peak traced memory {peak / 2**20:.1f} MB")
    assert peak < 3 * 2**20 * size_mb + 50 * 2**20  # a small multiple of the data, not of Python objects


# -- the vectorised TFRecord checksums agree with TensorBoard's own -------------------------------

@FUZZ
@given(rows=st.integers(1, 40), length=st.integers(0, 80), seed=st.integers(0, 2**32 - 1))
def test_vectorised_crc32c_matches_tensorboard(rows, length, seed):
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    from lrdiag.sources.tfrecord import masked_crc32c_rows

    m = np.random.default_rng(seed).integers(0, 256, size=(rows, length), dtype=np.uint8)
    got = masked_crc32c_rows(m)
    assert [int(c) for c in got] == [masked_crc32c(r.tobytes()) for r in m]


@pytest.mark.parametrize("block", [13, 100, 4096])
def test_records_split_across_read_blocks(event_bytes, block, monkeypatch):
    """Framing across block boundaries returns exactly TensorBoard's own records."""
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader

    from lrdiag.sources import tfrecord

    p = _file(event_bytes + event_bytes[:57], ".tfevents")  # and a torn record at the end
    ref = list(RawEventFileLoader(str(p)).Load())
    monkeypatch.setattr(tfrecord, "_BLOCK", block)
    with pytest.warns(UserWarning, match=f"truncated record at byte {len(event_bytes)}"):
        got = list(tfrecord.iter_records(p))
    assert got == ref and len(got) == 1 + 2 * 40  # the file_version event and 80 scalars; the torn copy is dropped

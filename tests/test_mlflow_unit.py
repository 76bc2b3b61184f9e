"""MLflow sink pieces that need no server: the embedded SQLite store, run-page text, sweep maths."""

from __future__ import annotations

import json
import math
import re
import warnings

import numpy as np
import pytest

pytest.importorskip("mlflow")
import mlflow  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

from lrdiag.report import Finding, Report  # noqa: E402
from lrdiag.mlflow.cursor import CURSOR_NAME  # noqa: E402
from lrdiag.mlflow.run_page import (  # noqa: E402
    MAX_TAG_CHARS, SECTION_END, SECTION_START, description_section, merge_description, report_tags,
)
from lrdiag.mlflow.run_target import metric_key  # noqa: E402
from lrdiag.mlflow.sink import MLflowSink  # noqa: E402
from lrdiag.mlflow.sweep import final_loss, sweep_summary  # noqa: E402
from lrdiag.mlflow.sync import sync  # noqa: E402
from lrdiag.store import StoreWriter  # noqa: E402


def _report(n_findings: int = 2, message: str = "The loss rose.", **kw) -> Report:
    kinds = ["divergence", "spike", "oscillation", "plateau", "lr_too_low", "lr_too_high"]
    findings = [Finding(kinds[i % 6], 10 * i, 10 * i + 5, ["info", "warning", "critical"][i % 3], 0.5 + 0.4 * (i % 2),
                        0.1, f"{message} #{i}") for i in range(n_findings)]
    rec = {"kind": "onecycle", "params": {"peak_lr": 0.03, "total_steps": 1000}, "rationale": "Because.",
           "code": "scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.03, total_steps=1000)"}
    return Report(run="r", steps=(0, 999), findings=findings, recommendation=rec, summary="A summary.", **kw)


def _sgd_rows(steps: int = 300, layers: int = 3):
    """A real small training (logistic regression on digits) recorded as the Monitor's columns."""
    import torch
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = torch.tensor(X / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    torch.manual_seed(0)
    model = torch.nn.Sequential(*[torch.nn.Linear(64, 64) for _ in range(layers - 1)], torch.nn.Linear(64, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    cols: dict[str, list[float]] = {"lrdiag/loss": [], "lrdiag/lr/group:0": []}
    for step in range(steps):
        idx = torch.arange(step * 16, step * 16 + 32) % len(X)
        before = [m.weight.detach().clone() for m in model]
        loss = torch.nn.functional.cross_entropy(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        cols["lrdiag/loss"].append(float(loss.detach()) if step % 7 else float("nan"))  # gaps: not logged
        cols["lrdiag/lr/group:0"].append(opt.param_groups[0]["lr"])
        with torch.no_grad():
            for i, (m, b) in enumerate(zip(model, before)):
                cols.setdefault(f"lrdiag/update_ratio/{i}", []).append(float((m.weight - b).norm() / b.norm()))
    return np.arange(steps), {k: np.asarray(v, dtype=np.float32) for k, v in cols.items()}


def test_metric_keys_are_valid_mlflow_names():
    from mlflow.utils.validation import _validate_metric_name

    for name in ["lrdiag/loss", "lrdiag/lr/group:0", "lrdiag/update_ratio/enc.0.attn", "lrdiag/lr/<script>",
                 "lrdiag/update_ratio/../x", "lrdiag//a/./b", "lrdiag/lr/ünï", "a" * 400]:
        key = metric_key(name)
        _validate_metric_name(key)  # raises on an invalid key
        assert len(key) <= 250
    assert metric_key("lrdiag/update_ratio/encoder.0.attn") == "lrdiag/update_ratio/encoder.0.attn"  # unchanged
    assert metric_key("a" * 400) != metric_key("a" * 399 + "b")  # long keys stay distinct


def test_sink_on_embedded_sqlite_inside_active_run(tmp_path):
    """Inside the user's `mlflow.start_run()`: the sink logs into that run and leaves it open;
    a 300 x 5 block is split into batches of <= 1000; NaN (not logged) stays absent."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    steps, cols = _sgd_rows()
    mlflow.set_tracking_uri(uri)
    try:
        with mlflow.start_run(run_name="user-run") as run:
            mlflow.set_tag("mlflow.note.content", "user text")
            sink = MLflowSink()
            assert sink.run_id == run.info.run_id and not sink.owns_run
            sink.open({"optimizer": "SGD"})
            sink.write(steps[:150], {k: v[:150] for k, v in cols.items()})
            sink.write(steps[150:], {k: v[150:] for k, v in cols.items()})
            from lrdiag import analyze
            from lrdiag.history import History

            history = History(steps, cols)
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # no warning at all on the happy path
                sink.write_report(analyze(history), history)
                sink.close()
            assert sink.error is None
        client = MlflowClient(uri)
        got = client.get_run(run.info.run_id)
        assert got.info.status == "FINISHED"  # ended by the user's `with`, not by the sink
        for name, values in cols.items():
            hist = client.get_metric_history(run.info.run_id, metric_key(name))
            ok = ~np.isnan(values)
            assert [m.step for m in hist] == steps[ok].tolist()
            np.testing.assert_allclose([m.value for m in hist], values[ok], rtol=1e-6)
        assert "lrdiag/lr/group_0" in got.data.metrics  # the ':' of the group name replaced
        note = got.data.tags["mlflow.note.content"]
        assert note.startswith("user text") and SECTION_START in note
        assert {"lrdiag/report.json", "lrdiag/report.html"} <= {a.path for a in client.list_artifacts(run.info.run_id, "lrdiag")}
    finally:
        mlflow.set_tracking_uri(None)


def test_server_down_from_the_start_then_sync_creates_the_run(tmp_path):
    """Nothing answers at the tracking URI: one warning, nothing raised, all values in the store;
    `sync` with a working URI creates the run and sends every value, then nothing more."""
    from conftest import free_port

    run_dir = tmp_path / "run"
    steps, cols = _sgd_rows(steps=120)
    store = StoreWriter(run_dir, {"optimizer": "SGD"})
    sink = MLflowSink(tracking_uri=f"http://127.0.0.1:{free_port()}", run_dir=run_dir, close_timeout=60)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sink.open({"optimizer": "SGD"})
        for a in range(0, 120, 20):
            block = {k: v[a : a + 20] for k, v in cols.items()}
            store.append(steps[a : a + 20], block)
            sink.write(steps[a : a + 20], block)
        sink.close()
    store.close()
    msgs = [str(w.message) for w in caught if "lrdiag: MLflow" in str(w.message)]
    assert len(msgs) == 1 and f"lrdiag sync {run_dir}" in msgs[0], msgs
    cursor = json.loads((run_dir / CURSOR_NAME).read_text())
    assert cursor["run_id"] is None and not cursor["in_sync"]

    uri = f"sqlite:///{tmp_path / 'later.db'}"
    n = sync(run_dir, tracking_uri=uri)
    expected = sum(int((~np.isnan(v)).sum()) for v in cols.values())
    assert n == expected
    cursor = json.loads((run_dir / CURSOR_NAME).read_text())
    client = MlflowClient(uri)
    run = client.get_run(cursor["run_id"])
    assert run.info.status == "FINISHED" and run.info.run_name == "run"
    assert len(client.get_metric_history(run.info.run_id, "lrdiag/loss")) == int((~np.isnan(cols["lrdiag/loss"])).sum())
    assert sync(run_dir, tracking_uri=uri) == 0  # idempotent
    assert sync(run_dir) == 0  # the cursor now remembers the URI


def test_sync_bad_input_says_what_to_do(tmp_path):
    from lrdiag.errors import LRDiagError

    with pytest.raises(LRDiagError, match="not a directory"):
        sync(tmp_path / "missing")
    with pytest.raises(LRDiagError, match="holds no lrdiag store"):
        sync(tmp_path)


def test_description_keeps_user_text_and_replaces_only_its_section():
    first = merge_description("My notes.\n\nMore notes.", description_section(_report(1)))
    assert first.startswith("My notes.\n\nMore notes.\n\n" + SECTION_START)
    second = merge_description(first + "\n\nAdded later by the user.", description_section(_report(3)))
    assert second.count(SECTION_START) == 1 and second.count(SECTION_END) == 1
    assert second.startswith("My notes.\n\nMore notes.") and second.endswith("Added later by the user.")
    assert "#2" in second and "#0" in second
    assert merge_description("", "S") == "S" and merge_description(None, "S") == "S"


def test_description_fits_mlflow_tag_limit_with_many_long_findings():
    report = _report(300, message="x" * 200)
    user = "u" * 3000
    section = description_section(report, budget=MAX_TAG_CHARS - len(user) - 2)
    merged = merge_description(user, section)
    assert len(merged) <= MAX_TAG_CHARS
    assert "more findings" in section and SECTION_END in section
    n_rows = len(re.findall(r"^\| (info|warning|critical) \|", section, re.M))
    assert 0 < n_rows < 300
    # the most severe findings are the ones kept
    assert "| critical |" in section


def test_run_strings_are_escaped_in_the_description():
    report = _report(2, message='<script>alert(1)</script> | "><img src=x onerror=alert(2)>')
    section = description_section(report)
    assert "<script>" not in section and "<img" not in section
    assert "&lt;script&gt;" in section
    body = section[len(SECTION_START): -len(SECTION_END)]
    assert SECTION_END not in body  # a message cannot close the section early


def test_report_tags():
    tags = report_tags(_report(4))
    assert tags["lrdiag.verdict"] in {"divergence", "spike", "oscillation", "plateau"}
    assert set(tags["lrdiag.findings"].split(",")) == {"divergence", "spike", "oscillation", "plateau"}
    assert tags["lrdiag.suggested_lr"] == "0.03"
    assert tags["lrdiag.schedule"] == "onecycle(peak_lr=0.03, total_steps=1000)"
    healthy = report_tags(Report(run="r", steps=(0, 9)))
    assert healthy["lrdiag.verdict"] == "healthy" and healthy["lrdiag.findings"] == "none"
    assert "lrdiag.suggested_lr" not in healthy


def test_final_loss_and_sweep_summary():
    assert final_loss(np.array([3.0, 2.0] + [1.0] * 98)) == 1.0
    assert final_loss(np.array([1.0, 2.0, np.inf])) == math.inf
    assert final_loss(np.array([np.nan])) is None
    # loss(lr) = (log10 lr + 2)^2 + 1: optimum at 1e-2, sampled at 10^-3.5 .. 10^-0.5
    rows = []
    for i, e in enumerate([-3.5, -2.5, -1.5, -0.5]):
        rows.append({"run_id": f"r{i}", "lr": 10 ** e, "final_loss": (e + 2) ** 2 + 1, "unstable": False})
    rows.append({"run_id": "dup", "lr": 10 ** -2.5, "final_loss": (-0.5) ** 2 + 1, "unstable": False})  # a 2nd seed
    rows.append({"run_id": "boom", "lr": 1.0, "final_loss": math.inf, "unstable": True})
    s = sweep_summary(rows)
    assert s["best_swept_lr"] in (pytest.approx(10 ** -2.5), pytest.approx(10 ** -1.5))
    assert s["best_lr"] == pytest.approx(1e-2, rel=1e-6)  # the parabola is exact here
    lo, hi = s["interval"]
    assert lo < 1e-2 < hi and s["at_edge"] is None
    assert s["unstable_runs"] == ["boom"]
    edge = sweep_summary([{"run_id": "a", "lr": 0.1, "final_loss": 1.0, "unstable": False},
                          {"run_id": "b", "lr": 1.0, "final_loss": 2.0, "unstable": False}])
    assert edge["best_lr"] == 0.1 and edge["at_edge"] == "low" and edge["interval"] == [0.1, 1.0]
    assert sweep_summary([{"run_id": "x", "lr": 1.0, "final_loss": math.inf, "unstable": True}])["best_lr"] is None


def test_old_import_path_keeps_every_name():
    """``lrdiag.sinks.mlflow_sink`` re-exports what the Monitor, the integrations, the examples
    and user code import from it; each is the very object of its ``lrdiag.mlflow`` module."""
    import importlib

    import lrdiag.sinks.mlflow_sink as old

    for name in old.__all__:
        obj = getattr(old, name)
        if callable(obj) and not isinstance(obj, str):
            home = importlib.import_module(obj.__module__)
            assert obj.__module__.startswith("lrdiag.mlflow.") and getattr(home, obj.__name__) is obj, name
    from lrdiag.sinks import MLflowSink as lazy

    assert lazy is MLflowSink


def test_catch_up_fills_batches_across_small_store_blocks(tmp_path):
    """A long outage leaves many small blocks in the store; catching up packs them into batches
    of up to 1,000 values (here about 1,750 values in 45 blocks: 2 requests), each key in step order."""
    from lrdiag.mlflow.run_target import RunTarget

    run_dir = tmp_path / "run"
    steps, cols = _sgd_rows(steps=360)
    store = StoreWriter(run_dir, {"optimizer": "SGD"})
    for a in range(0, 360, 8):
        store.append(steps[a : a + 8], {k: v[a : a + 8] for k, v in cols.items()})
    store.close()
    target = RunTarget(f"sqlite:///{tmp_path / 'mlflow.db'}", run_name="catch-up")
    assert target.connect()
    calls = []
    log_batch = target.client.log_batch
    target.client.log_batch = lambda *a, **k: (calls.append(len(k.get("metrics") or [])), log_batch(*a, **k))[1]
    sent, last = target.catch_up(run_dir)
    expected = sum(int((~np.isnan(v)).sum()) for v in cols.values())
    assert sent == expected and last == 359
    assert calls == [1000] * (expected // 1000) + ([expected % 1000] if expected % 1000 else [])
    for name, values in cols.items():
        ok = ~np.isnan(values)
        assert [m.step for m in target.client.get_metric_history(target.run_id, metric_key(name))] == steps[ok].tolist()
    assert target.catch_up(run_dir) == (0, 359)  # nothing twice

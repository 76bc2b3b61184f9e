"""Routes of the LR Diagnostics TensorBoard plugin, through TensorBoard's own WSGI application.

The app is TensorBoard's ``TensorBoardWSGI`` over a ``MultiplexerDataProvider`` reading real event
files from a temporary logdir, driven with werkzeug's test client: the same middleware (experiment
ids, security headers, CSP) and data path as ``tensorboard --logdir``.

The helpers here (``write_run``, ``sample_report``) also write the logdirs of the e2e and browser
tests.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pytest
from tensorboard.backend import application
from tensorboard.backend.event_processing import data_provider as tb_data_provider
from tensorboard.backend.event_processing import plugin_event_multiplexer
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
from tensorboard.plugins import base_plugin
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from werkzeug.test import Client

from lrdiag import names
from lrdiag.report import Finding, Report
from lrdiag.tensorboard_plugin import LRDiagPlugin

SCRIPT_RUN = "<script>window.__pwned=1</script>"  # a run dir "<script>window.__pwned=1<" / "script>"


# -- writing runs -------------------------------------------------------------------------

def report_summary(report_json: str) -> summary_pb2.Summary:
    """The Report as the plugin reads it: a scalar string tensor under the plugin's name."""
    meta = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=names.PLUGIN_NAME),
        data_class=summary_pb2.DATA_CLASS_TENSOR,
    )
    tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, tensor_shape=tensor_shape_pb2.TensorShapeProto(),
                                    string_val=[report_json.encode("utf-8")])
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=names.REPORT_TAG, metadata=meta, tensor=tensor)])


def write_run(run_dir: Path, columns: Mapping[str, tuple[Any, Any]], report: Report | str | None = None) -> Path:
    """Write scalars ``{tag: (steps, values)}`` and optionally the report into one event file.

    One event per step carries every tag logged at that step (what ``SummaryWriter`` does with
    ``add_scalars`` minus the per-call overhead), so a large run writes in seconds.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    per_step: dict[int, list] = {}
    for tag, (steps, values) in columns.items():
        for s, v in zip(np.asarray(steps).tolist(), np.asarray(values, dtype=np.float64).tolist()):
            per_step.setdefault(int(s), []).append(summary_pb2.Summary.Value(tag=tag, simple_value=v))
    writer = EventFileWriter(str(run_dir), max_queue_size=1000, flush_secs=120)
    try:
        wall = time.time()
        for step in sorted(per_step):
            writer.add_event(event_pb2.Event(wall_time=wall, step=step, summary=summary_pb2.Summary(value=per_step[step])))
        if report is not None:
            text = report if isinstance(report, str) else report.to_json(indent=None)
            last = max(per_step) if per_step else 0
            writer.add_event(event_pb2.Event(wall_time=wall, step=last, summary=report_summary(text)))
    finally:
        writer.close()
    return run_dir


def synthetic_columns(steps: int, layers: int = 3, every: int = 1, seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Loss, LR and per-layer update ratios of a run whose loss diverges once the LR jumps 8x
    half way."""
    rng = np.random.default_rng(seed)
    s = np.arange(0, steps, every)
    lr = np.where(s < steps // 2, 0.05, 0.4)
    blowup = np.where(s >= steps // 2, np.expm1((s - steps // 2) / (steps / 15)), 0)
    loss = 2.0 * np.exp(-s / (steps / 4)) + 0.1 + blowup + 0.02 * rng.standard_normal(s.size)
    cols = {names.LOSS: (s, loss), names.lr("group0"): (s, lr)}
    for i in range(layers):
        cols[names.update_ratio(f"layer{i}.weight")] = (s, 1e-3 * (1 + i) * lr / 0.05 * np.exp(0.1 * rng.standard_normal(s.size)))
    return cols


def sample_report(run: str, steps: int, message_extra: str = "") -> Report:
    """A report like ``analyze`` writes: two findings, a range test and a recommendation."""
    half = steps // 2
    lrs = np.geomspace(1e-6, 1.0, 60)
    losses = 2.3 - 1.5 / (1 + np.exp(-(np.log10(lrs) + 3) * 2)) + np.where(lrs > 0.2, (lrs - 0.2) * 30, 0)
    curve_steps = list(range(0, steps, max(1, steps // 50)))
    return Report(
        run=run,
        steps=(0, steps - 1),
        findings=[
            Finding("oscillation", half, steps - 1, "critical", 0.9, 0.4,
                    "Loss oscillates with period 2 after the LR rose to 0.4: the LR is too high." + message_extra,
                    {"period": 2}),
            Finding("lr_too_high", half, steps - 1, "warning", 0.7, 0.4,
                    "Update/weight ratio is 8x above the healthy band in layer0.weight." + message_extra, {}),
        ],
        range_test={"lrs": lrs.tolist(), "losses": losses.tolist(), "smoothed": losses.tolist(),
                    "suggested_lr": 3e-3, "lr_range": [1e-4, 5e-2], "confidence": 0.8},
        recommendation={"kind": "cosine", "params": {"max_lr": 0.05, "total_steps": steps},
                        "rationale": "Peak at the range test's suggested LR, then decay to avoid the oscillation." + message_extra,
                        "code": "scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=%d)" % steps,
                        "curve": {"steps": curve_steps, "lrs": [0.025 * (1 + np.cos(np.pi * s / steps)) for s in curve_steps]}},
        summary="The LR is too high after step %d: the loss oscillates." % half + message_extra,
        meta={"ratio_band": [1e-4, 1e-2]},
    )


# -- the app ------------------------------------------------------------------------------

def make_app(logdir: Path) -> tuple[Client, LRDiagPlugin]:
    """TensorBoard's WSGI app over a multiplexer data provider with only this plugin loaded."""
    mux = plugin_event_multiplexer.EventMultiplexer()
    mux.AddRunsFromDirectory(str(logdir))
    mux.Reload()
    provider = tb_data_provider.MultiplexerDataProvider(mux, str(logdir))
    ctx = base_plugin.TBContext(data_provider=provider, logdir=str(logdir), multiplexer=mux)
    plugin = LRDiagPlugin(ctx)
    app = application.TensorBoardWSGI([plugin], data_provider=provider)
    return Client(app), plugin


@pytest.fixture(scope="module")
def logdir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tb")
    write_run(root / "good", synthetic_columns(400), sample_report("good", 400))
    write_run(root / SCRIPT_RUN, synthetic_columns(100, layers=1), sample_report(SCRIPT_RUN, 100, " <img src=x onerror=alert(1)>"))
    cols = synthetic_columns(300, layers=0)
    write_run(root / "foreign", {"train/loss": cols[names.LOSS], "train/learning_rate": cols[names.lr("group0")]})
    write_run(root / "other", {"accuracy": (np.arange(10), np.linspace(0, 1, 10))})
    write_run(root / "badreport", synthetic_columns(50, layers=0), "{not json")
    write_run(root / "report_only", {}, sample_report("report_only", 100))  # e.g. an lrdiag analyze result
    return root


@pytest.fixture(scope="module")
def client(logdir) -> Client:
    return make_app(logdir)[0]


def get_json(client: Client, url: str, code: int = 200, **kw) -> Any:
    r = client.get(url, **kw)
    assert r.status_code == code, (url, r.status_code, r.get_data(as_text=True)[:300])
    assert r.mimetype == "application/json"
    return json.loads(r.get_data(as_text=True))


def q(run: str) -> str:
    from urllib.parse import quote

    return quote(run, safe="")


# -- tests --------------------------------------------------------------------------------

def test_listed_as_iframe_tab(client):
    listing = get_json(client, "/data/plugins_listing")["lrdiag"]
    assert listing["enabled"] is True
    assert listing["tab_name"] == "LR Diagnostics"
    assert listing["loading_mechanism"] == {"type": "IFRAME", "module_path": "/data/plugin/lrdiag/static/index.js"}
    page = client.get("/data/plugin_entry.html?name=lrdiag")
    assert page.status_code == 200 and b'import("./static/index.js")' in page.get_data()


def test_static_assets_served_by_exact_name(client):
    for name, ctype in (("index.js", "text/javascript"), ("style.css", "text/css"), ("plotly.min.js", "text/javascript")):
        r = client.get(f"/data/plugin/lrdiag/static/{name}", headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200 and r.mimetype == ctype
        body = gzip.decompress(r.get_data())
        assert len(body) > (1_000_000 if name == "plotly.min.js" else 500)
    # Plotly is the package's own file with its UMD factory in parentheses (compiled eagerly,
    # off the page's main thread): nothing else differs.
    from lrdiag.figures import plotly_js_path
    from lrdiag.tensorboard_plugin import eager_factory

    shipped = Path(plotly_js_path()).read_bytes()
    served = gzip.decompress(client.get("/data/plugin/lrdiag/static/plotly.min.js", headers={"Accept-Encoding": "gzip"}).get_data())
    assert served == eager_factory(shipped) != shipped
    opened, closed = served.index(b"(() => {"), served.rindex(b"})));")
    assert served[:opened] + served[opened + 1:closed] + b"}));" == shipped.rstrip()
    assert eager_factory(b"(function(){ return 1; })();") == b"(function(){ return 1; })();"  # another wrapper: as it is
    plain = client.get("/data/plugin/lrdiag/static/index.js")  # no gzip accepted: served plain
    assert b"export async function render" in plain.get_data()
    for bad in ("static/../../../etc/passwd", "static/%2e%2e%2fsetup.py", "static/nope.js", "static/", "static/sub/index.js"):
        assert client.get(f"/data/plugin/lrdiag/{bad}").status_code == 404, bad


def test_runs_lists_lrdiag_and_analyzable_runs(client):
    runs = {r["run"]: r for r in get_json(client, "/data/plugin/lrdiag/runs")["runs"]}
    assert set(runs) == {"good", SCRIPT_RUN, "foreign", "badreport", "report_only"}  # "other" has neither
    assert runs["good"]["has_report"] and runs["good"]["last_step"] == 399
    assert not runs["foreign"]["has_lrdiag"] and runs["foreign"]["analyzable"]


def test_report_and_figures(client):
    rep = get_json(client, "/data/plugin/lrdiag/report?run=good")
    assert rep["source"] == "summary"
    assert [f["kind"] for f in rep["report"]["findings"]] == ["oscillation", "lr_too_high"]
    figs = get_json(client, "/data/plugin/lrdiag/figures?run=good&max_points=100")
    assert figs["steps"] == 400 and figs["report"] == rep["report"]
    by_id = {f["id"]: f for f in figs["figures"]}
    assert set(by_id) == {"loss_lr", "ratios", "range_test", "schedule"}
    for trace in by_id["loss_lr"]["data"]:
        assert len(trace["x"]) <= 100
    # the oscillation interval is shaded on the loss chart
    assert any(s["x0"] == 200 for s in by_id["loss_lr"]["layout"]["shapes"])


@pytest.mark.parametrize("url, code", [
    ("/data/plugin/lrdiag/report", 400),                              # missing run
    ("/data/plugin/lrdiag/report?run=", 400),                         # empty run
    ("/data/plugin/lrdiag/report?run=good&run=foreign", 400),         # repeated
    ("/data/plugin/lrdiag/report?run=good&path=/etc/passwd", 400),    # unknown parameter
    ("/data/plugin/lrdiag/figures?run=good&max_points=abc", 400),
    ("/data/plugin/lrdiag/figures?run=good&max_points=1", 400),
    ("/data/plugin/lrdiag/figures?run=good&max_points=99999999999999999999", 400),
    ("/data/plugin/lrdiag/figures?run=good&max_points=-5", 400),
    ("/data/plugin/lrdiag/report?run=" + "x" * 9000, 400),            # oversized
    ("/data/plugin/lrdiag/report?run=nope", 404),                     # unknown run
    ("/data/plugin/lrdiag/report?run=..%2F..%2Fetc", 404),            # a path is just an unknown run
    ("/data/plugin/lrdiag/figures?run=other", 404),                   # no lrdiag data
    ("/data/plugin/lrdiag/report?run=other", 404),
    ("/data/plugin/lrdiag/analyze?run=other", 404),                   # nothing to analyse
    ("/data/plugin/lrdiag/runs?x=1", 400),
])
def test_bad_requests_are_4xx_json(client, url, code):
    body = get_json(client, url, code)
    assert body["error"]


def test_wrong_method_and_large_body(client):
    assert client.post("/data/plugin/lrdiag/report?run=good").status_code == 405
    r = client.post("/data/plugin/lrdiag/analyze?run=foreign", data=b"x" * 100_000, content_type="application/octet-stream")
    assert r.status_code == 413


def test_hostile_run_name_is_json_data(client):
    runs = [r["run"] for r in get_json(client, "/data/plugin/lrdiag/runs")["runs"]]
    assert SCRIPT_RUN in runs
    r = client.get("/data/plugin/lrdiag/figures?run=" + q(SCRIPT_RUN))
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    body = json.loads(r.get_data(as_text=True))
    assert body["run"] == SCRIPT_RUN and body["report"]["run"] == SCRIPT_RUN
    # Plotly renders a subset of HTML in trace names and hover text: figures escape run data.
    hover = [h for f in body["figures"] for t in f["data"] for h in t.get("hovertext") or [] if h]
    assert any("&lt;img src=x onerror=alert(1)&gt;" in h for h in hover)
    assert not any("<img" in h for h in hover)


def test_damaged_report_still_shows_charts(client):
    body = get_json(client, "/data/plugin/lrdiag/figures?run=badreport")
    assert body["report"] is None and "could not be read" in body["report_error"]
    assert [f["id"] for f in body["figures"]] == ["loss_lr"]


def test_report_without_scalars(client):
    body = get_json(client, "/data/plugin/lrdiag/figures?run=report_only")
    assert body["report"]["run"] == "report_only" and body["steps"] == 0 and body["last_step"] is None
    assert [f["id"] for f in body["figures"]] == ["range_test", "schedule"]


def test_foreign_run_charts_without_report(client):
    body = get_json(client, "/data/plugin/lrdiag/figures?run=foreign")
    assert body["report"] is None and body["analyzable"] is True
    names_shown = [t["name"] for t in body["figures"][0]["data"]]
    assert names_shown[0] == "loss" and any(n.startswith("lr ") for n in names_shown)


def test_is_active(tmp_path):
    write_run(tmp_path / "plain", {"accuracy": (np.arange(3), np.ones(3))})
    assert make_app(tmp_path)[1].is_active() is False
    write_run(tmp_path / "scalars_only", {names.LOSS: (np.arange(3), np.ones(3))})
    assert make_app(tmp_path)[1].is_active() is True


def test_analyze_foreign_run_is_cached(logdir, monkeypatch):
    """"Analyse this run" runs lrdiag.analyze once per data version; later requests (analyze,
    report, figures) are served from the cache. The real analyze runs, counted."""
    from lrdiag.analysis import engine

    client, _ = make_app(logdir)
    calls = []
    real = engine.analyze

    def counting(history, **kw):
        calls.append(len(history))
        return real(history, **kw)

    monkeypatch.setattr(engine, "analyze", counting)
    assert get_json(client, "/data/plugin/lrdiag/report?run=foreign")["report"] is None  # not analysed yet
    first = client.post("/data/plugin/lrdiag/analyze?run=foreign")
    assert first.status_code == 200, first.get_data(as_text=True)
    again = get_json(client, "/data/plugin/lrdiag/analyze?run=foreign")
    figs = get_json(client, "/data/plugin/lrdiag/figures?run=foreign")
    rep = get_json(client, "/data/plugin/lrdiag/report?run=foreign")
    assert calls == [300]  # analysed once, then served from the cache
    report = json.loads(first.get_data(as_text=True))["report"]
    assert again["report"] == report and figs["report"] == report and rep["report"] == report
    assert figs["source"] == rep["source"] == "analysis"
    assert report["schema"] == "lrdiag.report/1" and report["steps"] == [0, 299]
    # the divergence after the LR jump is found and shaded on the loss chart
    assert "divergence" in [f["kind"] for f in report["findings"]]
    assert any(s["type"] == "rect" for s in figs["figures"][0]["layout"]["shapes"])


# -- fuzz: no query string makes a route fail ---------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_KEYS = st.sampled_from(["run", "max_points", "path", "", "run[]", "RUN"]) | st.text(max_size=12)
_VALUES = st.sampled_from(["good", "foreign", SCRIPT_RUN, "other", "nope", "0", "-1", "2000", "1e9", "../good"]) | st.text(max_size=300)


_ROUTES = ["runs", "report", "figures", "analyze", "static/index.js"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(_ROUTES),
       params=st.lists(st.tuples(_KEYS, _VALUES), max_size=4), method=st.sampled_from(["GET", "POST", "PUT"]))
def test_fuzzed_queries_never_fail(client, route, params, method):
    from urllib.parse import urlencode

    r = client.open(f"/data/plugin/lrdiag/{route}?{urlencode(params)}", method=method)
    assert r.status_code in (200, 400, 404, 405, 422), (r.status_code, params, r.get_data(as_text=True)[:300])
    if not route.startswith("static"):
        body = json.loads(r.get_data(as_text=True))
        assert ("error" in body) == (r.status_code != 200)


# -- no route opens a file it was told about ----------------------------------------------

_OPENED: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _OPENED is not None and event == "open" and isinstance(args[0], (str, bytes)):
        _OPENED.append(os.fsdecode(args[0]))


def test_routes_open_no_given_path(logdir, tmp_path):
    """With a Python audit hook recording every ``open``: no request, whatever its parameters,
    opens a file in the logdir or a path named in the request (data comes from the provider)."""
    global _OPENED
    client, _ = make_app(logdir)
    event_file = str(next((logdir / "good").iterdir()))
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the browser")
    urls = ["runs", "report?run=good", "figures?run=good", "figures?run=foreign", "report?run=" + q(str(secret)),
            "figures?run=" + q(event_file), "report?run=" + q("../" * 8 + "etc/passwd"), "static/" + q(str(secret)),
            "static/index.js", "static/plotly.min.js"]
    for url in urls:  # warm up: lazy imports and the static index open files once, legitimately
        client.get("/data/plugin/lrdiag/" + url)
    sys.addaudithook(_audit)
    _OPENED = []
    try:
        for url in urls:
            assert client.get("/data/plugin/lrdiag/" + url).status_code in (200, 400, 404)
        opened = list(_OPENED)
    finally:
        _OPENED = None
    assert not [p for p in opened if str(logdir) in os.path.abspath(p) or "secret" in p or "passwd" in p], opened
    assert opened == [], opened  # everything served from memory

"""MLflow end to end: a real ``mlflow server`` (SQLite backend, proxied artifacts, loopback port),
real trainings logged through ``lrdiag.Monitor(..., mlflow=...)``, everything read back with
``MlflowClient``, the report artifact opened in headless Chromium with no network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from _mlflow_helpers import MlflowServer
from conftest import CHROMIUM, CHROMIUM_ARGS, REPO, require_chromium

pytest.importorskip("mlflow")
from mlflow.tracking import MlflowClient  # noqa: E402

import lrdiag  # noqa: E402
from lrdiag.errors import LRDiagError  # noqa: E402
from lrdiag.mlflow.cursor import CURSOR_NAME  # noqa: E402
from lrdiag.mlflow.experiment import analyze_experiment  # noqa: E402
from lrdiag.mlflow.run_page import SECTION_END, SECTION_START, write_back  # noqa: E402
from lrdiag.report import Report  # noqa: E402
from lrdiag.store import read_store  # noqa: E402

pytestmark = [pytest.mark.server, pytest.mark.timeout(900)]

EXAMPLE = REPO / "examples" / "mlflow_tracking.py"
LRS = (0.03, 0.3, 3.0)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = MlflowServer(tmp_path_factory.mktemp("mlflow-server")).start()
    yield srv
    srv.stop()


def run_py(args: list[str], cwd: Path, env: dict | None = None, timeout: float = 400) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def example(server, tmp_path_factory):
    """The example, run against the server: a 3-run LR sweep with live logging."""
    work = tmp_path_factory.mktemp("example")
    t0 = time.time()
    p = run_py([str(EXAMPLE), "--tracking-uri", server.uri, "--experiment", "sweep", "--steps", "200",
                "--lrs", ",".join(map(str, LRS)), "--logdir", str(work / "runs")], cwd=work)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    info = json.loads(p.stdout.strip().splitlines()[-1])
    info["stdout"] = p.stdout
    info["stderr"] = p.stderr
    info["seconds"] = time.time() - t0
    info["logdir"] = work / "runs"
    return info


def metric_steps(client: MlflowClient, run_id: str, key: str) -> tuple[list[int], list[float]]:
    hist = client.get_metric_history(run_id, key)
    return [m.step for m in hist], [m.value for m in hist]


# -- live logging, findings on the run page ----------------------------------------------------

def test_example_logs_metrics_tags_description_artifacts(server, example, tmp_path):
    client = MlflowClient(server.uri)
    assert "lrdiag: MLflow logging" not in example["stderr"], example["stderr"]
    for lr in LRS:
        run_id = example["runs"][str(lr)]
        run = client.get_run(run_id)
        run_dir = example["logdir"] / f"lr{lr:g}"
        _, steps, series = read_store(run_dir)
        # every stored value of every series is an MLflow metric under the same name, same step
        for name, values in series.items():
            ok = ~np.isnan(values)
            got_steps, got_values = metric_steps(client, run_id, name)
            assert got_steps == steps[ok].tolist(), name
            np.testing.assert_allclose(got_values, values[ok].astype(np.float64), rtol=1e-6, err_msg=name)
        assert "lrdiag/loss" in series and any(k.startswith("lrdiag/lr/") for k in series)
        assert any(k.startswith("lrdiag/update_ratio/") for k in series)
        assert len(metric_steps(client, run_id, "lrdiag/loss")[0]) == 200

        tags = run.data.tags
        report = json.loads(open(client.download_artifacts(run_id, "lrdiag/report.json", str(tmp_path))).read())
        assert tags["lrdiag.verdict"] == Report.from_dict(report).verdict
        kinds = {f["kind"] for f in report["findings"]}
        assert set(tags["lrdiag.findings"].split(",")) == (kinds or {"none"})
        rec = report["recommendation"] or {}
        if rec:
            assert tags["lrdiag.schedule"].startswith(rec["kind"])
        expected_lr = (report["range_test"] or {}).get("suggested_lr") or (rec.get("params") or {}).get("peak_lr")
        if expected_lr:  # a positive suggestion is tagged; none (or 0) leaves the tag out
            assert float(tags["lrdiag.suggested_lr"]) == pytest.approx(expected_lr, rel=1e-3)
        else:
            assert "lrdiag.suggested_lr" not in tags
        assert run.info.status == "FINISHED"  # the user's own `with mlflow.start_run()` ended it

        note = tags["mlflow.note.content"]
        assert note.startswith(f"Digits MLP, SGD at lr={lr:g}.")  # the user's text is kept
        assert note.count(SECTION_START) == 1 and note.count(SECTION_END) == 1
        assert report["summary"][:60].replace("|", "\\|") in note.replace("&gt;", ">").replace("&lt;", "<")
        if report["recommendation"] and report["recommendation"].get("code"):
            assert "```python" in note
        assert len(note) <= 8000

        arts = {a.path for a in client.list_artifacts(run_id, "lrdiag")}
        assert {"lrdiag/report.json", "lrdiag/report.html"} <= arts
        assert any(a.endswith(".png") for a in arts), arts
        png = client.download_artifacts(run_id, sorted(a for a in arts if a.endswith(".png"))[0], str(tmp_path))
        assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
        cursor = json.loads((run_dir / CURSOR_NAME).read_text())
        assert cursor["run_id"] == run_id and cursor["in_sync"] and cursor["report_sent"] and not cursor["owns_run"]

    # at lr=3 this SGD run blows up; at 0.03 it trains: the tags say so, and are searchable
    bad = example["runs"]["3.0"]
    assert client.get_run(bad).data.tags["lrdiag.verdict"] != "healthy"
    import mlflow

    mlflow.set_tracking_uri(server.uri)
    try:
        found = mlflow.search_runs(search_all_experiments=True, output_format="list",
                                   filter_string="tags.\"lrdiag.verdict\" != 'healthy'")
        assert bad in {r.info.run_id for r in found}
        good = example["runs"]["0.03"]
        verdict = client.get_run(good).data.tags["lrdiag.verdict"]
        same = mlflow.search_runs(search_all_experiments=True, output_format="list",
                                  filter_string=f"tags.\"lrdiag.verdict\" = '{verdict}'")
        assert good in {r.info.run_id for r in same}
    finally:
        mlflow.set_tracking_uri(None)
    print(f"example: 3 runs x 200 steps against a real server in {example['seconds']:.1f} s")


def test_experiment_view_finds_best_lr_and_unstable_runs(server, example):
    p = run_py(["-m", "lrdiag.cli", "analyze", "--mlflow-experiment", "sweep", "--format", "json",
                "--tracking-uri", server.uri], cwd=REPO)
    assert p.returncode == 0, p.stderr
    view = json.loads(p.stdout)
    sweep = view["sweep"]
    runs = {r["run_id"]: r for r in view["runs"]}
    assert set(runs) == set(example["runs"].values())
    assert sweep["best_swept_lr"] == pytest.approx(0.03)
    lo, hi = sweep["interval"]
    assert lo <= sweep["best_lr"] <= hi and lo == pytest.approx(0.03) and hi == pytest.approx(0.3)
    assert sweep["at_edge"] == "low"
    assert example["runs"]["3.0"] in sweep["unstable_runs"]
    assert example["runs"]["0.03"] not in sweep["unstable_runs"]
    assert set(view["reports"]) == set(runs)
    # the example printed the same view as text
    assert "Best LR: 0.03" in example["stdout"]
    for fmt, probe in (("md", "| run | run id |"), ("text", "Unstable runs:"), ("html", 'id="sweep-data"')):
        assert probe in analyze_experiment("sweep", tracking_uri=server.uri, fmt=fmt), fmt
    with pytest.raises(LRDiagError, match="no MLflow experiment named 'no-such-sweep'"):
        analyze_experiment("no-such-sweep", tracking_uri=server.uri)


# -- the report artifact in a real browser --------------------------------------------------------

def keep_screenshot(shot: Path, name: str) -> None:
    """The README's screenshots live in plugin_assets/; refresh them only when asked
    (LRDIAG_UPDATE_SCREENSHOTS=1) or when missing, so a test run leaves the tree clean."""
    dest = REPO / "plugin_assets" / name
    if os.environ.get("LRDIAG_UPDATE_SCREENSHOTS") == "1" or not dest.exists():
        shutil.copy(shot, dest)


def _offline_page(pw, tmp_path: Path, allow: str):
    ctx = pw.chromium.launch_persistent_context(str(tmp_path / "chromium-profile"), executable_path=CHROMIUM,
                                                args=CHROMIUM_ARGS, headless=True, viewport={"width": 1280, "height": 1000})
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith(allow):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    return ctx, page, blocked


@pytest.mark.browser
def test_report_html_artifact_draws_charts_offline(server, example, tmp_path, artifacts_dir):
    require_chromium()
    from playwright.sync_api import sync_playwright

    client = MlflowClient(server.uri)
    run_id = example["runs"]["0.3"]
    html = Path(client.download_artifacts(run_id, "lrdiag/report.html", str(tmp_path)))
    url = html.resolve().as_uri()
    with sync_playwright() as pw:
        ctx, page, blocked = _offline_page(pw, tmp_path, url)
        try:
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            page.wait_for_selector("body[data-figures-rendered]", timeout=60_000)
            n_figs = int(page.get_attribute("body", "data-figures-rendered"))
            assert n_figs >= 2
            page.wait_for_function(f"document.querySelectorAll('.main-svg').length >= {n_figs}", timeout=60_000)
            assert page.locator("#figures .js-plotly-plot").count() == n_figs
            assert page.locator(".xtick").count() > 0  # axes were drawn, not just an empty svg
            assert not errors, errors
            assert blocked == [], blocked  # the page asked for nothing beyond itself
            shot = artifacts_dir / "mlflow_report_html.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            ctx.close()
    keep_screenshot(shot, "screenshot_mlflow_report.png")


@pytest.mark.browser
def test_mlflow_ui_run_page_shows_findings(server, example, tmp_path, artifacts_dir):
    """The MLflow UI itself (served by the test's server): the run page shows the description."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    client = MlflowClient(server.uri)
    run_id = example["runs"]["0.3"]
    run = client.get_run(run_id)
    with sync_playwright() as pw:
        ctx, page, blocked = _offline_page(pw, tmp_path, server.uri)
        try:
            page.goto(f"{server.uri}/#/experiments/{run.info.experiment_id}/runs/{run_id}")
            page.get_by_text("Part of the example sweep").first.wait_for(timeout=90_000)
            page.get_by_text("lrdiag:").first.wait_for(timeout=30_000)
            # cosmetic, for the screenshot: expand the description, hide the assistant side panel
            more = page.get_by_text("Show more")
            if more.count():
                more.first.click()
            close = page.locator("[aria-label='Close']")
            if close.count():
                close.first.click()
            page.locator("th", has_text="what happened").first.wait_for(timeout=15_000)  # the table rendered
            page.wait_for_timeout(1500)
            shot = artifacts_dir / "mlflow_run_page.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            ctx.close()
    keep_screenshot(shot, "screenshot_mlflow_run.png")


# -- post hoc: write-back to a run lrdiag did not log ------------------------------------------

def test_write_back_to_a_foreign_run(server, tmp_path):
    """A run logged with plain MLflow names (train_loss, learning_rate) from a real training;
    `lrdiag analyze mlflow:<id> --write-back` puts the findings on it, twice without duplication."""
    import torch
    from mlflow.entities import Metric
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = torch.tensor((X - X.mean(0)) / (X.std(0) + 1e-6), dtype=torch.float32)
    y = torch.tensor(y)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    metrics = []
    for step in range(150):
        idx = torch.arange(step * 8, step * 8 + 64) % len(X)
        loss = torch.nn.functional.cross_entropy(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        metrics += [Metric("train_loss", loss.item(), 0, step), Metric("learning_rate", 0.05, 0, step)]
    client = MlflowClient(server.uri)
    exp = client.create_experiment("foreign")
    run = client.create_run(exp, run_name="plain-mlflow", tags={"mlflow.note.content": "My notes: baseline run.\n"})
    for i in range(0, len(metrics), 1000):
        client.log_batch(run.info.run_id, metrics=metrics[i : i + 1000])
    p = run_py(["-m", "lrdiag.cli", "analyze", f"mlflow:{run.info.run_id}", "--write-back",
                "--tracking-uri", server.uri, "--format", "json"], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    # a second write-back (in process) replaces lrdiag's section instead of adding one
    history = lrdiag.load(f"mlflow:{run.info.run_id}", tracking_uri=server.uri)
    write_back(f"runs:/{run.info.run_id}", lrdiag.analyze(history), history, tracking_uri=server.uri)
    tags = client.get_run(run.info.run_id).data.tags
    assert tags["lrdiag.verdict"] in ({f["kind"] for f in report["findings"]} | {"healthy"})
    note = tags["mlflow.note.content"]
    assert note.startswith("My notes: baseline run.") and note.count(SECTION_START) == 1
    assert {"lrdiag/report.json", "lrdiag/report.html"} <= {a.path for a in client.list_artifacts(run.info.run_id, "lrdiag")}
    with pytest.raises(LRDiagError, match="0123456789abcdef"):
        write_back("mlflow:0123456789abcdef", lrdiag.analyze(history), history, tracking_uri=server.uri)


# -- no data lost when the server goes away ------------------------------------------------------

TRAIN_WITH_PAUSE = r'''
import sys, time, warnings, torch
from pathlib import Path
import lrdiag
warnings.simplefilter("always")
uri, logdir, sig = sys.argv[1], sys.argv[2], Path(sys.argv[3])
torch.set_num_threads(1)
torch.manual_seed(0)
X = torch.randn(512, 20); y = (X[:, :3].sum(1) > 0).long()
model = torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
mon = lrdiag.Monitor(opt, model, logdir=logdir, mlflow=uri, flush_secs=0.2, flush_rows=32)
t_step = []
for step in range(400):
    if step == 150:
        (sig / "reached").touch()
        deadline = time.time() + 120
        while not (sig / "stopped").exists() and time.time() < deadline:
            time.sleep(0.05)
    t = time.perf_counter()
    idx = torch.randint(0, 512, (32,))
    loss = torch.nn.functional.cross_entropy(model(X[idx]), y[idx])
    opt.zero_grad(); loss.backward(); opt.step(); mon.log_loss(loss)
    t_step.append(time.perf_counter() - t)
    time.sleep(0.002)
mon.close()
after = sorted(t_step[150:])
print("STEPS_DONE", len(t_step), "p99_ms_after_stop", round(1000 * after[int(0.99 * len(after))], 2))
'''


def sent_count(stdout: str) -> int:
    """The number in `lrdiag sync`'s "sent N values ..." line (MLflow prints its own lines too)."""
    line = next(ln for ln in stdout.splitlines() if ln.startswith("sent "))
    return int(line.split()[1])


def test_server_stopped_mid_run_then_sync_loses_nothing(tmp_path):
    srv = MlflowServer(tmp_path / "server").start()
    try:
        script = tmp_path / "train.py"
        script.write_text(TRAIN_WITH_PAUSE)
        run_dir = tmp_path / "run"
        sig = tmp_path / "sig"
        sig.mkdir()
        proc = subprocess.Popen([sys.executable, str(script), srv.uri, str(run_dir), str(sig)], cwd=tmp_path,
                                env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 300
        while not (sig / "reached").exists():
            assert proc.poll() is None and time.time() < deadline, proc.communicate()
            time.sleep(0.1)
        # let some steps reach the server first (the run exists, loss values arrived)
        client = MlflowClient(srv.uri)
        while True:
            cur = json.loads((run_dir / CURSOR_NAME).read_text()) if (run_dir / CURSOR_NAME).exists() else {}
            if cur.get("run_id") and client.get_metric_history(cur["run_id"], "lrdiag/loss"):
                break
            assert proc.poll() is None and time.time() < deadline, proc.communicate()
            time.sleep(0.2)
        srv.stop()
        (sig / "stopped").touch()
        out, err = proc.communicate(timeout=400)
        assert proc.returncode == 0, err[-3000:]
        assert "STEPS_DONE 400" in out  # training went on to the end
        assert err.count("lrdiag: MLflow logging to") == 1, err  # one warning, not one per block
        assert "lrdiag sync" in err

        cursor = json.loads((run_dir / CURSOR_NAME).read_text())
        run_id = cursor["run_id"]
        assert run_id and not cursor["in_sync"] and cursor["closed"] and cursor["owns_run"]

        srv.start()  # the same backend store and artifact root
        before = len(client.get_metric_history(run_id, "lrdiag/loss"))
        assert 0 < before < 400  # some steps made it before the stop, not all
        p = run_py(["-m", "lrdiag.cli", "sync", str(run_dir)], cwd=tmp_path)
        assert p.returncode == 0, p.stderr
        sent = sent_count(p.stdout)
        assert sent > 0

        _, steps, series = read_store(run_dir)
        assert steps.tolist() == list(range(400))
        total = 0
        for name, values in series.items():
            ok = ~np.isnan(values)
            got_steps, got_values = metric_steps(client, run_id, name)
            assert got_steps == steps[ok].tolist(), f"{name}: steps differ (lost or duplicated)"
            np.testing.assert_allclose(got_values, values[ok].astype(np.float64), rtol=1e-6)
            total += int(ok.sum())
        assert len(metric_steps(client, run_id, "lrdiag/loss")[0]) == 400
        # the report that close() could not upload went up with the sync; the run is ended
        run = client.get_run(run_id)
        assert run.data.tags.get("lrdiag.verdict") and SECTION_START in run.data.tags["mlflow.note.content"]
        assert {"lrdiag/report.json", "lrdiag/report.html"} <= {a.path for a in client.list_artifacts(run_id, "lrdiag")}
        assert run.info.status == "FINISHED"
        assert sent == total - cursor["values_sent"]
        # idempotent
        p = run_py(["-m", "lrdiag.cli", "sync", str(run_dir)], cwd=tmp_path)
        assert p.returncode == 0 and sent_count(p.stdout) == 0, p.stdout + p.stderr
        assert len(metric_steps(client, run_id, "lrdiag/loss")[0]) == 400
    finally:
        srv.stop()


# -- the embedded default: no server ----------------------------------------------------------

EMBEDDED = r'''
import os, torch, lrdiag
assert "MLFLOW_TRACKING_URI" not in os.environ
torch.manual_seed(0)
X = torch.randn(256, 10); y = (X[:, 0] > 0).long()
model = torch.nn.Sequential(torch.nn.Linear(10, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
with lrdiag.Monitor(opt, model, logdir="run", mlflow=True) as mon:
    for _ in range(120):
        idx = torch.randint(0, 256, (32,))
        loss = torch.nn.functional.cross_entropy(model(X[idx]), y[idx])
        opt.zero_grad(); loss.backward(); opt.step(); mon.log_loss(loss)
'''


def test_embedded_default_needs_no_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["PYTHONPATH"] = str(REPO)
    p = subprocess.run([sys.executable, "-c", EMBEDDED], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "warn" not in p.stderr.lower(), p.stderr
    assert (tmp_path / "mlflow.db").exists()  # MLflow 3's own local default
    cursor = json.loads((tmp_path / "run" / CURSOR_NAME).read_text())
    assert cursor["tracking_uri"] == f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(cursor["tracking_uri"])
    run = client.get_run(cursor["run_id"])
    assert run.info.status == "FINISHED" and run.info.run_name == "run"
    assert len(client.get_metric_history(run.info.run_id, "lrdiag/loss")) == 120
    assert run.data.tags["lrdiag.verdict"] and SECTION_START in run.data.tags["mlflow.note.content"]
    assert {"lrdiag/report.json", "lrdiag/report.html"} <= {a.path for a in client.list_artifacts(run.info.run_id, "lrdiag")}

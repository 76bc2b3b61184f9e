"""MLflow failure paths against a real ``mlflow server``: the answer to run creation is lost and
the server dies, then comes back on the same port and backend store. Training never waits, one
warning is printed, and the run exists exactly once with every value the local store holds."""

from __future__ import annotations

import json
import threading
import time
import warnings

import numpy as np
import pytest
import torch

from _mlflow_helpers import LossyProxy, MlflowServer
from _train_helpers import digits_data, mlp

pytest.importorskip("mlflow")
from mlflow.entities import ViewType  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

import lrdiag  # noqa: E402
from lrdiag.mlflow.cursor import CURSOR_NAME  # noqa: E402
from lrdiag.mlflow.run_target import RUN_KEY_TAG  # noqa: E402
from lrdiag.mlflow.sync import sync  # noqa: E402
from lrdiag.store import read_store  # noqa: E402

pytestmark = [pytest.mark.server, pytest.mark.timeout(600)]

CREATE = "/api/2.0/mlflow/runs/create"
LOG_BATCH = "/api/2.0/mlflow/runs/log-batch"


def all_runs(client: MlflowClient) -> list:
    """Every run on the server, deleted ones included."""
    ids = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    return client.search_runs(ids, run_view_type=ViewType.ALL, max_results=100)


def assert_run_holds_the_store(client: MlflowClient, run_id: str, run_dir) -> int:
    """Every value of every series in the local store is on the run once, at its step."""
    _, steps, series = read_store(run_dir)
    total = 0
    for name, values in series.items():
        ok = ~np.isnan(values)
        hist = client.get_metric_history(run_id, name)
        assert [m.step for m in hist] == steps[ok].tolist(), f"{name}: steps lost or duplicated"
        np.testing.assert_allclose([m.value for m in hist], values[ok].astype(np.float64), rtol=1e-6, err_msg=name)
        total += int(ok.sum())
    return total


def train_step(model, opt, X, y, step: int, mon) -> None:
    """One step on the next batch of 32 (cycling through the data), the loss to the Monitor."""
    i = (step * 32) % (len(X) - 32)
    loss = torch.nn.functional.cross_entropy(model(X[i : i + 32]), y[i : i + 32])
    opt.zero_grad()
    loss.backward()
    opt.step()
    mon.log_loss(loss)


def in_sync(run_dir) -> bool:
    """The sink's cursor says every value so far reached the run."""
    try:
        return bool(json.loads((run_dir / CURSOR_NAME).read_text()).get("in_sync"))
    except (OSError, ValueError):
        return False


def train_through_outage(run_dir, uri: str, down: threading.Event, back: threading.Event, bring_back,
                         after: int = 30) -> dict:
    """Run ``bring_back`` on a thread (it sets ``back`` when the server answers again) and train
    a small MLP on digits with a Monitor logging to ``uri`` until the server is ``back``, the sink
    has caught up (its cursor says so), and ``after`` more steps are done. Records each step's time, the steps made while the server was
    ``down``, and lrdiag's MLflow warnings."""
    helper = threading.Thread(target=bring_back, daemon=True)
    helper.start()
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = _train(run_dir, uri, down, back, after)
    helper.join(60)
    out["messages"] = [str(w.message) for w in caught if "lrdiag: MLflow" in str(w.message)]
    out["total_s"] = time.perf_counter() - t0
    return out


def _train(run_dir, uri: str, down: threading.Event, back: threading.Event, after: int, limit_s: float = 300.0) -> dict:
    X, y = digits_data(512)
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    mon = lrdiag.Monitor(opt, model, logdir=run_dir, mlflow=uri, flush_secs=0.2, flush_rows=32)
    times, during_outage, steps_after = [], 0, 0
    deadline = time.time() + limit_s
    step = 0
    while steps_after < after:
        assert time.time() < deadline, "the server did not come back in time"
        t = time.perf_counter()
        train_step(model, opt, X, y, step, mon)
        times.append(time.perf_counter() - t)
        if not back.is_set():
            during_outage += down.is_set()
        elif steps_after or in_sync(run_dir):  # the sink caught up while training runs
            steps_after += 1
        step += 1
        time.sleep(0.04)  # ~20 steps/s: a few hundred steps while the server restarts
    t_close = time.perf_counter()
    mon.close()
    return {"steps": step, "during_outage": during_outage, "times": np.array(times),
            "close_s": time.perf_counter() - t_close}


def test_lost_answer_to_run_creation_makes_exactly_one_run(tmp_path):
    """The server creates the run, then dies before answering; it comes back on the same port and
    store. The sink finds the run by its run key and adopts it, instead of creating a second one
    (MLflow's client would repeat the POST itself)."""
    srv = MlflowServer(tmp_path / "server").start()
    proxy = LossyProxy(srv.uri).start()
    down, back = threading.Event(), threading.Event()

    def crash():  # called by the proxy after the server answered the create, before the client hears
        srv.stop()
        down.set()

    marks: dict[str, float] = {}

    def restart():
        down.wait(120)
        marks["down"] = time.perf_counter()
        time.sleep(2.0)  # a few dozen training steps while nothing answers
        srv.start()
        marks["back"] = time.perf_counter()
        back.set()

    proxy.lose(CREATE, crash)
    run_dir = tmp_path / "run"
    try:
        out = train_through_outage(run_dir, proxy.uri, down, back, restart)
        print(f"lost create: server down {marks['back'] - marks['down']:.1f} s, {out['steps']} steps "
              f"({out['during_outage']} while down, median {1e3 * np.median(out['times']):.1f} ms, "
              f"max {1e3 * out['times'].max():.0f} ms), close {out['close_s']:.1f} s, total {out['total_s']:.1f} s")
        msgs = out["messages"]
        assert len(msgs) == 1, msgs  # one clear message, not one per block or per retry
        assert "training continues" in msgs[0] and "retries every" in msgs[0] and f"lrdiag sync {run_dir}" in msgs[0]
        assert out["during_outage"] >= 20  # training went on while the server was gone
        assert float(np.median(out["times"])) < 0.05, np.median(out["times"])  # and no step waited on it

        client = MlflowClient(srv.uri)
        runs = all_runs(client)
        assert len(runs) == 1, [(r.info.run_id, r.data.tags.get(RUN_KEY_TAG)) for r in runs]
        assert proxy.count("POST", CREATE) == 1  # the create was never sent again
        run = runs[0]
        cursor = json.loads((run_dir / CURSOR_NAME).read_text())
        assert cursor["run_id"] == run.info.run_id and run.data.tags[RUN_KEY_TAG] == cursor["run_key"]
        assert cursor["in_sync"] and cursor["report_sent"] and cursor["owns_run"]
        _, steps, _ = read_store(run_dir)
        assert steps.tolist() == list(range(out["steps"]))
        assert assert_run_holds_the_store(client, run.info.run_id, run_dir) > 0
        assert run.info.status == "FINISHED" and run.data.tags.get("lrdiag.verdict")
        assert {"lrdiag/report.json", "lrdiag/report.html"} <= {a.path for a in client.list_artifacts(run.info.run_id, "lrdiag")}
        # nothing was missed: `lrdiag sync` finds nothing to send
        assert sync(run_dir) == 0
    finally:
        back.set()
        proxy.stop()
        srv.stop()


def test_lost_answer_to_a_metrics_batch_is_not_resent_and_the_outage_is_told_at_once(tmp_path):
    """Mid-run, the server stores a batch of metrics and dies before answering; it is back 3 s
    later. MLflow's client would send that POST again, up to 7 times over about 4 minutes, with
    nobody told meanwhile (no warning at all for this outage). lrdiag sends each batch once: the
    sink warns while the server is down, re-reads each key's latest step when it is back, and
    every value is on the run exactly once."""
    srv = MlflowServer(tmp_path / "server").start()
    proxy = LossyProxy(srv.uri).start()
    down, back = threading.Event(), threading.Event()
    run_dir = tmp_path / "run"
    marks: dict[str, float] = {}

    def crash():
        srv.stop()
        marks["down"] = time.perf_counter()
        down.set()

    def outage():
        client = MlflowClient(srv.uri)
        deadline = time.time() + 120
        while time.time() < deadline:  # values are arriving: lose the answer to the next batch
            cur = json.loads((run_dir / CURSOR_NAME).read_text()) if (run_dir / CURSOR_NAME).exists() else {}
            if cur.get("run_id") and client.get_metric_history(cur["run_id"], "lrdiag/loss"):
                break
            time.sleep(0.1)
        proxy.lose(LOG_BATCH, crash)
        down.wait(120)
        time.sleep(3.0)
        srv.start()
        back.set()

    try:
        out = train_through_outage(run_dir, proxy.uri, down, back, outage)
        msgs = out["messages"]
        assert len(msgs) == 1 and "training continues" in msgs[0], msgs
        assert out["during_outage"] >= 20
        client = MlflowClient(srv.uri)
        runs = all_runs(client)
        assert len(runs) == 1
        run_id = runs[0].info.run_id
        assert proxy.count("POST", LOG_BATCH) >= 2
        assert assert_run_holds_the_store(client, run_id, run_dir) > 0  # none lost, none twice
        assert sync(run_dir) == 0
    finally:
        back.set()
        proxy.stop()
        srv.stop()


def test_server_unreachable_at_start_then_up_mid_run_gets_everything_live(tmp_path):
    """Nothing listens at the tracking URI when training starts; the server comes up a few
    seconds later. Without any `lrdiag sync`, the sink creates the run and sends every value
    recorded before, during and after the outage, once."""
    srv = MlflowServer(tmp_path / "server")  # not started yet: connections are refused
    down, back = threading.Event(), threading.Event()
    down.set()

    def start_later():
        time.sleep(2.0)
        srv.start()
        back.set()

    run_dir = tmp_path / "run"
    try:
        out = train_through_outage(run_dir, srv.uri, down, back, start_later)
        msgs = out["messages"]
        assert len(msgs) == 1 and "unreachable" in msgs[0], msgs
        assert out["during_outage"] >= 20
        print(f"server up mid-run: {out['steps']} steps ({out['during_outage']} before it answered), close {out['close_s']:.1f} s")

        client = MlflowClient(srv.uri)
        runs = all_runs(client)
        assert len(runs) == 1
        run = runs[0]
        cursor = json.loads((run_dir / CURSOR_NAME).read_text())
        assert cursor["run_id"] == run.info.run_id and cursor["in_sync"] and cursor["report_sent"]
        _, steps, _ = read_store(run_dir)
        assert steps.tolist() == list(range(out["steps"]))
        assert assert_run_holds_the_store(client, run.info.run_id, run_dir) == cursor["values_sent"]
        assert run.info.status == "FINISHED" and run.info.run_name == "run"
        assert sync(run_dir) == 0
    finally:
        back.set()
        srv.stop()


def test_sync_whose_create_answer_is_lost_adopts_the_run_next_time(tmp_path):
    """`lrdiag sync` of a run that never reached MLflow: the answer to its create is lost. It
    fails with one clear error; the next sync finds the run by the key kept in the cursor and
    sends everything into it, once."""
    from lrdiag.errors import LRDiagError

    run_dir = tmp_path / "run"
    X, y = digits_data(256)
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    mon = lrdiag.Monitor(opt, model, logdir=run_dir, tensorboard=False, analyze_on_close=False)
    for step in range(200):  # a real training recorded in the local store only
        train_step(model, opt, X, y, step, mon)
    mon.close()

    srv = MlflowServer(tmp_path / "server").start()
    proxy = LossyProxy(srv.uri).start()
    try:
        proxy.lose(CREATE)
        with pytest.raises(LRDiagError, match="nothing was lost, run `lrdiag sync"):
            sync(run_dir, tracking_uri=proxy.uri)
        client = MlflowClient(srv.uri)
        assert len(all_runs(client)) == 1  # the server did create it
        sent = sync(run_dir, tracking_uri=proxy.uri)
        runs = all_runs(client)
        assert len(runs) == 1 and proxy.count("POST", CREATE) == 1
        cursor = json.loads((run_dir / CURSOR_NAME).read_text())
        assert cursor["run_id"] == runs[0].info.run_id and runs[0].data.tags[RUN_KEY_TAG] == cursor["run_key"]
        total = assert_run_holds_the_store(client, cursor["run_id"], run_dir)
        assert sent == total
        assert client.get_run(cursor["run_id"]).info.status == "FINISHED"
        assert sync(run_dir, tracking_uri=proxy.uri) == 0
    finally:
        proxy.stop()
        srv.stop()

"""lrdiag.load("mlflow:<run_id>") against a real MLflow tracking store (SQLite file)."""

from __future__ import annotations

import time

import numpy as np
import pytest

import lrdiag
from lrdiag import names
from lrdiag.errors import SourceError

mlflow = pytest.importorskip("mlflow")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A SQLite tracking store with two runs: lrdiag-named metrics and foreign ones."""
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    uri = "sqlite:///" + str(tmp_path_factory.mktemp("mlflow") / "mlflow.db")
    client = MlflowClient(uri)
    exp = client.create_experiment("lrdiag-load")
    now = int(time.time() * 1000)
    rng = np.random.default_rng(0)
    loss = 2.0 * np.exp(-np.arange(300) / 100) + 0.05 * rng.random(300)
    lr = 0.1 * np.minimum(1, (np.arange(300) + 1) / 30)

    own = client.create_run(exp, run_name="own-names")
    metrics = []
    for i in range(300):
        metrics += [Metric(names.LOSS, float(loss[i]), now, i), Metric(names.lr("group0"), float(lr[i]), now, i),
                    Metric(names.update_ratio("fc1"), 1e-3, now, i)]
    for lo in range(0, len(metrics), 900):  # log_batch takes at most 1000 metrics
        client.log_batch(own.info.run_id, metrics=metrics[lo:lo + 900])
    client.log_param(own.info.run_id, "optimizer", "SGD")
    client.set_terminated(own.info.run_id)

    foreign = client.create_run(exp, run_name="foreign-names")
    for i in range(0, 300, 5):
        client.log_metric(foreign.info.run_id, "train_loss", float(loss[i]), step=i)
        client.log_metric(foreign.info.run_id, "lr", float(lr[i]), step=i)
        client.log_metric(foreign.info.run_id, "val_loss", float(loss[i]) + 0.1, step=i)
    client.set_terminated(foreign.info.run_id)
    empty = client.create_run(exp, run_name="empty")
    # a sweep's parent run (as Optuna or a cross-validation loop opens it): no metrics of its own
    sweep = client.create_run(exp, run_name="sweep")
    trials = []
    for k in range(2):
        trial = client.create_run(exp, run_name=f"trial-{k}", tags={"mlflow.parentRunId": sweep.info.run_id})
        for i in range(0, 300, 5):
            client.log_metric(trial.info.run_id, "train_loss", float(loss[i]) * (k + 1), step=i)
            client.log_metric(trial.info.run_id, "lr", float(lr[i]), step=i)
        trials.append(trial.info.run_id)
        time.sleep(0.01)  # distinct start times: the message lists the oldest first
    return {"uri": uri, "own": own.info.run_id, "foreign": foreign.info.run_id, "empty": empty.info.run_id,
            "sweep": sweep.info.run_id, "trials": trials, "loss": loss, "lr": lr}


def test_lrdiag_named_metrics(store):
    h = lrdiag.load(f"mlflow:{store['own']}", tracking_uri=store["uri"])
    assert len(h) == 300 and h.steps.tolist() == list(range(300))
    np.testing.assert_allclose(h.loss, store["loss"])
    np.testing.assert_allclose(h.lr(), store["lr"])
    assert h.layers == ["fc1"]
    assert h.meta["source_format"] == "mlflow" and h.meta["run"] == "own-names"
    assert h.meta["hparams"] == {"optimizer": "SGD"} and h.meta["source"] == f"mlflow:{store['own']}"


def test_foreign_metric_keys_and_runs_uri(store):
    h = lrdiag.load(f"runs:/{store['foreign']}/model", tracking_uri=store["uri"])
    assert h.steps.tolist() == list(range(0, 300, 5))
    np.testing.assert_allclose(h.loss, store["loss"][::5])
    np.testing.assert_allclose(h.series[names.lr("group0")], store["lr"][::5])
    np.testing.assert_allclose(h.series["lrdiag/eval_loss"], store["loss"][::5] + 0.1)
    assert h.meta["tags"][names.LOSS] == "train_loss"
    h2 = lrdiag.load(f"mlflow:{store['foreign']}", tracking_uri=store["uri"], loss="val_loss")
    np.testing.assert_allclose(h2.loss, store["loss"][::5] + 0.1)


def test_errors_name_the_run(store):
    with pytest.raises(SourceError, match="cannot read MLflow run 0123456789abcdef"):
        lrdiag.load("mlflow:0123456789abcdef", tracking_uri=store["uri"])
    with pytest.raises(SourceError, match="has no metrics"):
        lrdiag.load(f"mlflow:{store['empty']}", tracking_uri=store["uri"])
    with pytest.raises(SourceError, match="names no run id"):
        lrdiag.load("mlflow:", tracking_uri=store["uri"])


def test_a_parent_run_without_metrics_names_its_nested_runs(store):
    """Round 50. A sweep's parent run has no metrics of its own; the error names the runs nested
    under it (oldest first) and says which to load, and that one loads."""
    with pytest.raises(SourceError) as err:
        lrdiag.load(f"mlflow:{store['sweep']}", tracking_uri=store["uri"])
    msg = str(err.value)
    assert "has no metrics, but its nested runs may" in msg
    assert f"{store['trials'][0]} (trial-0), {store['trials'][1]} (trial-1)" in msg
    assert f"load one of them (mlflow:{store['trials'][0]})" in msg
    h = lrdiag.load(f"mlflow:{store['trials'][1]}", tracking_uri=store["uri"])
    np.testing.assert_allclose(h.loss, 2 * store["loss"][::5])
    with pytest.raises(SourceError) as plain:  # a run with no nested runs: the plain message
        lrdiag.load(f"mlflow:{store['empty']}", tracking_uri=store["uri"])
    assert "nested" not in str(plain.value)


def test_unreachable_server_fails_fast(store):
    from conftest import free_port

    t = time.monotonic()
    with pytest.raises(SourceError, match="MLflow"):
        lrdiag.load(f"mlflow:{store['own']}", tracking_uri=f"http://127.0.0.1:{free_port()}")
    assert time.monotonic() - t < 60


def test_cli_load_mlflow(store, capsys):
    from lrdiag.cli import main

    assert main(["load", f"mlflow:{store['foreign']}", "--tracking-uri", store["uri"]]) == 0
    out = capsys.readouterr().out
    assert "foreign-names: 60 steps (0..295)" in out and "format: mlflow" in out


def test_metrics_logged_without_a_step_are_read_in_logging_order(tmp_path):
    """Round 51. ``mlflow.log_metric(key, value)`` without ``step=`` logs every value at step 0
    (the MLflow UI plots them against wall time); lrdiag read one step and said the run had too
    few loss values to judge. Every metric at one step: the steps are the order of logging,
    counted in the loss's values, and another metric's value goes to the loss step logged at or
    before its time."""
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient("sqlite:///" + str(tmp_path / "mlflow.db"))
    run = client.create_run(client.create_experiment("no-steps")).info.run_id
    t0 = int(time.time() * 1000)
    loss = 2.0 * np.exp(-np.arange(300) / 100) + 0.05
    lr = 0.1 * np.minimum(1, (np.arange(300) + 1) / 30)
    metrics = []
    for i in range(300):
        metrics += [Metric("loss", float(loss[i]), t0 + 10 * i, 0), Metric("lr", float(lr[i]), t0 + 10 * i, 0)]
        if i % 50 == 49:
            metrics.append(Metric("val_loss", float(loss[i]) + 0.1, t0 + 10 * i + 5, 0))
    for lo in range(0, len(metrics), 900):
        client.log_batch(run, metrics=metrics[lo:lo + 900])
    with pytest.warns(UserWarning, match="logged at one step.*order of logging, counted in 'loss' values"):
        h = lrdiag.load(f"mlflow:{run}", tracking_uri=client.tracking_uri)
    assert h.steps.tolist() == list(range(300)) and h.meta["steps_from"].startswith("the steps are the order")
    np.testing.assert_allclose(h.loss, loss)
    np.testing.assert_allclose(h.lr(), lr)
    ev = h.series[names.EVAL_LOSS]
    assert h.steps[np.isfinite(ev)].tolist() == list(range(49, 300, 50))
    # a run that logged steps is read by them, even where one metric has a single value at step 0
    stepped = client.create_run(client.get_experiment_by_name("no-steps").experiment_id).info.run_id
    for i in range(0, 300, 3):
        client.log_metric(stepped, "loss", float(loss[i]), step=i)
    client.log_metric(stepped, "test_accuracy", 0.9)
    with pytest.warns(UserWarning, match="no learning-rate series") as caught:
        assert lrdiag.load(f"mlflow:{stepped}", tracking_uri=client.tracking_uri).steps[-1] == 297
    assert not any("logged at one step" in str(w.message) for w in caught)

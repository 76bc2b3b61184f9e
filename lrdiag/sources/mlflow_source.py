"""MLflow runs (``mlflow:<run_id>``, ``runs:/<run_id>``): every metric's full history.

Reads through ``MlflowClient(tracking_uri)``: the run's metric keys from ``get_run``, then
``get_metric_history`` for each key (every logged value, not the latest). Keys map to lrdiag's
names like TensorBoard tags do (lrdiag's own ``lrdiag/...`` keys, or ``train_loss``, ``lr``,
``learning_rate``, ...). Run params become ``meta["hparams"]``; ``mlflow.runName`` the run name.

A tracking server that does not answer fails after a short, bounded retry (MLflow's own default
retries for minutes); set ``MLFLOW_HTTP_REQUEST_MAX_RETRIES`` / ``MLFLOW_HTTP_REQUEST_TIMEOUT`` to
change that.

Every metric logged at one step (``mlflow.log_metric`` without ``step=`` logs at step 0): the
steps are the order of logging (:func:`_logging_order`), with a warning that says so.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import names
from ..history import History
from ..mlflow.tracking import bounded_http, parse_run_id
from .base import Columns, fail
from .detect import classify, renamed

def load_mlflow(source: str, *, tracking_uri: str | None = None, overrides: dict | None = None) -> History:
    """Read one MLflow run into a History (see the module docstring)."""
    try:
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise fail(source, "reading MLflow runs needs mlflow (pip install 'lrdiag[mlflow]')") from None
    run_id = parse_run_id(source)
    where = f" at {tracking_uri}" if tracking_uri else ""
    with bounded_http():
        try:
            client = MlflowClient(tracking_uri)
            run = client.get_run(run_id)
            history = {key: client.get_metric_history(run_id, key) for key in sorted(run.data.metrics)}
            children = [] if any(history.values()) else _child_runs(client, run)
        except MlflowException as e:
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise fail(source, f"cannot read MLflow run {run_id}{where}: {msg}") from None
        except (OSError, ValueError) as e:
            raise fail(source, f"cannot reach the MLflow tracking store{where}: {e}") from None
    cols = Columns(source)
    order = _logging_order(history)
    for key, metrics in history.items():
        steps = [int(m.step) for m in metrics] if order is None else order[1][key]
        for step, m in zip(steps, metrics):
            cols.add(key, step, float(m.value))
    if not len(cols):
        if children:
            # a sweep's or a cross-validation's parent run: the metrics are in its nested runs
            named = ", ".join(f"{c.info.run_id} ({c.info.run_name})" if c.info.run_name else c.info.run_id
                              for c in children[:5]) + (", ..." if len(children) > 5 else "")
            raise fail(source, f"MLflow run {run_id} has no metrics, but its nested runs may: {named}; "
                               f"load one of them (mlflow:{children[0].info.run_id})")
        raise fail(source, f"MLflow run {run_id} has no metrics")
    mapping = classify(cols.names(), source=source, **(overrides or {}))
    meta: dict[str, Any] = {
        "run": run.data.tags.get("mlflow.runName") or run.info.run_name or run_id,
        "run_id": run_id,
        "experiment_id": run.info.experiment_id,
        "source_format": "mlflow",
        "hparams": dict(run.data.params),
        "mlflow_tags": {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.")},
    }
    if order is not None:
        meta["steps_from"] = order[0]
        warnings.warn(f"{source}: every metric was logged at one step (mlflow.log_metric without step=); "
                      f"{order[0]}")
    if tracking_uri:
        meta["tracking_uri"] = tracking_uri
    if renamed(mapping):
        meta["tags"] = renamed(mapping)
    return cols.to_history(mapping, meta)


def _logging_order(history: dict[str, list]) -> tuple[str, dict[str, list[int]]] | None:
    """Steps from the order of logging, where every metric logged more than once was logged at
    one step (``mlflow.log_metric(key, value)`` without ``step=`` logs at step 0; the MLflow UI
    then plots them against wall time): ``(what was done, {key: the step of each of its values})``,
    or None where the steps can be used as they are.

    The metric logged most often (the loss among equals) is counted 0, 1, 2, ... in the
    order its values were logged; any other value's step is the count of those logged before it
    or in the same millisecond."""
    repeated = {k: h for k, h in history.items() if len(h) > 1}
    if not repeated or any(len({m.step for m in h}) > 1 for h in repeated.values()):
        return None
    loss = [k for k, name in classify(list(repeated)).items() if name == names.LOSS]
    ref = max(repeated, key=lambda k: (len(repeated[k]), k in loss, k))
    stamps = np.array([m.timestamp for m in history[ref]], dtype=np.int64)
    order = np.argsort(stamps, kind="stable")
    steps = {ref: np.argsort(order).tolist()}  # each value's rank in time
    for key, metrics in history.items():
        if key != ref:
            at = np.searchsorted(stamps[order], [m.timestamp for m in metrics], side="right") - 1
            steps[key] = np.maximum(at, 0).tolist()
    return f"the steps are the order of logging, counted in {ref!r} values", steps


def _child_runs(client: Any, run: Any) -> list:
    """The runs nested under ``run`` (``mlflow.parentRunId``), oldest first, up to 6; ``[]`` where the
    store cannot be searched."""
    try:
        return list(client.search_runs([run.info.experiment_id],
                                       filter_string=f"tags.mlflow.parentRunId = '{run.info.run_id}'",
                                       max_results=6, order_by=["attributes.start_time ASC"]))
    except Exception:  # the plain "no metrics" message is still true
        return []

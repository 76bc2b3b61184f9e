"""MLflow runs (``mlflow:<run_id>``, ``runs:/<run_id>``): every metric's full history.

Reads through ``MlflowClient(tracking_uri)``: the run's metric keys from ``get_run``, then
``get_metric_history`` for each key (every logged value, not the latest). Keys map to lrdiag's
names like TensorBoard tags do (lrdiag's own ``lrdiag/...`` keys, or ``train_loss``, ``lr``,
``learning_rate``, ...). Run params become ``meta["hparams"]``; ``mlflow.runName`` the run name.

A tracking server that does not answer fails after a short, bounded retry (MLflow's own default
retries for minutes); set ``MLFLOW_HTTP_REQUEST_MAX_RETRIES`` / ``MLFLOW_HTTP_REQUEST_TIMEOUT`` to
change that.
"""

from __future__ import annotations

from typing import Any

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
            cols = Columns(source)
            for key in sorted(run.data.metrics):
                for m in client.get_metric_history(run_id, key):
                    cols.add(key, int(m.step), float(m.value))
            children = [] if len(cols) else _child_runs(client, run)
        except MlflowException as e:
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise fail(source, f"cannot read MLflow run {run_id}{where}: {msg}") from None
        except (OSError, ValueError) as e:
            raise fail(source, f"cannot reach the MLflow tracking store{where}: {e}") from None
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
    if tracking_uri:
        meta["tracking_uri"] = tracking_uri
    if renamed(mapping):
        meta["tags"] = renamed(mapping)
    return cols.to_history(mapping, meta)


def _child_runs(client: Any, run: Any) -> list:
    """The runs nested under ``run`` (``mlflow.parentRunId``), oldest first, up to 6; ``[]`` where the
    store cannot be searched."""
    try:
        return list(client.search_runs([run.info.experiment_id],
                                       filter_string=f"tags.mlflow.parentRunId = '{run.info.run_id}'",
                                       max_results=6, order_by=["attributes.start_time ASC"]))
    except Exception:  # the plain "no metrics" message is still true
        return []

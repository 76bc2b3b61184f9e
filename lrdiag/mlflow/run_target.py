"""One run on one tracking store: create it exactly once, know what it holds, send what it lacks.

**Ordering invariant** (what makes resending exact): for each metric key, values are sent in step
order and never past a step that is missing on the server. A key's latest step on the server
(``Run.data`` holds each key's latest value, i.e. its largest step) therefore marks everything
before it as sent, and catching up sends exactly the local store's values with a larger step.
Nothing is sent twice, so resending (``lrdiag sync``) is idempotent.

**Idempotent run creation**: a ``create_run`` whose answer is lost (the server died after
creating the run, a proxy dropped the response, a timeout) leaves the client not knowing whether
the run exists, and blindly creating it again makes a second run. So every run lrdiag creates
carries a run key, a random id made on the client before the first attempt (tag
``RUN_KEY_TAG``, kept in the run directory's cursor). Each attempt first searches the experiment
for a run with that key and adopts it; only if there is none does it create one, in a single
HTTP request (MLflow's client would repeat a POST whose answer was lost, creating the duplicate
itself).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import uuid
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

import numpy as np

from .tracking import is_http, probe

if TYPE_CHECKING:  # pragma: no cover
    from mlflow.entities import Run

#: MLflow's limit on metrics per ``log_batch`` call.
MAX_METRICS_PER_BATCH = 1000
#: MLflow's limit on tags (plus params) per ``log_batch`` call.
MAX_TAGS_PER_BATCH = 100
#: MLflow's limit on a metric key.
MAX_KEY_CHARS = 250
#: Seconds one request lrdiag sends without MLflow's retries may take (MLflow's default is 120).
ONE_REQUEST_TIMEOUT = 30.0
#: The tag holding the client-side key of a run lrdiag created (see the module docstring).
RUN_KEY_TAG = "lrdiag.run_key"
_NO_STEP = -(1 << 62)  # below every step


def metric_key(name: str) -> str:
    """An MLflow-valid metric key for a series name.

    MLflow keys may hold letters, digits, ``_ - . /`` and spaces (colons not on Windows) and must
    not resolve to another path (no empty, ``.`` or ``..`` segments). lrdiag's names already
    are valid; group or layer names with other characters get ``_`` in their place. Keys longer
    than ``MAX_KEY_CHARS`` are cut and end in 8 hex digits of their SHA-1, so they stay distinct.
    """
    parts = [re.sub(r"[^\w.\- ]", "_", p) for p in str(name).split("/") if p]
    parts = ["_" if p in (".", "..") else p for p in parts]
    key = "/".join(parts) or "_"
    if len(key) > MAX_KEY_CHARS:
        key = key[: MAX_KEY_CHARS - 9] + "-" + hashlib.sha1(key.encode()).hexdigest()[:8]
    return key


def new_run_key() -> str:
    """A fresh run key: 32 random hex digits (``uuid4``)."""
    return uuid.uuid4().hex


class RunTarget:
    """A run on a tracking store, and what the store already holds of it.

    Parameters
    ----------
    tracking_uri : str
        The store (an ``http(s)://`` server, ``sqlite:///...``, a file store).
    run_id : str, optional
        An existing run. Without it, ``connect`` creates one in ``experiment`` /
        ``experiment_id`` named ``run_name``, identified by ``run_key``.
    run_key : str, optional
        The key of the run to create (``RUN_KEY_TAG``); a new one by default. Give the key from
        the cursor when resuming, so that a run created by an attempt whose answer was lost is
        found and adopted instead of created again.

    ``latest[key]`` is the largest step the store has for ``key`` (see the ordering invariant in
    the module docstring). Methods do network I/O and raise on failure.
    """

    def __init__(self, tracking_uri: str, run_id: str | None = None, *, experiment: str | None = None,
                 experiment_id: str | None = None, run_name: str | None = None, run_key: str | None = None):
        from mlflow.tracking import MlflowClient

        self.uri = tracking_uri
        self.client = MlflowClient(tracking_uri)
        self.run_id = run_id
        self.experiment = experiment
        self.experiment_id = experiment_id
        self.run_name = run_name
        self.run_key = run_key or new_run_key()
        self.adopted = False  # True when connect() found the run an earlier attempt had created
        self.latest: dict[str, int] = {}
        self.values_sent = 0

    # -- the run -----------------------------------------------------------------------------
    def connect(self, tags: Mapping[str, str] | None = None) -> bool:
        """Make sure the run exists, then read each key's latest step. True if this call created it.

        Without a run id: adopt the run with this target's run key if an earlier attempt made
        it, else create it (tagged with the key and ``tags``). With one: read it and set ``tags``.
        """
        probe(self.uri)
        if self.run_id is None:
            eid = self.experiment_id or self._experiment_id()
            self.experiment_id = eid
            found = self.find_keyed_run()
            if found is None:
                run = self._create_run(eid, {**(tags or {}), RUN_KEY_TAG: self.run_key})
                self.run_id, self.experiment_id = run.info.run_id, run.info.experiment_id
                return True
            self.run_id, self.adopted = found.info.run_id, True
        run = self.client.get_run(self.run_id)
        self.experiment_id = run.info.experiment_id
        self.latest = {m.key: int(m.step) for m in run.data.to_proto().metrics}
        if tags:
            self.set_tags(tags)
        return False

    def find_keyed_run(self) -> "Run | None":
        """The (earliest) active run of this target's experiment tagged with its run key."""
        runs = self.client.search_runs([self.experiment_id], filter_string=f"tags.`{RUN_KEY_TAG}` = '{self.run_key}'",
                                       max_results=10, order_by=["attributes.start_time ASC"])
        return runs[0] if runs else None

    def _create_run(self, experiment_id: str, tags: Mapping[str, str]) -> "Run":
        """Create the run with one request: never repeated by MLflow's HTTP retries.

        On a server, MLflow's client would send the POST again when its answer is lost, and
        the server would create a second run; here a lost answer raises, and the next
        ``connect`` finds the run by its key. Local stores create in one transaction.
        """
        if self._host_creds() is None:  # a local store, or an MLflow without these internals
            return self.client.create_run(experiment_id, run_name=self.run_name, tags=dict(tags))
        from mlflow.entities import Run, RunTag
        from mlflow.protos.service_pb2 import CreateRun

        body = CreateRun(experiment_id=str(experiment_id), user_id=tags.get("mlflow.user", "unknown"),
                         start_time=int(time.time() * 1000), run_name=self.run_name or "",
                         tags=[RunTag(k, str(v)).to_proto() for k, v in tags.items()])
        return Run.from_proto(self._post_once("/api/2.0/mlflow/runs/create", body, CreateRun.Response()).run)

    def _host_creds(self) -> Any:
        """MLflow's credentials getter for this target's server, or None (a local store)."""
        store = getattr(getattr(self.client, "_tracking_client", None), "store", None)
        creds = getattr(store, "get_host_creds", None)
        return creds if is_http(self.uri) and creds is not None else None

    def _post_once(self, endpoint: str, body: Any, answer: Any, timeout: float = ONE_REQUEST_TIMEOUT) -> Any:
        """POST ``body`` (a protobuf message) once, without MLflow's HTTP retries, and parse the
        answer into ``answer``. Raises on any failure: the caller knows how to try again."""
        from mlflow.utils.proto_json_utils import message_to_json, parse_dict
        from mlflow.utils.rest_utils import http_request, verify_rest_response

        response = http_request(self._host_creds()(), endpoint, "POST", max_retries=0, timeout=timeout,
                                json=json.loads(message_to_json(body)))
        parse_dict(verify_rest_response(response, endpoint).json(), answer)
        return answer

    def _experiment_id(self) -> str:
        """``experiment`` by name (created if missing), else MLFLOW_EXPERIMENT_NAME, else
        MLFLOW_EXPERIMENT_ID (``mlflow.set_experiment`` sets it), else Default ("0").

        Looked up on this target's store, which need not be the one the fluent API points at:
        an id that does not exist there is skipped."""
        name = self.experiment or os.environ.get("MLFLOW_EXPERIMENT_NAME")
        if name:
            exp = self.client.get_experiment_by_name(name)
            return exp.experiment_id if exp is not None else self.client.create_experiment(name)
        eid = os.environ.get("MLFLOW_EXPERIMENT_ID")
        if eid:
            try:
                return self.client.get_experiment(eid).experiment_id
            except Exception:  # not on this store
                pass
        return "0"  # MLflow's Default experiment

    def set_tags(self, tags: Mapping[str, str]) -> None:
        from mlflow.entities import RunTag

        items = [RunTag(k, str(v)) for k, v in tags.items()]
        for i in range(0, len(items), MAX_TAGS_PER_BATCH):
            self.client.log_batch(self.run_id, tags=items[i : i + MAX_TAGS_PER_BATCH], synchronous=True)

    def status(self) -> str:
        return self.client.get_run(self.run_id).info.status

    def terminate(self) -> None:
        self.client.set_terminated(self.run_id, "FINISHED")

    # -- metrics -----------------------------------------------------------------------------
    def send(self, steps: np.ndarray, columns: Mapping[str, np.ndarray], timestamp_ms: int) -> int:
        """Send values with a step above each key's ``latest``; key-major, in step order.

        NaN means "not recorded at this step" and is not sent. Returns the number of values sent.
        """
        return self.send_blocks([(steps, columns)], timestamp_ms)

    def send_blocks(self, blocks: Iterable[tuple[np.ndarray, Mapping[str, np.ndarray]]], timestamp_ms: int) -> int:
        """``send`` for consecutive blocks (each in step order); their values share batches of up
        to ``MAX_METRICS_PER_BATCH``, so catching up on many small blocks takes few requests.

        A key's values go out in step order: a value at or below the largest step already
        queued for its key (or stored on the server) is not sent.
        """
        from mlflow.entities import Metric

        batch: list[Any] = []
        sent = 0
        queued: dict[str, int] = {}  # per key, the largest step put in a batch so far
        for steps, columns in blocks:
            steps = np.asarray(steps, dtype=np.int64)
            for name, values in columns.items():
                key = metric_key(name)
                v = np.asarray(values, dtype=np.float64)
                keep = ~np.isnan(v) & (steps > max(self.latest.get(key, _NO_STEP), queued.get(key, _NO_STEP)))
                if not keep.any():
                    continue
                queued[key] = int(steps[keep].max())
                for s, x in zip(steps[keep].tolist(), v[keep].tolist()):
                    batch.append(Metric(key, x, timestamp_ms, s))
                    if len(batch) == MAX_METRICS_PER_BATCH:
                        sent += self._flush_batch(batch)
                        batch = []
        if batch:
            sent += self._flush_batch(batch)
        return sent

    def _flush_batch(self, batch: list[Any]) -> int:
        if self._host_creds() is None:
            self.client.log_batch(self.run_id, metrics=batch, synchronous=True)
        else:
            # One request, not MLflow's 7 retries with backoff: against a server that died those
            # kept the sender silent for about 4 minutes before anyone was told. A batch whose
            # answer was lost is not resent blindly either: reconnecting re-reads each key's
            # latest step (the ordering invariant), so nothing is sent twice.
            from mlflow.protos.service_pb2 import LogBatch

            body = LogBatch(run_id=self.run_id, metrics=[m.to_proto() for m in batch])
            self._post_once("/api/2.0/mlflow/runs/log-batch", body, LogBatch.Response())
        for m in batch:  # confirmed: advance each key's latest step
            if m.step > self.latest.get(m.key, _NO_STEP):
                self.latest[m.key] = m.step
        self.values_sent += len(batch)
        return len(batch)

    def catch_up(self, run_dir: str | os.PathLike) -> tuple[int, int | None]:
        """Send what the local store holds beyond ``latest``. Returns (values sent, last step read).

        Reads block by block (memory: one block and one batch), oldest store file first.
        """
        from ..store import KIND_BLOCK, decode_block, iter_chunks, store_files

        last: int | None = None

        def blocks() -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
            nonlocal last
            for f in store_files(run_dir):
                for kind, payload in iter_chunks(f):
                    if kind != KIND_BLOCK:
                        continue
                    steps, names, values = decode_block(payload)
                    if steps.size:
                        last = int(steps.max()) if last is None else max(last, int(steps.max()))
                    yield steps, {n: values[i] for i, n in enumerate(names)}

        sent = self.send_blocks(blocks(), int(time.time() * 1000))
        return sent, last

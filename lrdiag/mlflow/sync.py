"""``lrdiag sync RUN_DIR``: send MLflow what a run's local store holds and its run does not."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import LRDiagError
from .cursor import PENDING_DIR, read_cursor, write_cursor
from .run_page import ARTIFACT_DIR, upload_report
from .run_target import RunTarget, new_run_key
from .tracking import bounded_http, one_clear_error, resolve_uri


def sync(run_dir: str | os.PathLike, tracking_uri: str | None = None) -> int:
    """Send what a run's local store holds and its MLflow run does not; returns values sent.

    Uses the cursor ``<run_dir>/lrdiag-mlflow.json`` (written by ``MLflowSink``) for the run and
    tracking URI (``tracking_uri`` overrides it). A run directory without a cursor, or whose run
    was never created because the server was down from the start, gets a new run; one whose
    creation was interrupted gets the run that was created then (found by its run key). Also
    uploads a report that could not be sent at ``close()``, and ends a run the sink had started.
    Running it again sends nothing: the server's latest step per key says what it already has.
    """
    from ..store import store_files

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise LRDiagError(f"{run_dir} is not a directory; give the run directory that holds the lrdiag store")
    if not store_files(run_dir):
        raise LRDiagError(f"{run_dir} holds no lrdiag store (*.lrstore); give the run directory of a Monitor run")
    cursor = read_cursor(run_dir) or {}
    uri = resolve_uri(tracking_uri or cursor.get("tracking_uri"))
    if cursor.get("run_id") is None and not cursor.get("run_key"):
        # the key is on disk before the run can exist: an interrupted sync is adopted next time
        cursor = {**cursor, "run_key": new_run_key()}
        write_cursor(run_dir, cursor)
    with bounded_http():
        with one_clear_error(f"MLflow sync to {uri} failed", f"; nothing was lost, run `lrdiag sync {run_dir}` again later"):
            target = RunTarget(uri, cursor.get("run_id"), experiment=cursor.get("experiment"),
                               experiment_id=cursor.get("experiment_id") if cursor.get("run_id") is None else None,
                               run_name=cursor.get("run_name") or run_dir.name, run_key=cursor.get("run_key"))
            if target.connect({"lrdiag.run_dir": str(run_dir.resolve())}) or target.adopted:
                # remember the run before sending, so a second sync finds it
                cursor = {**cursor, "tracking_uri": uri, "run_id": target.run_id, "owns_run": True,
                          "experiment_id": target.experiment_id, "closed": True}
                write_cursor(run_dir, cursor)
            sent, _ = target.catch_up(run_dir)
            report_sent = cursor.get("report_sent")
            pending = run_dir / PENDING_DIR / "pending.json"
            if report_sent is not True and pending.exists():
                spec = json.loads(pending.read_text(encoding="utf-8"))
                upload_report(target, run_dir / PENDING_DIR / ARTIFACT_DIR, spec["tags"], spec["section"])
                report_sent = True
            if cursor.get("owns_run", True) and cursor.get("closed", True) and target.status() == "RUNNING":
                target.terminate()
    write_cursor(run_dir, {**cursor, "tracking_uri": uri, "run_id": target.run_id, "experiment_id": target.experiment_id,
                           "values_sent": int(cursor.get("values_sent") or 0) + sent, "in_sync": True,
                           "report_sent": report_sent, "error": None})
    return sent

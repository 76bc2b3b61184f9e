"""``MLflowSink``: lrdiag's series and report on an MLflow run, without ever stalling training.

The metrics are the dense series under lrdiag's names (``lrdiag/loss``, ``lrdiag/lr/<group>``,
``lrdiag/update_ratio/<layer>``, ...), sent with ``MlflowClient.log_batch`` (at most 1,000 per
call) from the sink's own sender thread; at ``close()`` the report goes on the run page
(``lrdiag.mlflow.run_page``).

Nothing here may stall or crash training. ``write`` only copies the block into a bounded queue;
all network I/O happens on the sender thread. When the tracking server is unreachable or fails,
the sink prints one warning, keeps going, and relies on the local store (``lrdiag.store``, written
by the Monitor into the same run directory) for the values it could not send. It records in the
cursor (``lrdiag.mlflow.cursor``) which run it logs to, and ``lrdiag sync RUN_DIR`` sends the rest
later. While the run is still going, the sender retries every ``retry_secs`` and catches up from
the store by itself; a run whose creation was interrupted is adopted, never created twice
(``lrdiag.mlflow.run_target``).

With no tracking URI, MLflow's own default is used: in MLflow 3.x that is the local SQLite file
``sqlite:///mlflow.db`` in the working directory (or an existing ``./mlruns`` file store), or
whatever ``MLFLOW_TRACKING_URI`` / ``mlflow.set_tracking_uri`` say. No server is needed.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from ..errors import LRDiagError, warn
from ..sinks.base import Sink
from .cursor import PENDING_DIR, read_cursor, write_cursor
from .run_page import build_report_files, description_section, report_tags, upload_report, warn_unbuilt
from .run_target import RunTarget
from .tracking import active_run, describe, refused, resolve_uri

if TYPE_CHECKING:  # pragma: no cover
    from ..history import History
    from ..report import Report


class MLflowSink(Sink):
    """Log lrdiag's series and report to an MLflow run without ever stalling training.

    Parameters
    ----------
    run : str, mlflow Run / ActiveRun, optional
        The run to log into (a run id or a run object). Default: the active run
        (``mlflow.start_run()``, from any thread), else a new run that this sink creates (once:
        a creation whose answer was lost is found by its run key and adopted) and ends (status
        FINISHED) at ``close()``.
    tracking_uri : str, optional
        Default: ``mlflow.get_tracking_uri()`` -- ``MLFLOW_TRACKING_URI`` or MLflow's local
        default (``sqlite:///mlflow.db`` in MLflow 3.x), resolved when the sink is created.
    run_dir : path, optional
        The run directory holding the local store; the cursor goes there and values the server
        did not take are resent from the store. Without it, unsent values are held in memory
        up to ``max_pending_values`` and lost beyond that.
    experiment : str, optional
        Experiment name for a run the sink creates (created if missing). Default: the experiment
        chosen with ``mlflow.set_experiment`` / ``MLFLOW_EXPERIMENT_NAME``, else ``Default``.
    run_name : str, optional
        Name of a run the sink creates (default: the run directory's name).
    max_pending_values : int
        Values queued for sending at most (memory bound: 4 bytes per value plus 8 per step;
        the default is about 20 MB). Beyond it, blocks are dropped from memory and resent from the
        local store.
    retry_secs : float
        After a failure, wait this long before trying the server again.
    close_timeout : float
        Longest ``close()`` waits for the sender to finish (sending, uploading the report).
    """

    name = "mlflow"

    def __init__(self, run: Any = None, tracking_uri: str | None = None, run_dir: str | os.PathLike | None = None, *,
                 experiment: str | None = None, run_name: str | None = None, max_pending_values: int = 5_000_000,
                 retry_secs: float = 5.0, close_timeout: float = 30.0):
        try:
            import mlflow  # noqa: F401
        except ImportError:
            raise LRDiagError("MLflow logging needs mlflow (pip install 'lrdiag[mlflow]')") from None
        run_id, owns = self._run_id(run)
        self.tracking_uri = resolve_uri(tracking_uri)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.owns_run = owns
        self._target = RunTarget(self.tracking_uri, run_id, experiment=experiment,
                                 run_name=run_name or (self.run_dir.name if self.run_dir else None))
        self.max_pending_values = int(max_pending_values)
        self.retry_secs = float(retry_secs)
        self.close_timeout = float(close_timeout)
        self._q: "queue.Queue[tuple]" = queue.Queue()
        self._lock = threading.Lock()
        self._pending_values = 0
        self._meta: dict[str, Any] = {}
        self._connected = False
        self._gap = False  # blocks were not sent live: catch up from the store before more
        self._gap_through: int | None = None  # the largest step that went to the store only
        self._lost_values = 0  # values neither sent nor kept anywhere (no run_dir)
        self._next_try = 0.0
        self._warned = False
        self._report_sent: bool | None = None  # None: no report yet
        self._report: tuple | None = None  # (artifact dir, tags, section) until uploaded
        self._backlog: list[tuple] = []  # unsent blocks, only when there is no run_dir
        self._closed = False
        self._last_step: int | None = None
        self.error: str | None = None  # the first failure, for callers that want it
        self._thread = threading.Thread(target=self._loop, name="lrdiag-mlflow", daemon=True)
        self._thread.start()

    # -- public state ------------------------------------------------------------------------
    @property
    def run_id(self) -> str | None:
        """The MLflow run id (None until the run exists on the server)."""
        return self._target.run_id

    @property
    def values_sent(self) -> int:
        return self._target.values_sent

    def wait(self, timeout: float | None = None) -> bool:
        """Block until everything queued so far was handled (sent or set aside). True if done."""
        done = threading.Event()
        self._q.put(("mark", done))
        return done.wait(timeout)

    @staticmethod
    def _run_id(run: Any) -> tuple[str | None, bool]:
        if run is None:
            active = active_run()
            return (active.info.run_id, False) if active is not None else (None, True)
        if isinstance(run, str):
            return run, False
        info = getattr(run, "info", None)
        if info is not None and getattr(info, "run_id", None):
            return str(info.run_id), False
        raise LRDiagError(f"mlflow= expects True, a tracking URI, a run id or an MLflow run, got {type(run).__name__}")

    # -- Sink interface (called from the Monitor's writer thread) -----------------------------
    def open(self, meta: Mapping[str, Any]) -> None:
        self._meta = dict(meta)
        self._q.put(("open",))

    def update_meta(self, meta: Mapping[str, Any]) -> None:
        self._meta = dict(meta)

    def write(self, steps: np.ndarray, columns: Mapping[str, np.ndarray]) -> None:
        steps = np.array(steps, dtype=np.int64, copy=True)
        if steps.size == 0:
            return
        n = steps.size * max(len(columns), 1)
        last = int(steps.max())
        self._last_step = last if self._last_step is None else max(self._last_step, last)
        with self._lock:
            room = self._pending_values + n <= self.max_pending_values
            if room:
                self._pending_values += n
        if room:
            cols = {k: np.array(v, dtype=np.float32, copy=True) for k, v in columns.items()}
            self._q.put(("block", steps, cols, int(time.time() * 1000), n))
        else:  # a slow server: leave this block to the local store, resend it from there
            self._q.put(("dropped", last, n))

    def write_report(self, report: "Report", history: "History | None") -> None:
        out = self.run_dir / PENDING_DIR if self.run_dir is not None else Path(tempfile.mkdtemp(prefix="lrdiag-mlflow-"))
        art, problems = build_report_files(report, history, out)
        tags = report_tags(report)
        section = description_section(report)
        (out / "pending.json").write_text(json.dumps({"tags": tags, "section": section}), encoding="utf-8")
        warn_unbuilt(problems)
        self._report_sent = False
        self._q.put(("report", art, tags, section))

    def flush(self) -> None:
        """Nothing to wait for: the sender sends continuously (``wait()`` blocks if needed)."""

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        done = threading.Event()
        self._q.put(("close", done))
        if not self._wait_close(done):
            # The sender is stuck in a request (MLflow retries a lost server for minutes): give
            # up on it; the cursor says the run is not in sync, `lrdiag sync` sends the rest.
            self._gap = True
            self._fail(TimeoutError("MLflow did not take everything before close() (the server is gone or too slow)"))
            self._save_cursor(closed=True)

    def _wait_close(self, done: threading.Event) -> bool:
        """Wait for the sender up to ``close_timeout``, but give up at once if the server is gone:
        a request in flight to a dead server sits in MLflow's retries for minutes."""
        deadline = time.monotonic() + self.close_timeout
        while not done.wait(1.0):
            if time.monotonic() > deadline or refused(self.tracking_uri):
                return done.is_set()
        return True

    # -- the sender thread ---------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            msg = self._q.get()
            try:
                self._handle(msg)
            except Exception as e:  # never let the sender die; anything unexpected is one warning
                self._fail(e)
            if msg[0] == "close":
                msg[1].set()
                return
            if msg[0] == "mark":
                msg[1].set()

    def _handle(self, msg: tuple) -> None:
        kind = msg[0]
        if kind == "open":
            self._ensure_connected()
        elif kind == "block":
            _, steps, cols, ts, n = msg
            with self._lock:
                self._pending_values -= n
            self._block(steps, cols, ts)
        elif kind == "dropped":
            self._set_aside(msg[1], msg[2])
        elif kind == "report":
            self._report = msg[1:]
            if self._ensure_connected():
                self._send_report()
        elif kind == "close":
            self._finish()

    def _block(self, steps: np.ndarray, cols: Mapping[str, np.ndarray], ts: int) -> None:
        if not self._ensure_connected():
            self._set_aside(int(steps.max()), steps.size * len(cols), (steps, cols, ts))
            return
        try:
            self._target.send(steps, cols, ts)
        except Exception as e:
            self._fail(e)
            self._set_aside(int(steps.max()), steps.size * len(cols), (steps, cols, ts))

    def _set_aside(self, last_step: int, n: int, block: tuple | None = None) -> None:
        """A block that was not sent: the store has it (resend later) or, without one, memory."""
        self._gap = True
        self._gap_through = last_step if self._gap_through is None else max(self._gap_through, last_step)
        if self.run_dir is None:
            if block is not None and self._pending_values + n <= self.max_pending_values:
                self._backlog.append(block)
                with self._lock:
                    self._pending_values += n
            else:
                self._lost_values += n

    def _ensure_connected(self) -> bool:
        """Connected and caught up? Tries (again) at most every ``retry_secs``."""
        if self._connected and not self._gap:
            return True
        if time.monotonic() < self._next_try:
            return False
        try:
            # (Re)connecting also re-reads each key's latest step: a batch whose answer was
            # lost may have been stored, and must not be sent twice.
            tags = None if self._connected else self._run_tags()
            if self._target.run_id is None:
                self._save_cursor()  # the run key is on disk before the run can exist (for sync)
            self._target.connect(tags)
            self._connected = True
            self._save_cursor()
            if self._gap:
                self._catch_up()
            return not self._gap
        except Exception as e:
            self._fail(e)
            return False

    def _run_tags(self) -> dict[str, str]:
        tags = {"lrdiag.version": self._version()}
        if self.run_dir is not None:
            tags["lrdiag.run_dir"] = str(self.run_dir.resolve())
        if self._meta.get("optimizer"):
            tags["lrdiag.optimizer"] = str(self._meta["optimizer"])
        return tags

    def _catch_up(self) -> None:
        if self.run_dir is not None:
            _, last = self._target.catch_up(self.run_dir)
            # Done only once the store holds every step that was set aside (the Monitor may
            # write the store after handing the same block to this sink).
            if self._gap_through is None or (last is not None and last >= self._gap_through):
                self._gap, self._gap_through = False, None
        else:
            while self._backlog:
                steps, cols, ts = self._backlog[0]
                self._target.send(steps, cols, ts)
                self._backlog.pop(0)
                with self._lock:
                    self._pending_values -= steps.size * len(cols)
            self._gap = False
        self._save_cursor()

    def _finish(self) -> None:
        self._next_try = 0.0  # one last attempt, whatever the retry clock says
        ok = self._ensure_connected()
        if ok and self._report_sent is False:
            self._send_report()
        if ok and self.owns_run and self._target.run_id is not None:
            try:
                self._target.terminate()
            except Exception as e:
                self._fail(e)
        if self._lost_values:
            self._fail(RuntimeError(f"{self._lost_values} values could not be sent and there is no local store to resend them from"))
        self._save_cursor(closed=True)

    def _send_report(self) -> None:
        art, tags, section = self._report
        try:
            upload_report(self._target, art, tags, section)
        except Exception as e:
            self._fail(e)
            return
        self._report_sent = True
        self._save_cursor()
        if self.run_dir is None:  # a temporary directory of write_report
            shutil.rmtree(Path(art).parent, ignore_errors=True)

    def _fail(self, e: BaseException) -> None:
        """Remember the failure, warn once, try again in ``retry_secs``."""
        self._next_try = time.monotonic() + self.retry_secs
        if self.error is None:
            self.error = describe(e)
        if not self._warned:
            self._warned = True
            where = (f"the values stay in the local store in {self.run_dir}; if the run ends before MLflow answers, "
                     f"send them with `lrdiag sync {self.run_dir}`"
                     if self.run_dir is not None else "unsent values are kept in memory until it answers")
            warn(f"lrdiag: MLflow logging to {self.tracking_uri} failed ({describe(e)}); training continues "
                 f"and lrdiag retries every {self.retry_secs:g} s; {where}", RuntimeWarning, stacklevel=2)

    def _save_cursor(self, closed: bool | None = None) -> None:
        if self.run_dir is None:
            return
        try:
            old = read_cursor(self.run_dir) or {}
        except LRDiagError:
            old = {}
        state = {
            "version": 1,
            "tracking_uri": self.tracking_uri,
            "run_id": self._target.run_id,
            "run_key": self._target.run_key,
            "experiment_id": self._target.experiment_id,
            "experiment": self._target.experiment,
            "run_name": self._target.run_name,
            "owns_run": self.owns_run,
            "values_sent": self._target.values_sent,
            "last_step_written": self._last_step,
            "in_sync": self._connected and not self._gap,
            "report_sent": self._report_sent,
            "error": self.error,
            "closed": bool(old.get("closed")) if closed is None else closed,
        }
        try:
            with self._lock:
                write_cursor(self.run_dir, state)
        except OSError:
            pass  # an unwritable run dir: the store sink reports that

    @staticmethod
    def _version() -> str:
        from .. import __version__

        return __version__

"""MLflow: live metrics, findings on the run page, post-hoc write-back, sync, experiment view.

MLflow has no UI plugin mechanism for runs, so the run page itself is the surface:

* **metrics** -- the dense series under lrdiag's names (``lrdiag/loss``, ``lrdiag/lr/<group>``,
  ``lrdiag/update_ratio/<layer>``, ...), sent with ``MlflowClient.log_batch`` (at most
  ``MAX_METRICS_PER_BATCH`` = 1,000 metrics per call) from the sink's own sender thread;
* **tags** ``lrdiag.verdict``, ``lrdiag.suggested_lr``, ``lrdiag.schedule``, ``lrdiag.findings``
  (comma-separated kinds, or ``none``), so ``mlflow.search_runs(filter_string=
  "tags.\\"lrdiag.verdict\\" = 'divergence'")`` finds runs;
* the **description** (tag ``mlflow.note.content``, Markdown): an lrdiag section between
  ``SECTION_START`` / ``SECTION_END`` markers appended to the user's own text; a later report
  replaces only that section. The whole value stays within MLflow's 8,000-character tag limit
  (findings beyond what fits are summarised as "... and K more");
* **artifacts** under ``lrdiag/``: ``report.json``, ``report.html`` (self-contained: scripts and
  data inline, no network; MLflow's artifact viewer shows it in a sandboxed iframe) and one PNG
  per figure.

Nothing here may stall or crash training. ``write`` only copies the block into a bounded queue;
all network I/O happens on the sender thread. When the tracking server is unreachable or fails,
the sink prints one warning, keeps going, and relies on the local store (``lrdiag.store``, written
by the Monitor into the same run directory) for the values it could not send. It records in
``<run_dir>/lrdiag-mlflow.json`` (the *cursor*) which run it logs to, and ``lrdiag sync RUN_DIR``
(``sync``) sends the rest later. While the run is still going, the sender retries every
``retry_secs`` and catches up from the store by itself.

Ordering invariant (what makes resending exact): for each metric key, values are sent in step
order and never past a step that is missing on the server. A key's latest step on the server
(``Run.data`` holds each key's latest value, i.e. its largest step) therefore marks everything
before it as sent, and catching up sends exactly the store's values with a larger step.
Nothing is sent twice, so ``sync`` is idempotent.

With no tracking URI, MLflow's own default is used: in MLflow 3.x that is the local SQLite file
``sqlite:///mlflow.db`` in the working directory (or an existing ``./mlruns`` file store), or
whatever ``MLFLOW_TRACKING_URI`` / ``mlflow.set_tracking_uri`` say. No server is needed.
"""

from __future__ import annotations

import json
import math
import os
import queue
import re
import shutil
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

import numpy as np

from ..errors import LRDiagError
from .base import Sink

if TYPE_CHECKING:  # pragma: no cover
    from ..history import History
    from ..report import Report

#: MLflow's limit on metrics per ``log_batch`` call.
MAX_METRICS_PER_BATCH = 1000
#: MLflow's limit on a tag value (``mlflow.utils.validation.MAX_TAG_VAL_LENGTH``).
MAX_TAG_CHARS = 8000
#: MLflow's limit on a metric key.
MAX_KEY_CHARS = 250
CURSOR_NAME = "lrdiag-mlflow.json"
PENDING_DIR = "lrdiag-mlflow"  # report files waiting for (or already given to) MLflow
ARTIFACT_DIR = "lrdiag"
NOTE_TAG = "mlflow.note.content"
SECTION_START = "<!-- lrdiag:start -->"
SECTION_END = "<!-- lrdiag:end -->"
_SECTION_RE = re.compile(re.escape(SECTION_START) + r".*?" + re.escape(SECTION_END), re.S)
_UNSTABLE_KINDS = ("divergence", "spike", "oscillation", "lr_too_high")


# -- names and small helpers ------------------------------------------------------------------

def metric_key(name: str) -> str:
    """An MLflow-valid metric key for a series name.

    MLflow keys may hold letters, digits, ``_ - . /`` and spaces (colons not on Windows) and must
    not resolve to another path (no empty, ``.`` or ``..`` segments). lrdiag's names already
    are valid; group or layer names with other characters get ``_`` in their place.
    """
    parts = [re.sub(r"[^\w.\- ]", "_", p) for p in str(name).split("/") if p]
    parts = ["_" if p in (".", "..") else p for p in parts]
    key = "/".join(parts) or "_"
    if len(key) > MAX_KEY_CHARS:
        import hashlib

        key = key[: MAX_KEY_CHARS - 9] + "-" + hashlib.sha1(key.encode()).hexdigest()[:8]
    return key


def _is_http(uri: str | None) -> bool:
    return bool(uri) and str(uri).lower().startswith(("http://", "https://"))


def _describe(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0][:300]}" if text else type(e).__name__


def _probe(uri: str, timeout: float = 3.0) -> None:
    """Raise ``OSError`` quickly if an HTTP tracking server does not answer.

    MLflow's client retries a refused connection for minutes (7 retries, exponential backoff);
    a short ``/health`` request first tells the sender within seconds that the server is gone.
    """
    if not _is_http(uri):
        return
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=timeout) as r:
            r.read(64)
    except urllib.error.HTTPError as e:  # it answers: up (auth or a proxy may refuse /health)
        if e.code >= 500:
            raise OSError(f"tracking server at {uri} answered HTTP {e.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        raise OSError(f"tracking server at {uri} is unreachable ({reason})") from None


def _refused(uri: str) -> bool:
    """True if nothing listens at an HTTP tracking URI's host and port any more (a busy server
    that is slow to answer is not refused: only a refused TCP connection counts)."""
    if not _is_http(uri):
        return False
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(uri)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with socket.create_connection((parts.hostname, port), timeout=2.0):
            return False
    except ConnectionRefusedError:
        return True
    except (OSError, ValueError):  # timeouts, DNS hiccups: not proof that it is gone
        return False


def _resolve_uri(tracking_uri: str | None) -> str:
    """The tracking URI as MLflow resolves it now (absolute path for the default SQLite file)."""
    import mlflow

    return str(tracking_uri) if tracking_uri else mlflow.get_tracking_uri()


def _active_run() -> Any:
    """The user's active MLflow run, also when called from a thread other than theirs.

    ``mlflow.active_run()`` is thread-local, and the Monitor builds sinks on its writer thread;
    MLflow's own ``_get_latest_active_run`` looks at every thread's run stack.
    """
    import mlflow

    run = mlflow.active_run()
    if run is None:
        try:
            from mlflow.tracking.fluent import _get_latest_active_run

            run = _get_latest_active_run()
        except Exception:  # a private helper: absent in some MLflow version -> own run
            run = None
    return run


def parse_run_source(source: str) -> str:
    """``mlflow:<run_id>`` or ``runs:/<run_id>[/path]`` -> ``<run_id>``."""
    s = str(source)
    if s.startswith("mlflow:"):
        rest = s[len("mlflow:"):].lstrip("/")
    elif s.startswith("runs:/"):
        rest = s[len("runs:/"):]
    else:
        raise LRDiagError(f"{source!r} is not an MLflow run; write mlflow:<run_id> or runs:/<run_id>")
    run_id = rest.split("/", 1)[0].strip()
    if not run_id:
        raise LRDiagError(f"{source!r} names no run id; write mlflow:<run_id> or runs:/<run_id>")
    return run_id


def _fmt_lr(x: Any) -> str | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return f"{v:.4g}" if math.isfinite(v) and v > 0 else None


# -- what the run page shows ------------------------------------------------------------------

def suggested_lr(report: "Report") -> float | None:
    """The LR lrdiag suggests: the range test's, else the recommendation's peak/base LR."""
    rt = report.range_test or {}
    if rt.get("suggested_lr"):
        return float(rt["suggested_lr"])
    params = (report.recommendation or {}).get("params") or {}
    for k in ("peak_lr", "max_lr", "lr", "base_lr"):
        if params.get(k):
            return float(params[k])
    return None


def schedule_text(report: "Report") -> str | None:
    """The recommended schedule in one line, e.g. ``onecycle(peak_lr=0.03, total_steps=2000)``."""
    rec = report.recommendation or {}
    if not rec.get("kind"):
        return None
    params = rec.get("params") or {}
    shown = []
    for k, v in params.items():
        if isinstance(v, float):
            shown.append(f"{k}={v:.4g}")
        elif isinstance(v, (int, str, bool)) or v is None:
            shown.append(f"{k}={v}")
    text = f"{rec['kind']}({', '.join(shown)})"
    return text if len(text) <= 500 else text[:497] + "..."


def report_tags(report: "Report") -> dict[str, str]:
    """The ``lrdiag.*`` tags for a report (searchable with ``mlflow.search_runs``)."""
    kinds: list[str] = []
    for f in report.sorted_findings():
        if f.kind not in kinds:
            kinds.append(f.kind)
    tags = {
        "lrdiag.verdict": report.verdict,
        "lrdiag.findings": ",".join(kinds) if kinds else "none",
        "lrdiag.n_findings": str(len(report.findings)),
    }
    lr = _fmt_lr(suggested_lr(report))
    if lr:
        tags["lrdiag.suggested_lr"] = lr
    sched = schedule_text(report)
    if sched:
        tags["lrdiag.schedule"] = sched
    return {k: v[:MAX_TAG_CHARS] for k, v in tags.items()}


def description_section(report: "Report", budget: int = MAX_TAG_CHARS) -> str:
    """The lrdiag section of the run description, at most ``budget`` characters.

    Markdown from ``lrdiag.render.to_markdown`` (summary, findings table, recommendation with
    code). If it does not fit, the least severe findings are left out first ("... and K more
    findings"), then the code; the full report is always in ``lrdiag/report.html``.
    """
    from ..render import to_markdown
    from ..report import Report as _Report

    footer = (f"\n_Interactive report: artifact `{ARTIFACT_DIR}/report.html`; JSON: `{ARTIFACT_DIR}/report.json`; "
              f"figures: `{ARTIFACT_DIR}/*.png`._\n")
    findings = report.sorted_findings()

    def build(n: int, with_code: bool) -> str:
        rec = dict(report.recommendation or {}) or None
        if rec is not None and not with_code:
            rec.pop("code", None)
        trimmed = _Report(run=report.run, steps=report.steps, findings=findings[:n], range_test=report.range_test,
                          recommendation=rec, summary=report.summary, meta=report.meta)
        md = to_markdown(trimmed)
        if n < len(findings):
            md += f"\n_... and {len(findings) - n} more findings (see the report artifact)._\n"
        return f"{SECTION_START}\n{md}{footer}{SECTION_END}"

    for with_code in (True, False):
        n = len(findings)
        while n >= 0:
            text = build(n, with_code)
            if len(text) <= budget:
                return text
            n = n - 1 if n <= 8 else n // 2  # shrink fast for very long lists, then finely
    short = f"{SECTION_START}\n## lrdiag: {report.verdict}\n{footer}{SECTION_END}"
    return short[:budget] if budget < len(short) else short


def merge_description(existing: str | None, section: str) -> str:
    """The user's description with the lrdiag ``section`` replacing a previous one (or appended)."""
    existing = existing or ""
    if _SECTION_RE.search(existing):
        return _SECTION_RE.sub(lambda _m: section, existing, count=1)
    if not existing.strip():
        return section
    return existing.rstrip("\n") + "\n\n" + section


def build_report_files(report: "Report", history: "History | None", out_dir: str | os.PathLike) -> tuple[Path, list[str]]:
    """Write ``report.json``, ``report.html`` and the figure PNGs into ``out_dir/lrdiag``.

    Returns ``(artifact directory, problems)``; a part that cannot be built (plotly.js missing,
    a figure that does not draw) is named in ``problems`` and left out, the rest is written.
    """
    art = Path(out_dir) / ARTIFACT_DIR
    if art.exists():
        shutil.rmtree(art)
    art.mkdir(parents=True)
    problems: list[str] = []
    (art / "report.json").write_text(report.to_json(), encoding="utf-8")
    try:
        from ..render import render_report

        (art / "report.html").write_text(render_report(report, "html", history=history), encoding="utf-8")
    except Exception as e:
        problems.append(f"report.html ({_describe(e)})")
    try:
        from ..figures import build_figures, to_png

        for fig in build_figures(report, history):
            fid = re.sub(r"[^\w-]", "_", str(fig.get("id", "figure")))
            try:
                to_png(fig, art / f"{fid}.png")
            except Exception as e:
                problems.append(f"{fid}.png ({_describe(e)})")
    except Exception as e:
        problems.append(f"figures ({_describe(e)})")
    return art, problems


# -- the connection: one run on one tracking store ----------------------------------------------

class _Target:
    """A run on a tracking store, and what the store already holds of it.

    ``latest[key]`` is the largest step the store has for ``key`` (see the ordering invariant in
    the module docstring). Methods do network I/O and raise on failure.
    """

    def __init__(self, tracking_uri: str, run_id: str | None = None, *, experiment: str | None = None,
                 experiment_id: str | None = None, run_name: str | None = None):
        from mlflow.tracking import MlflowClient

        self.uri = tracking_uri
        self.client = MlflowClient(tracking_uri)
        self.run_id = run_id
        self.experiment = experiment
        self.experiment_id = experiment_id
        self.run_name = run_name
        self.latest: dict[str, int] = {}
        self.values_sent = 0

    def connect(self, tags: Mapping[str, str] | None = None) -> bool:
        """Create the run if there is none yet, then read each key's latest step. True if created."""
        _probe(self.uri)
        created = False
        if self.run_id is None:
            eid = self.experiment_id or self._experiment_id()
            run = self.client.create_run(eid, run_name=self.run_name, tags=dict(tags or {}))
            self.run_id, self.experiment_id, created = run.info.run_id, run.info.experiment_id, True
        else:
            run = self.client.get_run(self.run_id)
            self.experiment_id = run.info.experiment_id
            self.latest = {m.key: int(m.step) for m in run.data.to_proto().metrics}
            if tags:
                self.set_tags(tags)
        return created

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
        for i in range(0, len(items), 100):  # MLflow: at most 100 params + tags per batch
            self.client.log_batch(self.run_id, tags=items[i : i + 100], synchronous=True)

    def send(self, steps: np.ndarray, columns: Mapping[str, np.ndarray], timestamp_ms: int) -> int:
        """Send values with a step above each key's ``latest``; key-major, in step order."""
        from mlflow.entities import Metric

        batch: list[Any] = []
        sent = 0
        steps = np.asarray(steps, dtype=np.int64)
        for name, values in columns.items():
            key = metric_key(name)
            v = np.asarray(values, dtype=np.float64)
            keep = ~np.isnan(v)
            floor = self.latest.get(key)
            if floor is not None:
                keep &= steps > floor
            if not keep.any():
                continue
            for s, x in zip(steps[keep].tolist(), v[keep].tolist()):
                batch.append(Metric(key, x, timestamp_ms, s))
                if len(batch) == MAX_METRICS_PER_BATCH:
                    sent += self._flush_batch(batch)
                    batch = []
        if batch:
            sent += self._flush_batch(batch)
        return sent

    def _flush_batch(self, batch: list[Any]) -> int:
        self.client.log_batch(self.run_id, metrics=batch, synchronous=True)
        for m in batch:  # confirmed: advance each key's latest step
            if m.step > self.latest.get(m.key, -(1 << 62)):
                self.latest[m.key] = m.step
        self.values_sent += len(batch)
        return len(batch)

    def catch_up(self, run_dir: str | os.PathLike) -> tuple[int, int | None]:
        """Send what the local store holds beyond ``latest``. Returns (values sent, last step read).

        Reads block by block (memory: one block), oldest store file first.
        """
        from ..store import KIND_BLOCK, decode_block, iter_chunks, store_files

        sent, last = 0, None
        now = int(time.time() * 1000)
        for f in store_files(run_dir):
            for kind, payload in iter_chunks(f):
                if kind != KIND_BLOCK:
                    continue
                steps, names, values = decode_block(payload)
                if steps.size:
                    last = int(steps.max()) if last is None else max(last, int(steps.max()))
                sent += self.send(steps, {n: values[i] for i, n in enumerate(names)}, now)
        return sent, last

    def write_report_files(self, art_dir: Path, tags: Mapping[str, str], section: str) -> None:
        """Upload ``art_dir`` under ``lrdiag/``, set the tags and merge the description section."""
        self.client.log_artifacts(self.run_id, str(art_dir), ARTIFACT_DIR)
        existing = self.client.get_run(self.run_id).data.tags.get(NOTE_TAG, "")
        user_len = len(_SECTION_RE.sub("", existing).rstrip("\n")) + 2
        if len(section) > MAX_TAG_CHARS - user_len:
            section = _fit_section(section, art_dir, MAX_TAG_CHARS - user_len)
        all_tags = dict(tags)
        all_tags[NOTE_TAG] = merge_description(existing, section)
        self.set_tags(all_tags)

    def terminate(self) -> None:
        self.client.set_terminated(self.run_id, "FINISHED")


def _fit_section(section: str, art_dir: Path, budget: int) -> str:
    """Rebuild the description section from ``report.json`` to fit ``budget`` characters."""
    from ..report import Report

    report = Report.from_json((art_dir / "report.json").read_text(encoding="utf-8"))
    return description_section(report, budget=max(budget, 0))


# -- the cursor: which run, how far -----------------------------------------------------------

def read_cursor(run_dir: str | os.PathLike) -> dict[str, Any] | None:
    p = Path(run_dir) / CURSOR_NAME
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise LRDiagError(f"{p} is unreadable ({e}); delete it to start a new MLflow run on the next sync") from None


def write_cursor(run_dir: str | os.PathLike, state: Mapping[str, Any]) -> None:
    """Replace the cursor atomically (write a temporary file, then rename)."""
    p = Path(run_dir) / CURSOR_NAME
    tmp = p.with_name(p.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(dict(state), indent=1, default=str), encoding="utf-8")
    os.replace(tmp, p)


# -- the live sink ------------------------------------------------------------------------------

class MLflowSink(Sink):
    """Log lrdiag's series and report to an MLflow run without ever stalling training.

    Parameters
    ----------
    run : str, mlflow Run / ActiveRun, optional
        The run to log into (a run id or a run object). Default: the active run
        (``mlflow.start_run()``, from any thread), else a new run that this sink creates and
        ends (status FINISHED) at ``close()``.
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
        self.tracking_uri = _resolve_uri(tracking_uri)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.owns_run = owns
        self._target = _Target(self.tracking_uri, run_id, experiment=experiment,
                               run_name=run_name or (self.run_dir.name if self.run_dir else None))
        self.max_pending_values = int(max_pending_values)
        self.retry_secs = float(retry_secs)
        self.close_timeout = float(close_timeout)
        self._q: "queue.Queue[tuple]" = queue.Queue()
        self._lock = threading.Lock()
        self._pending_values = 0
        self._meta: dict[str, Any] = {}
        self._connected = False
        self._created = False
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
            active = _active_run()
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
        if problems:
            warnings.warn(f"lrdiag: some report artifacts were not built: {'; '.join(problems)}", RuntimeWarning, stacklevel=2)
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
            if time.monotonic() > deadline or _refused(self.tracking_uri):
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
            self._created |= self._target.connect(tags)
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
            self._target.write_report_files(art, tags, section)
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
            self.error = _describe(e)
        if not self._warned:
            self._warned = True
            where = (f"the values stay in the local store in {self.run_dir}; send them with `lrdiag sync {self.run_dir}`"
                     if self.run_dir is not None else "unsent values are kept in memory until it answers")
            warnings.warn(f"lrdiag: MLflow logging to {self.tracking_uri} failed ({_describe(e)}); "
                          f"training continues, {where}", RuntimeWarning, stacklevel=2)

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
            "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
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


# -- post hoc ----------------------------------------------------------------------------------

def _cli_http():
    """Bounded HTTP retries for one-shot commands (MLflow's default retries for minutes)."""
    from ..sources.mlflow_source import _bounded_http

    return _bounded_http()


def write_back(source: str, report: "Report", history: "History | None", tracking_uri: str | None = None) -> None:
    """Write a report to an existing MLflow run (``mlflow:<run_id>`` / ``runs:/<run_id>``):
    tags, description section and artifacts, exactly as the live sink does at ``close()``."""
    run_id = parse_run_source(source)
    uri = _resolve_uri(tracking_uri)
    with _cli_http(), tempfile.TemporaryDirectory(prefix="lrdiag-writeback-") as tmp:
        art, problems = build_report_files(report, history, tmp)
        if problems:
            warnings.warn(f"lrdiag: some report artifacts were not built: {'; '.join(problems)}", RuntimeWarning, stacklevel=2)
        target = _Target(uri, run_id)
        try:
            target.connect()
            target.write_report_files(art, report_tags(report), description_section(report))
        except OSError as e:
            raise LRDiagError(f"cannot write to MLflow run {run_id} at {uri}: {e}") from None
        except Exception as e:
            raise LRDiagError(f"cannot write to MLflow run {run_id} at {uri}: {_describe(e)}") from None


def sync(run_dir: str | os.PathLike, tracking_uri: str | None = None) -> int:
    """Send what a run's local store holds and its MLflow run does not; returns values sent.

    Uses the cursor ``<run_dir>/lrdiag-mlflow.json`` (written by ``MLflowSink``) for the run and
    tracking URI (``tracking_uri`` overrides it). A run directory without a cursor, or whose run
    was never created because the server was down from the start, gets a new run. Also uploads
    a report that could not be sent at ``close()``, and ends a run the sink had started. Running
    it again sends nothing: the server's latest step per key says what it already has.
    """
    from ..store import store_files

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise LRDiagError(f"{run_dir} is not a directory; give the run directory that holds the lrdiag store")
    if not store_files(run_dir):
        raise LRDiagError(f"{run_dir} holds no lrdiag store (*.lrstore); give the run directory of a Monitor run")
    cursor = read_cursor(run_dir) or {}
    uri = _resolve_uri(tracking_uri or cursor.get("tracking_uri"))
    with _cli_http():
        target = _Target(uri, cursor.get("run_id"), experiment=cursor.get("experiment"),
                         experiment_id=cursor.get("experiment_id") if cursor.get("run_id") is None else None,
                         run_name=cursor.get("run_name") or run_dir.name)
        try:
            created = target.connect({"lrdiag.run_dir": str(run_dir.resolve())})
            if created:  # remember the new run before sending, so a second sync finds it
                write_cursor(run_dir, {**cursor, "tracking_uri": uri, "run_id": target.run_id, "owns_run": True,
                                       "experiment_id": target.experiment_id, "closed": True})
                cursor = read_cursor(run_dir) or {}
            sent, _ = target.catch_up(run_dir)
            report_sent = cursor.get("report_sent")
            pending = run_dir / PENDING_DIR / "pending.json"
            if report_sent is not True and pending.exists():
                spec = json.loads(pending.read_text(encoding="utf-8"))
                target.write_report_files(run_dir / PENDING_DIR / ARTIFACT_DIR, spec["tags"], spec["section"])
                report_sent = True
            if cursor.get("owns_run", True) and cursor.get("closed", True):
                if target.client.get_run(target.run_id).info.status == "RUNNING":
                    target.terminate()
        except OSError as e:
            raise LRDiagError(f"cannot reach MLflow at {uri}: {e}; nothing was lost, run `lrdiag sync {run_dir}` again later") from None
        except LRDiagError:
            raise
        except Exception as e:
            raise LRDiagError(f"MLflow sync to {uri} failed: {_describe(e)}; nothing was lost, run it again later") from None
    write_cursor(run_dir, {**cursor, "tracking_uri": uri, "run_id": target.run_id, "experiment_id": target.experiment_id,
                           "values_sent": int(cursor.get("values_sent") or 0) + sent, "in_sync": True,
                           "report_sent": report_sent, "error": None,
                           "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    return sent


# -- the experiment view: every run of a sweep -------------------------------------------------

_LR_PARAMS = ("lr", "learning_rate", "learning-rate", "base_lr", "max_lr", "peak_lr", "initial_lr")


def _param_lr(params: Mapping[str, str]) -> float | None:
    lowered = {k.lower(): v for k, v in params.items()}
    for k in _LR_PARAMS:
        if k in lowered:
            try:
                v = float(lowered[k])
            except ValueError:
                continue
            if math.isfinite(v) and v > 0:
                return v
    return None


def final_loss(loss: np.ndarray | None, tail: float = 0.1) -> float | None:
    """Median of the last ``tail`` fraction (3 to 50 values) of the logged loss values.

    ``inf`` when the run's last logged value is not finite (it diverged); ``None`` without loss.
    The median keeps one noisy last batch from deciding the comparison.
    """
    if loss is None:
        return None
    v = np.asarray(loss, dtype=np.float64)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return None
    if not np.isfinite(v[-1]):
        return math.inf
    k = int(min(50, max(3, round(tail * v.size))))
    last = v[-k:]
    last = last[np.isfinite(last)]
    return float(np.median(last))


def initial_loss(loss: np.ndarray | None) -> float | None:
    """Median of the first 5% (3 to 20) finite loss values; None without any."""
    if loss is None:
        return None
    v = np.asarray(loss, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return None
    k = int(min(20, max(3, round(0.05 * v.size))))
    return float(np.median(v[:k]))


def _run_row(run: Any, history: "History", report: "Report") -> dict[str, Any]:
    lr = _param_lr(run.data.params)
    lr_source = "param"
    if lr is None:
        series = history.lr()
        finite = series[np.isfinite(series)] if series is not None else np.zeros(0)
        lr = float(finite.max()) if finite.size else None
        lr_source = "peak of the LR series" if lr is not None else None
    fl = final_loss(history.loss)
    first = initial_loss(history.loss)
    kinds = sorted({f.kind for f in report.findings})
    if fl is not None and not math.isfinite(fl):
        why = "the loss is not finite at the end"
    elif report.verdict in _UNSTABLE_KINDS:
        why = f"verdict {report.verdict}"
    elif fl is not None and first is not None and fl >= first:
        why = "the loss did not fall below its start"
    else:
        why = None
    return {
        "run_id": run.info.run_id,
        "run_name": run.info.run_name or run.data.tags.get("mlflow.runName") or run.info.run_id,
        "lr": lr, "lr_source": lr_source, "final_loss": fl, "initial_loss": first, "verdict": report.verdict,
        "findings": kinds, "unstable": why is not None, "unstable_reason": why, "steps": len(history), "error": None,
    }


def sweep_summary(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Final loss against LR over a sweep: the best LR, an interval around it, unstable runs.

    A run is unstable when its loss is not finite at the end, its verdict is one of
    divergence / spike / oscillation / lr_too_high, or its final loss is not below its initial
    loss (it learned nothing, typically after blowing up).

    Runs with the same LR (seeds) are averaged. The best swept LR is the stable LR with the
    lowest final loss; the interval is bounded by its neighbours in the sweep (a grid search
    cannot place the optimum more finely, assuming loss is unimodal in log LR). Inside it, a
    parabola through the best point and its two neighbours in (log10 LR, loss) gives the point
    estimate when it opens upwards; otherwise the estimate is the best swept LR. A best LR at the
    edge of the sweep is flagged: the optimum may lie beyond it.
    """
    groups: dict[float, dict[str, Any]] = {}
    for r in rows:
        if r.get("lr") is None or r.get("final_loss") is None:
            continue
        g = groups.setdefault(float(f"{r['lr']:.6g}"), {"losses": [], "runs": [], "unstable": False})
        g["runs"].append(r["run_id"])
        g["unstable"] |= bool(r["unstable"])
        if math.isfinite(r["final_loss"]):
            g["losses"].append(r["final_loss"])
    points = [{"lr": lr, "final_loss": (float(np.mean(g["losses"])) if g["losses"] else None), "runs": g["runs"],
               "unstable": g["unstable"]} for lr, g in sorted(groups.items())]
    out: dict[str, Any] = {"points": points, "best_lr": None, "best_swept_lr": None, "interval": None, "at_edge": None,
                           "unstable_runs": [r["run_id"] for r in rows if r.get("unstable")]}
    ok = [i for i, p in enumerate(points) if not p["unstable"] and p["final_loss"] is not None]
    if not ok:
        return out
    b = min(ok, key=lambda i: points[i]["final_loss"])
    best = points[b]["lr"]
    low = points[b - 1]["lr"] if b > 0 else None
    high = points[b + 1]["lr"] if b + 1 < len(points) else None
    estimate = best
    if low is not None and high is not None:
        ya, yc = points[b - 1]["final_loss"], points[b + 1]["final_loss"]
        if ya is not None and yc is not None and not points[b - 1]["unstable"] and not points[b + 1]["unstable"]:
            x = np.log10([low, best, high])
            a, bb, _ = np.polyfit(x, [ya, points[b]["final_loss"], yc], 2)
            if a > 0:
                estimate = float(10 ** np.clip(-bb / (2 * a), x[0], x[2]))
    out.update(best_lr=estimate, best_swept_lr=best, interval=[low if low is not None else best, high if high is not None else best],
               at_edge="low" if low is None else ("high" if high is None else None))
    return out


def _experiment(client: Any, name: str) -> Any:
    exp = client.get_experiment_by_name(name)
    if exp is None and name.isdigit():
        try:
            exp = client.get_experiment(name)
        except Exception:
            exp = None
    if exp is None:
        known = [e.name for e in client.search_experiments(max_results=20)]
        raise LRDiagError(f"no MLflow experiment named {name!r}" + (f"; experiments: {', '.join(known)}" if known else ""))
    return exp


def _all_runs(client: Any, experiment_id: str) -> Iterator[Any]:
    token = None
    while True:
        page = client.search_runs([experiment_id], max_results=500, page_token=token, order_by=["attributes.start_time ASC"])
        yield from page
        token = page.token
        if not token:
            return


def experiment_view(name: str, tracking_uri: str | None = None) -> dict[str, Any]:
    """Analyse every run of an MLflow experiment; the dict behind ``analyze_experiment``."""
    from mlflow.tracking import MlflowClient

    from ..analysis.engine import analyze
    from ..sources import load

    uri = _resolve_uri(tracking_uri)
    rows: list[dict[str, Any]] = []
    reports: dict[str, Any] = {}
    with _cli_http():
        try:
            client = MlflowClient(uri)
            exp = _experiment(client, name)
            runs = list(_all_runs(client, exp.experiment_id))
        except LRDiagError:
            raise
        except Exception as e:
            raise LRDiagError(f"cannot read MLflow experiment {name!r} at {uri}: {_describe(e)}") from None
        for run in runs:
            try:
                history = load(f"mlflow:{run.info.run_id}", tracking_uri=uri)
                report = analyze(history)
            except LRDiagError as e:
                rows.append({"run_id": run.info.run_id, "run_name": run.info.run_name or run.info.run_id,
                             "error": str(e), "unstable": False, "lr": None, "final_loss": None})
                continue
            rows.append(_run_row(run, history, report))
            reports[run.info.run_id] = report.to_dict()
    return {"schema": "lrdiag.experiment/1", "experiment": exp.name, "experiment_id": exp.experiment_id,
            "tracking_uri": uri, "runs": rows, "sweep": sweep_summary(rows), "reports": reports}


def analyze_experiment(name: str, tracking_uri: str | None = None, fmt: str = "text") -> str:
    """Every run of experiment ``name`` analysed, plus the sweep view; ``fmt``: text/json/md/html."""
    from ..report import _json_safe

    view = experiment_view(name, tracking_uri)
    if fmt == "json":
        return json.dumps(_json_safe(view), indent=2, allow_nan=False)
    if fmt == "text":
        return _experiment_text(view)
    if fmt in ("md", "markdown"):
        return _experiment_md(view)
    if fmt == "html":
        return _experiment_html(view)
    raise LRDiagError(f"unknown format {fmt!r}; use one of text, json, md, html")


def _g(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return "inf" if math.isinf(x) else f"{x:.4g}"
    return str(x)


def _sweep_lines(s: Mapping[str, Any]) -> list[str]:
    if s["best_lr"] is None:
        return ["No stable run with an LR and a loss: no best LR."]
    lo, hi = s["interval"]
    lines = [f"Best LR: {_g(s['best_lr'])} (best swept {_g(s['best_swept_lr'])}; interval {_g(lo)} .. {_g(hi)})"]
    if s["at_edge"]:
        lines.append(f"The best LR is at the {s['at_edge']} edge of the sweep: extend the sweep to the {s['at_edge']}er side.")
    return lines


def _table_rows(view: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for r in sorted(view["runs"], key=lambda r: (r.get("lr") is None, r.get("lr") or 0)):
        if r.get("error"):
            rows.append([r["run_name"], r["run_id"], "-", "-", "skipped", r["error"]])
        else:
            rows.append([r["run_name"], r["run_id"], _g(r["lr"]), _g(r["final_loss"]),
                         "UNSTABLE" if r["unstable"] else "stable", r["verdict"] + (f" ({', '.join(r['findings'])})" if r["findings"] else "")])
    return rows


_HEAD = ["run", "run id", "LR", "final loss", "stability", "verdict"]


def _experiment_text(view: Mapping[str, Any]) -> str:
    from ..render import _one_line

    rows = [[_one_line(c) for c in row] for row in _table_rows(view)]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(_HEAD)]
    out = [f"MLflow experiment {_one_line(view['experiment'])} ({len(view['runs'])} runs)", ""]
    out.append("  ".join(h.ljust(w) for h, w in zip(_HEAD, widths)))
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    out.append("")
    out += _sweep_lines(view["sweep"])
    unstable = view["sweep"]["unstable_runs"]
    out.append(f"Unstable runs: {', '.join(unstable) if unstable else 'none'}")
    return "\n".join(out) + "\n"


def _experiment_md(view: Mapping[str, Any]) -> str:
    from ..render import _md

    out = [f"## lrdiag: MLflow experiment {_md(view['experiment'])}", ""]
    out += [_md(line) for line in _sweep_lines(view["sweep"])] + [""]
    out.append("| " + " | ".join(_HEAD) + " |")
    out.append("|" + "---|" * len(_HEAD))
    out += ["| " + " | ".join(_md(c) for c in r) + " |" for r in _table_rows(view)]
    return "\n".join(out) + "\n"


def sweep_figure(view: Mapping[str, Any]) -> dict[str, Any]:
    """Plotly figure dict: final loss against LR (log axis), unstable runs in red, best LR line."""
    from ..figures import text

    s = view["sweep"]
    names = {r["run_id"]: r["run_name"] for r in view["runs"]}
    traces = []
    for unstable, color, label in ((False, "#1f77b4", "stable"), (True, "#d62728", "unstable")):
        pts = [p for p in s["points"] if p["unstable"] == unstable and p["final_loss"] is not None]
        traces.append({"type": "scatter", "mode": "markers+lines" if not unstable else "markers", "name": label,
                       "x": [p["lr"] for p in pts], "y": [p["final_loss"] for p in pts],
                       "text": [text(", ".join(names.get(r, r) for r in p["runs"])) for p in pts],
                       "marker": {"color": color, "size": 9}, "line": {"color": color}})
    shapes = []
    if s["best_lr"] is not None:
        lo, hi = s["interval"]
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": lo, "x1": hi, "y0": 0, "y1": 1,
                       "fillcolor": "rgba(44,160,44,0.15)", "line": {"width": 0}})
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": s["best_lr"], "x1": s["best_lr"], "y0": 0, "y1": 1,
                       "line": {"color": "#2ca02c", "dash": "dash"}})
    return {"id": "sweep", "title": "Final loss against learning rate", "data": traces,
            "layout": {"title": {"text": "Final loss against learning rate"}, "height": 420, "shapes": shapes,
                       "xaxis": {"type": "log", "title": {"text": "learning rate"}},
                       "yaxis": {"title": {"text": "final loss (median of the last 10%)"}}}}


def _experiment_html(view: Mapping[str, Any]) -> str:
    import html as _html
    import secrets

    from ..figures import plotly_js_path
    from ..render import json_for_script

    e = lambda s: _html.escape(str(s), quote=True)  # noqa: E731
    try:
        plotly_js = Path(plotly_js_path()).read_text(encoding="utf-8").replace("</script", "<\\/script")
    except (OSError, ImportError):
        plotly_js = ""
    nonce = secrets.token_urlsafe(16)
    csp = f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; img-src data: blob:"
    head = "".join(f"<th>{e(h)}</th>" for h in _HEAD)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in _table_rows(view))
    js = ("var f=JSON.parse(document.getElementById('sweep-data').textContent);"
          "if(window.Plotly){Plotly.newPlot('sweep',f.data,f.layout,{displaylogo:false,responsive:true});}"
          "document.body.setAttribute('data-figures-rendered','1');")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{e(csp)}">'
            f"<title>lrdiag: experiment {e(view['experiment'])}</title>"
            "<style>body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px}"
            "table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:5px 8px;text-align:left}</style>"
            f"</head><body><h1>lrdiag: MLflow experiment {e(view['experiment'])}</h1>"
            + "".join(f"<p>{e(line)}</p>" for line in _sweep_lines(view["sweep"]))
            + f'<div id="sweep" style="min-height:420px"></div><table><tr>{head}</tr>{body}</table>'
            f'<script type="application/json" id="sweep-data">{json_for_script(sweep_figure(view))}</script>'
            f'<script nonce="{nonce}">{plotly_js}</script><script nonce="{nonce}">{js}</script></body></html>\n')

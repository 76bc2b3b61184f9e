"""The tracking URI: resolve it, check that a server answers, describe a failure in one line.

MLflow's HTTP client retries a refused connection (and a lost answer) for minutes: 7 retries with
exponential backoff, for every method including POST. lrdiag's sender thread can wait that long,
but it must *know* quickly that a server is gone (``probe``, ``refused``), and one-shot commands
(``lrdiag sync``, ``--write-back``, ``--mlflow-experiment``, reading a run) should fail within
seconds (``bounded_http``).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator

from ..errors import LRDiagError, SourceError


def is_http(uri: str | None) -> bool:
    """True for an ``http://`` / ``https://`` tracking URI (a server, not a local store)."""
    return bool(uri) and str(uri).lower().startswith(("http://", "https://"))


def describe(e: BaseException) -> str:
    """``"<ExceptionType>: <first line of the message>"`` (at most 300 characters of it)."""
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0][:300]}" if text else type(e).__name__


@contextlib.contextmanager
def one_clear_error(what: str, advice: str = "") -> Iterator[None]:
    """Turn a failure inside into one ``LRDiagError``: ``"<what>: <reason><advice>"``.

    For one-shot commands: MLflow's exceptions carry pages of server output; the first line says
    what went wrong. An ``LRDiagError`` raised inside passes unchanged."""
    try:
        yield
    except LRDiagError:
        raise
    except OSError as e:  # probe()'s own message already says which server and why
        raise LRDiagError(f"{what}: {e}{advice}") from None
    except Exception as e:
        raise LRDiagError(f"{what}: {describe(e)}{advice}") from None


def probe(uri: str, timeout: float = 3.0) -> None:
    """Raise ``OSError`` within ``timeout`` seconds if an HTTP tracking server does not answer.

    A short ``/health`` request tells the caller within seconds what MLflow's own retries would
    take minutes to admit. Local stores (SQLite, files) are not probed.
    """
    if not is_http(uri):
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


def refused(uri: str) -> bool:
    """True if nothing listens at an HTTP tracking URI's host and port any more (a busy server
    that is slow to answer is not refused: only a refused TCP connection counts)."""
    if not is_http(uri):
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


def resolve_uri(tracking_uri: str | None) -> str:
    """The tracking URI as MLflow resolves it now: ``tracking_uri`` if given, else
    ``MLFLOW_TRACKING_URI`` / ``mlflow.set_tracking_uri``, else MLflow's local default
    (``sqlite:///mlflow.db`` in the working directory in MLflow 3.x)."""
    import mlflow

    return str(tracking_uri) if tracking_uri else mlflow.get_tracking_uri()


def active_run() -> Any:
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


#: Bounded retries for one-shot commands (applied only where the user has not chosen their own).
_HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2", "MLFLOW_HTTP_REQUEST_TIMEOUT": "20",
                  "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1"}


@contextlib.contextmanager
def bounded_http() -> Iterator[None]:
    """Bounded HTTP retries while a one-shot command (``lrdiag sync``, ``load("mlflow:...")``,
    ``--write-back``, ``--mlflow-experiment``) runs: 2 retries, 20 s timeout, backoff factor 1,
    where the user has not set ``MLFLOW_HTTP_REQUEST_*`` themselves. MLflow's defaults retry for
    minutes. MLflow reads these variables at each request, so they must be set in the process."""
    added = [k for k in _HTTP_DEFAULTS if k not in os.environ]
    for k in added:
        os.environ[k] = _HTTP_DEFAULTS[k]
    try:
        yield
    finally:
        for k in added:
            os.environ.pop(k, None)


def parse_run_id(source: str) -> str:
    """``mlflow:<run_id>`` or ``runs:/<run_id>[/artifact/path]`` -> ``<run_id>``.

    Raises ``SourceError`` (an ``LRDiagError``) for anything else, saying how to write it."""
    s = str(source)
    if s.startswith("mlflow:"):
        rest = s[len("mlflow:"):].lstrip("/")
    elif s.startswith("runs:/"):
        rest = s[len("runs:/"):]
    else:
        raise SourceError(f"{s}: is not an MLflow run; write mlflow:<run_id> or runs:/<run_id>")
    run_id = rest.split("/", 1)[0].strip()
    if not run_id:
        raise SourceError(f"{s}: names no run id; write mlflow:<run_id> or runs:/<run_id>")
    return run_id

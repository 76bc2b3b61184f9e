"""The TensorBoard "LR Diagnostics" tab: a dynamic plugin (iframe + ES module).

Registered through the ``tensorboard_plugins`` entry point (``setup.py``), so ``tensorboard
--logdir runs`` shows the tab whenever a run holds lrdiag data. Every route reads through
TensorBoard's data provider (``context.data_provider``: scalars and this plugin's own tensor
summaries); the plugin never opens a file it was told about, only its own static assets, which it
indexes once at start-up and serves by exact name.

Routes (under ``/data/plugin/lrdiag``)::

    /static/<name>   index.js, style.css, plotly.min.js (from the ``plotly`` package)
    /runs            {"runs": [{"run", "has_report", "has_lrdiag", "analyzable", "last_step"}]}
    /report?run=R    {"run", "report": {...} | null, "source": "summary" | "analysis" | null}
    /figures?run=R[&max_points=N]   {"run", "report", "source", "steps", "figures": [...]}
    /analyze?run=R   GET or POST: analyse R's loss + LR scalars with ``lrdiag.analyze`` (cached)

Every parameter is validated: an unknown or repeated parameter, a malformed value or an oversized
request is a 400 (413 for a large body) with a JSON ``{"error": ...}``; a run TensorBoard does not
know, or one without loss and LR scalars, is a 404. Run names, tags and messages are data: they
travel as JSON strings and the front end renders them with ``textContent``.
"""

from __future__ import annotations

import collections
import gzip
import json
import logging
import re
import threading
from pathlib import Path
from typing import Any, Callable

from tensorboard import context as tb_context
from tensorboard.backend import http_util
from tensorboard.data import provider
from tensorboard.plugins import base_plugin
from werkzeug import wrappers

from . import names

logger = logging.getLogger(__name__)

SCALARS_PLUGIN = "scalars"
#: Upper bounds that keep a request's memory and time bounded whatever the run holds.
MAX_RUN_NAME = 8192
MAX_BODY = 64 * 1024
MAX_POINTS_DEFAULT = 2000
MAX_POINTS_RANGE = (16, 20000)
#: Points read per main series (loss, LR, norms) and per layer ratio series.
SERIES_SAMPLES = 200_000
LAYER_SAMPLES = 5_000
MAX_LAYERS = 512
#: Runs whose analysis / figures stay cached (least recently used ones are dropped).
CACHE_SIZE = 16

#: Only code and styles are served (the README screenshot in plugin_assets is not).
_STATIC_TYPES = {".js": "text/javascript", ".css": "text/css"}


_NO_DATA = "this run has no lrdiag data and no loss or learning-rate scalars"


class BadRequest(Exception):
    """A request parameter was malformed, unknown or too large (HTTP 400 unless ``code``)."""

    def __init__(self, message: str, code: int = 400):
        super().__init__(message)
        self.code = code


def assets_dir() -> Path:
    """Where the front end lives: inside the installed package, else the repository checkout."""
    import lrdiag

    pkg = Path(lrdiag.__file__).resolve().parent
    for candidate in (pkg / "plugin_assets", pkg.parent / "plugin_assets"):
        if (candidate / "index.js").is_file():
            return candidate
    raise FileNotFoundError(f"lrdiag's plugin_assets (index.js) are missing beside {pkg}; reinstall lrdiag")


# -- foreign tags -------------------------------------------------------------------------

def foreign_mapping(tags: list[str]) -> dict[str, str]:
    """Map a run's scalar tags to lrdiag series names ``{tag: name}``, only those it knows.

    lrdiag's own tags map to themselves; for a run without them (Hugging Face, Lightning, plain
    ``SummaryWriter``) the common loss / LR / grad-norm tags are recognised by the same detection
    ``lrdiag.load`` uses (``lrdiag.sources.detect.classify``). The range test's series have their
    own step axis and stay out of the run's History.
    """
    from .sources.detect import classify

    return {tag: name for tag, name in classify(tags).items()
            if name.startswith(names.PREFIX) and not name.startswith(_RANGE_TEST_PREFIX)}


_RANGE_TEST_PREFIX = names.PREFIX + "range_test/"


# -- Plotly, served to compile fast -----------------------------------------------------

#: plotly.min.js wraps the whole library in a UMD header whose factory is an unparenthesised
#: arrow function passed as an argument.
_UMD_FACTORY = b'(typeof self !== "undefined" ? self : this, () => {'
_UMD_END = b"}));"


def eager_factory(js: bytes) -> bytes:
    """plotly.min.js with its UMD factory in parentheses, or unchanged if its wrapper differs.

    V8 compiles a parenthesised function expression eagerly, on its background thread while the
    script streams in; left bare, Plotly's 4.6 MB factory is compiled lazily on the page's main
    thread when the wrapper calls it (0.5-0.7 s of the tab's first load on a 2-core machine).
    The parentheses change nothing else: the same function is passed and called.
    """
    body = js.rstrip()
    if js.count(_UMD_FACTORY) != 1 or not body.endswith(_UMD_END):
        return js
    head, _, tail = body.partition(_UMD_FACTORY)
    return head + _UMD_FACTORY.replace(b"() => {", b"(() => {") + tail[:-len(_UMD_END)] + b"})));\n"


# -- the plugin ---------------------------------------------------------------------------

class _LRU:
    """A small thread-safe least-recently-used dict (TensorBoard serves requests on threads)."""

    def __init__(self, size: int):
        self._size = size
        self._data: collections.OrderedDict = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            if key not in self._data:
                return None
            self._data.move_to_end(key)
            return self._data[key]

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)


class LRDiagPlugin(base_plugin.TBPlugin):
    """TensorBoard plugin showing lrdiag's findings, charts and recommendation for each run."""

    plugin_name = names.PLUGIN_NAME

    def __init__(self, context: base_plugin.TBContext):
        self._provider = context.data_provider
        self._static: dict[str, tuple[bytes, str]] | None = None
        self._static_lock = threading.Lock()
        self._analyses = _LRU(CACHE_SIZE)
        self._analysis_lock = threading.Lock()
        self._figures = _LRU(CACHE_SIZE)
        # Compress the front end (Plotly is 4.6 MB) now, on a thread, so the first page load
        # does not wait for it.
        threading.Thread(target=self._warm_static, name="lrdiag-static", daemon=True).start()

    # -- TBPlugin interface ----------------------------------------------------------------
    def frontend_metadata(self) -> base_plugin.FrontendMetadata:
        return base_plugin.FrontendMetadata(es_module_path="/static/index.js", tab_name="LR Diagnostics", disable_reload=False)

    def get_plugin_apps(self) -> dict[str, Callable]:
        return {
            "/static/*": self._serve_static,
            "/runs": self._serve_runs,
            "/report": self._serve_report,
            "/figures": self._serve_figures,
            "/analyze": self._serve_analyze,
        }

    def is_active(self) -> bool:
        """True when a run holds this plugin's tensors or scalars named ``lrdiag/...``.

        TensorBoard already marks the plugin active when a run holds its tensor summaries
        (``data_plugin_names``); this adds runs that only recorded scalars so far.
        """
        if self._provider is None:
            return False
        ctx = tb_context.RequestContext()
        if self._provider.list_tensors(ctx, experiment_id="", plugin_name=self.plugin_name):
            return True
        scalars = self._provider.list_scalars(ctx, experiment_id="", plugin_name=SCALARS_PLUGIN)
        return any(t.startswith(names.PREFIX) for tags in scalars.values() for t in tags)

    # -- static assets ---------------------------------------------------------------------
    def _load_static(self) -> dict[str, tuple[bytes, str]]:
        """Index the front end once: ``{file name: (gzip bytes, content type)}``."""
        with self._static_lock:
            if self._static is None:
                from .figures import plotly_js_path

                files = {p.name: p for p in assets_dir().iterdir() if p.is_file() and p.suffix in _STATIC_TYPES}
                files["plotly.min.js"] = Path(plotly_js_path())
                self._static = {}
                for name, path in files.items():
                    body = path.read_bytes()
                    if name == "plotly.min.js":
                        body = eager_factory(body)
                    self._static[name] = (gzip.compress(body, compresslevel=6, mtime=0), _STATIC_TYPES[path.suffix])
            return self._static

    def _warm_static(self) -> None:
        try:
            self._load_static()
        except Exception:  # a missing asset: the request that needs it answers with the error
            logger.debug("lrdiag could not index its static assets ahead of time", exc_info=True)

    @wrappers.Request.application
    def _serve_static(self, request: wrappers.Request) -> wrappers.Response:
        if request.method not in ("GET", "HEAD"):
            return _error(request, f"method {request.method} not allowed (use GET)", 405)
        head, _, name = request.path.rpartition("/")
        entry = self._load_static().get(name) if head.endswith("/static") else None
        if entry is None:
            return _error(request, "no such static file", 404)
        body, content_type = entry
        # plotly.min.js is large; let the browser cache it for an hour.
        return http_util.Respond(request, body, content_type, content_encoding="gzip", expires=3600 if name == "plotly.min.js" else 0)

    # -- JSON routes -----------------------------------------------------------------------
    @wrappers.Request.application
    def _serve_runs(self, request: wrappers.Request) -> wrappers.Response:
        return self._json(request, set(), lambda ctx, eid, args: {"runs": self._list_runs(ctx, eid)})

    @wrappers.Request.application
    def _serve_report(self, request: wrappers.Request) -> wrappers.Response:
        def handle(ctx, eid, args):
            run = self._known_run(ctx, eid, args["run"])
            series = self._series_tags(ctx, eid, run)
            report, source, error = self._report(ctx, eid, run, series)
            if report is None and error is None and not series:
                raise BadRequest(_NO_DATA, 404)
            return {"run": run, "report": report, "source": source, "report_error": error}

        return self._json(request, {"run"}, handle)

    @wrappers.Request.application
    def _serve_figures(self, request: wrappers.Request) -> wrappers.Response:
        return self._json(request, {"run", "max_points"}, self._figures_payload)

    @wrappers.Request.application
    def _serve_analyze(self, request: wrappers.Request) -> wrappers.Response:
        def handle(ctx, eid, args):
            run = self._known_run(ctx, eid, args["run"])
            series = self._series_tags(ctx, eid, run)
            report = self._analysis(ctx, eid, run, series)
            return {"run": run, "report": report, "source": "analysis", "report_error": None}

        return self._json(request, {"run"}, handle, methods=("GET", "POST"))

    def _json(self, request: wrappers.Request, allowed: set[str], handle: Callable, methods=("GET",)) -> wrappers.Response:
        """Validate the request, run ``handle(ctx, experiment_id, args)``, answer JSON.

        Bad input is a 4xx with a JSON ``{"error"}``; an unexpected failure is logged and
        answered with a 500 naming the route (TensorBoard itself keeps running).
        """
        from tensorboard import plugin_util

        try:
            if request.method not in methods:
                raise BadRequest(f"method {request.method} not allowed (use {' or '.join(methods)})", 405)
            if (request.content_length or 0) > MAX_BODY:
                raise BadRequest(f"request body over {MAX_BODY} bytes", 413)
            args = _parse_args(request, allowed)
            ctx = plugin_util.context(request.environ)
            eid = plugin_util.experiment_id(request.environ)
            return http_util.Respond(request, handle(ctx, eid, args), "application/json")
        except BadRequest as e:
            return _error(request, str(e), e.code)
        except Exception:  # a bug or a provider failure: say so, keep serving
            logger.exception("lrdiag plugin route %s failed", request.path)
            return _error(request, f"lrdiag could not answer {request.path.rsplit('/', 1)[-1]}; see the tensorboard log", 500)

    # -- data access -----------------------------------------------------------------------
    def _runs(self, ctx, eid) -> list[str]:
        return [r.run_name for r in self._provider.list_runs(ctx, experiment_id=eid)]

    def _known_run(self, ctx, eid, run: str) -> str:
        if run not in set(self._runs(ctx, eid)):
            raise BadRequest("unknown run: no run of that name in this TensorBoard", 404)
        return run

    def _list_runs(self, ctx, eid) -> list[dict[str, Any]]:
        tensors = self._provider.list_tensors(ctx, experiment_id=eid, plugin_name=self.plugin_name)
        scalars = self._provider.list_scalars(ctx, experiment_id=eid, plugin_name=SCALARS_PLUGIN)
        out = []
        for run in self._runs(ctx, eid):
            tags = scalars.get(run, {})
            has_report = names.REPORT_TAG in tensors.get(run, {})
            own = any(t.startswith(names.PREFIX) for t in tags)
            mapped = set(foreign_mapping(list(tags)).values()) if tags else set()
            analyzable = names.LOSS in mapped and any(n.startswith(names.LR) for n in mapped)
            if not (has_report or own or analyzable):
                continue
            steps = [ts.max_step for ts in tags.values() if ts.max_step is not None]
            out.append({"run": run, "has_report": has_report, "has_lrdiag": has_report or own,
                        "analyzable": analyzable, "last_step": max(steps) if steps else None})
        return out

    def _report(self, ctx, eid, run: str, series=None) -> tuple[dict | None, str | None, str | None]:
        """``(report dict, source, error)``: the run's report summary, else a cached analysis."""
        from .report import Report

        filt = provider.RunTagFilter(runs=[run], tags=[names.REPORT_TAG])
        data = self._provider.read_tensors(ctx, experiment_id=eid, plugin_name=self.plugin_name, downsample=1, run_tag_filter=filt)
        points = data.get(run, {}).get(names.REPORT_TAG) or []
        if points:
            raw = points[-1].numpy
            try:
                value = raw.item() if hasattr(raw, "item") else raw
                text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
                return Report.from_json(text).to_dict(), "summary", None
            except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
                # A damaged or foreign summary: show the charts anyway and say why no report.
                return None, None, f"the run's lrdiag report could not be read ({type(e).__name__}: {str(e)[:200]})"
        series = self._series_tags(ctx, eid, run) if series is None else series
        key = self._analysis_key(ctx, eid, run, series)
        cached = self._analyses.get(key) if key else None
        return (cached, "analysis", None) if cached is not None else (None, None, None)

    def _series_tags(self, ctx, eid, run: str) -> dict[str, tuple[str, Any]]:
        """``{series name: (tag, ScalarTimeSeries)}`` for the run's usable scalar tags."""
        listed = self._provider.list_scalars(ctx, experiment_id=eid, plugin_name=SCALARS_PLUGIN,
                                             run_tag_filter=provider.RunTagFilter(runs=[run]))
        tags = listed.get(run, {})
        mapping = foreign_mapping(list(tags))
        out = {}
        for tag, name in mapping.items():
            if name.startswith(names.UPDATE_RATIO) and sum(n.startswith(names.UPDATE_RATIO) for n in out) >= MAX_LAYERS:
                continue
            out[name] = (tag, tags[tag])
        return out

    def _history(self, ctx, eid, run: str, series: dict[str, tuple[str, Any]], layer_cap: int = LAYER_SAMPLES):
        """A History from the run's scalars as TensorBoard holds them (its sample of each), at
        most ``layer_cap`` points per layer ratio series."""
        from .history import History

        columns = {}
        # Layers in natural order (blocks.2 before blocks.10): the order of the chart's legend
        # and heatmap rows.
        layer = {n: series[n][0] for n in sorted((n for n in series if n.startswith(names.UPDATE_RATIO)), key=_natural)}
        main = {n: t for n, (t, _) in series.items() if n not in layer}
        for group, cap in ((main, SERIES_SAMPLES), (layer, layer_cap)):
            if not group:
                continue
            filt = provider.RunTagFilter(runs=[run], tags=list(group.values()))
            data = self._provider.read_scalars(ctx, experiment_id=eid, plugin_name=SCALARS_PLUGIN, downsample=cap, run_tag_filter=filt)
            by_tag = data.get(run, {})
            for name, tag in group.items():
                points = by_tag.get(tag) or []
                columns[name] = ([p.step for p in points], [p.value for p in points])
        return History.from_columns(columns, meta={"run": run, "source": f"tensorboard run {run}", "source_format": "tensorboard-plugin"})

    def _analysis_key(self, ctx, eid, run: str, series: dict[str, tuple[str, Any]]):
        """Cache key: the run plus each series' last step and wall time (new data -> new key)."""
        return _data_key(eid, run, series) if names.LOSS in series else None

    def _analysis(self, ctx, eid, run: str, series: dict[str, tuple[str, Any]]) -> dict:
        key = self._analysis_key(ctx, eid, run, series)
        if key is None or not any(n.startswith(names.LR) for n in series):
            raise BadRequest("this run has no loss and learning-rate scalars to analyse", 404)
        cached = self._analyses.get(key)
        if cached is not None:
            return cached
        from .analysis.engine import analyze
        from .errors import LRDiagError

        # One analysis at a time: a second request for the same run waits and finds it cached,
        # and many "Analyse" clicks cannot take every core of the machine TensorBoard runs on.
        with self._analysis_lock:
            cached = self._analyses.get(key)
            if cached is not None:
                return cached
            try:
                report = analyze(self._history(ctx, eid, run, series)).to_dict()
            except LRDiagError as e:
                raise BadRequest(f"cannot analyse this run: {e}", 422) from e
            self._analyses.put(key, report)
        return report

    def _figures_payload(self, ctx, eid, args: dict[str, str]) -> str:
        """The run's figures, report and step count as a JSON string, cached per data version."""
        from .figures import HEATMAP_COLUMNS, MAX_LAYER_LINES, build_figures

        run = self._known_run(ctx, eid, args["run"])
        max_points = _int_arg(args, "max_points", MAX_POINTS_DEFAULT, *MAX_POINTS_RANGE)
        series = self._series_tags(ctx, eid, run)
        report, source, error = self._report(ctx, eid, run, series)
        if not series and report is None and error is None:
            raise BadRequest(_NO_DATA, 404)
        key = (_data_key(eid, run, series), max_points, source, error, json.dumps(report, sort_keys=True))
        body = self._figures.get(key)
        if body is None:
            # Many layers are drawn as a heatmap of HEATMAP_COLUMNS step ranges: two points per
            # range and layer fill it, and reading no more keeps a 200-layer run's response fast.
            n_layers = sum(n.startswith(names.UPDATE_RATIO) for n in series)
            history = self._history(ctx, eid, run, series, 2 * HEATMAP_COLUMNS if n_layers > MAX_LAYER_LINES else LAYER_SAMPLES)
            first, last = (int(history.steps[0]), int(history.steps[-1])) if len(history) else (None, None)
            payload = {"run": run, "report": report, "source": source, "report_error": error, "steps": len(history),
                       "first_step": first, "last_step": last,
                       "analyzable": names.LOSS in series and any(n.startswith(names.LR) for n in series),
                       "figures": build_figures(report, history, max_points=max_points)}
            # Serialised once: figures and reports are strict JSON already (None for NaN).
            body = json.dumps(payload, allow_nan=False, separators=(",", ":"))
            self._figures.put(key, body)
        return body


def _natural(name: str) -> list:
    """Sort key that orders embedded numbers by value: ``layer.2`` < ``layer.10``."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name)]


def _data_key(eid: str, run: str, series: dict[str, tuple[str, Any]]) -> tuple:
    """Identifies one version of a run's data: each series' last step and wall time."""
    return (eid, run) + tuple(sorted((n, ts.max_step, ts.max_wall_time) for n, (_, ts) in series.items()))


# -- request helpers ----------------------------------------------------------------------

def _parse_args(request: wrappers.Request, allowed: set[str]) -> dict[str, str]:
    """Query (and form) parameters as a plain dict; unknown, repeated or missing ones are a 400."""
    args: dict[str, str] = {}
    sources = [request.args]
    if request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form)
    for multi in sources:
        for key in multi.keys():
            values = multi.getlist(key)
            if key not in allowed:
                raise BadRequest(f"unknown parameter {key[:64]!r} (allowed: {', '.join(sorted(allowed)) or 'none'})")
            if len(values) != 1 or key in args:
                raise BadRequest(f"parameter {key!r} given more than once")
            value = values[0]
            if len(value) > MAX_RUN_NAME:
                raise BadRequest(f"parameter {key!r} is longer than {MAX_RUN_NAME} characters")
            args[key] = value
    if "run" in allowed and not args.get("run"):
        raise BadRequest("missing parameter 'run' (a run name from /runs)")
    return args


def _int_arg(args: dict[str, str], key: str, default: int, low: int, high: int) -> int:
    raw = args.get(key)
    if raw is None:
        return default
    try:
        value = int(raw, 10)
    except ValueError:
        raise BadRequest(f"parameter {key!r} must be an integer, got {raw[:32]!r}") from None
    if not low <= value <= high:
        raise BadRequest(f"parameter {key!r} must be between {low} and {high}, got {value}")
    return value


def _error(request: wrappers.Request, message: str, code: int) -> wrappers.Response:
    return http_util.Respond(request, {"error": message}, "application/json", code=code)

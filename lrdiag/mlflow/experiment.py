"""``lrdiag analyze --mlflow-experiment NAME``: every run of an experiment analysed, with the
sweep view (``lrdiag.mlflow.sweep``) as text, Markdown, JSON or a self-contained HTML page."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..errors import LRDiagError
from .sweep import run_row, sweep_summary
from .tracking import bounded_http, one_clear_error, resolve_uri


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

    uri = resolve_uri(tracking_uri)
    rows: list[dict[str, Any]] = []
    reports: dict[str, Any] = {}
    with bounded_http():
        with one_clear_error(f"cannot read MLflow experiment {name!r} at {uri}"):
            client = MlflowClient(uri)
            exp = _experiment(client, name)
            runs = list(_all_runs(client, exp.experiment_id))
        for run in runs:
            try:
                history = load(f"mlflow:{run.info.run_id}", tracking_uri=uri)
                report = analyze(history)
            except LRDiagError as e:
                rows.append({"run_id": run.info.run_id, "run_name": run.info.run_name or run.info.run_id,
                             "error": str(e), "unstable": False, "lr": None, "final_loss": None})
                continue
            rows.append(run_row(run, history, report))
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

"""Render a Report as text (terminal), JSON, Markdown or a self-contained HTML page.

    render_report(report, "text" | "json" | "md" | "html", history=None) -> str

Nothing here analyses anything: every number comes from the Report (and, for the HTML figures,
from ``lrdiag.figures.build_figures(report, history)``).

Safety: strings from runs (run names, layer names, messages) are data. Markdown escapes HTML
and table pipes; the HTML page escapes every string, embeds figure JSON with ``<``, ``>`` and
``&`` written as ``\\u003c``-style escapes (so no string can close the ``<script>`` element),
and carries a Content-Security-Policy that allows no network access and runs only its own two
script elements (by nonce) -- an injected ``<script>`` or ``onerror=`` would not run even if
escaping were ever missed.
"""

from __future__ import annotations

import html
import json
import secrets
from typing import TYPE_CHECKING, Any, Mapping

from .errors import LRDiagError

if TYPE_CHECKING:  # pragma: no cover
    from .history import History
    from .report import Finding, Report

FORMATS = ("text", "json", "md", "html")
_SEV_MARK = {"critical": "!!", "warning": "! ", "info": "i "}


def render_report(report: "Report", fmt: str = "text", history: "History | None" = None) -> str:
    """The report in ``fmt`` (one of ``FORMATS``); ``history`` adds figures to ``html``."""
    if fmt == "json":
        return report.to_json()
    if fmt == "text":
        return to_text(report)
    if fmt in ("md", "markdown"):
        return to_markdown(report)
    if fmt == "html":
        return to_html(report, history)
    raise LRDiagError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")


# -- text ------------------------------------------------------------------------------------

def _steps_txt(f: "Finding") -> str:
    return f"step {f.start_step}" if f.start_step == f.end_step else f"steps {f.start_step}-{f.end_step}"


def _lr_txt(lr: float | None) -> str:
    return "-" if lr is None else f"{lr:.3g}"


def _one_line(s: Any) -> str:
    """Control characters (newlines, escapes) in run strings must not restyle a terminal."""
    return "".join(ch if ch.isprintable() else " " for ch in str(s))


def to_text(report: "Report") -> str:
    """Plain text for a terminal: verdict, summary, one block per finding, recommendation."""
    lines = [f"lrdiag report: {_one_line(report.run)}"]
    if report.steps:
        lines[0] += f" (steps {report.steps[0]}..{report.steps[1]})"
    lines.append(f"verdict: {report.verdict}")
    lines.append("")
    lines.append(_one_line(report.summary))
    findings = report.sorted_findings()
    if findings:
        lines.append("")
        lines.append(f"findings ({len(findings)}):")
        for f in findings:
            lines.append(f" {_SEV_MARK.get(f.severity, '  ')} {f.kind:<12} {_steps_txt(f):<22} lr {_lr_txt(f.lr):<9} "
                         f"{f.severity}, confidence {f.confidence:.2f}")
            lines.append(f"      {_one_line(f.message)}")
    nt = report.meta.get("not_tested") or {}
    for kind, why in nt.items():
        lines.append(f"  ({_one_line(kind)} {_one_line(why)})")
    rec = report.recommendation or {}
    if rec:
        lines.append("")
        lines.append(f"recommendation: {_one_line(rec.get('kind', ''))}")
        if rec.get("rationale"):
            lines.append(f"  {_one_line(rec['rationale'])}")
        if rec.get("code"):
            lines.append("")
            lines.extend("    " + _one_line(c) for c in str(rec["code"]).rstrip().splitlines())
    return "\n".join(lines) + "\n"


# -- markdown --------------------------------------------------------------------------------

def _md(s: Any) -> str:
    """Markdown text from a run string: HTML escaped, no line breaks, no table pipes."""
    return html.escape(_one_line(s), quote=False).replace("|", "\\|").replace("`", "\\`")


def to_markdown(report: "Report") -> str:
    """Markdown (used as the MLflow run description): summary, findings table, recommendation."""
    out = [f"## lrdiag: {_md(report.verdict)}", ""]
    out.append(_md(report.summary))
    out.append("")
    findings = report.sorted_findings()
    if findings:
        out.append("| severity | kind | steps | LR | confidence | what happened |")
        out.append("|---|---|---|---|---|---|")
        for f in findings:
            out.append(f"| {_md(f.severity)} | {_md(f.kind)} | {_md(_steps_txt(f))} | {_md(_lr_txt(f.lr))} | "
                       f"{f.confidence:.2f} | {_md(f.message)} |")
        out.append("")
    else:
        out.append("_No findings._")
        out.append("")
    rec = report.recommendation or {}
    if rec:
        out.append(f"### Recommendation: {_md(rec.get('kind', ''))}")
        out.append("")
        if rec.get("rationale"):
            out.append(_md(rec["rationale"]))
            out.append("")
        if rec.get("code"):
            code = str(rec["code"]).replace("```", "` ` `")
            out.extend(["```python", code.rstrip(), "```", ""])
    if report.steps:
        out.append(f"<sub>run {_md(report.run)}, steps {report.steps[0]}..{report.steps[1]}, lrdiag report schema 1</sub>")
    return "\n".join(out) + "\n"


# -- html ------------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:20px;margin:0 0 4px} .sub{color:#666;margin-bottom:16px}
.verdict{display:inline-block;padding:2px 10px;border-radius:10px;font-weight:600;background:#e8f5e9;color:#1b5e20}
.verdict.bad{background:#ffebee;color:#b71c1c}
table{border-collapse:collapse;width:100%;margin:8px 0 16px} th,td{border-bottom:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#fafafa} td.num{white-space:nowrap;font-variant-numeric:tabular-nums}
.sev-critical{color:#b71c1c;font-weight:600} .sev-warning{color:#e65100;font-weight:600} .sev-info{color:#1565c0}
pre{background:#f6f8fa;padding:12px;overflow:auto;border-radius:6px} .fig{margin:12px 0;min-height:380px}
details{margin:6px 0} .note{color:#666}
"""

_JS = """
(function () {
  var figs = JSON.parse(document.getElementById("lrdiag-figures").textContent);
  var host = document.getElementById("figures");
  figs.forEach(function (f) {
    var div = document.createElement("div");
    div.className = "fig";
    div.id = "fig-" + String(f.id).replace(/[^a-z0-9_]/gi, "");
    host.appendChild(div);
    if (window.Plotly) { Plotly.newPlot(div, f.data, f.layout, {displaylogo: false, responsive: true}); }
    else { div.textContent = "(plotly.js could not be loaded: figures unavailable)"; }
  });
  document.body.setAttribute("data-figures-rendered", String(figs.length));
})();
"""


def _e(s: Any) -> str:
    return html.escape(str(s), quote=True)


def json_for_script(value: Any) -> str:
    """JSON safe to place inside a ``<script>`` element: ``<``, ``>``, ``&`` and the JS line
    separators are written as ``\\uXXXX`` escapes, so no value can end the element."""
    from .report import _json_safe

    text = json.dumps(_json_safe(value), allow_nan=False, separators=(",", ":"))
    for ch, rep in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, rep)
    return text


def _findings_html(report: "Report") -> str:
    findings = report.sorted_findings()
    if not findings:
        return '<p class="note">No findings.</p>'
    rows = []
    for f in findings:
        ev = json.dumps(f.to_dict()["evidence"], indent=1, ensure_ascii=False)
        rows.append(
            f'<tr><td class="sev-{_e(f.severity)}">{_e(f.severity)}</td><td>{_e(f.kind)}</td>'
            f'<td class="num">{_e(_steps_txt(f))}</td><td class="num">{_e(_lr_txt(f.lr))}</td>'
            f'<td class="num">{f.confidence:.2f}</td><td>{_e(f.message)}'
            f"<details><summary>evidence</summary><pre>{_e(ev)}</pre></details></td></tr>"
        )
    head = "<tr><th>severity</th><th>kind</th><th>steps</th><th>LR</th><th>confidence</th><th>what happened</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _recommendation_html(rec: Mapping[str, Any] | None) -> str:
    if not rec:
        return ""
    parts = [f"<h2>Recommendation: {_e(rec.get('kind', ''))}</h2>"]
    if rec.get("rationale"):
        parts.append(f"<p>{_e(rec['rationale'])}</p>")
    if rec.get("code"):
        parts.append(f"<pre><code>{_e(rec['code'])}</code></pre>")
    return "".join(parts)


def to_html(report: "Report", history: "History | None" = None, *, max_points: int = 2000) -> str:
    """A single HTML file with everything inline (plotly.js, figure data, text): no network.

    Figures come from ``lrdiag.figures.build_figures``; when plotly.min.js is unavailable the
    page still shows the summary, findings and recommendation.
    """
    from . import figures

    figs = figures.build_figures(report, history, max_points=max_points)
    try:
        with open(figures.plotly_js_path(), encoding="utf-8") as fh:
            plotly_js = fh.read()
    except (OSError, ImportError):
        plotly_js = ""
    # plotly.min.js is a trusted file, but make sure it cannot end its own element either.
    plotly_js = plotly_js.replace("</script", "<\\/script")
    nonce = secrets.token_urlsafe(16)
    csp = (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; img-src data: blob:; "
           "font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'")
    verdict = report.verdict
    steps = f"steps {report.steps[0]}..{report.steps[1]}" if report.steps else "no steps"
    nt = report.meta.get("not_tested") or {}
    notes = "".join(f'<p class="note">{_e(k)}: {_e(v)}</p>' for k, v in nt.items())
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'  # our constant: no run strings
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>lrdiag report: {_e(report.run)}</title><style>{_CSS}</style></head><body>"
        f"<h1>lrdiag report: {_e(report.run)}</h1>"
        f'<div class="sub">{_e(steps)} &middot; verdict <span class="verdict{" bad" if verdict != "healthy" else ""}">{_e(verdict)}</span></div>'
        f'<h2>Summary</h2><p id="summary">{_e(report.summary)}</p>{notes}'
        f"<h2>Findings</h2>{_findings_html(report)}"
        f"{_recommendation_html(report.recommendation)}"
        '<h2>Figures</h2><div id="figures"></div>'
        f'<script type="application/json" id="lrdiag-figures">{json_for_script(figs)}</script>'
        f'<script nonce="{nonce}">{plotly_js}</script>'
        f'<script nonce="{nonce}">{_JS}</script>'
        "</body></html>\n"
    )

"""What a report puts on an MLflow run page, and ``write_back`` for runs lrdiag did not log.

MLflow has no UI plugin mechanism for runs, so the run page itself is the surface:

* **tags** ``lrdiag.verdict``, ``lrdiag.suggested_lr``, ``lrdiag.schedule``, ``lrdiag.findings``
  (comma-separated kinds, or ``none``), ``lrdiag.n_findings``, so ``mlflow.search_runs(
  filter_string="tags.\\"lrdiag.verdict\\" = 'divergence'")`` finds runs;
* the **description** (tag ``mlflow.note.content``, Markdown): an lrdiag section between
  ``SECTION_START`` / ``SECTION_END`` markers appended to the user's own text; a later report
  replaces only that section. The whole value stays within MLflow's 8,000-character tag limit
  (findings beyond what fits are summarised as "... and K more");
* **artifacts** under ``lrdiag/``: ``report.json``, ``report.html`` (self-contained: scripts and
  data inline, no network; MLflow's artifact viewer shows it in a sandboxed iframe) and one PNG
  per figure.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import warn
from .tracking import bounded_http, describe, one_clear_error, parse_run_id, resolve_uri

if TYPE_CHECKING:  # pragma: no cover
    from ..history import History
    from ..report import Report
    from .run_target import RunTarget

#: MLflow's limit on a tag value (``mlflow.utils.validation.MAX_TAG_VAL_LENGTH``).
MAX_TAG_CHARS = 8000
ARTIFACT_DIR = "lrdiag"
NOTE_TAG = "mlflow.note.content"
SECTION_START = "<!-- lrdiag:start -->"
SECTION_END = "<!-- lrdiag:end -->"
_SECTION_RE = re.compile(re.escape(SECTION_START) + r".*?" + re.escape(SECTION_END), re.S)


def _fmt_lr(x: Any) -> str | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return f"{v:.4g}" if math.isfinite(v) and v > 0 else None


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
        problems.append(f"report.html ({describe(e)})")
    try:
        from ..figures import build_figures, to_png

        for fig in build_figures(report, history):
            fid = re.sub(r"[^\w-]", "_", str(fig.get("id", "figure")))
            try:
                to_png(fig, art / f"{fid}.png")
            except Exception as e:
                problems.append(f"{fid}.png ({describe(e)})")
    except Exception as e:
        problems.append(f"figures ({describe(e)})")
    return art, problems


def warn_unbuilt(problems: list[str]) -> None:
    """One warning naming the report artifacts that could not be built (none: no warning)."""
    if problems:
        warn(f"lrdiag: some report artifacts were not built: {'; '.join(problems)}", RuntimeWarning, stacklevel=3)


def upload_report(target: "RunTarget", art_dir: Path, tags: Mapping[str, str], section: str) -> None:
    """Upload ``art_dir`` under ``lrdiag/``, set the tags and merge the description section into
    the run's description (keeping the user's text; the section is rebuilt shorter if the
    user's text leaves it less than its length)."""
    client = target.client
    client.log_artifacts(target.run_id, str(art_dir), ARTIFACT_DIR)
    existing = client.get_run(target.run_id).data.tags.get(NOTE_TAG, "")
    user_len = len(_SECTION_RE.sub("", existing).rstrip("\n")) + 2
    if len(section) > MAX_TAG_CHARS - user_len:
        section = _fit_section(section, art_dir, MAX_TAG_CHARS - user_len)
    target.set_tags({**tags, NOTE_TAG: merge_description(existing, section)})


def _fit_section(section: str, art_dir: Path, budget: int) -> str:
    """Rebuild the description section from ``report.json`` to fit ``budget`` characters."""
    from ..report import Report

    report = Report.from_json((art_dir / "report.json").read_text(encoding="utf-8"))
    return description_section(report, budget=max(budget, 0))


def write_back(source: str, report: "Report", history: "History | None", tracking_uri: str | None = None) -> None:
    """Write a report to an existing MLflow run (``mlflow:<run_id>`` / ``runs:/<run_id>``):
    tags, description section and artifacts, exactly as the live sink does at ``close()``."""
    from .run_target import RunTarget

    run_id = parse_run_id(source)
    uri = resolve_uri(tracking_uri)
    with bounded_http(), tempfile.TemporaryDirectory(prefix="lrdiag-writeback-") as tmp:
        art, problems = build_report_files(report, history, tmp)
        warn_unbuilt(problems)
        with one_clear_error(f"cannot write to MLflow run {run_id} at {uri}"):
            target = RunTarget(uri, run_id)
            target.connect()
            upload_report(target, art, report_tags(report), description_section(report))

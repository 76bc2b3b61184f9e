"""The figures, defined once as Plotly figure dicts and rendered by every front end.

``build_figures(report, history)`` returns a list of ``{"id", "title", "data", "layout"}`` dicts
(Plotly's JSON figure format). The TensorBoard tab and the HTML report hand them to Plotly.js
(served from the ``plotly`` Python package, never a CDN); ``to_png`` draws the same dicts with
matplotlib for MLflow artifacts and static use. Nothing here analyses anything: intervals, bands
and suggestions come from the Report.

Figure ids: ``loss_lr`` (loss and LR over steps, finding intervals shaded), ``ratios``
(per-layer update-norm / weight-norm ratio with the healthy band; a heatmap for many layers),
``range_test`` (range-test curve, suggested LR and range), ``schedule`` (the recommended LR
curve). Only figures that have data are returned.
"""

from __future__ import annotations

import html
import math
import os
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np

from . import names

if TYPE_CHECKING:  # pragma: no cover
    from .history import History
    from .report import Report

#: Line layers drawn individually up to this many; more become a layer x step heatmap.
MAX_LAYER_LINES = 24
#: Steps sampled per layer for the heatmap (see _ratios_figure).
HEATMAP_SAMPLE = 50_000
#: Step ranges (columns) of the layer heatmap: about 5 px each on a full-width chart.
HEATMAP_COLUMNS = 250

KIND_COLORS = {
    "divergence": "rgba(214, 39, 40, 0.22)",
    "spike": "rgba(255, 127, 14, 0.22)",
    "oscillation": "rgba(148, 103, 189, 0.22)",
    "plateau": "rgba(127, 127, 127, 0.18)",
    "lr_too_low": "rgba(31, 119, 180, 0.16)",
    "lr_too_high": "rgba(227, 119, 194, 0.18)",
}
DEFAULT_KIND_COLOR = "rgba(188, 189, 34, 0.2)"


def plotly_js_path() -> str:
    """Path of ``plotly.min.js`` shipped inside the ``plotly`` Python package."""
    import plotly

    path = os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")
    if not os.path.exists(path):
        raise FileNotFoundError(f"plotly.min.js not found at {path}; reinstall the 'plotly' package")
    return path


def text(value: Any) -> str:
    """A run-derived string made safe for Plotly text fields (Plotly renders a subset of HTML
    in names and hover text; escaped entities display as the literal characters)."""
    # Only &, < and > : Plotly decodes those entities but shows &quot; literally, and a quote
    # outside a tag is harmless to its pseudo-HTML parser.
    return html.escape(str(value), quote=False)


def downsample_minmax(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Reduce ``(x, y)`` to at most ``max_points`` points, keeping each bucket's min and max.

    The series is cut into ``max_points // 2`` equal-count buckets; from each the smallest and
    largest finite ``y`` are kept, in step order, so spikes and dips survive any zoom level.
    NaN points are dropped first; non-finite values (inf) are kept as they are (they matter).
    """
    x = np.asarray(x)
    y = np.asarray(y, dtype=np.float64)
    keep = ~np.isnan(y)
    x, y = x[keep], y[keep]
    n = y.size
    if n <= max_points or max_points < 4:
        return x, y
    buckets = max_points // 2
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    size = np.diff(edges)
    width = int(size.max())
    # Pad every bucket to the same width so argmin/argmax run as one vectorised pass.
    idx = edges[:-1, None] + np.arange(width)[None, :]
    valid = np.arange(width)[None, :] < size[:, None]
    idx = np.where(valid, idx, edges[:-1, None])
    vals = y[idx]
    lo = np.where(valid, vals, np.inf).argmin(axis=1)
    hi = np.where(valid, vals, -np.inf).argmax(axis=1)
    rows = np.arange(buckets)
    picks = np.sort(np.stack([idx[rows, lo], idx[rows, hi]], axis=1), axis=1).ravel()
    picks = picks[np.concatenate([[True], np.diff(picks) != 0])]
    return x[picks], y[picks]


def _as_report_dict(report: "Report | Mapping[str, Any] | None") -> dict[str, Any]:
    if report is None:
        return {}
    if hasattr(report, "to_dict"):
        return report.to_dict()
    return dict(report)


def _finite_list(a: Iterable[float]) -> list[float | None]:
    return [float(v) if v is not None and math.isfinite(float(v)) else None for v in a]


def _series_trace(history: "History", name: str, label: str, max_points: int, **extra: Any) -> dict[str, Any] | None:
    v = history.series.get(name)
    if v is None:
        return None
    x, y = downsample_minmax(history.steps, v, max_points)
    if y.size == 0:
        return None
    return {"type": "scatter", "mode": "lines", "name": text(label), "x": x.tolist(), "y": _finite_list(y), **extra}


def _loss_lr_figure(rep: Mapping[str, Any], history: "History", max_points: int) -> dict[str, Any] | None:
    data = []
    loss = _series_trace(history, names.LOSS, "loss", max_points, line={"color": "#1f77b4"})
    if loss is None:
        return None
    data.append(loss)
    eval_loss = _series_trace(history, names.EVAL_LOSS, "eval loss", max_points, mode="lines+markers", line={"color": "#2ca02c"})
    if eval_loss:
        data.append(eval_loss)
    for g in history.groups:
        tr = _series_trace(history, names.lr(g), f"lr {g}", max_points, yaxis="y2", line={"dash": "dot"})
        if tr:
            data.append(tr)
    shapes, y_top, bands = [], 1.0, {}
    for f in rep.get("findings") or []:
        color = KIND_COLORS.get(f.get("kind"), DEFAULT_KIND_COLOR)
        x0, x1 = f.get("start_step"), f.get("end_step")
        if x0 is None or x1 is None:
            continue
        if x1 == x0:  # a point event still needs a visible band
            x1 = x0 + max(1, (int(history.steps[-1]) - int(history.steps[0])) // 400) if len(history) else x0 + 1
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": x0, "x1": x1, "y0": 0, "y1": 1,
                       "fillcolor": color, "line": {"width": 0}, "layer": "below"})
        # A line over the interval, on an invisible axis, carries the message for hover and
        # click: one trace per kind, intervals apart (None between them), as each trace costs
        # Plotly more to draw than its points do.
        band = bands.setdefault(f.get("kind"), {
            "type": "scatter", "mode": "lines", "x": [], "y": [], "yaxis": "y3", "line": {"width": 12, "color": color},
            "name": text(f.get("kind", "finding")), "hovertext": [], "hoverinfo": "text", "showlegend": False, "customdata": []})
        band["x"] += [x0, x1, None]
        band["y"] += [y_top, y_top, None]
        band["hovertext"] += [text(f"{f.get('kind')}: {f.get('message', '')}")] * 2 + [None]
        band["customdata"] += [f.get("kind")] * 2 + [None]
    data.extend(bands.values())
    layout = {
        "xaxis": {"title": {"text": "step"}},
        "yaxis": {"title": {"text": "loss"}, "type": "linear"},
        "yaxis2": {"title": {"text": "learning rate"}, "overlaying": "y", "side": "right", "type": "log", "showgrid": False,
                   # Plotly labels a log axis spanning under a decade with bare digits ("8", "2", "4"):
                   # two significant digits read as LRs (0.08, 0.19, 0.44, 1).
                   "tickformat": ".2~g"},
        "yaxis3": {"overlaying": "y", "range": [0, 1.05], "visible": False, "fixedrange": True},
        "shapes": shapes,
        "legend": {"orientation": "h", "y": -0.2},
        "hovermode": "closest",
        "margin": {"l": 60, "r": 70, "t": 40, "b": 40},
    }
    return {"id": "loss_lr", "title": "Loss and learning rate", "data": data, "layout": layout}


def _ratio_band(rep: Mapping[str, Any]) -> tuple[float, float] | None:
    band = (rep.get("meta") or {}).get("ratio_band")
    if isinstance(band, Mapping) and band.get("low") and band.get("high"):
        return float(band["low"]), float(band["high"])
    if isinstance(band, (list, tuple)) and len(band) == 2:
        return float(band[0]), float(band[1])
    return None


def _ratios_figure(rep: Mapping[str, Any], history: "History", max_points: int) -> dict[str, Any] | None:
    layers = history.layers
    if not layers:
        return None
    band = _ratio_band(rep)
    # layers the analysis does not judge against the band (norm gains and biases, embeddings,
    # matrices that started at zero)
    apart = (rep.get("meta") or {}).get("layers_not_judged") or {}
    label = {n: f"{n} (not judged: {apart[n]})" if n in apart else n for n in layers}
    shapes = []
    if band:
        shapes.append({"type": "rect", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": band[0], "y1": band[1],
                       "fillcolor": "rgba(44, 160, 44, 0.12)", "line": {"width": 0}, "layer": "below"})
    title = "Update norm / weight norm per layer"
    if len(layers) <= MAX_LAYER_LINES:
        data = []
        for name in layers:
            row = history.series[names.update_ratio(name)]
            x, y = downsample_minmax(history.steps, row, max_points)
            if y.size:
                trace = {"type": "scatter", "mode": "lines", "name": text(label[name]), "x": x.tolist(), "y": _finite_list(y)}
                if name in apart:
                    trace["line"] = {"dash": "dot"}
                data.append(trace)
        layout = {"xaxis": {"title": {"text": "step"}}, "yaxis": {"title": {"text": "||Δθ|| / ||θ||"}, "type": "log", "exponentformat": "e", "dtick": 1},
                  "shapes": shapes, "hovermode": "closest", "margin": {"l": 70, "r": 20, "t": 40, "b": 40},
                  "legend": {"orientation": "h", "y": -0.2}}
        if band:
            layout["annotations"] = [{"xref": "paper", "yref": "y", "x": 1, "y": math.log10(band[1]), "text": "healthy band",
                                      "showarrow": False, "xanchor": "right", "yanchor": "bottom", "font": {"size": 10}}]
        return {"id": "ratios", "title": title, "data": data, "layout": layout}
    # Many layers: a heatmap of each layer's mean log10(ratio) over equal step ranges (evenly
    # spaced columns: Plotly draws those as one image, twice as fast as uneven ones). The mean
    # is taken over an evenly strided sample of at most HEATMAP_SAMPLE of the steps that hold
    # ratios: a colour per bin needs a typical value, not every step, and this keeps a 1M-step
    # x 200-layer run well under a second.
    rows = [np.asarray(history.series[names.update_ratio(name)], dtype=np.float64) for name in layers]
    steps = history.steps
    any_logged = np.zeros(steps.size, dtype=bool)
    for row in rows:
        any_logged |= np.isfinite(row)
    logged = np.flatnonzero(any_logged)
    if not logged.size:
        return None
    cols = logged[:: max(1, -(-logged.size // HEATMAP_SAMPLE))]
    first, last = float(steps[cols[0]]), float(steps[cols[-1]])
    nbins = int(min(HEATMAP_COLUMNS, max(1, max_points // 4), cols.size))
    dx = (last - first) / nbins if last > first else 1.0
    column = np.minimum(((steps[cols] - first) / dx).astype(np.int64), nbins - 1)
    z = np.full((len(layers), nbins), np.nan)
    with np.errstate(all="ignore"):
        for i, row in enumerate(rows):
            logr = np.log10(row[cols])
            finite = np.isfinite(logr)
            sums = np.bincount(column, weights=np.where(finite, logr, 0.0), minlength=nbins)
            cnt = np.bincount(column, weights=finite, minlength=nbins)
            z[i] = np.where(cnt > 0, sums / np.maximum(cnt, 1), np.nan)
    # A column no layer has a sample in (TensorBoard keeps a random sample of each series) shows
    # the column before it, as a sampled series holds its last value.
    sampled = np.isfinite(z).any(axis=0)
    z = z[:, np.maximum.accumulate(np.where(sampled, np.arange(nbins), 0))]
    colorbar = {"title": {"text": "log10 ratio"}}
    # z is rounded to 0.001 decades (0.2 %): finer than a colour step, and a 200-layer heatmap
    # stays a few hundred kB of JSON instead of ~2 MB.
    data = [{"type": "heatmap", "x0": first + dx / 2, "dx": dx, "y": [text(label[n]) for n in layers], "z": [_finite_list(r) for r in np.round(z, 3)],
             "colorscale": "RdBu", "reversescale": True, "colorbar": colorbar}]
    if band:
        mid = (math.log10(band[0]) + math.log10(band[1])) / 2
        data[0]["zmid"] = mid
        colorbar["title"]["text"] = f"log10 ratio (band {band[0]:.0e}..{band[1]:.0e})"
    layout = {"xaxis": {"title": {"text": "step"}}, "yaxis": {"automargin": True},
              "margin": {"l": 120, "r": 20, "t": 40, "b": 40}}
    return {"id": "ratios", "title": title, "data": data, "layout": layout}


def _range_test_figure(rep: Mapping[str, Any]) -> dict[str, Any] | None:
    rt = rep.get("range_test")
    if not rt or not rt.get("lrs"):
        return None
    data = [{"type": "scatter", "mode": "markers", "name": "loss", "x": _finite_list(rt["lrs"]), "y": _finite_list(rt.get("losses") or []),
             "marker": {"size": 4, "color": "rgba(31,119,180,0.5)"}}]
    if rt.get("smoothed"):
        data.append({"type": "scatter", "mode": "lines", "name": "smoothed", "x": _finite_list(rt["lrs"]),
                     "y": _finite_list(rt["smoothed"]), "line": {"color": "#1f77b4"}})
    shapes, annotations = [], []
    lr_range = rt.get("lr_range")
    if lr_range and all(v for v in lr_range):
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": lr_range[0], "x1": lr_range[1], "y0": 0, "y1": 1,
                       "fillcolor": "rgba(44,160,44,0.15)", "line": {"width": 0}, "layer": "below"})
    if rt.get("suggested_lr"):
        s = float(rt["suggested_lr"])
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": s, "x1": s, "y0": 0, "y1": 1,
                       "line": {"color": "#d62728", "dash": "dash"}})
        annotations.append({"xref": "x", "yref": "paper", "x": math.log10(s), "y": 1, "text": f"suggested {s:.2e}",
                            "showarrow": False, "yanchor": "bottom"})
    layout = {"xaxis": {"title": {"text": "learning rate"}, "type": "log"}, "yaxis": {"title": {"text": "loss"}},
              "shapes": shapes, "annotations": annotations, "margin": {"l": 60, "r": 20, "t": 40, "b": 40}}
    return {"id": "range_test", "title": "LR range test", "data": data, "layout": layout}


def _schedule_figure(rep: Mapping[str, Any]) -> dict[str, Any] | None:
    rec = rep.get("recommendation")
    curve = (rec or {}).get("curve")
    if not curve or not curve.get("steps"):
        return None
    lrs = curve.get("lrs") or curve.get("lr") or []
    data = [{"type": "scatter", "mode": "lines", "name": text(rec.get("kind", "schedule")), "x": list(curve["steps"]),
             "y": _finite_list(lrs), "line": {"color": "#ff7f0e"}}]
    layout = {"xaxis": {"title": {"text": "step"}}, "yaxis": {"title": {"text": "learning rate"}},
              "margin": {"l": 70, "r": 20, "t": 40, "b": 40}}
    return {"id": "schedule", "title": "Recommended schedule", "data": data, "layout": layout}


def build_figures(report: "Report | Mapping[str, Any] | None", history: "History | None" = None, *, max_points: int = 2000) -> list[dict[str, Any]]:
    """The figures for one run: Plotly figure dicts, each ``{"id", "title", "data", "layout"}``.

    ``history`` supplies the series (downsampled to ``max_points`` per trace keeping extremes);
    ``report`` supplies finding intervals, the healthy band (``meta.ratio_band``), the range
    test and the recommendation's curve. Either may be missing; figures without data are left
    out.
    """
    rep = _as_report_dict(report)
    figs: list[dict[str, Any] | None] = []
    if history is not None and len(history):
        figs.append(_loss_lr_figure(rep, history, max_points))
        figs.append(_ratios_figure(rep, history, max_points))
    figs.append(_range_test_figure(rep))
    figs.append(_schedule_figure(rep))
    out = [f for f in figs if f is not None]
    for f in out:
        f["layout"].setdefault("title", {"text": f["title"]})
        f["layout"].setdefault("height", 380)
    return out


# -- static rendering ---------------------------------------------------------------------

def _plain(s: Any) -> str:
    """Undo the Plotly escaping and keep matplotlib from reading ``$`` as math."""
    return html.unescape(str(s)).replace("$", r"\$")


def to_png(fig: Mapping[str, Any], path: str | os.PathLike, *, dpi: int = 110) -> None:
    """Draw one figure dict (from ``build_figures``) to a PNG file with matplotlib."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    layout = fig.get("layout", {})
    mfig, ax = plt.subplots(figsize=(9, 3.8))
    axes = {"y": ax}
    try:
        for tr in fig.get("data", []):
            if tr.get("type") == "heatmap":
                z = np.array([[np.nan if v is None else v for v in row] for row in tr["z"]], dtype=float)
                x = tr.get("x") or (tr.get("x0", 0) + tr.get("dx", 1) * np.arange(z.shape[1]))
                mesh = ax.pcolormesh(np.asarray(x, dtype=float), np.arange(z.shape[0]), z, cmap="RdBu_r", shading="nearest")
                every = max(1, z.shape[0] // 30)  # at most ~30 readable layer labels
                ax.set_yticks(np.arange(0, z.shape[0], every))
                ax.set_yticklabels([_plain(n) for n in tr.get("y", [])][::every], fontsize=6)
                mfig.colorbar(mesh, ax=ax, label="log10 ratio")
                continue
            yaxis = tr.get("yaxis", "y")
            if yaxis == "y3":  # hover carriers for finding intervals: the shading shows them
                continue
            if yaxis not in axes:
                axes[yaxis] = ax.twinx()
            target = axes[yaxis]
            xs = np.asarray(tr.get("x", []), dtype=float)
            ys = np.asarray([np.nan if v is None else v for v in tr.get("y", [])], dtype=float)
            if tr.get("mode") == "markers":
                kw = {"marker": ".", "linestyle": "none", "markersize": 2}
            else:
                kw = {"linestyle": ":" if (tr.get("line") or {}).get("dash") in ("dot", "dash") else "-", "linewidth": 1}
            target.plot(xs, ys, label=_plain(tr.get("name", "")), **kw)
        for key, axis in (("xaxis", ax), ("yaxis", ax), ("yaxis2", axes.get("y2"))):
            spec = layout.get(key) or {}
            if axis is None:
                continue
            if spec.get("type") == "log":
                (axis.set_xscale if key == "xaxis" else axis.set_yscale)("log")
            title = (spec.get("title") or {}).get("text")
            if title:
                (axis.set_xlabel if key == "xaxis" else axis.set_ylabel)(_plain(title))
        for sh in layout.get("shapes", []):
            color = _rgba(sh.get("fillcolor") or (sh.get("line") or {}).get("color", "gray"))
            if sh.get("type") == "rect" and sh.get("yref") == "paper":
                ax.axvspan(sh["x0"], sh["x1"], color=color, lw=0)
            elif sh.get("type") == "rect" and sh.get("xref") == "paper":
                ax.axhspan(sh["y0"], sh["y1"], color=color, lw=0)
            elif sh.get("type") == "line":
                ax.axvline(sh["x0"], color=color, linestyle="--")
        ax.set_title(_plain(fig.get("title", "")))
        handles = [h for a in axes.values() for h in a.get_legend_handles_labels()[0]]
        if 0 < len(handles) <= 12:
            ax.legend(handles=handles, fontsize=7, loc="best")
        mfig.tight_layout()
        mfig.savefig(path, dpi=dpi)
    finally:
        plt.close(mfig)


def _rgba(color: str) -> Any:
    """Plotly 'rgba(r, g, b, a)' -> a matplotlib colour tuple; other strings pass through."""
    c = str(color).strip()
    if c.startswith("rgb"):
        parts = [float(p) for p in c[c.index("(") + 1 : c.index(")")].split(",")]
        rgb = [p / 255 for p in parts[:3]]
        return (*rgb, parts[3] if len(parts) > 3 else 1.0)
    return c

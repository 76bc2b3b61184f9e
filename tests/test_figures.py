"""Figures: built once as Plotly dicts; downsampling keeps extremes; run strings stay text."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lrdiag import figures, names
from lrdiag.history import History
from lrdiag.report import Finding, Report

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def _history(n=5000, layers=3, seed=0):
    rng = np.random.default_rng(seed)
    steps = np.arange(n)
    series = {
        names.LOSS: 2 * (steps + 10.0) ** -0.3 + 0.02 * rng.standard_normal(n),
        names.lr("group0"): np.linspace(1e-3, 1e-5, n),
    }
    for i in range(layers):
        series[names.update_ratio(f"block{i}.{HOSTILE}")] = np.abs(1e-3 * (1 + 0.3 * rng.standard_normal(n)))
    return History(steps, series, {"run": HOSTILE})


def _report():
    return Report(
        run=HOSTILE, steps=(0, 4999),
        findings=[Finding("spike", 2500, 2510, "warning", 0.9, 1e-3, HOSTILE)],
        range_test={"lrs": list(np.logspace(-6, 0, 50)), "losses": list(np.linspace(2, 1, 50)),
                    "smoothed": list(np.linspace(2, 1, 50)), "suggested_lr": 1e-3, "lr_range": [1e-4, 1e-2]},
        recommendation={"kind": "one_cycle", "curve": {"steps": [0, 50, 100], "lrs": [1e-4, 1e-2, 1e-6]}},
        meta={"ratio_band": {"low": 1e-4, "high": 1e-2}},
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=False, width=32), min_size=0, max_size=3000),
       st.integers(min_value=4, max_value=400))
def test_downsample_keeps_min_max_and_order(values, max_points):
    y = np.asarray(values, dtype=np.float64)
    x = np.arange(y.size)
    dx, dy = figures.downsample_minmax(x, y, max_points)
    finite = y[~np.isnan(y)]
    assert dy.size <= max_points
    assert np.all(np.diff(dx) > 0)  # step order kept, no duplicates
    if finite.size:
        assert dy.max() == finite.max() and dy.min() == finite.min()
        assert np.array_equal(dy, y[dx])  # every kept point is a real point


def test_build_figures_has_every_figure_and_is_json():
    figs = figures.build_figures(_report(), _history())
    assert [f["id"] for f in figs] == ["loss_lr", "ratios", "range_test", "schedule"]
    json.dumps(figs, allow_nan=False)
    loss_lr = figs[0]
    # the finding's interval is shaded and its message rides on a hover trace
    assert any(s["x0"] == 2500 and s["x1"] == 2510 for s in loss_lr["layout"]["shapes"])
    ratios = figs[1]
    assert ratios["layout"]["shapes"][0]["y0"] == 1e-4 and ratios["layout"]["shapes"][0]["y1"] == 1e-2


def test_layers_not_judged_are_drawn_dotted_and_named_so():
    """A layer the analysis does not judge against the band (``meta.layers_not_judged``: a norm's
    gains, an embedding) is drawn dotted, its name saying so; in the heatmap its row label does."""
    h = _history()
    apart = h.layers[1]
    rep = _report()
    rep.meta["layers_not_judged"] = {apart: "vector"}
    traces = {t["name"]: t for t in figures.build_figures(rep, h)[1]["data"]}
    named = figures.text(f"{apart} (not judged: vector)")
    assert traces[named]["line"] == {"dash": "dot"}
    assert all("line" not in t for n, t in traces.items() if n != named)
    many = _history(n=2000, layers=figures.MAX_LAYER_LINES + 2)
    rep.meta["layers_not_judged"] = {many.layers[0]: "embedding"}
    rows = figures.build_figures(rep, many, max_points=400)[1]["data"][0]["y"]
    assert rows[0] == figures.text(f"{many.layers[0]} (not judged: embedding)") and "not judged" not in rows[1]


def test_run_strings_are_escaped_text():
    blob = json.dumps(figures.build_figures(_report(), _history()))
    assert "<script>" not in blob and "<img" not in blob
    assert "&lt;script&gt;" in blob


def test_many_layers_become_a_bounded_heatmap():
    h = _history(n=20000, layers=figures.MAX_LAYER_LINES + 6)
    fig = figures.build_figures(None, h, max_points=400)[1]
    assert fig["data"][0]["type"] == "heatmap"
    z = np.array(fig["data"][0]["z"], dtype=float)
    assert z.shape == (figures.MAX_LAYER_LINES + 6, 100)
    assert np.allclose(np.nanmean(z), -3, atol=0.1)  # ratios ~1e-3 -> log10 ~ -3


def _layers_logged_at(steps_logged: np.ndarray, n: int, layers: int, value) -> History:
    """A History of n steps whose layer ratios hold ``value(step)`` only at ``steps_logged``."""
    steps = np.arange(n)
    series = {names.LOSS: np.ones(n), names.lr("group0"): np.full(n, 1e-3)}
    for i in range(layers):
        row = np.full(n, np.nan)
        row[steps_logged] = value(steps_logged)
        series[names.update_ratio(f"layer{i}")] = row
    return History(steps, series, {})


def test_heatmap_columns_are_even_step_ranges_at_the_right_steps():
    # Ratios logged every 10 steps (loss every step), densely early and sparsely late: a
    # column's colour is the mean over its own step range, wherever the ratios were logged.
    n = 100_000
    logged = np.concatenate([np.arange(0, 10_000, 10), np.arange(10_000, n, 1000)])
    h = _layers_logged_at(logged, n, figures.MAX_LAYER_LINES + 1, lambda s: 10.0 ** (-4 + 2 * s / n))
    trace = figures.build_figures(None, h, max_points=400)[1]["data"][0]
    assert trace["type"] == "heatmap" and "x" not in trace
    z = np.array(trace["z"], dtype=float)
    assert z.shape == (figures.MAX_LAYER_LINES + 1, 100) and np.isfinite(z).all()
    centres = trace["x0"] + trace["dx"] * np.arange(100)
    assert trace["x0"] - trace["dx"] / 2 == 0 and centres[-1] + trace["dx"] / 2 == logged[-1]
    # log10 ratio rises linearly from -4 to -2 with the step: each column sits within one of
    # its own range's values (a column holding only the early, dense steps would read -4).
    assert np.all(np.abs(z[0] - (-4 + 2 * centres / n)) <= 2 * trace["dx"] / n + 1e-3)


def test_heatmap_column_between_samples_shows_the_column_before():
    # TensorBoard keeps a random sample of each series: a step range may hold no sample.
    n = 10_000
    rng = np.random.default_rng(1)
    logged = np.sort(rng.choice(n, 120, replace=False))
    h = _layers_logged_at(logged, n, figures.MAX_LAYER_LINES + 1, lambda s: 10.0 ** (-3 + s / n))
    z = np.array(figures.build_figures(None, h, max_points=400)[1]["data"][0]["z"], dtype=float)
    assert z.shape[1] == 100 and np.isfinite(z).all()
    column = np.minimum((logged - logged[0]) // ((logged[-1] - logged[0]) / 100), 99)
    empty = sorted(set(range(100)) - set(column.astype(int)))
    assert empty  # this sample leaves some ranges empty
    for j in empty:
        assert z[0, j] == z[0, j - 1]
    assert np.all(np.diff(z[0]) >= -1e-3)  # still rising: nothing out of order


def test_finding_hover_bands_are_one_trace_per_kind():
    rep = _report()
    rep.findings += [Finding("spike", 3000, 3001, "warning", 0.8, 1e-3, "second spike"),
                     Finding("plateau", 4000, 4999, "info", 0.7, 1e-5, "flat")]
    bands = [t for t in figures.build_figures(rep, _history())[0]["data"] if t.get("yaxis") == "y3"]
    assert sorted(t["name"] for t in bands) == ["plateau", "spike"]
    spike = next(t for t in bands if t["name"] == "spike")
    assert spike["x"] == [2500, 2510, None, 3000, 3001, None]
    assert spike["customdata"] == ["spike", "spike", None] * 2
    assert spike["hovertext"][3] == "spike: second spike" and len(spike["hovertext"]) == 6


def test_no_history_gives_only_report_figures():
    assert [f["id"] for f in figures.build_figures(_report())] == ["range_test", "schedule"]
    assert figures.build_figures(None, History([], {})) == []


def test_png_rendering(tmp_path):
    h = _history(n=3000, layers=figures.MAX_LAYER_LINES + 2)
    for fig in figures.build_figures(_report(), h):
        out = tmp_path / f"{fig['id']}.png"
        figures.to_png(fig, out)
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000


def test_plotly_js_is_shipped_locally():
    path = figures.plotly_js_path()
    with open(path, encoding="utf-8") as f:
        head = f.read(4000)
    assert "plotly" in head.lower()

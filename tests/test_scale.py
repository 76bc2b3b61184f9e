"""Scale (issue 8): many steps x many layers through the real sinks, then load and analyse.

CI-sized (200,000 steps x 200 layers = 40 M values); ``benchmarks/overhead.py`` and
``benchmarks/detectors.py`` print the 1,000,000-step numbers. The printed lines are the measurement;
the assertions are the guarantees: every value comes back, the store stays compact, and analysis
of the whole run takes seconds.
"""

from __future__ import annotations

import time

import numpy as np

import lrdiag
from lrdiag import names
from lrdiag.sinks.local_sink import LocalStoreSink

STEPS, LAYERS, BLOCK = 200_000, 200, 2_000


def test_large_run_is_compact_reads_back_exactly_and_analyses_in_seconds(tmp_path):
    rng = np.random.default_rng(0)
    layers = [names.update_ratio(f"blocks.{i}.mlp") for i in range(LAYERS)]
    sink = LocalStoreSink(tmp_path)
    sink.open({"optimizer": "AdamW", "layers": layers, "groups": ["group0"]})
    kept = {}
    t0 = time.thread_time()
    for start in range(0, STEPS, BLOCK):
        st = np.arange(start, start + BLOCK, dtype=np.int64)
        cols = {
            names.LOSS: (3.0 * (st + 100.0) ** -0.25 * np.exp(rng.normal(0, 0.05, BLOCK))).astype(np.float32),
            names.lr("group0"): np.full(BLOCK, 3e-4, dtype=np.float32),
        }
        for name in layers:
            cols[name] = (1e-3 * np.exp(rng.normal(0, 0.3, BLOCK))).astype(np.float32)
        if start == 100 * BLOCK:
            kept = {k: (st, v.copy()) for k, v in cols.items() if k in (names.LOSS, layers[7])}
        sink.write(st, cols)
    write_cpu = time.thread_time() - t0
    sink.close()
    values = STEPS * (LAYERS + 2)
    on_disk = sum(f.stat().st_size for f in tmp_path.glob("*.lrstore"))
    assert on_disk == sink.bytes_written
    bytes_per_value = on_disk / values
    print(f"\nscale: wrote {values:,} values in {write_cpu:.1f} CPU s ({values / write_cpu / 1e6:.1f} M values/s), "
          f"{bytes_per_value:.2f} bytes/value")
    # float32 plus framing: noisy ratios do not compress much, but nothing beyond the values is stored
    assert bytes_per_value < 4.5

    t0 = time.perf_counter()
    history = lrdiag.load(tmp_path)
    load_s = time.perf_counter() - t0
    assert len(history) == STEPS and len(history.layers) == LAYERS
    for name, (st, v) in kept.items():
        idx = np.searchsorted(history.steps, st)
        np.testing.assert_array_equal(history.series[name][idx], v)

    t0 = time.perf_counter()
    report = lrdiag.analyze(history)
    analyze_s = time.perf_counter() - t0
    print(f"scale: load {load_s:.2f} s, analyze {analyze_s:.2f} s, verdict {report.verdict}")
    assert analyze_s < 20  # "seconds", with room for a slow CI machine
    assert report.steps == (0, STEPS - 1)


def test_thousands_of_layers_are_all_recorded_and_analysed_in_seconds(tmp_path):
    """3,000 layers (6,000 parameters) in a real training: every layer's ratio is recorded each
    step, and the analysis (which once looped over layers in Python) still takes seconds."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(*[nn.Linear(4, 4) for _ in range(3000)])
    model[5].requires_grad_(False)  # frozen layers among them
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    x = torch.randn(8, 4)
    with lrdiag.Monitor(opt, model, logdir=tmp_path, analyze_on_close=False) as mon:
        for _ in range(40):
            opt.zero_grad()
            loss = model(x).pow(2).mean()
            loss.backward()
            mon.log_loss(loss)
            opt.step()
    history = lrdiag.load(tmp_path)
    assert len(history) == 40 and len(history.layers) == 2999  # the frozen layer has no update
    names_, ratios = history.layer_ratios()
    # finite everywhere; gradients vanish through 3,000 plain layers, so only the last ones move
    assert np.isfinite(ratios).all() and (ratios >= 0).all() and (ratios[-10:] > 0).all()
    t0 = time.perf_counter()
    report = lrdiag.analyze(history)
    analyze_s = time.perf_counter() - t0
    print(f"\n3,000 layers: analyze {analyze_s:.2f} s, verdict {report.verdict}")
    assert analyze_s < 20

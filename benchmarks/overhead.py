"""What the Monitor costs a training loop: interleaved timings with and without it, in one process.

    python benchmarks/overhead.py            # full run (a few minutes on one CPU thread)
    python benchmarks/overhead.py --quick    # fewer repetitions
    python benchmarks/overhead.py --no-fused # the torch._foreach_* path only (LRDIAG_FUSED=0)
    python benchmarks/overhead.py --threads 2

Workloads (one CPU thread, ``torch.set_num_threads(1)``, unless ``--threads``):
  (a) MLP of about 4M parameters, batch 256, Adam;
  (b) a small CNN on 32x32 images, batch 64, SGD with momentum.
With ``--device cuda`` (a GPU): (c) a 12-layer transformer language model of about 100M
parameters, batch 16 x 512 tokens, bf16 autocast, AdamW; (d) the same at 6 layers (56M) with SGD and
momentum; (e) the MLP of (a), whose sub-millisecond steps show the hooks' CPU cost when the GPU
waits on the host. There a block is timed in wall-clock seconds between two
``torch.cuda.synchronize()`` calls (process CPU time does not see GPU work), the phase line is
left out, a fifth copy, "every=1 eager", runs the Monitor without CUDA graphs
(``cuda_graphs=False``), and a last line gives each copy's GPU kernel time per step from
``torch.profiler`` (steady where wall-clock ratios on a shared host are not).
For each, four copies of the same model and optimizer train side by side: no Monitor, a second
copy with no Monitor ("A/A": its ratio shows the measure's own noise and bias), a Monitor at every
step, and a Monitor with ``ratio_every=10``. Blocks of steps of each copy are interleaved
(random order per repetition) so that drifts in machine load hit all of them alike; the printed ratio
is the median over repetitions of (block CPU time with Monitor) / (block CPU time without), where
CPU time is ``time.process_time()`` of the whole process, so the writer thread's work counts.
On a shared machine that ratio is still noisy (other processes evict caches), so a second,
"self-measured" ratio is printed: 1 + (CPU time inside the Monitor's step hooks, measured with
``time.thread_time()``, + CPU time of its writer thread) / (CPU time of a step without Monitor).
A third line splits the training thread's CPU time by phase (forward+backward; optimizer.step
less the hooks): a Monitor that slowed training indirectly (evicted caches, memory pressure) would
show phase ratios above 1; the line's total adds the hooks back.

Warm-up: the Monitor compiles its fused C kernel (``lrdiag.fused``) on first use in a background
thread and uses the foreach path until it is ready. The warm-up waits for that build (and then
runs a few steps of every copy), so the timed blocks measure the steady state; each line says
which path the timed ratio steps took ("norms: fused" or "norms: foreach").

Also printed: the Monitor's extra memory (snapshot buffers + row buffer, counted exactly; on CUDA
the measured peak difference), a line with MLflow on (local SQLite in a temp dir), and a scale line
(1,000,000 steps x 200 layers of synthetic rows through the local store and TensorBoard sinks).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import lrdiag  # noqa: E402
import lrdiag.fused  # noqa: E402
from lrdiag import names  # noqa: E402


def mlp_4m() -> nn.Module:
    return nn.Sequential(nn.Linear(1024, 2048), nn.ReLU(), nn.Linear(2048, 1024), nn.ReLU(), nn.Linear(1024, 10))


def small_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10),
    )


class TinyLM(nn.Module):
    """A GPT-like model: token and position embeddings, pre-norm causal transformer blocks, a tied head."""

    def __init__(self, layers: int, vocab: int = 16384, d: int = 768, heads: int = 12, context: int = 512):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(context, d)
        block = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        # a buffer, so it moves with the model: a CPU mask copied in each forward would sync the host
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(context), persistent=False)
        nn.init.normal_(self.tok.weight, std=0.02)  # GPT-2's scale: logits of order 1 through the tied head
        nn.init.normal_(self.pos.weight, std=0.02)

    def forward(self, x):
        h = self.tok(x) + self.pos.weight[: x.shape[1]]
        h = self.blocks(h, mask=self.mask[: x.shape[1], : x.shape[1]], is_causal=True)
        return (self.norm(h) @ self.tok.weight.T).flatten(0, 1)


def tokens(batch: int, context: int = 512, vocab: int = 16384):
    def make(g):
        x = torch.randint(0, vocab, (batch, context + 1), generator=g)
        return x[:, :-1], x[:, 1:].flatten()
    return make


def classes(*shape: int):
    def make(g):
        return torch.randn(*shape, generator=g), torch.randint(0, 10, (shape[0],), generator=g)
    return make


WORKLOADS = {
    "mlp_4m_adam_b256": dict(model=mlp_4m, data=classes(256, 1024), opt=lambda p: torch.optim.Adam(p, lr=1e-3)),
    "cnn_sgd_b64": dict(model=small_cnn, data=classes(64, 3, 32, 32), opt=lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)),
}
GPU_WORKLOADS = {
    "lm_100m_adamw_bf16": dict(model=lambda: TinyLM(12), data=tokens(16), autocast=torch.bfloat16,
                               opt=lambda p: torch.optim.AdamW(p, lr=3e-4, weight_decay=0.1)),
    "lm_56m_sgd_bf16": dict(model=lambda: TinyLM(6), data=tokens(16), autocast=torch.bfloat16,
                            opt=lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    "mlp_4m_adam_b256": WORKLOADS["mlp_4m_adam_b256"],
}


class Copy:
    """One model + optimizer (+ Monitor) trained in blocks of steps."""

    def __init__(self, spec, monitor_kwargs, logdir, device="cpu"):
        torch.manual_seed(0)
        self.device = torch.device(device)
        self.model = spec["model"]().to(self.device)
        self.opt = spec["opt"](self.model.parameters())
        self.autocast = spec.get("autocast")
        g = torch.Generator().manual_seed(1)
        self.x, self.y = (t.to(self.device) for t in spec["data"](g))
        self.loss_fn = nn.CrossEntropyLoss()
        self.phases: list[tuple[float, float]] = []  # per block: (forward+backward, optimizer.step) s/step
        self.mon = None
        if monitor_kwargs is not None:
            self.mon = lrdiag.Monitor(self.opt, self.model, logdir=logdir, analyze_on_close=False, **monitor_kwargs)

    def block(self, steps: int) -> float:
        # CPU time of the whole process (training thread + lrdiag's writer thread): on a shared,
        # overloaded machine wall time mostly measures the neighbours, CPU time measures us.
        # Also kept, per step: the training thread's CPU time in forward+backward and in
        # optimizer.step() (which includes the Monitor's hooks), to split direct from indirect cost.
        # On a GPU, wall-clock time between two synchronizations: the device's work is what counts.
        cuda = self.device.type == "cuda"
        clock = time.perf_counter if cuda else time.process_time
        if cuda:
            torch.cuda.synchronize()
        t = clock()
        fb = st = 0.0
        for _ in range(steps):
            t0 = time.thread_time()
            self.opt.zero_grad(set_to_none=True)
            with torch.autocast(self.device.type, dtype=self.autocast or torch.bfloat16, enabled=self.autocast is not None):
                loss = self.loss_fn(self.model(self.x).float(), self.y)
            loss.backward()
            if self.mon is not None:
                self.mon.log_loss(loss)
            t1 = time.thread_time()
            self.opt.step()
            t2 = time.thread_time()
            fb, st = fb + (t1 - t0), st + (t2 - t1)
        self.phases.append((fb / steps, st / steps))
        if cuda:
            torch.cuda.synchronize()
        return clock() - t

    def extra_bytes(self) -> int:
        if self.mon is None:
            return 0
        plan = self.mon._plan
        snaps = sum(t.numel() * t.element_size() for t in plan.snaps if t is not None)
        return snaps + self.mon._rows.numel() * self.mon._rows.element_size()

    def own_cpu(self) -> tuple[float, float]:
        """CPU seconds the Monitor itself used: in the step hooks, and on its writer thread."""
        if self.mon is None:
            return 0.0, 0.0
        self.mon.flush()
        return self.mon.hook_cpu_seconds, self.mon._writer.cpu_seconds

    def close(self):
        if self.mon is not None:
            self.mon.close()


def measure(name, spec, configs, reps, block, tmp, device="cpu"):
    copies = {label: Copy(spec, kw, Path(tmp) / f"{name}-{label}", device) for label, kw in configs.items()}
    lrdiag.fused.wait(timeout=300)  # the background compile of the C kernel (no-op when switched off)
    for c in copies.values():
        c.block(3)  # warm-up: allocator, optimizer state, Monitor buffers, the kernel's tables
        c.phases.clear()
    paths0 = {label: dict(c.mon.norm_paths) for label, c in copies.items() if c.mon is not None}
    times = {label: [] for label in copies}
    own0 = {label: c.own_cpu() for label, c in copies.items()}
    for _ in range(reps):
        order = list(copies)
        random.shuffle(order)
        for label in order:
            times[label].append(copies[label].block(block))
    base = times["off"]
    timed_steps = reps * block
    own = {label: [(b - a) / timed_steps for a, b in zip(own0[label], c.own_cpu())] for label, c in copies.items()}
    paths = {label: {k: v - paths0[label][k] for k, v in c.mon.norm_paths.items()} for label, c in copies.items() if c.mon is not None}
    out = {}
    for label in copies:
        if label == "off":
            continue
        ratios = [t / b for t, b in zip(times[label], base)]
        q = statistics.quantiles(ratios, n=4) if len(ratios) >= 4 else [min(ratios), 0, max(ratios)]
        out[label] = (statistics.median(ratios), q[0], q[2], copies[label].extra_bytes(), own[label],
                      path_label(paths[label]) if label in paths else "-",
                      phase_ratios(copies[label].phases, copies["off"].phases, own[label][0]))
    step_ms = statistics.median(base) / block * 1e3
    params = sum(p.numel() for p in copies["off"].model.parameters())
    if device == "cuda":  # the GPU's own time, from the profiler: steady where wall-clock ratios are not
        for label, c in copies.items():
            out.setdefault(label, None)
            out[f"gpu:{label}"] = gpu_kernel_ms(c, block)
    for c in copies.values():
        c.close()
    return step_ms, params, out


def gpu_kernel_ms(copy: "Copy", steps: int) -> float:
    """Milliseconds of GPU kernel time per step over ``steps`` steps, summed from the profiler's
    CUDA records (kernels, copies and memsets; those inside a replayed CUDA graph count too)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        copy.block(steps)
    total_us = sum(getattr(e, "self_device_time_total", 0.0) for e in prof.key_averages())
    return total_us / steps / 1e3


def phase_ratios(mine: list[tuple[float, float]], base: list[tuple[float, float]], hook_s: float) -> tuple[float, float, float]:
    """Median over interleaved block pairs of forward+backward time with/without the Monitor, the
    same for ``optimizer.step()`` less the Monitor's hooks (``hook_s`` per step), and the total
    (sum of the three parts' medians over the base's): an indirect cost (caches, memory) would show
    as a phase ratio above 1."""
    fb = statistics.median(a[0] / b[0] for a, b in zip(mine, base))
    st = statistics.median((a[1] - hook_s) / b[1] for a, b in zip(mine, base))
    fb0, st0 = statistics.median(b[0] for b in base), statistics.median(b[1] for b in base)
    total = (fb * fb0 + st * st0 + hook_s) / (fb0 + st0)
    return fb, st, total


def path_label(counts: dict[str, int]) -> str:
    """Which norm path the timed ratio steps took: "fused", "foreach" or a mix with counts."""
    used = {k: v for k, v in counts.items() if v}
    if len(used) == 1:
        return next(iter(used))
    return ", ".join(f"{k} {v}" for k, v in used.items()) or "none"


def scale_line(steps: int, layers: int, tmp: str, tb_steps: int) -> str:
    """Synthetic rows through the sinks: write throughput and store bytes per value."""
    from lrdiag.sinks.local_sink import LocalStoreSink
    from lrdiag.sinks.tensorboard_sink import TensorBoardSink

    rng = np.random.default_rng(0)
    block = 1000
    cols = [names.LOSS, names.lr("group0"), names.GRAD_NORM] + [names.update_ratio(f"layers.{i}") for i in range(layers)]
    store = LocalStoreSink(Path(tmp) / "scale")
    store.open({"layers": cols})
    t = time.thread_time()  # CPU time of this thread: what a writer thread would spend
    ratio = 1e-3 * np.exp(rng.normal(0, 0.3, size=(len(cols), block)))
    for start in range(0, steps, block):
        st = np.arange(start, start + block, dtype=np.int64)
        data = {c: ratio[i] * (1 + 1e-4 * (start // block)) for i, c in enumerate(cols)}
        store.write(st, data)
    dt_store = time.thread_time() - t
    values = steps * len(cols)
    store.close()
    bpv = store.bytes_written / values
    tb = TensorBoardSink(Path(tmp) / "scale")
    tb.open({})
    t = time.thread_time()
    for start in range(0, tb_steps, block):
        st = np.arange(start, start + block, dtype=np.int64)
        tb.write(st, {c: ratio[i] for i, c in enumerate(cols)})
    dt_tb = time.thread_time() - t
    tb.close()
    return (f"scale: {steps:,} steps x {len(cols)} series through the local store: {values / dt_store / 1e6:.1f} M values/s "
            f"({dt_store:.1f} CPU s = {dt_store / steps * 1e6:.0f} us per step, {bpv:.2f} bytes/value, {store.bytes_written / 1e6:.0f} MB); "
            f"TensorBoard sink: {tb_steps * len(cols) / dt_tb / 1e6:.2f} M values/s "
            f"({dt_tb / tb_steps * 1e6:.0f} us per {len(cols)}-value step on the writer thread)")


def mlflow_line(reps: int, block: int, tmp: str) -> str:
    try:
        import lrdiag.sinks.mlflow_sink  # noqa: F401
    except Exception as e:
        return f"mlflow: skipped (lrdiag.sinks.mlflow_sink unavailable: {type(e).__name__})"
    uri = f"sqlite:///{Path(tmp) / 'mlflow.db'}"
    spec = WORKLOADS["mlp_4m_adam_b256"]
    step_ms, _, out = measure("mlflow", spec, {"off": None, "mlflow": dict(mlflow=uri)}, reps, block, tmp)
    r, lo, hi, _, (hook, writer), _path, _phases = out["mlflow"]
    own = 1 + (hook + writer) / (step_ms / 1e3)
    return f"mlflow on (sqlite, same MLP): {r:.3f}x (IQR {lo:.3f}-{hi:.3f}), self-measured {own:.4f}x (writer thread {writer * 1e3:.2f} ms/step; MLflow's own sender thread not counted here)"


def adam_state_line(reps: int = 10) -> str:
    """Can Adam's moments replace the snapshot? ||Δθ|| = lr_t·||m / (sqrt(v) + eps)|| needs sqrt,
    add and div passes over two state tensors: compare with snapshot + subtract + norm."""
    torch.manual_seed(0)
    model = mlp_4m()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for p in model.parameters():
        p.grad = torch.randn_like(p)
    opt.step()
    ps = [p.detach() for p in model.parameters()]
    m = [opt.state[p]["exp_avg"] for p in model.parameters()]
    v = [opt.state[p]["exp_avg_sq"] for p in model.parameters()]
    snaps = [torch.empty_like(p) for p in ps]

    def from_moments():
        d = torch._foreach_sqrt(v)
        torch._foreach_add_(d, 1e-8)
        torch._foreach_div_(d, m)  # (sqrt(v)+eps)/m: the same passes as m/(sqrt(v)+eps)
        return torch._foreach_norm(d)

    def from_snapshot():
        torch._foreach_copy_(snaps, ps)
        torch._foreach_sub_(snaps, ps)
        return torch._foreach_norm(snaps)

    def cpu_ms(fn):
        fn()
        t = time.process_time()
        for _ in range(reps):
            fn()
        return (time.process_time() - t) / reps * 1e3

    a, b = statistics.median(cpu_ms(from_moments) for _ in range(3)), statistics.median(cpu_ms(from_snapshot) for _ in range(3))
    return (f"adam: ||Δθ|| from the moments {a:.1f} ms vs snapshot+subtract+norm {b:.1f} ms per step "
            f"({'moments faster' if a < b else 'the snapshot path is faster: Adam uses it'})")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--block", type=int, default=10, help="steps per timed block")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--scale-steps", type=int, default=1_000_000)
    ap.add_argument("--tb-steps", type=int, default=20_000)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (the fused kernel uses as many)")
    ap.add_argument("--no-fused", action="store_true", help="Monitor(fused=False): the torch._foreach_* path only")
    ap.add_argument("--only", choices=sorted(WORKLOADS | GPU_WORKLOADS), help="one workload, and skip the adam/mlflow/scale lines")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                    help="cuda: the GPU workloads, timed in wall-clock seconds (the CPU-only lines are left out)")
    args = ap.parse_args(argv)
    cuda = args.device == "cuda"
    if cuda and not torch.cuda.is_available():
        ap.error("--device cuda: torch sees no CUDA device")
    if args.quick:
        args.reps, args.block, args.scale_steps, args.tb_steps = 5, 5, 100_000, 5_000
    torch.set_num_threads(args.threads)
    random.seed(0)
    fused = False if args.no_fused else None
    if cuda:
        print(f"device: {torch.cuda.get_device_name()}; wall-clock time per block between CUDA synchronizations")
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.reps} interleaved repetitions of {args.block}-step blocks; "
          f"fused kernel: {'off' if args.no_fused else lrdiag.fused.status() if lrdiag.fused.wait(300) is None else 'ready'}")
    # "A/A": a second copy without the Monitor, timed like the others: its ratio to "off" is what
    # the interleaved measure reads when there is nothing to measure (its noise and bias here).
    configs = {"off": None, "A/A no Monitor": None, "every=1": dict(every=1, ratio_every=1, fused=fused),
               "ratio_every=10": dict(every=1, ratio_every=10, fused=fused)}
    if cuda:  # the same Monitor without CUDA graphs: what replaying the ratio step saves
        configs["every=1 eager"] = dict(every=1, ratio_every=1, cuda_graphs=False)
    with tempfile.TemporaryDirectory() as tmp:
        for name, spec in (GPU_WORKLOADS if cuda else WORKLOADS).items():
            if args.only and name != args.only:
                continue
            step_ms, params, out = measure(name, spec, configs, args.reps, args.block, tmp, args.device)
            print(f"{name}: {params / 1e6:.2f}M params, {step_ms:.1f} ms/step without Monitor")
            gpu = {k[4:]: out.pop(k) for k in list(out) if k.startswith("gpu:")}
            out = {k: v for k, v in out.items() if v is not None}
            for label, (r, lo, hi, extra, (hook, writer), path, (fb, st, total)) in out.items():
                own = 1 + (hook + writer) / (step_ms / 1e3)
                # on a GPU the hooks' CPU time overlaps the device's work: a share of the step, not a ratio
                own_txt = f"hooks' CPU time {hook / (step_ms / 1e3):.2%} of the step" if cuda else f"self-measured {own:.4f}x"
                print(f"  {label:15s} {r:.3f}x  (IQR {lo:.3f}-{hi:.3f})  {own_txt} "
                      f"(hooks {hook * 1e3:.2f} ms + writer {writer * 1e3:.3f} ms per step)  extra memory {extra / 2**20:.1f} MiB  norms: {path}")
                if not cuda:
                    print(f"  {'':15s} by phase: forward+backward {fb:.3f}x, optimizer.step less hooks {st:.3f}x, "
                          f"with the hooks {total:.3f}x of the training thread (+ writer {writer / (step_ms / 1e3):.2%})")
            if gpu:
                g0 = gpu["off"]
                print(f"  GPU kernel time per step (profiler): no Monitor {g0:.2f} ms; " + "; ".join(
                    f"{label} {g:.2f} ms ({g / g0:.3f}x)" for label, g in gpu.items() if label != "off"))
        if args.only or cuda:
            return
        print(adam_state_line())
        print(mlflow_line(max(3, args.reps // 3), args.block, tmp))
        print(scale_line(args.scale_steps, 200, tmp, args.tb_steps))


if __name__ == "__main__":
    main()

"""Schedule simulator: the LR curve of any ``torch.optim.lr_scheduler`` without training.

A scheduler is stepped on a dummy optimizer (one zero parameter, SGD with momentum so that
``OneCycleLR``/``CyclicLR`` can cycle momentum); the LR of every step is recorded *before* that
step's ``scheduler.step()``, i.e. ``lrs[t]`` is the LR the optimizer uses at optimizer step ``t``.

Two ways in:

* ``simulate(factory, steps)`` where ``factory(optimizer) -> scheduler`` builds any scheduler
  (including ``LambdaLR`` with real Python callables);
* ``simulate_spec("OneCycleLR(max_lr=0.1, total_steps=1000)")``: a spec string, as used by the CLI
  ``lrdiag schedule SPEC [SPEC ...] [--steps N] [--out plot.png]``.

Spec strings are parsed with :mod:`ast` and never evaluated: only calls of the scheduler classes
in :data:`SCHEDULERS`, number/string/bool/None literals, lists/tuples of those, unary minus and
``lambda step: <arithmetic>`` (for ``LambdaLR``/``MultiplicativeLR``, evaluated by a small
interpreter that knows ``+ - * / // % **``, comparisons, ``a if c else b`` and the functions in
:data:`_FUNCS`) are accepted. Extra keywords understood in a spec:

* ``lr=`` the optimizer's initial LR (default 0.1; ``OneCycleLR``/``CyclicLR`` set their own);
* ``metric=`` for ``ReduceLROnPlateau``: a list of numbers, ``lambda step: ...``, or the path of a
  text/CSV file with one value per line (last column); the scheduler is stepped with it.
"""

from __future__ import annotations

import ast
import math
import operator
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .errors import LRDiagError

#: Scheduler classes a spec may call (all from ``torch.optim.lr_scheduler``).
SCHEDULERS = (
    "StepLR", "MultiStepLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "LinearLR", "ConstantLR", "LambdaLR",
    "MultiplicativeLR", "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau",
)
DEFAULT_LR = 0.1
DEFAULT_STEPS = 100

_FUNCS: dict[str, Callable[..., float]] = {
    "min": min, "max": max, "abs": abs, "float": float, "int": int, "round": round,
    "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "cos": math.cos, "sin": math.sin,
    "floor": math.floor, "ceil": math.ceil, "pow": pow,
}
_CONSTS = {"pi": math.pi, "e": math.e}
_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_CMPOPS = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
           ast.Eq: operator.eq, ast.NotEq: operator.ne}


class ScheduleSpecError(LRDiagError):
    """A schedule spec string cannot be parsed or built."""


@dataclass
class Call:
    """A parsed ``Name(args..., key=value...)`` of a scheduler class."""

    name: str
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)


class SafeLambda:
    """``lambda x: expr`` from a spec, evaluated by walking its AST (no ``eval``)."""

    def __init__(self, node: ast.Lambda, source: str):
        params = node.args.args
        if len(params) != 1 or node.args.vararg or node.args.kwarg or node.args.kwonlyargs:
            raise ScheduleSpecError(f"a lambda in a spec takes exactly one argument (the step): {source!r}")
        self.arg = params[0].arg
        self.body = node.body
        self.source = source
        self(0)  # fail now, with the spec in the message, not in the middle of a simulation

    def __call__(self, x: float) -> float:
        return float(self._eval(self.body, x))

    def _eval(self, n: ast.AST, x: float) -> Any:
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)) and not isinstance(n.value, bool):
            return n.value
        if isinstance(n, ast.Name):
            if n.id == self.arg:
                return x
            if n.id in _CONSTS:
                return _CONSTS[n.id]
        elif isinstance(n, ast.BinOp) and type(n.op) in _BINOPS:
            left, right = self._eval(n.left, x), self._eval(n.right, x)
            if isinstance(n.op, ast.Pow) and abs(right) > 1e3:
                raise ScheduleSpecError(f"exponent too large in {self.source!r}")
            return _BINOPS[type(n.op)](left, right)
        elif isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            v = self._eval(n.operand, x)
            return -v if isinstance(n.op, ast.USub) else v
        elif isinstance(n, ast.Compare) and len(n.ops) == 1 and type(n.ops[0]) in _CMPOPS:
            return _CMPOPS[type(n.ops[0])](self._eval(n.left, x), self._eval(n.comparators[0], x))
        elif isinstance(n, ast.IfExp):
            return self._eval(n.body, x) if self._eval(n.test, x) else self._eval(n.orelse, x)
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in _FUNCS and not n.keywords:
            return _FUNCS[n.func.id](*(self._eval(a, x) for a in n.args))
        raise ScheduleSpecError(
            f"unsupported expression {ast.unparse(n)!r} in {self.source!r}: use numbers, the step variable, "
            f"+ - * / // % **, comparisons, 'a if c else b' and {sorted(_FUNCS)}")


def _value(node: ast.AST, spec: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _value(node.operand, spec)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return -v
    elif isinstance(node, (ast.List, ast.Tuple)):
        return [_value(e, spec) for e in node.elts]
    elif isinstance(node, ast.Call):
        return _call(node, spec)
    elif isinstance(node, ast.Lambda):
        return SafeLambda(node, ast.unparse(node))
    raise ScheduleSpecError(f"unsupported value {ast.unparse(node)!r} in spec {spec!r}: use numbers, strings, lists, "
                            "scheduler calls or 'lambda step: ...'")


def _call(node: ast.Call, spec: str) -> Call:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in SCHEDULERS:
        raise ScheduleSpecError(f"{ast.unparse(func)!r} in spec {spec!r} is not a scheduler; known: {', '.join(SCHEDULERS)}")
    if any(k.arg is None for k in node.keywords):
        raise ScheduleSpecError(f"**kwargs is not supported in spec {spec!r}")
    return Call(name, [_value(a, spec) for a in node.args], {k.arg: _value(k.value, spec) for k in node.keywords})


def parse_spec(spec: str) -> Call:
    """Parse ``"OneCycleLR(max_lr=0.1, total_steps=1000)"`` into a :class:`Call` tree (no eval)."""
    try:
        tree = ast.parse(spec.strip(), mode="eval")
    except SyntaxError as e:
        raise ScheduleSpecError(f"cannot parse schedule spec {spec!r}: {e.msg}; expected e.g. "
                                "\"CosineAnnealingLR(T_max=1000)\"") from None
    if not isinstance(tree.body, ast.Call):
        raise ScheduleSpecError(f"a schedule spec is one scheduler call, e.g. \"StepLR(step_size=30)\"; got {spec!r}")
    return _call(tree.body, spec)


def _dummy_optimizer(lr: float):
    import torch

    param = torch.nn.Parameter(torch.zeros(1))
    return torch.optim.SGD([param], lr=lr, momentum=0.9)


def _build(call: Call, optimizer) -> Any:
    import torch.optim.lr_scheduler as S

    cls = getattr(S, call.name)
    args = [_build_value(a, optimizer) for a in call.args]
    kwargs = {k: _build_value(v, optimizer) for k, v in call.kwargs.items()}
    if call.name == "ChainedScheduler":
        return cls(*args, **kwargs)
    return cls(optimizer, *args, **kwargs)


def _build_value(v: Any, optimizer) -> Any:
    if isinstance(v, Call):
        return _build(v, optimizer)
    if isinstance(v, list):
        return [_build_value(e, optimizer) for e in v]
    return v


def _metric_curve(metric: Any, steps: int) -> np.ndarray:
    if metric is None:
        raise ScheduleSpecError("ReduceLROnPlateau needs metric=: a list of values, 'lambda step: ...', or a file "
                                "with one value per line")
    if isinstance(metric, SafeLambda) or callable(metric):
        return np.array([metric(t) for t in range(steps)], dtype=float)
    if isinstance(metric, str):
        path = Path(metric)
        if not path.is_file():
            raise ScheduleSpecError(f"metric file {metric!r} not found")
        vals = []
        for line in path.read_text().splitlines():
            last = line.replace(";", ",").split(",")[-1].strip()
            try:
                vals.append(float(last))
            except ValueError:
                continue  # a header or a blank line
        return np.asarray(vals, dtype=float)
    return np.asarray(metric, dtype=float).ravel()


def default_steps(call: Call, metric: Any = None) -> int:
    """A number of steps that shows the whole shape of a schedule (about two cycles for cyclic ones)."""
    k = call.kwargs
    n = call.name
    if n == "OneCycleLR":
        if k.get("total_steps"):
            return int(k["total_steps"])
        if k.get("epochs") and k.get("steps_per_epoch"):
            return int(k["epochs"]) * int(k["steps_per_epoch"])
    if n == "CosineAnnealingLR":
        return int(k.get("T_max", call.args[0] if call.args else DEFAULT_STEPS)) + 1
    if n == "CosineAnnealingWarmRestarts":
        t0 = int(k.get("T_0", call.args[0] if call.args else 10))
        mult = int(k.get("T_mult", 1))
        return t0 * (1 + mult + mult * mult)
    if n == "CyclicLR":
        up = int(k.get("step_size_up", 2000))
        down = int(k.get("step_size_down") or up)
        return 3 * (up + down)
    if n == "StepLR":
        return 4 * int(k.get("step_size", call.args[0] if call.args else 25))
    if n == "MultiStepLR":
        ms = k.get("milestones", call.args[0] if call.args else [DEFAULT_STEPS])
        return int(max(ms) * 1.25) + 1
    if n in ("LinearLR", "ConstantLR", "PolynomialLR"):
        return int(int(k.get("total_iters", 5)) * 1.25) + 2
    if n == "SequentialLR":
        subs = k.get("schedulers", call.args[0] if call.args else [])
        ms = k.get("milestones", call.args[1] if len(call.args) > 1 else [])
        last = subs[-1] if subs else None
        return int(max(ms or [0])) + (default_steps(last) if isinstance(last, Call) else DEFAULT_STEPS)
    if n == "ChainedScheduler":
        subs = k.get("schedulers", call.args[0] if call.args else [])
        return max([default_steps(s) for s in subs if isinstance(s, Call)] or [DEFAULT_STEPS])
    if n == "ReduceLROnPlateau" and metric is not None and not callable(metric):
        return len(metric)
    return DEFAULT_STEPS


def simulate(factory: Callable[[Any], Any], steps: int, *, lr: float = DEFAULT_LR,
             metrics: Sequence[float] | None = None, optimizer=None) -> np.ndarray:
    """LR per optimizer step of the scheduler ``factory(optimizer)`` over ``steps`` steps.

    Parameters
    ----------
    factory : callable
        ``optimizer -> scheduler``, e.g. ``lambda opt: OneCycleLR(opt, max_lr=0.1, total_steps=1000)``.
    steps : int
        Number of optimizer steps to simulate.
    lr : float
        Initial LR of the dummy optimizer (ignored when ``optimizer`` is given).
    metrics : sequence of float, optional
        For ``ReduceLROnPlateau``: the metric passed to ``scheduler.step(metric)`` after step ``t``.
    optimizer : torch.optim.Optimizer, optional
        Use this optimizer (its LRs are changed) instead of a dummy one. The returned array then has
        one column per param group.

    Returns
    -------
    numpy.ndarray
        ``(steps,)`` LRs of the (first) group, or ``(steps, groups)`` when ``optimizer`` is given.
    """
    if steps < 1:
        raise ScheduleSpecError(f"steps must be >= 1, got {steps}")
    own = optimizer is None
    opt = _dummy_optimizer(lr) if own else optimizer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "scheduler.step() before optimizer.step()" and friends
        sched = factory(opt)
        plateau = type(sched).__name__ == "ReduceLROnPlateau"
        if plateau and (metrics is None or len(metrics) == 0):
            raise ScheduleSpecError("ReduceLROnPlateau needs a metric curve (metrics=...)")
        out = np.empty((steps, len(opt.param_groups)))
        for t in range(steps):
            out[t] = [g["lr"] for g in opt.param_groups]
            if t == steps - 1:
                break  # the LR after the last step is never used (and OneCycleLR refuses to go past its end)
            opt.step()  # no gradients: a no-op that keeps the scheduler's step-order check quiet
            if plateau:
                sched.step(float(metrics[min(t, len(metrics) - 1)]))
            else:
                sched.step()
    return out[:, 0] if own else out


def simulate_spec(spec: str, steps: int | None = None) -> np.ndarray:
    """LR per step of a spec string such as ``"CosineAnnealingLR(T_max=100)"`` (see module docstring)."""
    call = parse_spec(spec)
    lr = float(call.kwargs.pop("lr", DEFAULT_LR))
    metric = call.kwargs.pop("metric", None)
    if call.name != "ReduceLROnPlateau" and metric is not None:
        raise ScheduleSpecError(f"metric= only applies to ReduceLROnPlateau (spec {spec!r})")
    if isinstance(metric, str):
        metric = _metric_curve(metric, 0)  # a file: its length is the default number of steps
    n = int(steps) if steps else default_steps(call, metric)
    metrics = _metric_curve(metric, n) if call.name == "ReduceLROnPlateau" else None
    try:
        return simulate(lambda opt: _build(call, opt), n, lr=lr, metrics=metrics)
    except ScheduleSpecError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, OverflowError) as e:
        raise ScheduleSpecError(f"cannot build {spec!r}: {e}") from None


def _summary_line(spec: str, lrs: np.ndarray) -> str:
    peak = int(np.argmax(lrs))
    return (f"{spec}\n    steps={lrs.size}  first={lrs[0]:.4g}  peak={lrs[peak]:.4g} @ step {peak}  "
            f"min={lrs.min():.4g}  last={lrs[-1]:.4g}  mean={lrs.mean():.4g}")


def plot_curves(curves: dict[str, np.ndarray], out: str | Path) -> None:
    """Write a PNG of several LR curves (log y-axis when they span more than two decades)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    try:
        for label, lrs in curves.items():
            ax.plot(np.arange(lrs.size), lrs, label=label if len(label) < 70 else label[:67] + "...")
        pos = np.concatenate([c[c > 0] for c in curves.values()] or [np.ones(1)])
        if pos.size and pos.max() / max(pos.min(), 1e-300) > 100:
            ax.set_yscale("log")
        ax.set_xlabel("optimizer step")
        ax.set_ylabel("learning rate")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out)
    finally:
        plt.close(fig)


def schedule_command(specs: Sequence[str], steps: int | None = None, out: str | None = None) -> str:
    """What ``lrdiag schedule SPEC [SPEC ...] [--steps N] [--out plot.png]`` prints (and plots)."""
    curves = {spec: simulate_spec(spec, steps) for spec in specs}
    lines = [_summary_line(s, c) for s, c in curves.items()]
    if out:
        plot_curves(curves, out)
        lines.append(f"wrote {out}")
    return "\n".join(lines)

"""Param groups whose step size is not ``group["lr"]``: Adafactor's relative step.

Hugging Face's ``transformers.optimization.Adafactor`` defaults to ``lr=None, relative_step=True``
(as T5 was trained): each step's size is ``min(1e-2, 1/sqrt(t))`` (``min(1e-6 t, 1/sqrt(t))``
with ``warmup_init=True``), times the parameter's RMS with ``scale_parameter=True``, and
``group["lr"]`` is ignored (None, or whatever ``AdafactorSchedule`` wrote there for display).

lrdiag works with the LR such a group would take with ``relative_step=False``: the relative step
without the RMS factor, which ``scale_parameter`` applies in both modes. So the Monitor records
that, and advice to raise or lower it is carried out by switching the relative step off and
setting ``lr`` (``make_absolute``); ``scale_parameter`` is left as it was, so the LR keeps its
meaning.

PyTorch's own ``torch.optim.Adafactor`` has no relative mode, but caps its step size at the same
``1/sqrt(t)``: it steps with ``min(lr, 1/sqrt(t))`` (times the parameter's RMS), so an ``lr`` of
0.1 is applied only for the first 100 steps and 0.01 (its default) for the first 10,000. The
Monitor records the capped LR (``capped_lr``), a range test's sweep ends where the cap binds (LRs
beyond would not be tried), and advice whose schedule is over the cap says where (``cap_note``).

No torch import: the analysis reads recorded hyperparameters without torch.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, MutableMapping, Sequence


def uses_relative_step(group: Mapping[str, Any]) -> bool:
    """Whether ``group`` ignores its ``lr`` for a relative step of its own (recorded hparams too)."""
    return bool(group.get("relative_step"))


def applied_lr(optimizer: Any, group: Mapping[str, Any]) -> float:
    """The relative step a group's latest ``step()`` took, without the RMS factor: the ``lr`` it
    would take with ``relative_step=False``. Read with the optimizer's own ``_get_lr`` (from the
    step count in the state of the group's first parameter that has one; a Python float, so no
    device sync); NaN before the first step or for an optimizer without ``_get_lr``."""
    get = getattr(type(optimizer), "_get_lr", None)
    state = _first_state(optimizer, group)
    if get is None or state is None:
        return math.nan
    try:
        return float(get({**group, "scale_parameter": False}, state))
    except Exception:  # another optimizer's _get_lr, or a state without "step"
        return math.nan


def _first_state(optimizer: Any, group: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The optimizer state of the group's first parameter that has one (its step count is the
    group's); None before the first step."""
    return next((st for p in group["params"] if (st := optimizer.state.get(p))), None)


def inverse_sqrt_capped(group: Mapping[str, Any]) -> bool:
    """Whether ``group`` is ``torch.optim.Adafactor``'s (its ``beta2_decay`` and ``d`` say so; recorded
    hparams too), whose step size is ``min(lr, 1/sqrt(t))``."""
    return "beta2_decay" in group and "d" in group and not uses_relative_step(group)


def capped_lr(optimizer: Any, group: Mapping[str, Any]) -> float:
    """``min(lr, 1/sqrt(t))``: the LR a ``torch.optim.Adafactor`` group's latest step took, ``t`` its
    step count (a CPU tensor by PyTorch's design, so no device sync); ``lr`` before the first step."""
    lr = float(group["lr"])
    step = (_first_state(optimizer, group) or {}).get("step")
    t = 0.0 if step is None else float(step)
    return min(lr, 1.0 / math.sqrt(t)) if t >= 1 else lr


def cap_note(steps: Sequence[int], lrs: Sequence[float]) -> str | None:
    """What a ``torch.optim.Adafactor`` user must know of a schedule (``lrs`` at 0-based ``steps``)
    that is over its cap ``1/sqrt(t)`` (``t = step + 1``) anywhere; None where it never is."""
    over = [(st, lr) for st, lr in zip(steps, lrs) if lr > 1.01 / math.sqrt(st + 1)]
    if not over:
        return None
    (a, _), (b, _) = over[0], over[-1]
    peak_step, peak = max(zip(steps, lrs), key=lambda x: x[1])
    return (f"torch.optim.Adafactor caps each step's LR at 1/sqrt(t) (t its step count), and this schedule is over "
            f"that cap from step {a} to step {b}, where it steps with 1/sqrt(t) instead (at the peak, {peak:.3g} at "
            f"step {peak_step}, the cap is {1 / math.sqrt(peak_step + 1):.3g}); transformers' Adafactor with "
            "relative_step=False has no cap")


def make_absolute(group: MutableMapping[str, Any], lr: float) -> None:
    """Switch a relative-step group to the fixed ``lr`` (``scale_parameter`` unchanged)."""
    group["relative_step"] = False
    group["warmup_init"] = False
    group["lr"] = float(lr)


#: The lines a pasted snippet runs first on an optimizer whose groups use a relative step.
ABSOLUTE_LINES = ("for g in optimizer.param_groups:  # Adafactor's relative step ignores g['lr']: switch it off\n"
                  "    g.update(relative_step=False, warmup_init=False, lr={lr!r})\n")

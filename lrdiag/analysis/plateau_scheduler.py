"""``ReduceLROnPlateau`` judged on the mean of the last few values it is stepped with.

PyTorch's ``ReduceLROnPlateau`` compares each metric with the best one seen so far. Stepped with
each minibatch's loss, as a per-step plateau advice is used, that best is a lucky low draw of the
noise, so whether and when it cuts depends on luck more than on the trend. The mean of the last
``mean_steps`` losses has ``sqrt(mean_steps)`` times less noise, and lags the trend by about half
of ``mean_steps``.
"""

from __future__ import annotations

from typing import Any

from torch.optim.lr_scheduler import ReduceLROnPlateau


class MeanLossReduceLROnPlateau(ReduceLROnPlateau):
    """``torch.optim.lr_scheduler.ReduceLROnPlateau`` whose ``step(metric)`` judges the mean of the
    last ``mean_steps`` metrics passed to it (all of them until there are that many); every other
    parameter and the rule itself are PyTorch's. Its state (``state_dict``) holds those metrics.

    Args:
        optimizer: the wrapped optimizer.
        mean_steps: how many of the latest metrics are averaged (1: PyTorch's scheduler as is).
        **kwargs: ``ReduceLROnPlateau``'s own (``mode``, ``factor``, ``patience``, ...).
    """

    def __init__(self, optimizer, mean_steps: int = 25, **kwargs: Any):
        if int(mean_steps) < 1:
            raise ValueError(f"mean_steps must be at least 1, got {mean_steps}")
        self.mean_steps = int(mean_steps)
        self.recent_metrics: list[float] = []
        super().__init__(optimizer, **kwargs)

    def step(self, metrics, epoch=None) -> None:  # noqa: D102 (ReduceLROnPlateau's)
        self.recent_metrics.append(float(metrics))
        del self.recent_metrics[: -self.mean_steps]
        super().step(sum(self.recent_metrics) / len(self.recent_metrics), epoch)

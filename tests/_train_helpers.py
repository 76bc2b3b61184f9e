"""Small real trainings shared by tests: scikit-learn data, tiny models, deterministic seeds."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)  # 2 shared cores: threads fighting each other only make tests slower


def digits_data(n: int | None = None, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 8x8 digits (ships with sklearn), standardised, as float32/long tensors."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X - X.mean(0)) / (X.std(0) + 1e-6)
    idx = np.random.default_rng(seed).permutation(len(X))[: n or len(X)]
    return torch.tensor(X[idx], dtype=torch.float32), torch.tensor(y[idx], dtype=torch.long)


def synthetic_data(n: int = 512, features: int = 20, classes: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``sklearn.datasets.make_classification`` as tensors."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n, n_features=features, n_informative=min(features, 8),
                               n_classes=classes, random_state=seed)
    return torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.long)


def mlp(inputs: int = 64, hidden: int = 32, outputs: int = 10, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, outputs))


def batches(X: torch.Tensor, y: torch.Tensor, batch: int):
    """Endless deterministic mini-batches."""
    while True:
        for i in range(0, len(X) - batch + 1, batch):
            yield X[i : i + batch], y[i : i + batch]


def train(model: nn.Module, optimizer: torch.optim.Optimizer, X, y, steps: int, batch: int = 64, monitor=None,
          scheduler=None, accumulate: int = 1) -> list[float]:
    """A plain training loop; logs each micro-batch loss to ``monitor`` before ``optimizer.step()``."""
    loss_fn = nn.CrossEntropyLoss()
    it = batches(X, y, batch)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        total = 0.0
        for _ in range(accumulate):
            xb, yb = next(it)
            loss = loss_fn(model(xb), yb)
            (loss / accumulate).backward()
            if monitor is not None:
                monitor.log_loss(loss)
            total += float(loss.detach()) / accumulate
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(total)
    return losses


def digits_setup(optimizer: str = "adam", lr: float = 1e-2, seed: int = 0, hidden: int = 32, **opt_kwargs):
    """``(model, optimizer, X, y)`` for a small MLP on the digits data."""
    X, y = digits_data()
    model = mlp(X.shape[1], hidden, 10, seed=seed)
    cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop}[optimizer]
    return model, cls(model.parameters(), lr=lr, **opt_kwargs), X, y

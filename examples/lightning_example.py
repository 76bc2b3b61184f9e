"""lrdiag with PyTorch Lightning: a range test on the LightningModule, then a monitored fit.

1. ``lrdiag.integrations.lightning.range_test(module, datamodule)`` sweeps the LR through the
   module's own ``training_step`` and confirms the best peak LR with short annealed runs (the
   module is restored afterwards).
2. ``lrdiag.recommend(result, total_steps=...)`` turns the suggestion into a schedule; the module's
   ``configure_optimizers`` uses ``recommendation.scheduler(optimizer)``, stepped every batch.
3. ``Trainer(logger=TensorBoardLogger(...), callbacks=[LRDiagCallback()])``: the callback records
   every optimizer step into the logger's own run directory and writes the report at fit end, so
   ``tensorboard --logdir`` shows Lightning's scalars, lrdiag's series and the LR Diagnostics tab
   side by side.

Data: scikit-learn's 8x8 digits (ships with scikit-learn: no download).

    python examples/lightning_example.py                 # writes ./runs/lightning_example
    tensorboard --logdir runs/lightning_example

About a minute on a laptop CPU (LRDIAG_EXAMPLE_QUICK=1: fewer epochs and a shorter range test).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import lightning as L
import numpy as np
import torch
from lightning.pytorch.loggers import TensorBoardLogger
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

import lrdiag
from lrdiag.integrations.lightning import LRDiagCallback, range_test


class Digits(L.LightningDataModule):
    def __init__(self, batch_size: int = 64):
        super().__init__()
        self.batch_size = batch_size

    def setup(self, stage: str | None = None) -> None:
        x, y = load_digits(return_X_y=True)
        x_tr, x_va, y_tr, y_va = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
        mean, std = x_tr.mean(0), np.maximum(x_tr.std(0), 1.0)
        self.train = torch.utils.data.TensorDataset(torch.tensor((x_tr - mean) / std, dtype=torch.float32),
                                                    torch.tensor(y_tr))
        self.val = torch.utils.data.TensorDataset(torch.tensor((x_va - mean) / std, dtype=torch.float32),
                                                  torch.tensor(y_va))

    def train_dataloader(self):
        return torch.utils.data.DataLoader(self.train, batch_size=self.batch_size, shuffle=True,
                                           generator=torch.Generator().manual_seed(0))

    def val_dataloader(self):
        return torch.utils.data.DataLoader(self.val, batch_size=256)


class MLP(L.LightningModule):
    """An MLP classifier; ``recommendation`` (optional) sets its LR schedule."""

    def __init__(self, lr: float = 0.01, recommendation=None):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
        self.lr = lr
        self.recommendation = recommendation

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.cross_entropy(self.net(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self.net(x)
        self.log("val_loss", nn.functional.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(1) == y).float().mean())

    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=self.lr, momentum=0.9)
        if self.recommendation is None:
            return optimizer
        scheduler = self.recommendation.scheduler(optimizer)  # sets the peak LR, then schedules it
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/lightning_example", help="TensorBoardLogger save_dir")
    quick = bool(os.environ.get("LRDIAG_EXAMPLE_QUICK"))
    parser.add_argument("--epochs", type=int, default=4 if quick else 8)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", ".*does not have many workers.*")
    L.seed_everything(0, verbose=False)
    dm = Digits()

    # 1. Range test through the module's training_step (restores the module afterwards).
    t0 = time.perf_counter()
    result = range_test(MLP(), dm, num_steps=60 if quick else 100, confirm_steps=20 if quick else 30, progress=False)
    print(f"Range test ({time.perf_counter() - t0:.0f} s): {result.message}")

    # 2. A schedule for the real budget.
    dm.setup("fit")
    total_steps = args.epochs * len(dm.train_dataloader())
    rec = lrdiag.recommend(result, total_steps=total_steps)
    print(f"Recommendation ({rec.kind}): {rec.rationale}")

    # 3. The monitored fit, logged into the TensorBoardLogger's own run.
    logger = TensorBoardLogger(args.out, name="digits")
    callback = LRDiagCallback()
    trainer = L.Trainer(max_epochs=args.epochs, logger=logger, callbacks=[callback], accelerator="cpu", devices=1,
                        log_every_n_steps=5, enable_progress_bar=False, enable_model_summary=False,
                        enable_checkpointing=False)
    model = MLP(recommendation=rec)
    trainer.fit(model, dm)
    val = trainer.validate(model, datamodule=dm, verbose=False)[0]
    report = callback.report
    print(f"\nFit: {trainer.global_step} steps, validation accuracy {val['val_acc']:.1%}, loss {val['val_loss']:.4f}")
    print(f"lrdiag verdict: {report.verdict}\n{report.summary}")
    print(f"\nEverything is in {logger.log_dir}: tensorboard --logdir {args.out}")
    summary = {"log_dir": logger.log_dir, "steps": trainer.global_step, "suggested_lr": result.suggested_lr,
               "peak_lr": rec.params["peak_lr"], "kind": rec.kind, "val_acc": val["val_acc"], "verdict": report.verdict}
    Path(logger.log_dir, "example_summary.json").write_text(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()

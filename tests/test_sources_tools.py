"""Logs written by the real tools people use, read back: Hugging Face Trainer and Lightning.

Each fixture trains a small MLP on scikit-learn's digits for a few dozen steps with the tool's
own logging (Trainer's ``trainer_state.json`` and TensorBoard callback; Lightning's
``TensorBoardLogger`` with ``LearningRateMonitor``) and the tests compare what ``lrdiag.load``
returns with what the tool itself recorded.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch

import lrdiag
from lrdiag import names


def _digits():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return torch.tensor(x / 16.0, dtype=torch.float32), torch.tensor(y)


def _mlp():
    return torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))


@pytest.fixture(scope="module")
def hf_run(tmp_path_factory, monkeypatch_module):
    transformers = pytest.importorskip("transformers")
    out = tmp_path_factory.mktemp("hf") / "out"
    monkeypatch_module.setenv("TENSORBOARD_LOGGING_DIR", str(out / "tb"))
    x, y = _digits()

    class Rows(torch.utils.data.Dataset):
        def __init__(self, a, b):
            self.a, self.b = a, b

        def __len__(self):
            return len(self.a)

        def __getitem__(self, i):
            return {"x": self.a[i], "labels": int(self.b[i])}

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = _mlp()

        def forward(self, x, labels=None):
            logits = self.net(x)
            out = {"logits": logits}
            if labels is not None:
                out["loss"] = torch.nn.functional.cross_entropy(logits, labels)
            return out

    torch.manual_seed(0)
    args = transformers.TrainingArguments(
        output_dir=str(out), max_steps=40, logging_steps=5, eval_strategy="steps", eval_steps=20, save_steps=20,
        per_device_train_batch_size=32, learning_rate=5e-3, warmup_steps=8, lr_scheduler_type="linear",
        report_to=["tensorboard"], use_cpu=True, dataloader_num_workers=0, disable_tqdm=True, seed=0)
    trainer = transformers.Trainer(model=Model(), args=args, train_dataset=Rows(x[:1500], y[:1500]),
                                   eval_dataset=Rows(x[1500:], y[1500:]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.train()
    return out


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_hf_trainer_state_json(hf_run):
    state = json.loads((hf_run / "checkpoint-40" / "trainer_state.json").read_text())
    rows = [r for r in state["log_history"] if "loss" in r]
    h = lrdiag.load(hf_run / "checkpoint-40" / "trainer_state.json")
    assert h.steps.tolist() == [5, 10, 15, 20, 25, 30, 35, 40] == [r["step"] for r in rows]
    np.testing.assert_array_equal(h.loss, [r["loss"] for r in rows])
    np.testing.assert_array_equal(h.lr(), [r["learning_rate"] for r in rows])
    np.testing.assert_array_equal(h.series[names.GRAD_NORM], [r["grad_norm"] for r in rows])
    assert h.observed("lrdiag/eval_loss")[0].tolist() == [20, 40]
    assert h.meta["logging_steps"] == 5 and h.meta["max_steps"] == 40 and h.meta["train_batch_size"] == 32
    # warm-up then linear decay, as configured
    assert h.lr()[0] < h.lr()[1] and np.all(np.diff(h.lr()[1:]) < 0)


def test_hf_output_dir_and_checkpoint_dir(hf_run):
    # The checkpoint directory reads through its trainer_state.json ...
    h = lrdiag.load(hf_run / "checkpoint-20")
    assert h.meta["source_format"] == "hf-trainer-state" and h.steps.tolist() == [5, 10, 15, 20]
    # ... and the TensorBoard callback's logdir holds the same training curve under HF's tags.
    tb = lrdiag.load(hf_run / "tb")
    ref = lrdiag.load(hf_run / "checkpoint-40" / "trainer_state.json")
    assert tb.meta["tags"][names.LOSS] == "train/loss" and tb.meta["tags"][names.lr("group0")] == "train/learning_rate"
    s, v = tb.observed(names.LOSS)
    assert s.tolist() == ref.steps.tolist()
    np.testing.assert_allclose(v, ref.loss, rtol=1e-6)
    np.testing.assert_allclose(tb.observed(names.lr("group0"))[1], ref.lr(), rtol=1e-6)
    np.testing.assert_allclose(tb.observed("lrdiag/eval_loss")[1], ref.observed("lrdiag/eval_loss")[1], rtol=1e-6)
    # The output directory holds the TensorBoard run: that is what it loads.
    assert lrdiag.load(hf_run).meta["source_format"] == "tensorboard"


@pytest.fixture(scope="module")
def lightning_run(tmp_path_factory):
    L = pytest.importorskip("lightning.pytorch")
    from lightning.pytorch.callbacks import LearningRateMonitor
    from lightning.pytorch.loggers import TensorBoardLogger

    x, y = _digits()
    seen = {"loss": [], "lr": []}

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = _mlp()

        def training_step(self, batch, i):
            loss = torch.nn.functional.cross_entropy(self.net(batch[0]), batch[1])
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            seen["loss"].append(float(loss.detach()))
            seen["lr"].append(self.optimizers().param_groups[0]["lr"])
            return loss

        def configure_optimizers(self):
            opt = torch.optim.SGD([{"params": self.net[0].parameters()}, {"params": self.net[2].parameters(), "lr": 0.05}],
                                  lr=0.1, momentum=0.9)
            sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("lightning")
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x[:960], y[:960]), batch_size=32)
    trainer = L.Trainer(max_steps=30, logger=TensorBoardLogger(str(root), name="lightning_logs"), log_every_n_steps=1,
                        callbacks=[LearningRateMonitor(logging_interval="step", log_momentum=True)],
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                        accelerator="cpu", devices=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(Module(), data)
    return root, seen


def test_lightning_logdir(lightning_run):
    root, seen = lightning_run
    h = lrdiag.load(root)  # one run below: lightning_logs/version_0
    assert h.meta["run"] == "lightning_logs/version_0"
    assert sorted(h.groups) == ["SGD/pg1", "SGD/pg2"]
    assert h.meta["tags"][names.LOSS] == "train_loss_step"
    s, v = h.observed(names.LOSS)
    assert s.size == 30
    np.testing.assert_allclose(v, seen["loss"], rtol=1e-5)
    _, lr = h.observed(names.lr("SGD/pg1"))
    np.testing.assert_allclose(lr, seen["lr"], rtol=1e-6)
    assert lr[0] == pytest.approx(0.1) and lr[-1] == pytest.approx(0.025)
    assert np.allclose(h.observed(names.lr("SGD/pg2"))[1][:10], 0.05)
    assert np.allclose(h.observed(names.momentum("SGD/pg1"))[1], 0.9)

"""The Lightning integration, with real Lightning fits on scikit-learn's digits (no mocks).

Each fit records in the LightningModule itself what really happened (the loss of each
micro-batch, the LR the optimizer stepped with) and the test compares that with what lrdiag
wrote: the local store, the TensorBoard event files of the logger's run, the MLflow run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

L = pytest.importorskip("lightning")
from lightning.pytorch.loggers import MLFlowLogger, TensorBoardLogger  # noqa: E402

import lrdiag  # noqa: E402
from lrdiag.errors import LRDiagError  # noqa: E402
from lrdiag.integrations.lightning import LRDiagCallback, loss_from_outputs, optimizer_from_module  # noqa: E402
from lrdiag.integrations.lightning import range_test as lightning_range_test  # noqa: E402
from lrdiag.store import read_store, store_files  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


def _digits():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return torch.tensor(x / 16.0, dtype=torch.float32), torch.tensor(y)


def _loader(batch_size=64, n=None):
    x, y = _digits()
    if n is not None:
        x, y = x[:n], y[:n]
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size, shuffle=False)


class Digits(L.LightningModule):
    """A small MLP that records every micro-batch loss and the LR of every optimizer step."""

    def __init__(self, lr=0.1, fail_at=None):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
        self.lr, self.fail_at = lr, fail_at
        self.micro_losses: list[float] = []
        self.step_lrs: list[float] = []
        self.ratios: list[float] = []  # ||Δθ|| / ||θ|| of net.0, measured around each real step

    def training_step(self, batch, batch_idx):
        if self.fail_at is not None and batch_idx == self.fail_at:
            raise RuntimeError("boom: a failing training step")
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self.net(x), y)
        self.micro_losses.append(float(loss))
        self.log("train_loss", loss)
        return loss

    def on_before_optimizer_step(self, optimizer):
        self.step_lrs.append(optimizer.param_groups[0]["lr"])

    def optimizer_step(self, epoch, batch_idx, optimizer, optimizer_closure=None):
        before = torch.cat([p.detach().flatten().clone() for p in self.net[0].parameters()])
        optimizer.step(closure=optimizer_closure)  # the closure runs forward and backward inside
        after = torch.cat([p.detach().flatten() for p in self.net[0].parameters()])
        self.ratios.append(float((after - before).norm() / before.norm()))

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=self.lr, momentum=0.9)
        return {"optimizer": opt, "lr_scheduler": torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)}


def _trainer(tmp_path, logger, callbacks, **kw):
    kw.setdefault("max_epochs", 2)
    return L.Trainer(default_root_dir=tmp_path, logger=logger, callbacks=callbacks, enable_progress_bar=False,
                     enable_model_summary=False, enable_checkpointing=False, log_every_n_steps=1,
                     accelerator="cpu", devices=1, **kw)


def _store(run_dir):
    files = store_files(run_dir)
    assert len(files) == 1, files
    return read_store(files[0])


def _tb_scalars(run_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    return acc


def test_import_lrdiag_never_imports_lightning_or_transformers():
    code = ("import sys, lrdiag\n"
            "lrdiag.History, lrdiag.Report, lrdiag.load, lrdiag.analyze, lrdiag.Monitor, lrdiag.range_test\n"
            "bad = [m for m in ('lightning', 'pytorch_lightning', 'transformers', 'accelerate') if m in sys.modules]\n"
            "print('imported:', bad)\n"
            "sys.exit(1 if bad else 0)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_tensorboard_logger_gets_series_report_and_tab_data(tmp_path):
    """Gradient accumulation (2 micro-batches per step) and a StepLR schedule, TensorBoardLogger."""
    module = Digits(lr=0.05)
    cb = LRDiagCallback()
    logger = TensorBoardLogger(str(tmp_path / "tb"))
    trainer = _trainer(tmp_path, logger, [cb], accumulate_grad_batches=2)
    trainer.fit(module, _loader(batch_size=128))

    run_dir = Path(cb.run_dirs["optimizer0"])
    assert run_dir == Path(logger.log_dir)  # the logger's own version directory
    meta, steps, cols = _store(run_dir)
    n = trainer.global_step
    assert n == len(module.step_lrs) and n > 10
    np.testing.assert_array_equal(steps, np.arange(n))
    # each step's loss is the mean of its two micro-batches' real losses (Lightning hands
    # callbacks loss / accumulate_grad_batches; the callback undoes that)
    micro = np.array(module.micro_losses)
    per_epoch = -(-len(_digits()[0]) // 128)  # 15 batches, the 15th steps alone (odd count)
    expected = []
    for e in range(2):
        ep = micro[e * per_epoch:(e + 1) * per_epoch]
        expected += [ep[i:i + 2].mean() for i in range(0, len(ep), 2)]
    np.testing.assert_allclose(cols["lrdiag/loss"], expected, rtol=1e-5)
    np.testing.assert_allclose(cols["lrdiag/lr/group0"], module.step_lrs, rtol=1e-7)
    assert len(set(module.step_lrs)) == 2  # StepLR halved it after the first epoch
    np.testing.assert_allclose(cols["lrdiag/update_ratio/net.0"], module.ratios, rtol=1e-4)
    r = cols["lrdiag/update_ratio/net.2"]
    assert np.all(np.isfinite(r)) and np.all(r > 0)
    assert meta["optimizer"] == "SGD" and set(meta["layers"]) == {"net.0", "net.2"}

    # The report: returned, in the run directory, and in TensorBoard beside Lightning's scalars.
    report = json.loads((run_dir / "report.json").read_text())
    assert report["schema"] == "lrdiag.report/1" and report["steps"] == [0, n - 1]
    assert cb.report is not None and cb.report.to_dict()["steps"] == [0, n - 1]
    acc = _tb_scalars(run_dir)
    tags = acc.Tags()
    assert "train_loss" in tags["scalars"]  # Lightning's own
    assert len(acc.Scalars("lrdiag/loss")) == n
    assert "lrdiag/report" in tags["tensors"]
    hist = lrdiag.load(str(run_dir))
    np.testing.assert_allclose(hist.loss, expected, rtol=1e-5)


class DigitsWithValidation(Digits):
    """Digits with a validation pass that logs ``val_loss`` and keeps what it logged."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.val_logged: list[tuple[int, float]] = []

    def validation_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self.net(x), y)
        self.log("val_loss", loss)  # the epoch mean reaches callback_metrics
        return loss

    def on_validation_epoch_end(self):
        if not self.trainer.sanity_checking:
            self.val_logged.append((self.trainer.global_step, float(self.trainer.callback_metrics["val_loss"])))


def test_validation_loss_is_recorded_as_the_eval_loss(tmp_path):
    module = DigitsWithValidation(lr=0.05)
    cb = LRDiagCallback()
    trainer = _trainer(tmp_path, TensorBoardLogger(str(tmp_path / "tb")), [cb], max_epochs=3)
    trainer.fit(module, _loader(batch_size=128), _loader(batch_size=256, n=512))
    _, steps, cols = _store(Path(cb.run_dirs["optimizer0"]))
    ev = cols["lrdiag/eval_loss"]
    # one value per validation run (not the sanity check), at the last optimizer step before it
    assert [(int(s) + 1, pytest.approx(float(v), rel=1e-6)) for s, v in zip(steps[~np.isnan(ev)], ev[~np.isnan(ev)])] == module.val_logged
    assert len(module.val_logged) == 3


def test_mlflow_logger_run_gets_series_tags_and_report(tmp_path):
    mlflow = pytest.importorskip("mlflow")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    logger = MLFlowLogger(experiment_name="lrdiag-lightning", tracking_uri=uri,
                          artifact_location=str(tmp_path / "artifacts"))
    module = Digits(lr=0.05)
    cb = LRDiagCallback()
    trainer = _trainer(tmp_path, logger, [cb], max_epochs=1)
    trainer.fit(module, _loader(batch_size=128))

    n = trainer.global_step
    run_dir = Path(cb.run_dirs["optimizer0"])
    assert run_dir.is_relative_to(tmp_path) and logger.run_id in run_dir.parts
    client = mlflow.MlflowClient(uri)
    run = client.get_run(logger.run_id)
    assert run.data.tags["lrdiag.verdict"] == cb.report.verdict
    losses = client.get_metric_history(logger.run_id, "lrdiag/loss")
    assert sorted(m.step for m in losses) == list(range(n))
    np.testing.assert_allclose(sorted((m.step, m.value) for m in losses)[-1][1], module.micro_losses[-1], rtol=1e-5)
    assert "train_loss" in run.data.metrics  # Lightning's own metric, same run
    arts = {a.path for a in client.list_artifacts(logger.run_id, "lrdiag")}
    assert "lrdiag/report.json" in arts
    local = client.download_artifacts(logger.run_id, "lrdiag/report.json", str(tmp_path / "dl"))
    assert json.loads(Path(local).read_text())["steps"] == [0, n - 1]


class TwoOptimizers(L.LightningModule):
    """Manual optimization with two optimizers (a GAN-shaped loop): A fits digits, B fits a
    regression of the pixel mean; each has its own loss key in the returned dict."""

    def __init__(self):
        super().__init__()
        self.automatic_optimization = False
        self.a = torch.nn.Linear(64, 10)
        self.b = torch.nn.Sequential(torch.nn.Linear(64, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
        self.losses = {"a_loss": [], "b_loss": []}

    def training_step(self, batch, batch_idx):
        opt_a, opt_b = self.optimizers()
        x, y = batch
        loss_a = torch.nn.functional.cross_entropy(self.a(x), y)
        opt_a.zero_grad()
        self.manual_backward(loss_a)
        opt_a.step()
        out = {"a_loss": loss_a.detach()}
        if batch_idx % 2 == 0:  # B steps every other batch only
            loss_b = torch.nn.functional.mse_loss(self.b(x).squeeze(1), x.mean(1))
            opt_b.zero_grad()
            self.manual_backward(loss_b)
            opt_b.step()
            out["b_loss"] = loss_b.detach()
            self.losses["b_loss"].append(float(loss_b))
        self.losses["a_loss"].append(float(loss_a))
        return out

    def configure_optimizers(self):
        return [torch.optim.SGD(self.a.parameters(), lr=0.1), torch.optim.Adam(self.b.parameters(), lr=1e-3)]


def test_two_optimizers_are_two_named_runs(tmp_path):
    module = TwoOptimizers()
    cb = LRDiagCallback(names=["classifier", "regressor"], loss_key=["a_loss", "b_loss"])
    logger = TensorBoardLogger(str(tmp_path / "tb"))
    trainer = _trainer(tmp_path, logger, [cb], max_epochs=1)
    trainer.fit(module, _loader(batch_size=128))

    assert set(cb.run_dirs) == {"classifier", "regressor"}
    for name, key, opt, layers in (("classifier", "a_loss", "SGD", {"a"}), ("regressor", "b_loss", "Adam", {"b.0", "b.2"})):
        run_dir = Path(cb.run_dirs[name])
        assert run_dir == Path(logger.log_dir) / name
        meta, steps, cols = _store(run_dir)
        expected = module.losses[key]
        assert meta["optimizer"] == opt and set(meta["layers"]) == layers
        np.testing.assert_array_equal(steps, np.arange(len(expected)))
        np.testing.assert_allclose(cols["lrdiag/loss"], expected, rtol=1e-5)
        assert json.loads((run_dir / "report.json").read_text())["steps"] == [0, len(expected) - 1]
    assert len(module.losses["b_loss"]) < len(module.losses["a_loss"])


def test_failing_fit_still_writes_the_report_of_the_steps_that_ran(tmp_path):
    module = Digits(fail_at=9)
    cb = LRDiagCallback()
    trainer = _trainer(tmp_path, TensorBoardLogger(str(tmp_path / "tb")), [cb], max_epochs=1)
    with pytest.raises(RuntimeError, match="boom"):
        trainer.fit(module, _loader(batch_size=64))
    run_dir = Path(cb.run_dirs["optimizer0"])
    _, steps, cols = _store(run_dir)
    np.testing.assert_array_equal(steps, np.arange(9))
    np.testing.assert_allclose(cols["lrdiag/loss"], module.micro_losses, rtol=1e-5)
    assert json.loads((run_dir / "report.json").read_text())["steps"] == [0, 8]


def test_a_resumed_fit_numbers_its_steps_from_the_checkpoint(tmp_path):
    first_cb = LRDiagCallback()
    first = _trainer(tmp_path, TensorBoardLogger(str(tmp_path / "tb")), [first_cb], max_epochs=1)
    first.fit(Digits(), _loader(batch_size=256))
    first_dirs = dict(first_cb.run_dirs)
    ckpt = tmp_path / "one_epoch.ckpt"
    first.save_checkpoint(ckpt)
    n1 = first.global_step
    cb = LRDiagCallback()
    second = _trainer(tmp_path, TensorBoardLogger(str(tmp_path / "tb")), [cb], max_epochs=2)
    module = Digits()
    second.fit(module, _loader(batch_size=256), ckpt_path=str(ckpt))
    _, steps, cols = _store(cb.run_dirs["optimizer0"])
    np.testing.assert_array_equal(steps, np.arange(n1, second.global_step))
    np.testing.assert_allclose(cols["lrdiag/loss"], module.micro_losses, rtol=1e-5)
    np.testing.assert_allclose(cols["lrdiag/lr/group0"], module.step_lrs, rtol=1e-7)  # StepLR state restored
    # The resumed fit wrote into the logger's next version; the checkpoint named the first fit's
    # directory, so the report covers the whole run: the first fit's steps, then the second's.
    assert cb.run_dirs["optimizer0"] != first_dirs["optimizer0"]
    _, steps1, cols1 = _store(first_dirs["optimizer0"])
    whole = cb.monitors["optimizer0"].history()
    np.testing.assert_array_equal(whole.steps, np.arange(second.global_step))
    np.testing.assert_allclose(whole.loss, np.concatenate([cols1["lrdiag/loss"], cols["lrdiag/loss"]]), rtol=1e-6)
    assert json.loads((Path(cb.run_dirs["optimizer0"]) / "report.json").read_text())["steps"] == [0, second.global_step - 1]


def test_without_a_tensorboard_logger_it_writes_under_the_log_dir(tmp_path):
    from lightning.pytorch.loggers import CSVLogger

    cb = LRDiagCallback(every=2, ratio_every=2)  # Monitor options pass through
    logger = CSVLogger(str(tmp_path / "csv"))
    trainer = _trainer(tmp_path, logger, [cb], max_epochs=1)
    trainer.fit(Digits(), _loader(batch_size=256))
    run_dir = Path(cb.run_dirs["optimizer0"])
    assert run_dir == Path(logger.log_dir) / "lrdiag"
    _, steps, _ = _store(run_dir)
    np.testing.assert_array_equal(steps, np.arange(0, trainer.global_step, 2))
    assert (run_dir / "report.json").is_file()


def test_bad_options_raise_one_clear_error(tmp_path):
    cb = LRDiagCallback(names=["only-one"], loss_key=["a_loss", "b_loss"])
    trainer = _trainer(tmp_path, False, [cb], max_epochs=1)
    with pytest.raises(LRDiagError, match="names=.*1 names for 2 optimizers"):
        trainer.fit(TwoOptimizers(), _loader(batch_size=256))


def test_bad_monitor_options_raise_before_training(tmp_path):
    module = Digits()
    before = [p.detach().clone() for p in module.parameters()]
    trainer = _trainer(tmp_path, False, [LRDiagCallback(every=0)], max_epochs=1)
    with pytest.raises(LRDiagError, match="every must be an integer >= 1"):
        trainer.fit(module, _loader(batch_size=256))
    assert all(torch.equal(a, b) for a, b in zip(before, module.parameters()))


def test_loss_from_outputs():
    t = torch.tensor(2.5, requires_grad=True)
    assert loss_from_outputs(t).item() == 2.5 and not loss_from_outputs(t).requires_grad
    assert loss_from_outputs({"loss": t, "acc": 1}).item() == 2.5
    assert loss_from_outputs({"g": t}, key="g").item() == 2.5
    assert loss_from_outputs(None) is None
    assert loss_from_outputs({"loss": torch.ones(3)}) is None


# ----------------------------------------------------------------------------- range test


class DictBatches(L.LightningDataModule):
    """Batches as dicts (the form Hugging Face style pipelines use)."""

    def train_dataloader(self):
        x, y = _digits()
        ds = [{"x": x[i], "y": y[i]} for i in range(len(y))]
        return torch.utils.data.DataLoader(ds, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))


class DictDigits(Digits):
    def training_step(self, batch, batch_idx):
        loss = torch.nn.functional.cross_entropy(self.net(batch["x"]), batch["y"])
        self.micro_losses.append(float(loss))
        self.log("train_loss", loss)
        return {"loss": loss}


def test_range_test_on_a_lightning_module_restores_it_and_suggests_a_usable_lr(tmp_path):
    torch.manual_seed(0)
    module = DictDigits()
    before = {k: v.clone() for k, v in module.state_dict().items()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = lightning_range_test(module, DictBatches(), num_steps=60, start_lr=1e-4, end_lr=10.0,
                                   confirm_steps=20, candidates=3, progress=False)
    assert not [w for w in caught if "self.log" in str(w.message)]
    for k, v in module.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert res.suggested_lr is not None and res.lr_range is not None
    # SGD with momentum 0.9 on digits: training is stable well below the LR where the sweep
    # blew up, and too small an LR barely moves the loss in 20 steps.
    assert 1e-3 < res.suggested_lr < res.lrs[-1]
    assert len(res.lrs) <= 60

    # The suggestion trains: a short fit at the suggested LR beats one at 100x less.
    def final_loss(lr):
        torch.manual_seed(1)
        m = DictDigits(lr=lr)
        _trainer(tmp_path, False, [], max_epochs=1).fit(m, DictBatches())
        return float(np.mean(m.micro_losses[-5:]))

    assert final_loss(res.suggested_lr) < final_loss(res.suggested_lr / 100)


def test_range_test_refuses_manual_optimization():
    with pytest.raises(LRDiagError, match="manual optimization"):
        lightning_range_test(TwoOptimizers(), _loader(n=128))


def test_optimizer_from_module_reads_every_configure_optimizers_form():
    class M(L.LightningModule):
        def __init__(self, form):
            super().__init__()
            self.w = torch.nn.Linear(2, 2)
            self.form = form

        def configure_optimizers(self):
            a = torch.optim.SGD(self.parameters(), lr=0.1)
            b = torch.optim.Adam(self.parameters(), lr=0.01)
            s = torch.optim.lr_scheduler.StepLR(a, 1)
            return {"single": a, "list": [a, b], "pair": ([a, b], [s]), "dict": {"optimizer": b, "lr_scheduler": s},
                    "dicts": [{"optimizer": a}, {"optimizer": b}], "none": None}[self.form]

    assert isinstance(optimizer_from_module(M("single")), torch.optim.SGD)
    assert isinstance(optimizer_from_module(M("list"), 1), torch.optim.Adam)
    assert isinstance(optimizer_from_module(M("pair"), 1), torch.optim.Adam)
    assert isinstance(optimizer_from_module(M("dict")), torch.optim.Adam)
    assert isinstance(optimizer_from_module(M("dicts"), 1), torch.optim.Adam)
    with pytest.raises(LRDiagError, match="no torch optimizer"):
        optimizer_from_module(M("none"))
    with pytest.raises(LRDiagError, match="out of range"):
        optimizer_from_module(M("list"), 2)


def test_a_fit_resumed_in_a_project_moved_whole_still_covers_the_whole_run(tmp_path):
    """Round 49. The checkpoint names the earlier fits' directories relative to the trainer's
    ``default_root_dir`` (they were absolute): a project copied elsewhere, or moved, resumes with
    the whole run, not from the checkpoint on."""
    import shutil

    old, new = tmp_path / "old", tmp_path / "new"
    first_cb = LRDiagCallback()
    first = _trainer(old, TensorBoardLogger(str(old / "tb")), [first_cb], max_epochs=1)
    first.fit(Digits(), _loader(batch_size=256))
    first.save_checkpoint(old / "one_epoch.ckpt")
    n1 = first.global_step
    saved = torch.load(old / "one_epoch.ckpt", weights_only=False)["callbacks"]
    assert [v for k, v in saved.items() if "LRDiagCallback" in k] == [{"run_dirs": {"optimizer0": ["tb/lightning_logs/version_0"]}}]
    shutil.move(old, new)
    cb = LRDiagCallback()
    second = _trainer(new, TensorBoardLogger(str(new / "tb")), [cb], max_epochs=2)
    second.fit(Digits(), _loader(batch_size=256), ckpt_path=str(new / "one_epoch.ckpt"))
    whole = cb.monitors["optimizer0"].history()
    np.testing.assert_array_equal(whole.steps, np.arange(second.global_step))
    _, steps1, _ = _store(new / "tb" / "lightning_logs" / "version_0")
    np.testing.assert_array_equal(steps1, np.arange(n1))

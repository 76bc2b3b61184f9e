"""lrdiag.load on every format: lrdiag run directories, foreign TensorBoard logdirs, CSV, JSONL.

Runs are written by the real writers (lrdiag's StoreWriter, torch's SummaryWriter, TensorBoard's
own summary protos) from a small real training on scikit-learn's digits data.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.tensorboard import SummaryWriter

import lrdiag
from lrdiag import names
from lrdiag.errors import SourceError
from lrdiag.sources import sniff
from lrdiag.store import StoreWriter


@pytest.fixture(scope="module")
def digits_run():
    """A real 60-step SGD training on scikit-learn digits: per-step loss, LR, per-layer ratios."""
    from sklearn.datasets import load_digits

    torch.manual_seed(0)
    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=20, gamma=0.5)
    rows = {"step": [], "loss": [], "lr": [], "ratio/0": [], "ratio/2": []}
    for step in range(60):
        idx = torch.randint(0, len(x), (64,))
        loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        rows["lr"].append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        for layer in ("0", "2"):
            num = sum(float((p.detach() - before[n]).norm() ** 2) for n, p in model.named_parameters() if n.startswith(layer + "."))
            den = sum(float(before[n].norm() ** 2) for n in before if n.startswith(layer + "."))
            rows[f"ratio/{layer}"].append((num / den) ** 0.5)
        rows["step"].append(step)
        rows["loss"].append(float(loss.detach()))
    return {k: np.asarray(v) for k, v in rows.items()}


def _loaded(source, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean source loads without any warning
        return lrdiag.load(source, **kw)


def _write_lrdiag_run(run_dir, run, *, events_every=10):
    """What a Monitor writes: the full-resolution store plus sampled TensorBoard scalars."""
    cols = {names.LOSS: run["loss"], names.lr("group0"): run["lr"],
            names.update_ratio("0"): run["ratio/0"], names.update_ratio("2"): run["ratio/2"]}
    w = StoreWriter(run_dir, meta={"optimizer": "SGD", "hparams": {"lr": 0.5, "momentum": 0.9}, "groups": ["group0"], "layers": ["0", "2"]})
    for lo in range(0, 60, 25):  # three flushes
        w.append(run["step"][lo:lo + 25], {k: v[lo:lo + 25] for k, v in cols.items()})
    w.close()
    tb = SummaryWriter(str(run_dir))
    for i in range(0, 60, events_every):
        for k, v in cols.items():
            tb.add_scalar(k, float(v[i]), i)
    tb.close()
    return cols


# -- lrdiag's own run directories ----------------------------------------------------------

def test_lrdiag_run_dir_reads_the_full_resolution_store(tmp_path, digits_run):
    cols = _write_lrdiag_run(tmp_path / "run1", digits_run)
    h = _loaded(tmp_path / "run1")
    assert len(h) == 60 and h.steps.tolist() == list(range(60))
    for k, v in cols.items():
        np.testing.assert_allclose(h.series[k], v.astype(np.float32), rtol=0, atol=0)
    assert h.layers == ["0", "2"] and h.groups == ["group0"]
    assert h.meta["optimizer"] == "SGD" and h.meta["hparams"]["momentum"] == 0.9
    assert h.meta["source_format"] == "lrdiag-store" and h.meta["run"] == "run1"
    assert h.meta["source"] == str(tmp_path / "run1")
    # The store file on its own loads the same.
    h2 = _loaded(h.meta["store_files"][0])
    np.testing.assert_array_equal(h2.series[names.LOSS], h.series[names.LOSS])


def test_run_dir_with_only_events(tmp_path, digits_run):
    tb = SummaryWriter(str(tmp_path / "ev"))
    for i in range(60):
        tb.add_scalar(names.LOSS, digits_run["loss"][i], i)
        tb.add_scalar(names.lr("group0"), digits_run["lr"][i], i)
        tb.add_scalar(names.update_ratio("0"), digits_run["ratio/0"][i], i)
    tb.close()
    h = _loaded(tmp_path / "ev")
    assert h.meta["source_format"] == "tensorboard"
    np.testing.assert_allclose(h.series[names.LOSS], digits_run["loss"], rtol=1e-6)
    np.testing.assert_allclose(h.lr(), digits_run["lr"], rtol=1e-6)
    assert h.layers == ["0"]


def test_store_without_loss_takes_the_loss_from_events_beside_it(tmp_path, digits_run):
    w = StoreWriter(tmp_path / "r", meta={"optimizer": "SGD"})
    w.append(digits_run["step"], {names.lr("group0"): digits_run["lr"]})
    w.close()
    tb = SummaryWriter(str(tmp_path / "r"))
    for i in range(60):
        tb.add_scalar("train/loss", digits_run["loss"][i], i)
    tb.close()
    h = _loaded(tmp_path / "r")
    assert h.meta["source_format"] == "lrdiag-store+tensorboard"
    np.testing.assert_allclose(h.series[names.LOSS], digits_run["loss"], rtol=1e-6)
    np.testing.assert_allclose(h.lr(), digits_run["lr"].astype(np.float32))


def test_logdir_with_several_runs_lists_them(tmp_path, digits_run):
    _write_lrdiag_run(tmp_path / "logs" / "a", digits_run)
    _write_lrdiag_run(tmp_path / "logs" / "b" / "nested", digits_run)
    with pytest.raises(SourceError) as e:
        lrdiag.load(tmp_path / "logs")
    msg = str(e.value)
    assert "2 runs" in msg and "'a'" in msg and "'b/nested'" in msg and "run=" in msg
    assert len(_loaded(tmp_path / "logs", run="b/nested")) == 60
    assert _loaded(tmp_path / "logs", run="nested").meta["run"] == "b/nested"
    with pytest.raises(SourceError, match="no run 'zzz'"):
        lrdiag.load(tmp_path / "logs", run="zzz")



def _write_add_scalars_run(run_dir, steps: int = 200, shift: float = 0.0):
    """A run logged as many PyTorch tutorials do: ``add_scalars`` for train/val, ``add_scalar`` for the LR."""
    w = SummaryWriter(str(run_dir))
    for t in range(steps):
        loss = 2.0 * np.exp(-t / 50.0) + 0.1 + shift
        w.add_scalars("Loss", {"train": loss, "val": loss + 0.2}, t)
        w.add_scalar("lr", 0.1, t)
    w.close()


def test_add_scalars_directories_are_series_of_their_run(tmp_path):
    """Round 50. ``SummaryWriter.add_scalars("Loss", {"train": ..., "val": ...})`` writes each key
    into a directory of its own beside the run (``Loss_train``, ``Loss_val``, each with the one tag
    ``Loss``). lrdiag listed three runs and, loaded alone, the run had the LR and no loss. They
    are read as the run's ``Loss/train`` (the loss) and ``Loss/val`` (the eval loss)."""
    _write_add_scalars_run(tmp_path / "exp")
    assert sorted(p.name for p in (tmp_path / "exp").iterdir() if p.is_dir()) == ["Loss_train", "Loss_val"]
    h = _loaded(tmp_path / "exp")
    assert len(h) == 200 and h.meta["tags"][names.LOSS] == "Loss/train" and h.meta["tags"][names.EVAL_LOSS] == "Loss/val"
    np.testing.assert_allclose(h.series[names.EVAL_LOSS] - h.loss, 0.2, rtol=1e-5)
    assert np.all(h.series[names.lr("group0")] == pytest.approx(0.1))
    # run= still names one of them, read on its own (no LR there)
    with pytest.warns(UserWarning, match="no learning-rate series"):
        assert lrdiag.load(tmp_path / "exp", run="Loss_val").loss[0] == pytest.approx(2.3, rel=1e-5)
    # two such runs in one logdir: two runs listed, each with its own parts
    _write_add_scalars_run(tmp_path / "logs" / "a")
    _write_add_scalars_run(tmp_path / "logs" / "b", shift=1.0)
    with pytest.raises(SourceError) as e:
        lrdiag.load(tmp_path / "logs")
    assert "2 runs: 'a', 'b'" in str(e.value)
    assert _loaded(tmp_path / "logs", run="b").loss[-1] == pytest.approx(2.0 * np.exp(-199 / 50.0) + 1.1, rel=1e-5)
    # a run nested in a run that add_scalars did not write (several tags) stays a run of its own
    w = SummaryWriter(str(tmp_path / "exp" / "probe_2"))
    for t in range(10):
        w.add_scalar("loss", 1.0, t)
        w.add_scalar("lr", 0.1, t)
    w.close()
    with pytest.raises(SourceError, match="2 runs: '.', 'probe_2'"):
        lrdiag.load(tmp_path / "exp")



KERAS3 = Path(__file__).parent / "data" / "keras3"  # written by Keras 3.15.1's TensorBoard callback (make.py there)


def test_train_and_validation_directories_are_one_run():
    """Round 51. Keras' TensorBoard callback writes one training into ``<logdir>/train`` and
    ``<logdir>/validation``, both with the tag ``epoch_loss``, at the epoch number; the iteration
    each evaluation ended on is in ``validation/evaluation_loss_vs_iterations``. lrdiag said the
    logdir "holds 2 runs" and, loaded alone, the training directory had no eval loss. It is one
    run, on optimizer steps: 60 epochs of 10 batches, each epoch at the iteration it ended on."""
    h = _loaded(KERAS3 / "epoch")
    assert h.meta["tags"] == {names.LOSS: "epoch_loss", names.lr("group0"): "epoch_learning_rate",
                              names.EVAL_LOSS: "validation/epoch_loss"}
    np.testing.assert_array_equal(h.steps, 10 * np.arange(1, 61))
    # the LR Keras logged at each epoch's end is its ExponentialDecay(2e-3, 200, 0.9) at that iteration
    np.testing.assert_allclose(h.series[names.lr("group0")], 2e-3 * 0.9 ** (h.steps / 200), rtol=1e-6)
    np.testing.assert_array_equal(h.series[names.EVAL_LOSS], h.series["validation/evaluation_loss_vs_iterations"])
    report = lrdiag.analyze(KERAS3 / "epoch")
    rising = [f for f in report.findings if f.evidence.get("state") == "eval_rising"]
    assert [(f.start_step, f.end_step) for f in rising] == [(20, 600)]  # its val loss is lowest after epoch 2
    assert "Keras: EarlyStopping(monitor='val_loss', patience=57, restore_best_weights=True)" in rising[0].message
    # run= still names one directory, read on its own
    assert names.EVAL_LOSS not in _loaded(KERAS3 / "epoch", run="train").series


def test_keras_batch_series_are_per_step_on_the_iterations_axis(tmp_path):
    """With ``update_freq="batch"`` Keras writes ``batch_loss`` at the iteration and the epoch
    series (the LR among them) at the epoch number: read on one axis, the whole LR schedule stood
    at the first 60 of 600 iterations. And its ``batch_loss`` is the mean since the epoch began
    (its last value each epoch is that epoch's ``epoch_loss``), not the batch's loss: a per-step
    test saw a smooth curve that jumped each epoch. Each batch's own loss is recovered."""
    from lrdiag.sources.tensorboard import event_files, read_events

    h = _loaded(KERAS3 / "batch")
    assert h.meta["tags"][names.LOSS] == "batch_loss" and len(h) == 600
    np.testing.assert_array_equal(h.steps, np.arange(1, 601))
    lr = h.series[names.lr("group0")]
    np.testing.assert_array_equal(h.steps[np.isfinite(lr)], 10 * np.arange(1, 61))
    np.testing.assert_allclose(lr[np.isfinite(lr)], 2e-3 * 0.9 ** (np.arange(1, 61) / 20), rtol=1e-6)
    raw, _ = read_events(event_files(KERAS3 / "batch" / "train"), "keras")
    running = raw.arrays("batch_loss")[1]
    per_batch = h.loss
    # the running means are the recovered losses' cumulative means within each epoch ...
    cum = np.cumsum(per_batch.reshape(60, 10), axis=1) / np.arange(1, 11)
    np.testing.assert_allclose(cum.ravel(), running, rtol=1e-5)
    # ... and the recovered losses are not those means (a jump at each epoch start is gone)
    assert np.abs(per_batch - running).max() > 0.05
    # a training directory without its validation beside it: the last iteration over the epochs
    (tmp_path / "solo").mkdir()
    for f in (KERAS3 / "batch" / "train").iterdir():
        (tmp_path / "solo" / f.name).write_bytes(f.read_bytes())
    solo = _loaded(tmp_path / "solo")
    np.testing.assert_array_equal(solo.steps[np.isfinite(solo.series[names.lr("group0")])], 10 * np.arange(1, 61))
    np.testing.assert_allclose(solo.loss, per_batch)
    # axes that cannot be matched are left as they are, with one warning that says so
    w = SummaryWriter(str(tmp_path / "odd"))
    for it in range(1, 1001, 7):
        w.add_scalar("batch_loss", 1.0, it)
    for e in range(3):
        w.add_scalar("epoch_learning_rate", 0.1, e)
    w.close()
    with pytest.warns(UserWarning, match="epoch number.*could not be matched"):
        lrdiag.load(tmp_path / "odd")


def test_split_runs_in_a_logdir_and_a_hand_written_loops_train_val_test(tmp_path):
    """Keras' tutorial layout, ``logs/fit/<time>/{train,validation}``: each ``<time>`` is a run.
    A hand-written loop's ``runs/<name>/{train,val,test}``: one run, the val loss its eval loss."""
    for name in ("20261125-101500", "20261125-113000"):
        for sub in ("train", "validation"):
            (tmp_path / "logs" / "fit" / name / sub).mkdir(parents=True)
            for f in (KERAS3 / "epoch" / sub).iterdir():
                (tmp_path / "logs" / "fit" / name / sub / f.name).write_bytes(f.read_bytes())
    with pytest.raises(SourceError) as e:
        lrdiag.load(tmp_path / "logs")
    assert "2 runs: 'fit/20261125-101500', 'fit/20261125-113000'" in str(e.value)
    assert _loaded(tmp_path / "logs", run="20261125-113000").meta["tags"][names.EVAL_LOSS] == "validation/epoch_loss"
    for sub, offset in (("train", 0.0), ("val", 0.3), ("test", 0.5)):
        w = SummaryWriter(str(tmp_path / "runs" / "exp" / sub))
        for t in range(0, 300, 10):
            w.add_scalar("loss", 1.0 / (1 + t) + offset, t)
            if sub == "train":
                w.add_scalar("lr", 0.1, t)
        w.close()
    h = _loaded(tmp_path / "runs")
    assert h.meta["run"] == "exp" and h.meta["tags"][names.EVAL_LOSS] == "val/loss" and "test/loss" in h.series
    np.testing.assert_allclose(h.series[names.EVAL_LOSS] - h.loss, 0.3, rtol=1e-5)
    # a test directory alone beside the training one: its loss is the eval loss
    for f in (tmp_path / "runs" / "exp" / "val").iterdir():
        f.unlink()
    (tmp_path / "runs" / "exp" / "val").rmdir()
    assert _loaded(tmp_path / "runs").meta["tags"][names.EVAL_LOSS] == "test/loss"


def test_add_hparams_directory_is_the_runs_settings(tmp_path, digits_run):
    """Round 51. ``SummaryWriter.add_hparams(hparams, metrics)`` writes into a directory of its own
    inside the run, named by the time (the HParams plugin's session and one value per metric), and
    lrdiag said the logdir "holds 2 runs". Its settings are the run's ``meta["hparams"]``, where
    the detectors read the optimizer from (an Adam band here), and its metrics ``hparam_metrics``."""
    w = SummaryWriter(str(tmp_path / "exp"))
    for i, t in enumerate(digits_run["step"]):
        w.add_scalar("train/loss", float(digits_run["loss"][i]), int(t))
        w.add_scalar("lr", 1e-3, int(t))
        w.add_scalar("update_ratio/0", 3e-3, int(t))
    w.add_hparams({"optimizer": "Adam", "lr": 1e-3, "batch_size": 64, "amsgrad": False}, {"hparam/val_loss": 0.25})
    w.close()
    assert len([d for d in (tmp_path / "exp").iterdir() if d.is_dir()]) == 1  # the time-named directory
    h = _loaded(tmp_path / "exp")
    assert h.meta["hparams"] == {"optimizer": "Adam", "lr": 1e-3, "batch_size": 64, "amsgrad": False}
    assert h.meta["hparam_metrics"] == {"hparam/val_loss": 0.25} and "hparam/val_loss" not in h.series
    report = lrdiag.analyze(h)
    assert report.meta["hparams"]["optimizer"] == "Adam" and report.meta["ratio_band"]["family"] == "adam"
    # beside an lrdiag run, what the Monitor recorded wins over the user's add_hparams
    _write_lrdiag_run(tmp_path / "mon", digits_run)
    w = SummaryWriter(str(tmp_path / "mon"))
    w.add_hparams({"lr": 0.1, "momentum": 0.5, "dropout": 0.2}, {"hparam/acc": 0.9})
    w.close()
    h = _loaded(tmp_path / "mon")
    assert h.meta["hparams"] == {"lr": 0.5, "momentum": 0.9, "dropout": 0.2} and h.meta["optimizer"] == "SGD"
    assert len(h) == 60


def test_add_scalars_beside_an_lrdiag_run_add_to_its_store(tmp_path, digits_run):
    """The store holds the loss and the LR, so the run's own event files are not read; the val loss
    a user's ``add_scalars`` wrote beside it is still part of the run."""
    _write_lrdiag_run(tmp_path / "mon", digits_run)
    w = SummaryWriter(str(tmp_path / "mon"))
    for t in range(9, 60, 10):
        w.add_scalars("Loss", {"val": 1.0 + t / 100}, t)
    w.close()
    h = _loaded(tmp_path / "mon")
    assert len(h) == 60 and h.meta["tags"][names.EVAL_LOSS] == "Loss/val"
    ev = h.series[names.EVAL_LOSS]
    np.testing.assert_allclose(ev[np.isfinite(ev)], 1.0 + np.arange(9, 60, 10) / 100, rtol=1e-6)


# -- foreign TensorBoard logdirs -------------------------------------------------------------

@pytest.mark.parametrize("loss_tag,lr_tag,group", [
    ("train/loss", "train/learning_rate", "group0"),   # Hugging Face TensorBoardCallback
    ("loss", "lr", "group0"),
    ("train_loss", "learning_rate", "group0"),
    ("Loss/train", "lr-Adam", "Adam"),                  # Lightning LearningRateMonitor
    ("train_loss_step", "lr-SGD/pg1", "SGD/pg1"),
    ("my_fancy_loss", "learning_rate/encoder", "encoder"),
])
def test_foreign_tags_are_detected(tmp_path, digits_run, loss_tag, lr_tag, group):
    tb = SummaryWriter(str(tmp_path))
    for i in range(60):
        tb.add_scalar(loss_tag, digits_run["loss"][i], i)
        tb.add_scalar(lr_tag, digits_run["lr"][i], i)
        tb.add_scalar("val/accuracy", 0.5, i)
    tb.close()
    h = _loaded(tmp_path)
    np.testing.assert_allclose(h.series[names.LOSS], digits_run["loss"], rtol=1e-6)
    np.testing.assert_allclose(h.series[names.lr(group)], digits_run["lr"], rtol=1e-6)
    assert h.meta["tags"][names.LOSS] == loss_tag
    assert "val/accuracy" in h.series  # other scalars keep their own name


def test_all_events_are_read_not_a_sample(tmp_path):
    """TensorBoard's reservoir keeps 1,000 scalars per tag; analysis needs every one."""
    tb = SummaryWriter(str(tmp_path))
    for i in range(5000):
        tb.add_scalar("loss", 1.0 / (i + 1), i)
        tb.add_scalar("lr", 0.1, i)
    tb.close()
    h = _loaded(tmp_path)
    assert len(h) == 5000
    np.testing.assert_allclose(h.loss, 1.0 / (np.arange(5000) + 1), rtol=1e-6)


def test_several_lr_tags_become_groups_and_known_series_are_renamed(tmp_path):
    tb = SummaryWriter(str(tmp_path))
    for i in range(20):
        tb.add_scalar("train/loss", 2.0 - i * 0.01, i)
        tb.add_scalar("lr-AdamW/pg1", 1e-3, i)
        tb.add_scalar("lr-AdamW/pg2", 1e-4, i)
        tb.add_scalar("momentum-AdamW/pg1", 0.9, i)
        tb.add_scalar("train/grad_norm", 3.0, i)
        tb.add_scalar("eval/loss", 2.5, i)
        tb.add_scalar("train/epoch", i / 10, i)
    tb.close()
    h = _loaded(tmp_path)
    assert h.groups == ["AdamW/pg1", "AdamW/pg2"]
    assert np.allclose(h.lr("AdamW/pg2"), 1e-4)
    assert np.allclose(h.series[names.GRAD_NORM], 3.0)
    assert np.allclose(h.series[names.momentum("AdamW/pg1")], 0.9)
    assert np.allclose(h.series["lrdiag/eval_loss"], 2.5)
    assert np.allclose(h.series["train/epoch"], np.arange(20) / 10, rtol=1e-6)


def test_tf2_tensor_scalars_are_read(tmp_path):
    """Scalars written as TF2 tensor summaries (plugin 'scalars'), float32 and float64."""
    from tensorboard.compat.proto import event_pb2
    from tensorboard.plugins.scalar import summary_v2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    w = EventFileWriter(str(tmp_path))
    for i in range(30):
        s = summary_v2.scalar_pb("loss", np.float64(1.0 / (i + 1)))
        s2 = summary_v2.scalar_pb("learning_rate", np.float32(0.1 * 0.9 ** i))
        s.value.extend(s2.value)
        w.add_event(event_pb2.Event(step=i, wall_time=1.0 + i, summary=s))
    w.close()
    h = _loaded(tmp_path)
    np.testing.assert_allclose(h.loss, 1.0 / (np.arange(30) + 1))
    np.testing.assert_allclose(h.lr(), 0.1 * 0.9 ** np.arange(30), rtol=1e-6)


def test_torch_new_style_scalars_and_non_scalar_summaries(tmp_path):
    tb = SummaryWriter(str(tmp_path))
    for i in range(10):
        tb.add_scalar("loss", float(i), i, new_style=True)
        tb.add_scalar("lr", 0.01, i, new_style=True)
        tb.add_histogram("weights", np.random.rand(100), i)
        tb.add_text("notes", "step <b>%d</b>" % i, i)
    tb.close()
    h = _loaded(tmp_path)
    assert sorted(h.series) == [names.LOSS, names.lr("group0")]
    assert h.loss.tolist() == [float(i) for i in range(10)]


def test_overrides_name_the_series(tmp_path):
    tb = SummaryWriter(str(tmp_path))
    for i in range(10):
        tb.add_scalar("objective", 1.0 - i / 10, i)
        tb.add_scalar("step_size/enc", 0.1, i)
        tb.add_scalar("step_size/dec", 0.2, i)
    tb.close()
    with pytest.raises(SourceError, match="no loss and no learning-rate"):
        lrdiag.load(tmp_path)
    h = _loaded(tmp_path, loss="objective", lr=["step_size/enc", "step_size/dec"])
    assert np.allclose(h.loss, 1.0 - np.arange(10) / 10)
    assert len(h.groups) == 2
    with pytest.raises(SourceError, match=r"no series named 'nope' \(given as loss=\).*objective"):
        lrdiag.load(tmp_path, loss="nope")
    with pytest.raises(TypeError):
        lrdiag.load(tmp_path, colour="red")


# -- CSV / JSONL ---------------------------------------------------------------------------

def test_csv(tmp_path, digits_run):
    p = tmp_path / "log.csv"
    lines = ["step,lr,loss,update_ratio/0,update_ratio/2,phase"]
    for i in range(60):
        vals = [float(digits_run[k][i]) for k in ("lr", "loss", "ratio/0", "ratio/2")]
        lines.append(",".join([str(i)] + [repr(v) for v in vals] + ["train"]))
    p.write_text("\n".join(lines) + "\n")
    h = _loaded(p)
    np.testing.assert_array_equal(h.series[names.LOSS], digits_run["loss"])
    np.testing.assert_array_equal(h.lr(), digits_run["lr"])
    np.testing.assert_array_equal(h.series[names.update_ratio("2")], digits_run["ratio/2"])
    assert "phase" not in h.series and h.meta["source_format"] == "csv"


@pytest.mark.parametrize("header,sep", [("global_step;learning_rate;train_loss", ";"), ("Step\tLR\tLoss", "\t"),
                                        ("iteration,learning-rate,loss,update_ratio", ",")])
def test_csv_aliases_and_delimiters(tmp_path, header, sep):
    p = tmp_path / "x.txt"  # the name says nothing; the content does
    p.write_text(header + "\n" + "\n".join(sep.join([str(10 * i), "0.001", str(3.0 - i / 10)] + (["1e-3"] if header.endswith("update_ratio") else [])) for i in range(12)))
    h = _loaded(p)
    assert h.steps.tolist() == [10 * i for i in range(12)]
    assert np.allclose(h.loss, 3.0 - np.arange(12) / 10) and np.allclose(h.lr(), 0.001)
    if header.endswith("update_ratio"):
        assert h.layers == ["model"]


@pytest.mark.parametrize("sep", [";", "\t"])
def test_csv_with_decimal_commas(tmp_path, sep):
    """Round 49. A spreadsheet saved in a locale that writes 0,5 for 0.5 separates cells by ";" (or
    a tab); its numbers had been dropped as text ("has no numeric column besides the step")."""
    p = tmp_path / "x.csv"
    p.write_text(sep.join(["step", "lr", "loss"]) + "\n"
                 + "\n".join(sep.join([str(i), "0,001", f"{3.0 - i / 10:.2f}".replace(".", ",")]) for i in range(12)))
    h = _loaded(p)
    assert h.steps.tolist() == list(range(12))
    assert np.allclose(h.loss, 3.0 - np.arange(12) / 10) and np.allclose(h.lr(), 0.001)


def test_csv_without_step_column_uses_row_numbers(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("loss,lr\n1.0,0.1\n0.9,0.1\n0.8,0.1\n")
    h = _loaded(p)
    assert h.steps.tolist() == [0, 1, 2] and h.meta["step_column"] == "(row number)"


def test_damaged_csv_gives_partial_history_and_one_warning(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("step,lr,loss\n0,0.1,1.0\n1,0.1,oops\nx,0.1,0.5\n3,0.1\n4,0.1,0.4,99\n5,0.1,0.3")
    with pytest.warns(UserWarning) as rec:
        h = lrdiag.load(p)
    assert len(rec) == 1
    msg = str(rec[0].message)
    assert "1 rows without a usable step" in msg and "non-numeric cells in 'loss'" in msg and "wrong number of cells" in msg
    assert h.steps.tolist() == [0, 1, 3, 4, 5]
    assert np.isnan(h.loss[1]) and np.isnan(h.loss[2]) and h.loss[4] == 0.3


def test_jsonl_and_json_array(tmp_path, digits_run):
    rows = [{"step": int(i), "lr": float(digits_run["lr"][i]), "loss": float(digits_run["loss"][i]),
             "update_ratio": {"0": float(digits_run["ratio/0"][i])}, "note": "ok"} for i in range(60)]
    p = tmp_path / "log.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    h = _loaded(p)
    np.testing.assert_array_equal(h.loss, digits_run["loss"])
    np.testing.assert_array_equal(h.series[names.update_ratio("0")], digits_run["ratio/0"])
    assert h.meta["source_format"] == "jsonl"
    q = tmp_path / "log.json"
    q.write_text(json.dumps(rows, indent=1))
    h2 = _loaded(q)
    np.testing.assert_array_equal(h2.lr(), digits_run["lr"])


def test_jsonl_being_written_drops_the_torn_last_line(tmp_path):
    p = tmp_path / "live.jsonl"
    p.write_text('{"step": 0, "loss": 1.0, "lr": 0.1}\n{"step": 1, "loss": 0.9, "lr": 0.1}\n{"step": 2, "lo')
    with pytest.warns(UserWarning, match="truncated last line"):
        h = lrdiag.load(p)
    assert h.steps.tolist() == [0, 1]


# -- errors -------------------------------------------------------------------------------------

def test_clear_errors(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        lrdiag.load(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="holds no TensorBoard event files"):
        lrdiag.load(tmp_path / "empty")
    (tmp_path / "e.csv").write_bytes(b"")
    with pytest.raises(SourceError, match="is empty"):
        lrdiag.load(tmp_path / "e.csv")
    (tmp_path / "g.bin").write_bytes(bytes(range(256)) * 10)
    with pytest.raises(SourceError, match="binary file"):
        lrdiag.load(tmp_path / "g.bin")
    (tmp_path / "n.csv").write_text("1,2,3\n4,5,6\n")
    with pytest.raises(SourceError, match="no header row"):
        lrdiag.load(tmp_path / "n.csv")
    (tmp_path / "o.csv").write_text("step,accuracy\n1,0.5\n")
    with pytest.raises(SourceError, match=r"o.csv: has no loss and no learning-rate series \(found 'accuracy'\)"):
        lrdiag.load(tmp_path / "o.csv")


def test_sniff_by_content(tmp_path, digits_run):
    _write_lrdiag_run(tmp_path, digits_run)
    ev = next(tmp_path.glob("*tfevents*"))
    st = next(tmp_path.glob("*.lrstore"))
    renamed = tmp_path / "data.csv"
    renamed.write_bytes(ev.read_bytes())
    assert sniff(ev) == "events" and sniff(renamed) == "events" and sniff(st) == "lrstore"
    assert _loaded(renamed).meta["source_format"] == "tensorboard"


def test_cli_load_on_a_logdir_with_several_runs(tmp_path, digits_run, capsys):
    from lrdiag.cli import main

    _write_lrdiag_run(tmp_path / "a", digits_run)
    _write_lrdiag_run(tmp_path / "b", digits_run)
    assert main(["load", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds 2 runs: 'a', 'b'" in err
    assert main(["load", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("b: 60 steps (0..59)") and "optimizer: SGD" in out and "per-layer update ratios: 2 layers" in out

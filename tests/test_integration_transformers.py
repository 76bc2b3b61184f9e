"""The Transformers integration, with real ``Trainer`` runs of a tiny randomly-initialised GPT-2
built from a config (no download: HF_HUB_OFFLINE=1) on generated token sequences.

The Trainer's own records (``state.log_history``: the loss it logs every ``logging_steps``, the LR)
are the reference the per-step series lrdiag wrote are checked against.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")
from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments  # noqa: E402

from lrdiag.integrations.transformers import LRDiagCallback, unwrap_optimizer  # noqa: E402
from lrdiag.store import read_store, store_files  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")

VOCAB, SEQ = 48, 12


class Counting(torch.utils.data.Dataset):
    """Sequences ``s, s+1, s+2, ... (mod VOCAB)``: learnable in a few dozen steps."""

    def __init__(self, n: int, seed: int = 1):
        g = torch.Generator().manual_seed(seed)
        start = torch.randint(0, VOCAB, (n, 1), generator=g)
        self.x = (start + torch.arange(SEQ)) % VOCAB

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"input_ids": self.x[i], "labels": self.x[i]}


def tiny_gpt2() -> GPT2LMHeadModel:
    """2 layers, width 32, random weights: built from a config, nothing downloaded."""
    torch.manual_seed(0)
    special = dict.fromkeys(("bos_token_id", "eos_token_id", "pad_token_id"), 0)
    return GPT2LMHeadModel(GPT2Config(vocab_size=VOCAB, n_positions=SEQ, n_embd=32, n_layer=2, n_head=2, **special))


@pytest.fixture(autouse=True)
def _one_thread():
    # Tiny matrices: threads only contend on a shared 2-core machine.
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _args(tmp_path, **kw) -> TrainingArguments:
    base = dict(output_dir=str(tmp_path / "out"), logging_steps=4, per_device_train_batch_size=16,
                num_train_epochs=2, learning_rate=3e-3, lr_scheduler_type="linear", save_strategy="no",
                disable_tqdm=True, use_cpu=True, seed=0, report_to=[])
    base.update(kw)
    return TrainingArguments(**base)


def _store(run_dir):
    files = store_files(run_dir)
    assert len(files) == 1, files
    return read_store(files[0])


def _logged(trainer, key="loss"):
    """``{global_step: value}`` of what the Trainer logged (its own record, ``log_history``)."""
    return {h["step"]: h[key] for h in trainer.state.log_history if key in h and "train_runtime" not in h}


def test_tensorboard_run_gets_per_step_series_matching_the_trainers_logs(tmp_path):
    """Gradient accumulation 2, evaluation every 4 steps (its forward passes must be ignored)."""
    cb = LRDiagCallback()
    args = _args(tmp_path, report_to=["tensorboard"], per_device_train_batch_size=8, gradient_accumulation_steps=2,
                 eval_strategy="steps", eval_steps=4, per_device_eval_batch_size=16)
    trainer = Trainer(model=tiny_gpt2(), args=args, train_dataset=Counting(128), eval_dataset=Counting(32, seed=2),
                      callbacks=[cb])
    trainer.train()

    n = trainer.state.global_step
    assert n == 16 and cb.loss_source == "forward"
    run_dir = cb.run_dir
    assert run_dir.parent == Path(args.output_dir) / "runs"  # the TensorBoardCallback's run directory
    meta, steps, cols = _store(run_dir)
    np.testing.assert_array_equal(steps, np.arange(1, n + 1))  # numbered like global_step
    loss = cols["lrdiag/loss"]
    assert np.all(np.isfinite(loss))
    # Per step, yet consistent with the Trainer: the mean over each logging interval is its loss.
    logged = _logged(trainer)
    assert sorted(logged) == [4, 8, 12, 16]
    for gs, value in logged.items():
        np.testing.assert_allclose(loss[(steps > gs - 4) & (steps <= gs)].mean(), value, rtol=1e-5)
    # The LR the step used, as the Trainer logged it at its logging steps.
    lrs = cols["lrdiag/lr/group0"]
    for gs, value in _logged(trainer, "learning_rate").items():
        np.testing.assert_allclose(lrs[steps == gs][0], value, rtol=1e-6)
    assert lrs[0] > lrs[-1]  # the linear decay is there, step by step
    assert meta["optimizer"] == "AdamW"
    assert {"transformer.h.0.attn.c_attn", "transformer.h.1.mlp.c_fc"} <= set(meta["layers"])
    assert np.all(np.isfinite(cols["lrdiag/update_ratio/transformer.h.0.attn.c_attn"]))
    # Each evaluation's loss, at the step the Trainer evaluated
    ev = cols["lrdiag/eval_loss"]
    evaluated = _logged(trainer, "eval_loss")
    assert steps[~np.isnan(ev)].tolist() == sorted(evaluated) == [4, 8, 12, 16]
    np.testing.assert_allclose([ev[steps == gs][0] for gs in sorted(evaluated)], [evaluated[g] for g in sorted(evaluated)], rtol=1e-6)

    # The report: output_dir/lrdiag/report.json, the run directory, and TensorBoard.
    assert cb.report_path == Path(args.output_dir) / "lrdiag" / "report.json"
    report = json.loads(cb.report_path.read_text())
    assert report == json.loads((run_dir / "report.json").read_text())
    assert report["schema"] == "lrdiag.report/1" and report["steps"] == [1, n]
    assert cb.report.run in (cb.report_path.parent / "report.md").read_text()
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    assert "train/loss" in acc.Tags()["scalars"]  # the Trainer's own scalars, same run
    assert [e.step for e in acc.Scalars("lrdiag/loss")] == list(range(1, n + 1))
    assert "lrdiag/report" in acc.Tags()["tensors"]


def test_mlflow_run_of_the_trainer_gets_series_tags_and_report(tmp_path, monkeypatch):
    mlflow = pytest.importorskip("mlflow")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "lrdiag-hf")
    mlflow.set_tracking_uri(uri)
    cb = LRDiagCallback()
    args = _args(tmp_path, report_to=["mlflow"], num_train_epochs=1, per_device_train_batch_size=8)
    trainer = Trainer(model=tiny_gpt2(), args=args, train_dataset=Counting(96), callbacks=[cb])
    trainer.train()

    n = trainer.state.global_step
    assert cb.run_dir == Path(args.output_dir) / "lrdiag"  # no TensorBoard in report_to
    assert cb.report_path.is_file()
    client = mlflow.MlflowClient(uri)
    runs = client.search_runs([client.get_experiment_by_name("lrdiag-hf").experiment_id])
    assert len(runs) == 1  # lrdiag wrote into the Trainer's run, it did not open its own
    run = runs[0]
    assert run.data.tags["lrdiag.verdict"] == cb.report.verdict
    assert "loss" in run.data.metrics  # the Trainer's own metric, same run
    hist = client.get_metric_history(run.info.run_id, "lrdiag/loss")
    assert sorted(m.step for m in hist) == list(range(1, n + 1))
    arts = {a.path for a in client.list_artifacts(run.info.run_id, "lrdiag")}
    assert "lrdiag/report.json" in arts
    mlflow.set_tracking_uri(None)


def _loss_outside_the_model(outputs, labels, num_items_in_batch=None):
    logits = outputs.logits[:, :-1].reshape(-1, VOCAB)
    return torch.nn.functional.cross_entropy(logits, labels[:, 1:].reshape(-1))


class _StopAt(transformers.TrainerCallback):
    """Stops the training after ``step`` steps, as a crash or a preemption would, past a checkpoint."""

    def __init__(self, step: int):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= self.step:
            control.should_training_stop = True


def test_a_run_resumed_into_a_new_tensorboard_run_is_reported_whole(tmp_path):
    """Stopped at step 12 past a checkpoint at 8, then resumed from it: the Trainer writes the second
    process into a new TensorBoard run directory; the report covers steps 1-24, the first
    process's steps 1-8 and the second's 9-24 (its own, not the first's 9-12). A third process
    resumed from the second's checkpoint at 16 into another output_dir is reported whole too."""
    import time

    kw = dict(report_to=["tensorboard"], save_strategy="steps", save_steps=8, max_steps=24, num_train_epochs=1)
    first = LRDiagCallback()
    Trainer(model=tiny_gpt2(), args=_args(tmp_path, **kw), train_dataset=Counting(512), callbacks=[first, _StopAt(12)]).train()
    assert json.loads(first.report_path.read_text())["steps"] == [1, 12]
    time.sleep(1.1)  # the Trainer names its TensorBoard run directory by the second
    second = LRDiagCallback()
    Trainer(model=tiny_gpt2(), args=_args(tmp_path, **kw), train_dataset=Counting(512),
            callbacks=[second]).train(resume_from_checkpoint=str(tmp_path / "out" / "checkpoint-8"))
    assert second.run_dir != first.run_dir and second.run_dir.parent == first.run_dir.parent
    _, steps1, cols1 = _store(first.run_dir)
    _, steps2, cols2 = _store(second.run_dir)
    np.testing.assert_array_equal(steps1, np.arange(1, 13))
    np.testing.assert_array_equal(steps2, np.arange(9, 25))
    assert json.loads(second.report_path.read_text())["steps"] == [1, 24]
    # the note names the directories relative to output_dir (no path of this machine in a checkpoint)
    note = json.loads((tmp_path / "out" / "checkpoint-16" / "lrdiag_runs.json").read_text())
    assert note["run_dirs"] == [os.path.relpath(d.resolve(), (tmp_path / "out").resolve()) for d in (first.run_dir, second.run_dir)]
    whole = second.monitor.history()
    np.testing.assert_array_equal(whole.steps, np.arange(1, 25))
    np.testing.assert_allclose(whole.loss[:8], cols1["lrdiag/loss"][:8], rtol=1e-6)
    np.testing.assert_allclose(whole.loss[8:], cols2["lrdiag/loss"], rtol=1e-6)
    # resumed into a new output_dir from the first one's checkpoint (callbacks are not told its path)
    time.sleep(1.1)
    fourth = LRDiagCallback()
    Trainer(model=tiny_gpt2(), args=_args(tmp_path, **{**kw, "output_dir": str(tmp_path / "next")}),
            train_dataset=Counting(512), callbacks=[fourth]).train(resume_from_checkpoint=str(tmp_path / "out" / "checkpoint-16"))
    assert fourth.run_dir.is_relative_to(tmp_path / "next")
    assert json.loads(fourth.report_path.read_text())["steps"] == [1, 24]
    np.testing.assert_allclose(fourth.monitor.history().loss[:16], whole.loss[:16], rtol=1e-6)
    # a checkpoint saved without lrdiag (the note removed): the report starts at the checkpoint
    (tmp_path / "out" / "checkpoint-8" / "lrdiag_runs.json").unlink()
    time.sleep(1.1)
    third = LRDiagCallback()
    Trainer(model=tiny_gpt2(), args=_args(tmp_path, **kw), train_dataset=Counting(512),
            callbacks=[third]).train(resume_from_checkpoint=str(tmp_path / "out" / "checkpoint-8"))
    assert json.loads(third.report_path.read_text())["steps"] == [9, 24]


def test_loss_computed_outside_the_model_falls_back_to_the_logged_loss(tmp_path):
    """With ``compute_loss_func`` the model returns no loss: the series is the Trainer's own,
    sparse (one value per logging interval), at the step it was logged."""
    cb = LRDiagCallback()
    trainer = Trainer(model=tiny_gpt2(), args=_args(tmp_path, num_train_epochs=1), train_dataset=Counting(128),
                      callbacks=[cb], compute_loss_func=_loss_outside_the_model)
    trainer.train()
    assert cb.loss_source == "on_log"
    meta, steps, cols = _store(cb.run_dir)
    np.testing.assert_array_equal(steps, np.arange(1, trainer.state.global_step + 1))
    loss = cols["lrdiag/loss"]
    have = steps[np.isfinite(loss)]
    logged = _logged(trainer)
    assert list(have) == sorted(logged) == [4, 8]
    np.testing.assert_allclose(loss[np.isfinite(loss)], [logged[s] for s in have], rtol=1e-6)
    assert (cb.run_dir / "report.json").is_file()


def test_bad_monitor_options_raise_before_training(tmp_path):
    from lrdiag.errors import LRDiagError

    trainer = Trainer(model=tiny_gpt2(), args=_args(tmp_path, max_steps=2), train_dataset=Counting(32),
                      callbacks=[LRDiagCallback(ratio_every=0)])
    with pytest.raises(LRDiagError, match="ratio_every must be an integer >= 1"):
        trainer.train()
    assert trainer.state.global_step == 0


def test_unwrap_optimizer_finds_the_torch_optimizer_inside_accelerate():
    from accelerate.optimizer import AcceleratedOptimizer

    opt = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    assert unwrap_optimizer(AcceleratedOptimizer(opt, device_placement=False)) is opt
    assert unwrap_optimizer(opt) is opt


@pytest.mark.parametrize("when,every", [("after_step", 1), ("before_step", 1), ("after_step", 2)])
def test_a_monitor_given_accelerates_optimizer_records_the_real_steps(tmp_path, when, every):
    """Round 49. A loop written with Accelerate (``accelerator.prepare``, ``accelerator.accumulate``)
    hands the Monitor an ``AcceleratedOptimizer``: ``lrdiag.Monitor`` stopped the script with
    ``AttributeError: 'AcceleratedOptimizer' object has no attribute '_optimizer_step_pre_hooks'``
    (it never runs ``Optimizer.__init__``). The Monitor hooks the optimizer inside, so it records
    one row per real step (every 4th micro-batch, and the last of each epoch), each with the mean
    of its micro-batches' losses, whether ``log_loss`` comes before or after ``step()``: Accelerate
    says which micro-batch ends an accumulation (logged after ``step()``, the first three had been
    put in the step before)."""
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState, GradientState

    torch.manual_seed(0)
    acc = Accelerator(gradient_accumulation_steps=4, cpu=True)
    try:
        _accelerate_loop(acc, tmp_path, when, every)
    finally:  # Accelerate's state is a process-wide singleton: leave none for the Trainer tests
        AcceleratorState._reset_state(True)
        GradientState._reset_state()


def _adam_steps(opt) -> float | None:
    state = opt.state_dict()["state"].get(0, {})
    return float(state["step"]) if "step" in state else None


def _accelerate_loop(acc, tmp_path, when, every) -> None:
    import lrdiag

    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    data = torch.utils.data.TensorDataset(torch.randn(200, 8), torch.randn(200, 1))
    model, opt, dl = acc.prepare(model, torch.optim.AdamW(model.parameters(), lr=1e-3),
                                 torch.utils.data.DataLoader(data, batch_size=10))
    inner = opt.optimizer
    real_steps, micro = [], []
    with lrdiag.Monitor(opt, model, logdir=tmp_path / "run", analyze_on_close=False, every=every, ratio_every=every) as mon:
        assert mon.optimizer is inner
        for _ in range(2):
            for xb, yb in dl:
                with acc.accumulate(model):
                    loss = torch.nn.functional.mse_loss(model(xb), yb)
                    acc.backward(loss)
                    before = _adam_steps(inner)
                    if when == "before_step":
                        mon.log_loss(loss)
                    opt.step()
                    opt.zero_grad()
                    if when == "after_step":
                        mon.log_loss(loss)
                    micro.append(float(loss))
                    if _adam_steps(inner) != before:
                        real_steps.append(list(micro))
                        micro = []
    assert mon._loss_timing == when
    _, steps, series = read_store(tmp_path / "run")
    assert len(real_steps) == 2 * 5  # 20 micro-batches an epoch: 5 steps of 4
    assert steps.tolist() == list(range(0, 10, every))
    np.testing.assert_allclose(series["lrdiag/loss"], [np.mean(m) for m in real_steps[::every]], rtol=1e-5)
    assert np.isfinite(series["lrdiag/update_ratio/0"]).all()


def test_accelerates_tensorboard_tracker_logdir_is_one_run_with_its_config(tmp_path):
    """Round 51. ``Accelerator(log_with="tensorboard")`` with ``init_trackers(name, config=...)``
    writes the config through ``SummaryWriter.add_hparams``, into a time-named directory inside
    the run: ``lrdiag analyze`` said the logdir "holds 2 runs". It is one run, the config its
    ``meta["hparams"]`` (the optimizer named there sets the band)."""
    import lrdiag
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState, GradientState

    torch.manual_seed(0)
    try:
        acc = Accelerator(log_with="tensorboard", project_dir=str(tmp_path), cpu=True)
        acc.init_trackers("proj", config={"lr": 0.01, "optimizer": "AdamW", "epochs": 3})
        model = torch.nn.Linear(10, 1)
        model, opt = acc.prepare(model, torch.optim.AdamW(model.parameters(), lr=0.01))
        for s in range(300):
            x = torch.randn(32, 10)
            loss = ((model(x) - x[:, :1]) ** 2).mean()
            acc.backward(loss)
            opt.step()
            opt.zero_grad()
            acc.log({"train_loss": loss.item(), "lr": opt.param_groups[0]["lr"]}, step=s)
        acc.end_training()
    finally:
        AcceleratorState._reset_state(True)
        GradientState._reset_state()
    assert len([d for d in (tmp_path / "proj").iterdir() if d.is_dir()]) >= 1  # add_hparams' directory
    h = lrdiag.load(tmp_path)
    assert h.meta["run"] == "proj" and len(h) == 300
    assert h.meta["hparams"] == {"lr": 0.01, "optimizer": "AdamW", "epochs": 3}
    assert lrdiag.analyze(h).meta["ratio_band"]["family"] == "adam"

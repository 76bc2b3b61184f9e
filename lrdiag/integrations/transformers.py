"""Hugging Face Transformers integration: ``LRDiagCallback`` runs an ``lrdiag.Monitor`` inside
``Trainer.train``.

Importing this module imports Transformers; ``import lrdiag`` never does.

Usage::

    from lrdiag.integrations.transformers import LRDiagCallback

    args = TrainingArguments(output_dir="out", report_to=["tensorboard"], logging_steps=50)
    trainer = Trainer(model=model, args=args, train_dataset=ds, callbacks=[LRDiagCallback()])
    trainer.train()
    # out/lrdiag/report.json, and the lrdiag series + LR Diagnostics tab in the TensorBoard run
    # the Trainer writes (out/runs/<date>_<host>/).

What it records
---------------
Every optimizer step, whatever ``logging_steps`` is: the Monitor hangs on the optimizer's own step
hooks (the torch optimizer inside Accelerate's wrapper), so LR, momentum and per-layer update
ratios are per step.

The loss, per step. The Trainer hands callbacks no per-step loss (``on_log`` gets the mean over
``logging_steps`` steps, once per interval), and callbacks have no handle on the Trainer to wrap
``compute_loss``. The callback gets ``model`` though, and the Trainer's loss for the standard
path *is* the model output's ``loss`` (``compute_loss`` returns ``outputs["loss"]``). So a
forward hook on the model takes ``outputs.loss`` of every training forward pass (module in train
mode, grad enabled; evaluation passes are ignored), detached, on the device, without a host sync.
With gradient accumulation the micro-batch losses of a step are combined exactly as the Trainer
combines them for its own log: a loss the model normalised by ``num_items_in_batch`` (the
Trainer passes it when the model accepts loss kwargs) is already the micro-batch's share of the
step and is summed; a plain per-micro-batch mean is averaged. The mean of these per-step losses
over a logging interval equals the ``loss`` the Trainer logs (tested).

Where the model returns no loss (a ``compute_loss_func``, label smoothing, or an overridden
``compute_loss`` computing the loss outside the model), the callback falls back to the ``loss``
of ``on_log``: one value per ``logging_steps``, recorded at the step it was logged (a sparse loss
series, which analysis handles).

The eval loss: ``on_evaluate``'s ``eval_loss`` goes to ``Monitor.log_eval_loss`` at the Trainer's
``global_step``, so the analysis can say when it stopped improving or rose (overfitting).

Where it writes
---------------
* ``report_to`` has ``"tensorboard"``: into the directory the Trainer's ``TensorBoardCallback``
  writes (``TENSORBOARD_LOGGING_DIR`` or ``output_dir/runs/<date>_<host>``), so the lrdiag series
  and the LR Diagnostics tab are in the same TensorBoard run; otherwise into
  ``output_dir/lrdiag``.
* Always ``output_dir/lrdiag/report.json`` (and ``report.md``).
* ``report_to`` has ``"mlflow"``: the MLflow run the Trainer's ``MLflowCallback`` opened (series,
  ``lrdiag.*`` tags, description, report artifacts).

A run resumed from a checkpoint (``trainer.train(resume_from_checkpoint=...)``) numbers its steps
from the checkpoint's ``global_step`` and writes into a new TensorBoard run directory. Each
checkpoint the callback saw saved holds ``lrdiag_runs.json``, the directories the run was written
to so far, so the resumed run's report covers the whole run: the earlier processes' steps before
the checkpoint, then this one's (also from a checkpoint outside ``output_dir``: the note's paths
are relative to the directory the checkpoint lies in). A checkpoint without that note (saved
without lrdiag) gives a report from the checkpoint on.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Mapping

import torch
from transformers import TrainerCallback

from ..errors import warn
from ..monitor import unwrap_optimizer
from ._common import relative_to, resolved, start_monitor

__all__ = ["LRDiagCallback", "unwrap_optimizer"]


def _output_loss(output: Any) -> torch.Tensor | None:
    """``output.loss`` / ``output["loss"]`` of a model output, if it is a scalar tensor."""
    if isinstance(output, Mapping):
        loss = output.get("loss")
    else:
        loss = getattr(output, "loss", None)
    if isinstance(loss, torch.Tensor) and loss.numel() == 1:
        return loss.detach().reshape(())
    return None


class _StepLoss:
    """Combines the micro-batch losses of one optimizer step the way the Trainer does.

    ``normalised``: losses the model divided by ``num_items_in_batch`` (the whole step's count),
    summed. ``means``: per-micro-batch means, averaged. Device tensors throughout (no host sync).
    """

    def __init__(self) -> None:
        self.normalised: torch.Tensor | None = None
        self.means: torch.Tensor | None = None
        self.n_means = 0

    def add(self, loss: torch.Tensor, normalised: bool) -> None:
        if normalised:
            self.normalised = loss.clone() if self.normalised is None else self.normalised + loss
        else:
            self.means = loss.clone() if self.means is None else self.means + loss
            self.n_means += 1

    def empty(self) -> bool:
        return self.normalised is None and self.means is None

    def value(self) -> torch.Tensor:
        parts = []
        if self.normalised is not None:
            parts.append(self.normalised)
        if self.means is not None:
            parts.append(self.means / self.n_means)
        return parts[0] if len(parts) == 1 else parts[0] + parts[1]


#: A checkpoint's note of the run directories its run was written to (``on_save``).
LINEAGE_FILE = "lrdiag_runs.json"


def _checkpoint_dir(args: Any, state: Any) -> Path:
    """The directory the Trainer saves the checkpoint of ``state.global_step`` in."""
    return Path(args.output_dir) / f"checkpoint-{int(state.global_step)}"


def _lineage_in_checkpoint(callback: "LRDiagCallback", args: Any, state: Any) -> list[str]:
    """The run directories a resumed run's checkpoint names (``LINEAGE_FILE``). The checkpoint is
    the one ``Trainer.train(resume_from_checkpoint=...)`` resumes from (found on the call stack:
    callbacks are not told it, and it may lie outside ``output_dir``), else the one
    ``args.resume_from_checkpoint`` names, else ``output_dir/checkpoint-<global_step>``. The note's
    relative paths are read against the directory the checkpoint lies in, the ``output_dir`` that
    saved it. Empty where there is none (a checkpoint saved without lrdiag): the report then starts
    at the checkpoint."""
    named = [_calling_handler(callback)[1].get("resume_from_checkpoint"), getattr(args, "resume_from_checkpoint", None)]
    for ckpt in [Path(n) for n in named if isinstance(n, (str, os.PathLike))] + [_checkpoint_dir(args, state)]:
        note = ckpt / LINEAGE_FILE
        if note.is_file():
            try:
                dirs = json.loads(note.read_text(encoding="utf-8"))["run_dirs"]
                # a directory gone since is skipped by the Monitor, which reads only those that exist
                return resolved([d for d in dirs if isinstance(d, str)], ckpt.resolve().parent)
            except Exception as exc:
                warn(f"lrdiag: could not read {note} ({exc}); the report starts at the checkpoint", stacklevel=3)
                return []
    return []


def _calling_handler(callback: "LRDiagCallback") -> tuple[list, dict[str, Any]]:
    """The callbacks of the handler that is calling ``callback``, and the locals of the Trainer
    method that called the handler (``_inner_training_loop``). Callbacks are given no handle on
    either, so they are found on the call stack; ``([], {})`` where they are not there."""
    frame = sys._getframe(1)
    for _ in range(12):
        if frame is None:
            break
        owner = frame.f_locals.get("self")
        cbs = getattr(owner, "callbacks", None)
        if isinstance(cbs, list) and any(cb is callback for cb in cbs):
            caller = frame.f_back
            while caller is not None and caller.f_locals.get("self") is owner:  # call_event -> on_train_begin
                caller = caller.f_back
            return cbs, dict(caller.f_locals) if caller is not None else {}
        frame = frame.f_back
    return [], {}


def _tensorboard_dir(callback: "LRDiagCallback", args: Any) -> str | None:
    """The directory the Trainer's TensorBoardCallback writes to, or None.

    Transformers 5 keeps it on the TensorBoardCallback (set at its ``on_train_begin``, which runs
    before ours: integration callbacks come first); older versions on ``args.logging_dir``. The
    callback handler that is calling us is found on the call stack (``_calling_handler``);
    failing that, ``TENSORBOARD_LOGGING_DIR``.
    """
    for cb in _calling_handler(callback)[0]:
        if type(cb).__name__ == "TensorBoardCallback":
            tb_dir = getattr(cb, "logging_dir", None)
            if tb_dir:
                return os.fspath(tb_dir)
            break
    if os.environ.get("TENSORBOARD_LOGGING_DIR"):
        return os.path.expanduser(os.environ["TENSORBOARD_LOGGING_DIR"])
    return getattr(args, "logging_dir", None) or None


class LRDiagCallback(TrainerCallback):
    """Monitor the learning rate of a ``transformers.Trainer`` run; write the report at train end.

    Parameters
    ----------
    subdir : str
        Sub-directory of ``args.output_dir`` for ``report.json`` (and the run itself when
        TensorBoard is not in ``report_to``). Default ``"lrdiag"``.
    logdir : str, optional
        Write the run here instead of the TensorBoard logging dir / ``output_dir/lrdiag``.
    mlflow : bool or None
        None (default): log to the Trainer's MLflow run when ``report_to`` has ``"mlflow"``.
    **monitor_kwargs
        Passed to ``lrdiag.Monitor`` (``every``, ``ratio_every``, ...).

    Attributes
    ----------
    monitor : the Monitor (during training), kept after it for its ``run_dir``
    report : the Report, after training
    run_dir : where the run was written; ``report_path``: ``output_dir/<subdir>/report.json``
    loss_source : ``"forward"`` (per step, from the model's outputs) or ``"on_log"`` (fallback)
    """

    def __init__(self, *, subdir: str = "lrdiag", logdir: str | os.PathLike | None = None,
                 mlflow: bool | None = None, **monitor_kwargs: Any):
        self.subdir = subdir
        self.logdir = None if logdir is None else os.fspath(logdir)
        self.mlflow = mlflow
        self.monitor_kwargs = monitor_kwargs
        self.monitor: Any = None
        self.report: Any = None
        self.run_dir: Path | None = None
        self.report_path: Path | None = None
        self.loss_source: str | None = None
        self._hook: Any = None
        self._step_loss = _StepLoss()
        self._loss_scale = 1.0
        self._lineage: list[str] = []

    # -- set-up -------------------------------------------------------------------------
    def _mlflow_run(self, args: Any) -> tuple[str, str] | None:
        """``(run_id, tracking_uri)`` of the run the Trainer's MLflowCallback opened, if any."""
        if self.mlflow is False or (self.mlflow is None and "mlflow" not in (args.report_to or [])):
            return None
        import mlflow

        run = mlflow.active_run()
        if run is None:
            warn("lrdiag: report_to has 'mlflow' but there is no active MLflow run; "
                 "lrdiag writes to TensorBoard and the output_dir only", stacklevel=3)
            return None
        return run.info.run_id, mlflow.get_tracking_uri()

    def on_train_begin(self, args, state, control, model=None, optimizer=None, **kwargs):
        if optimizer is None:
            warn("lrdiag: the Trainer passed no optimizer to callbacks; nothing is monitored", stacklevel=2)
            return
        out_dir = Path(args.output_dir) / self.subdir
        tb_dir = _tensorboard_dir(self, args) if "tensorboard" in (args.report_to or []) else None
        run_dir = self.logdir or tb_dir or os.fspath(out_dir)
        sinks = []
        found = self._mlflow_run(args)
        if found is not None:
            from ..sinks.mlflow_sink import MLflowSink

            sinks.append(MLflowSink(run=found[0], tracking_uri=found[1], run_dir=run_dir))
        # Losses reach the Monitor after their step (on_step_end / on_log run after optimizer.step).
        # Steps are numbered like the Trainer's global_step after the step (1, 2, ...), so the
        # lrdiag series line up with the Trainer's own scalars in TensorBoard and MLflow.
        # A resumed run writes into a new TensorBoard run directory: the checkpoint names the
        # directories the run's earlier processes wrote, whose steps the report then covers too.
        self._lineage = _lineage_in_checkpoint(self, args, state) if state.global_step > 0 else []
        kwargs_ = {"loss_timing": "after_step", "start_step": int(state.global_step) + 1,
                   "resumed_from": self._lineage, **self.monitor_kwargs}
        # the optimizer inside Accelerate's wrapper (the Monitor would unwrap it too, but would then
        # also follow Accelerate's accumulation; this callback logs one combined loss per step)
        self.monitor = start_monitor(unwrap_optimizer(optimizer), model, run_dir, sinks, "the run", **kwargs_)
        if self.monitor is None:
            return
        self.run_dir = Path(self.monitor.run_dir)
        self.report_path = out_dir / "report.json"
        self.report = None
        self.loss_source = None
        self._step_loss = _StepLoss()
        # With average_tokens_across_devices the model divides by the token count of all ranks
        # and the Trainer multiplies the loss by the number of processes; do the same.
        world = int(getattr(args, "world_size", 1) or 1)
        self._loss_scale = float(world) if getattr(args, "average_tokens_across_devices", False) and world > 1 else 1.0
        if model is not None:
            self._hook = model.register_forward_hook(self._on_forward, with_kwargs=True)

    def _on_forward(self, module: torch.nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
        try:
            if not (module.training and torch.is_grad_enabled()):
                return  # evaluation / prediction passes
            loss = _output_loss(output)
            if loss is None:
                return
            normalised = kwargs.get("num_items_in_batch") is not None
            if normalised and self._loss_scale != 1.0:
                loss = loss * self._loss_scale
            self._step_loss.add(loss, normalised)
            self.loss_source = "forward"
        except Exception as exc:  # never let lrdiag break a forward pass
            self._remove_hook()
            warn(f"lrdiag: reading the loss from the model output failed ({exc}); "
                 "the loss falls back to the Trainer's logged loss", stacklevel=2)

    # -- per step ------------------------------------------------------------------------
    def on_step_end(self, args, state, control, **kwargs):
        if self.monitor is None or self._step_loss.empty():
            return
        self.monitor.log_loss(self._step_loss.value())
        self._step_loss = _StepLoss()

    def on_log(self, args, state, control, logs=None, **kwargs):
        # Fallback only: the model never returned a loss, so take the Trainer's logged mean.
        if self.monitor is None or self.loss_source == "forward" or not logs:
            return
        loss = logs.get("loss")
        if isinstance(loss, (int, float)) and state.global_step > 0:
            self.loss_source = "on_log"
            self.monitor.log_loss(float(loss))

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        # The eval loss at the step it was measured: the analysis tests it (stalled, overfitting).
        if self.monitor is None or not metrics:
            return
        loss = metrics.get("eval_loss")
        if isinstance(loss, (int, float)) and state.global_step > 0:
            self.monitor.log_eval_loss(float(loss), step=int(state.global_step))

    def on_save(self, args, state, control, **kwargs):
        # The checkpoint names where this run was written, for a run resumed from it.
        if self.monitor is None or self.run_dir is None or not state.is_world_process_zero:
            return
        ckpt = _checkpoint_dir(args, state)
        if not ckpt.is_dir():
            return
        try:
            dirs = list(dict.fromkeys([*self._lineage, os.fspath(self.run_dir.resolve())]))
            note = {"run_dirs": [relative_to(d, args.output_dir) for d in dirs]}
            (ckpt / LINEAGE_FILE).write_text(json.dumps(note), encoding="utf-8")
        except Exception as exc:
            warn(f"lrdiag: could not note the run directory in {ckpt} ({exc}); a run resumed from it "
                 "is reported from its checkpoint on", stacklevel=2)

    # -- end -----------------------------------------------------------------------------
    def _remove_hook(self) -> None:
        if self._hook is not None:
            self._hook.remove()
            self._hook = None

    def on_train_end(self, args, state, control, **kwargs):
        self._remove_hook()
        if self.monitor is None:
            return
        try:
            self.report = self.monitor.close()
        except Exception as exc:  # the report must never fail the user's training
            warn(f"lrdiag: could not write the report: {exc}", stacklevel=2)
            return
        if self.report is not None and self.report_path is not None:
            self._write_copy(self.report)

    def _write_copy(self, report: Any) -> None:
        """``output_dir/<subdir>/report.json`` (+ ``report.md`` when the Report renders markdown)."""
        try:
            self.report_path.parent.mkdir(parents=True, exist_ok=True)
            src = self.run_dir / "report.json" if self.run_dir is not None else None
            if src is not None and src.is_file() and src.resolve() != self.report_path.resolve():
                shutil.copyfile(src, self.report_path)
            elif not self.report_path.is_file():
                self.report_path.write_text(report.to_json(), encoding="utf-8")
            to_md = getattr(report, "to_markdown", None)
            if callable(to_md):
                (self.report_path.parent / "report.md").write_text(to_md(), encoding="utf-8")
        except Exception as exc:
            warn(f"lrdiag: could not write {self.report_path}: {exc}", stacklevel=2)

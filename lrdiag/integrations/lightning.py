"""PyTorch Lightning integration: a callback that runs an ``lrdiag.Monitor`` inside ``Trainer.fit``,
and a range test for a ``LightningModule``.

Importing this module imports Lightning (``lightning`` or the older ``pytorch_lightning``);
``import lrdiag`` never does.

Usage::

    from lrdiag.integrations.lightning import LRDiagCallback

    trainer = L.Trainer(logger=TensorBoardLogger("tb_logs"), callbacks=[LRDiagCallback()])
    trainer.fit(model, datamodule)
    # tb_logs/lightning_logs/version_0/ now holds the lrdiag series, report.json and the
    # TensorBoard tab's data, beside Lightning's own scalars.

Where the callback writes (the first that applies):

* ``logdir=`` given to the callback: there;
* a ``TensorBoardLogger`` among ``trainer.loggers``: its ``log_dir`` (the version directory), so
  the lrdiag series and the LR Diagnostics tab sit in the same TensorBoard run as Lightning's;
* otherwise ``trainer.log_dir`` (a CSVLogger's version directory, or ``default_root_dir``), in a
  ``lrdiag`` sub-directory (plus the MLflow run id when there is one, so runs never mix).

An ``MLFlowLogger`` among ``trainer.loggers`` also gets everything (series, tags, description,
report artifacts) in *its* run, through lrdiag's MLflow sink.

Several optimizers (``configure_optimizers`` returning more than one; manual optimization, e.g. a
GAN) get one Monitor each, written to ``<logdir>/<name>`` where ``name`` comes from ``names=`` or
is ``optimizer<i>``: each is a run of its own in TensorBoard, so their series never mix.

A fit resumed from a checkpoint (``fit(..., ckpt_path=...)``) numbers its steps from the
checkpoint's ``global_step`` and writes into the logger's next version. The callback's state in
the checkpoint (``state_dict``) names the directories the run was written to before, so the report
covers the whole run: the earlier processes' steps before the checkpoint, then this one's.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Iterable, Mapping, Sequence

import torch

try:  # Lightning 2.x ships as ``lightning``; ``pytorch_lightning`` is the same code under its old name
    import lightning.pytorch as pl
    from lightning.pytorch.callbacks import Callback
    from lightning.pytorch.utilities import move_data_to_device
except ImportError:  # pragma: no cover - depends on what is installed
    import pytorch_lightning as pl  # type: ignore[no-redef]
    from pytorch_lightning.callbacks import Callback  # type: ignore[no-redef]
    from pytorch_lightning.utilities import move_data_to_device  # type: ignore[no-redef]

from ..errors import LRDiagError, warn
from ._common import relative_to, resolved, start_monitor

__all__ = ["LRDiagCallback", "range_test", "loss_from_outputs", "optimizer_from_module"]


def loss_from_outputs(outputs: Any, key: str = "loss") -> torch.Tensor | None:
    """The loss in what ``training_step`` returned: a tensor, or ``outputs[key]`` of a mapping.

    Returns None when there is none (a skipped step returns None; manual optimization may return
    anything). The tensor is detached; nothing here reads its value (no host sync).
    """
    if isinstance(outputs, torch.Tensor):
        loss = outputs
    elif isinstance(outputs, Mapping):
        loss = outputs.get(key)
    else:
        return None
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        return None
    return loss.detach().reshape(())


def _loggers_of(trainer: "pl.Trainer", class_name: str) -> list:
    # Compared by class name so that ``lightning`` and ``pytorch_lightning`` loggers both match
    # and the MLflow logger's module is imported only when it is in use.
    return [lg for lg in trainer.loggers if any(c.__name__ == class_name for c in type(lg).__mro__)]


class LRDiagCallback(Callback):
    """Monitor the learning rate of a Lightning training and write lrdiag's report at fit end.

    At the start of training (``on_train_start``) a ``lrdiag.Monitor`` is attached to each of
    ``trainer.optimizers`` through the optimizer's step hooks, so it sees every real optimizer
    step (gradient accumulation and closures included). ``on_train_batch_end`` feeds the training
    loss to the Monitor; at ``on_fit_end`` (or when fit raises) the Monitors are closed, which analyses the
    run and writes the report to every destination.

    Parameters
    ----------
    logdir : str, optional
        Where to write instead of the logger's directory (see the module docstring).
    names : sequence of str, optional
        One name per optimizer when there are several (default ``optimizer0``, ``optimizer1``...).
    loss_key : str or sequence of str
        Key of the loss in the dict ``training_step`` returns (a returned tensor is the loss).
        With several optimizers, one key per optimizer (e.g. ``["g_loss", "d_loss"]``); a single
        key is used for all of them.
    mlflow : bool or None
        None (default): log to the run of an ``MLFlowLogger`` when the trainer has one. False: never.
    val_loss_key : str or None
        The metric (``self.log(...)`` in ``validation_step``) recorded as ``lrdiag/eval_loss``
        after each validation run, at the last optimizer step (default ``"val_loss"``; None: off).
        The analysis says when it stopped improving or rose (overfitting).
    **monitor_kwargs
        Passed to ``lrdiag.Monitor`` (``every``, ``ratio_every``, ...).

    Attributes
    ----------
    monitors : dict of name -> Monitor (empty before fit and on ranks that do not write)
    reports : dict of name -> Report, filled at fit end
    run_dirs : dict of name -> path of the run directory each Monitor wrote
    """

    def __init__(self, *, logdir: str | os.PathLike | None = None, names: Sequence[str] | None = None,
                 loss_key: str | Sequence[str] = "loss", mlflow: bool | None = None,
                 val_loss_key: str | None = "val_loss", **monitor_kwargs: Any):
        super().__init__()
        self.logdir = None if logdir is None else os.fspath(logdir)
        self.names = list(names) if names is not None else None
        self.loss_key = loss_key
        self.mlflow = mlflow
        self.val_loss_key = val_loss_key
        self.monitor_kwargs = monitor_kwargs
        self.monitors: dict[str, Any] = {}
        self.reports: dict[str, Any] = {}
        self.run_dirs: dict[str, str] = {}
        self._keys: list[str] = []
        self._accumulate = 1
        self._last_step: list[int] = []
        self._acc: list[torch.Tensor | None] = []
        self._count: list[int] = []
        #: per optimizer name, the run directories the run's earlier processes wrote (from the
        #: checkpoint a fit resumed from: ``load_state_dict``)
        self._lineage: dict[str, list[str]] = {}
        self._root: str = os.getcwd()  # the trainer's default_root_dir, set at on_train_start

    # -- where to write -----------------------------------------------------------------
    def _destination(self, trainer: "pl.Trainer") -> tuple[str, Any]:
        """``(logdir, mlflow logger or None)`` for this trainer (see the module docstring)."""
        mlf = None
        if self.mlflow is not False:
            found = _loggers_of(trainer, "MLFlowLogger")
            mlf = found[0] if found else None
        if self.logdir is not None:
            return self.logdir, mlf
        tb = _loggers_of(trainer, "TensorBoardLogger")
        if tb:
            return tb[0].log_dir, mlf
        base = trainer.log_dir or trainer.default_root_dir
        sub = os.path.join(base, "lrdiag")
        return (os.path.join(sub, str(mlf.run_id)) if mlf is not None else sub), mlf

    def _names(self, n: int) -> list[str]:
        if self.names is not None:
            if len(self.names) != n:
                raise LRDiagError(f"LRDiagCallback(names=...) has {len(self.names)} names for {n} optimizers; "
                                  "give one name per optimizer returned by configure_optimizers")
            return [str(x) for x in self.names]
        return ["optimizer0"] if n == 1 else [f"optimizer{i}" for i in range(n)]

    def _loss_keys(self, n: int) -> list[str]:
        if isinstance(self.loss_key, str):
            return [self.loss_key] * n
        keys = list(self.loss_key)
        if len(keys) != n:
            raise LRDiagError(f"LRDiagCallback(loss_key=...) has {len(keys)} keys for {n} optimizers; "
                              "give one key per optimizer, or a single key for all")
        return keys

    def _sinks(self, mlf: Any, run_dir: str) -> list:
        if mlf is None:
            return []
        from ..sinks.mlflow_sink import MLflowSink

        return [MLflowSink(run=mlf.run_id, tracking_uri=getattr(mlf, "_tracking_uri", None), run_dir=run_dir)]

    # -- hooks ---------------------------------------------------------------------------
    def on_train_start(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule") -> None:
        # on_train_start rather than on_fit_start: a resumed fit has restored global_step (and the
        # optimizer state) by then, so the Monitor numbers its steps from where the run stands.
        # trainer.log_dir broadcasts from rank 0, so every rank computes the destination.
        logdir, mlf = self._destination(trainer)
        self._root = trainer.default_root_dir
        optimizers = list(trainer.optimizers)
        if not optimizers:
            warn("lrdiag: the trainer has no optimizer; nothing to monitor", stacklevel=2)
            return
        names = self._names(len(optimizers))
        keys = self._loss_keys(len(optimizers))
        self._keys = []
        self._accumulate = int(getattr(trainer, "accumulate_grad_batches", 1) or 1)
        self.monitors.clear()
        self.reports.clear()
        self.run_dirs.clear()
        for name, key, opt in zip(names, keys, optimizers):
            run_dir = logdir if len(optimizers) == 1 else os.path.join(logdir, name)
            # One MLflow run holds one set of lrdiag series; with several optimizers only the
            # TensorBoard runs (one per optimizer) get them (warned below).
            sinks = self._sinks(mlf, run_dir) if len(optimizers) == 1 else []
            # A resumed fit writes into a new logger version: the checkpoint names the directories
            # the run's earlier processes wrote, whose steps the report then covers too.
            earlier = resolved(self._lineage.get(name, []), self._root) if trainer.global_step > 0 else []
            kwargs = {"loss_timing": "after_step", "start_step": int(trainer.global_step),
                      "resumed_from": earlier, **self.monitor_kwargs}
            mon = start_monitor(opt, pl_module, run_dir, sinks, name, **kwargs)
            if mon is None:
                continue
            self.monitors[name] = mon
            self.run_dirs[name] = str(mon.run_dir)
            self._keys.append(key)
        self._last_step = [m.step for m in self.monitors.values()]
        self._acc = [None] * len(self.monitors)
        self._count = [0] * len(self.monitors)
        if mlf is not None and len(optimizers) > 1:
            warn("lrdiag: several optimizers with an MLFlowLogger: each optimizer's series and report "
                 f"are written to its own run directory under {logdir}, not to the MLflow run",
                 stacklevel=2)

    def state_dict(self) -> dict[str, Any]:
        """Saved in every checkpoint: per optimizer, the run directories this run was written to,
        relative to the trainer's ``default_root_dir`` where inside it (round 49: absolute before),
        so a project moved or copied whole still resumes with the whole run."""
        dirs = {name: list(dict.fromkeys(relative_to(p, self._root) for p in
                                         [*resolved(self._lineage.get(name, []), self._root), d]))
                for name, d in self.run_dirs.items()}
        return {"run_dirs": dirs} if dirs else {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        found = state_dict.get("run_dirs") if isinstance(state_dict, dict) else None
        if isinstance(found, dict):
            self._lineage = {str(k): [d for d in v if isinstance(d, str)] for k, v in found.items() if isinstance(v, list)}

    def on_train_batch_end(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule", outputs: Any,
                           batch: Any, batch_idx: int) -> None:
        if not self.monitors:
            return
        # Lightning's automatic optimization divides the returned loss by accumulate_grad_batches
        # before handing it to callbacks; undo that so the recorded loss is the batch's real loss.
        scale = self._accumulate if pl_module.automatic_optimization else 1
        for i, mon in enumerate(self.monitors.values()):
            loss = loss_from_outputs(outputs, self._keys[i])
            if loss is not None:
                self._acc[i] = loss * scale if self._acc[i] is None else self._acc[i] + loss * scale
                self._count[i] += 1
            # This hook runs after the batch's optimizer step, if there was one. With gradient
            # accumulation the first micro-batches of a step end before it, the last one after it;
            # so the callback averages the micro-batch losses itself and hands the Monitor one
            # loss per step, right after that step (loss_timing="after_step").
            if mon.step != self._last_step[i]:
                self._last_step[i] = mon.step
                if self._count[i]:
                    mon.log_loss(self._acc[i] / self._count[i])
                self._acc[i], self._count[i] = None, 0

    def on_validation_end(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule") -> None:
        if not self.monitors or not self.val_loss_key or trainer.sanity_checking:
            return
        value = trainer.callback_metrics.get(self.val_loss_key)
        if value is None:
            return
        for mon in self.monitors.values():
            if mon.step > 0:  # after at least one optimizer step: record it at the last one
                mon.log_eval_loss(value, step=mon.step - 1)

    def _close(self) -> None:
        for name, mon in list(self.monitors.items()):
            try:
                self.reports[name] = mon.close()
            except Exception as exc:  # a failing report must not fail the user's fit
                warn(f"lrdiag: could not write the report of {name}: {exc}", stacklevel=2)

    def on_fit_end(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule") -> None:
        self._close()

    def on_exception(self, trainer: "pl.Trainer", pl_module: "pl.LightningModule", exception: BaseException) -> None:
        # The report of the steps that ran is most useful exactly when the run fails.
        self._close()

    @property
    def report(self):
        """The Report of the only (or first) optimizer, after fit; None before."""
        return next(iter(self.reports.values()), None)


# ----------------------------------------------------------------------------- range test


def optimizer_from_module(module: "pl.LightningModule", index: int = 0) -> torch.optim.Optimizer:
    """The ``index``-th optimizer that ``module.configure_optimizers()`` returns.

    Accepts every return form Lightning accepts: an optimizer, a list or tuple of optimizers,
    ``(optimizers, schedulers)``, a dict with an ``"optimizer"`` key, or a list of such dicts.
    """
    out = module.configure_optimizers()
    if isinstance(out, Mapping):
        out = [out]
    elif isinstance(out, torch.optim.Optimizer):
        out = [out]
    elif isinstance(out, (list, tuple)) and len(out) == 2 and all(isinstance(x, (list, tuple)) for x in out):
        out = list(out[0])
    opts = [o["optimizer"] if isinstance(o, Mapping) else o for o in (out or [])]
    opts = [o for o in opts if isinstance(o, torch.optim.Optimizer)]
    if not opts:
        raise LRDiagError(f"{type(module).__name__}.configure_optimizers() returned no torch optimizer; "
                          "pass optimizer= to range_test")
    if not 0 <= index < len(opts):
        raise LRDiagError(f"configure_optimizers() returned {len(opts)} optimizers; optimizer_index={index} is out of range")
    return opts[index]


class _TrainingStepModel(torch.nn.Module):
    """``forward(batch)`` = the loss ``module.training_step(batch, i)`` returns.

    It lets ``lrdiag.range_test`` run a LightningModule through its (model, loss_fn, data) form, so
    the confirmation runs replay the very same batches for every candidate LR (paired scores),
    which the ``step_fn`` form cannot do.
    """

    def __init__(self, module: "pl.LightningModule", loss_key: str):
        super().__init__()
        self.module = module
        self.loss_key = loss_key
        self.calls = 0

    def forward(self, held: _Batch) -> torch.Tensor:
        batch = move_data_to_device(held.batch, self.module.device)
        out = self.module.training_step(batch, self.calls)
        self.calls += 1
        if isinstance(out, torch.Tensor):
            return out
        if isinstance(out, Mapping) and isinstance(out.get(self.loss_key), torch.Tensor):
            return out[self.loss_key]
        raise LRDiagError(f"{type(self.module).__name__}.training_step returned {type(out).__name__}, not a loss "
                          f"tensor or a dict with {self.loss_key!r}; the range test needs the loss")


class _Batch:
    """A batch kept opaque to ``range_test``'s own batch handling (which would unpack a dict batch
    into keyword arguments); ``_TrainingStepModel`` moves it to the module's device itself."""

    __slots__ = ("batch",)

    def __init__(self, batch: Any):
        self.batch = batch


class _AsPairs:
    """Re-iterable view of a dataloader whose items are ``(_Batch(batch), None)`` pairs."""

    def __init__(self, data: Iterable):
        self.data = data

    def __iter__(self):
        for batch in self.data:
            yield _Batch(batch), None


def _loss_itself(out: torch.Tensor, target: Any = None) -> torch.Tensor:
    return out


def _loader(data: Any, stage: str) -> Iterable:
    """A dataloader from a LightningDataModule (prepared and set up for ``stage``), or ``data`` itself."""
    if not (hasattr(data, "setup") and hasattr(data, "train_dataloader")):
        return data
    data.prepare_data()
    data.setup(stage)
    return data.train_dataloader() if stage == "fit" else data.val_dataloader()


def range_test(module: "pl.LightningModule", data: Any, *, optimizer: torch.optim.Optimizer | None = None,
               optimizer_index: int = 0, val_data: Any = None, loss_key: str = "loss", **kwargs: Any):
    """``lrdiag.range_test`` on a LightningModule, through its own ``training_step``.

    Parameters
    ----------
    module : LightningModule using automatic optimization; its ``training_step(batch, batch_idx)``
        returns the loss (a tensor or a dict with ``loss_key``).
    data : a LightningDataModule (its ``train_dataloader()``) or any iterable of batches.
    optimizer : the optimizer to sweep; default: ``module.configure_optimizers()``'s
        ``optimizer_index``-th (a fresh one, so nothing of a later ``fit`` is touched).
    val_data : optional batches scoring the confirmation runs (``training_step`` in eval mode):
        a LightningDataModule (its ``val_dataloader()``) or any iterable of batches.
    **kwargs : everything else ``lrdiag.range_test`` takes (``start_lr``, ``end_lr``, ``num_steps``,
        ``confirm``, ``logdir``, ...).

    The module's parameters and buffers, the optimizer state and the RNG states are restored
    afterwards (by ``lrdiag.range_test``). ``self.log`` calls in ``training_step`` do nothing:
    there is no Trainer during the test. Returns a ``RangeTestResult``.
    """
    from ..analysis.range_test import range_test as _range_test

    if not getattr(module, "automatic_optimization", True):
        raise LRDiagError(f"{type(module).__name__} uses manual optimization (it steps its optimizers itself); "
                          "run lrdiag.range_test with step_fn= around your own step instead")
    opt = optimizer if optimizer is not None else optimizer_from_module(module, optimizer_index)
    val = None if val_data is None else _AsPairs(_loader(val_data, "validate"))
    with warnings.catch_warnings():
        # LightningModule.log warns on every call without a Trainer; the test has none on purpose.
        warnings.filterwarnings("ignore", message=r".*self\.log\(\).*")
        return _range_test(_TrainingStepModel(module, loss_key), opt, _loss_itself, _AsPairs(_loader(data, "fit")),
                           val_data=val, **kwargs)

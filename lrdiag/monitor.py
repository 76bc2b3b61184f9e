"""The recording Monitor: optimizer step hooks -> per-step rows -> one background writer thread.

``Monitor(optimizer, model)`` attaches to any ``torch.optim.Optimizer`` through
``register_step_pre_hook`` / ``register_step_post_hook``; the training loop changes by one line,
``monitor.log_loss(loss)``. For each recorded optimizer step it keeps:

* ``lrdiag/lr/<group>`` and ``lrdiag/momentum/<group>`` (SGD/RMSprop ``momentum``, Adam ``beta1``);
* ``lrdiag/loss``: the mean of the losses logged since the previous optimizer step (gradient
  accumulation logs several per step);
* on ratio steps (every ``ratio_every``): ``lrdiag/update_ratio/<layer>`` =
  ||θ_after − θ_before|| / ||θ_before|| over the layer's parameters, the same per param group
  (``lrdiag/group_update_ratio/<group>``), and the global ``grad_norm``, ``weight_norm``,
  ``update_norm``;
* ``lrdiag/skipped`` = 1 on a step an AMP ``GradScaler`` skipped (its ratios are NaN, not 0).

Per-step work is a handful of fused ``torch._foreach_*`` kernels (on CPU float32 parameters, two
passes of lrdiag's own C kernel, ``lrdiag.fused``, once it is compiled) writing into a preallocated
device buffer; the buffer is copied to the host (one sync) every ``flush_rows`` rows or
``flush_secs`` seconds, and the rows go through a queue to one writer thread that feeds the sinks
(local store first, then TensorBoard, MLflow, user sinks). Nothing raised inside lrdiag reaches the
training loop: it is reported once (``MonitorWarning``) and recording degrades.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import queue
import threading
import time
import uuid
import weakref
from collections import OrderedDict, deque
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor
from torch.nn.parameter import is_lazy

from . import cuda_graphs as _cuda_graphs
from . import fused as _cfused
from . import names, norms, relative_step
from .errors import LRDiagError, warn
from .sinks.base import Sink

log = logging.getLogger("lrdiag")

#: Device-row columns before the per-layer and per-group ratios.
_LOSS, _GRAD, _WEIGHT, _UPDATE = 0, 1, 2, 3
_FIXED = (names.LOSS, names.GRAD_NORM, names.WEIGHT_NORM, names.UPDATE_NORM)

_GENERIC, _SGD_MOMENTUM, _SGD_PLAIN = "snapshot", "sgd_momentum_buffer", "sgd_gradient"

# hyper-parameters worth keeping in the metadata (scalars only; tensors/lists become floats/lists)
_SKIP_HPARAMS = {"params"}


class MonitorWarning(RuntimeWarning):
    """Something inside lrdiag failed; training continues and recording degrades."""


class _Reporter:
    """Report each distinct problem once: one line through ``warnings`` and the ``lrdiag`` logger."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def once(self, key: str, message: str) -> None:
        with self._lock:
            if key in self._seen:
                return
            self._seen.add(key)
        log.warning(message)
        warn(message, MonitorWarning, stacklevel=3, logged=True)


def _describe(e: BaseException) -> str:
    return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}".strip().rstrip(":")


def _run_eagerly(fn: Callable) -> Callable:
    """``fn`` kept out of ``torch.compile``'s tracing: a graph break where compiled code calls it.

    ``torch.compile(optimizer.step)`` (PyTorch's own recipe for a faster step) traces the step's
    hooks too, with fake tensors: the fused kernel was handed their data pointers and the process
    died of a segfault, and the Monitor's bookkeeping (counters, the row buffer) is Python state a
    graph must not capture. The hooks and ``log_loss`` run as in an eager loop instead; the
    optimizer's own update stays compiled. ``fullgraph=True`` allows no graph break: dynamo then
    stops at the first step with an error that gives ``_EAGER_REASON``.
    """
    disable = getattr(getattr(torch, "compiler", None), "disable", None)
    if disable is None:
        return fn
    try:
        return disable(fn, reason=_EAGER_REASON)
    except TypeError:  # torch before the ``reason`` argument
        pass
    except Exception:  # dynamo unavailable here (a platform or Python torch.compile does not support)
        return fn
    try:
        return disable(fn)
    except Exception:
        return fn


_EAGER_REASON = ("lrdiag.Monitor's hooks run outside the compiled graph (a graph break on each side of "
                 "optimizer.step); compile the step without fullgraph=True, or call monitor.detach() first")


def _hparams(group: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in group.items():
        if k in _SKIP_HPARAMS:
            continue
        if isinstance(v, Tensor):
            v = v.detach().cpu().tolist() if v.numel() > 1 else float(v)
        if isinstance(v, (bool, int, float, str)) or v is None:
            out[k] = v
        elif isinstance(v, (tuple, list)) and all(isinstance(x, (bool, int, float)) for x in v):
            out[k] = list(v)
    return out


def _group_lr(optimizer: torch.optim.Optimizer, group: Mapping[str, Any]) -> Any:
    """The LR a param group's step used (``relative_step``: Adafactor's own, ``lr`` is ignored;
    ``torch.optim.Adafactor``: ``lr`` capped at ``1/sqrt(t)``)."""
    if relative_step.uses_relative_step(group):
        return relative_step.applied_lr(optimizer, group)
    lr = group.get("lr")
    if relative_step.inverse_sqrt_capped(group) and isinstance(lr, (int, float)):
        return relative_step.capped_lr(optimizer, group)
    return math.nan if lr is None else _scalar(lr)


def _momentum(group: Mapping[str, Any]) -> float | None:
    if "betas" in group:
        return float(group["betas"][0])
    if "momentum" in group:
        return float(group["momentum"])
    return None


def _scalar(v: Any) -> Any:
    """A host float for LR/momentum; a tensor LR (capturable optimizers) is cloned, read at drain."""
    if isinstance(v, Tensor):
        return v.detach().clone() if v.device.type != "cpu" else float(v)
    return float(v)


_WRAPPER_PREFIXES = ("module.", "_orig_mod.")
_WRAPPER_SEGMENTS = ("_fsdp_wrapped_module.", "_checkpoint_wrapped_module.", "_orig_mod.")


def _clean_module_name(name: str) -> str:
    """Drop the wrapper segments DDP/FSDP/torch.compile/checkpointing insert into module names,
    and the ``parametrizations.<tensor>`` a parametrization (``weight_norm``, ``spectral_norm``,
    ``orthogonal``) adds: a parametrized Linear is one layer, its bias and its weight's
    ``original`` tensors together, as the plain Linear would be."""
    for seg in _WRAPPER_SEGMENTS:
        name = name.replace(seg, "")
        if name.endswith(seg[:-1]):
            name = name[: -len(seg) + 1].rstrip(".")
    head, sep, _tensor = name.rpartition("parametrizations.")
    if sep and "." not in _tensor and (not head or head.endswith(".")):
        name = head.rstrip(".")
    return name


def unwrap_optimizer(optimizer: Any) -> Any:
    """The torch optimizer inside wrappers such as Accelerate's ``AcceleratedOptimizer``.

    A wrapper overrides ``step`` and calls the inner optimizer's ``step`` (Accelerate's only at
    the steps that end a gradient accumulation), whose hooks are the ones that fire; so the
    Monitor attaches to the innermost optimizer. ``AcceleratedOptimizer`` also never runs
    ``Optimizer.__init__``: it has no hooks of its own to register.
    """
    seen = 0
    while isinstance(getattr(optimizer, "optimizer", None), torch.optim.Optimizer) and seen < 8:
        optimizer = optimizer.optimizer
        seen += 1
    return optimizer


def layer_names(model: torch.nn.Module | None) -> dict[int, str]:
    """``id(parameter) -> layer name``: the dotted name of the module that owns the parameter.

    A parameter held directly by the root module is named by its own name. DDP's ``module``,
    FSDP's ``_fsdp_wrapped_module`` and ``torch.compile``'s ``_orig_mod`` are removed so that a
    wrapped model records the same names as the plain one.
    """
    if model is None:
        return {}
    inner = getattr(model, "module", None)
    if isinstance(model, torch.nn.parallel.DistributedDataParallel) and isinstance(inner, torch.nn.Module):
        model = inner
    out: dict[int, str] = {}
    for mname, module in model.named_modules(remove_duplicate=False):
        for pname, p in module.named_parameters(recurse=False):
            if id(p) in out:
                continue  # tied weights: the first owner names it
            owner = _clean_module_name(mname)
            out[id(p)] = owner if owner else pname
    return out


def embedding_parameters(model: torch.nn.Module | None) -> frozenset[int]:
    """``id``s of the parameters an ``nn.Embedding`` or ``nn.EmbeddingBag`` (or a subclass) owns."""
    if model is None:
        return frozenset()
    kinds = (torch.nn.Embedding, torch.nn.EmbeddingBag)
    return frozenset(id(p) for m in model.modules() if isinstance(m, kinds) for p in m.parameters(recurse=False))


def _zero_matrix_layers(params: Sequence[Tensor], layer_of_name: Sequence[str], roles: Mapping[str, str]) -> list[str]:
    """The "matrix" layers whose matrices are all exactly zero when the plan is made: LoRA's B,
    a zero-initialised residual projection or adapter. Their ratio ||Δθ|| / ||θ|| starts infinite
    and falls as 1/t while the weights grow from nothing: it tells the time since the start, not
    the LR (a LoRA fine-tune at AdamW's 2e-4 read "unstable from step 0", ratio 0.42, and was told
    to lower its LR 750x). One norm pass over the matrices and one host read, once per plan; a
    sharded parameter is judged by its local shard."""
    mats = [(i, norms.local(p).detach()) for i, p in enumerate(params) if roles[layer_of_name[i]] == "matrix" and p.dim() >= 2]
    if not mats:
        return []
    peak: dict[int, float] = {}
    try:
        with torch.no_grad():
            by_device: dict[torch.device, list[tuple[int, Tensor]]] = {}
            for i, t in mats:
                by_device.setdefault(t.device, []).append((i, t))
            for group in by_device.values():  # the largest |entry| (no copy of the tensor), one read per device
                top = torch.stack([torch.linalg.vector_norm(t, float("inf")).float() for _, t in group]).tolist()
                peak.update((i, v) for (i, _), v in zip(group, top))
    except Exception:  # a parameter that cannot be read here (a meta tensor, ...): judge every matrix
        return []
    nonzero = {layer_of_name[i] for i, _ in mats if peak[i] != 0.0}
    return [n for n in dict.fromkeys(layer_of_name[i] for i, _ in mats) if n not in nonzero]


#: optimizer -> the Monitors attached to it (weakly held both ways): a second Monitor on one
#: optimizer, as re-running a notebook cell makes, is told about the first, which still records
_ATTACHED: "weakref.WeakKeyDictionary[Any, weakref.WeakSet]" = weakref.WeakKeyDictionary()
#: the run directory each open Monitor of this process writes to (absolute path -> Monitor)
_WRITING: "dict[str, weakref.ref]" = {}
_WRITING_LOCK = threading.Lock()

# CUDA graphs captured per plan at most (a model whose tensors move every step stays eager),
# and kept per half of the ratio step
_MAX_CAPTURES = 16
_GRAPHS_KEPT = 4


def _signature(optimizer: torch.optim.Optimizer) -> tuple:
    return tuple(tuple(id(p) for p in g["params"]) for g in optimizer.param_groups)


class _Plan:
    """What is monitored: parameters in a fixed order, their layer and group, and the buffers.

    Built once and again whenever the optimizer's parameters change (a group added, a parameter
    replaced). ``index`` maps every parameter to three segments (its layer, its group, "all"),
    so one ``index_add_`` turns per-parameter squared norms into per-layer, per-group and global
    sums.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, owner: Mapping[int, str], fast_path: bool, fused_ok: bool = False,
                 graphs_ok: bool = False, embeddings: frozenset[int] = frozenset()):
        self.signature = _signature(optimizer)
        self.fast_path = fast_path and type(optimizer) is torch.optim.SGD
        raw = [names.group_name(g, i) for i, g in enumerate(optimizer.param_groups)]
        self.groups = []
        for i, n in enumerate(raw):  # two groups with one name would share a series: disambiguate
            self.groups.append(n if raw.count(n) == 1 else f"{n}.{i}")
        self.params: list[Tensor] = []
        self.group_of: list[int] = []
        layer_of_name: list[str] = []
        # frozen parameters are not monitored, but kept: one unfrozen later (gradual unfreezing of
        # a fine-tuned backbone) re-plans the Monitor (``unfrozen``)
        self.frozen_params: list[Tensor] = []
        # a lazy module's parameters (``nn.LazyLinear``) have no shape until its first forward, which
        # usually comes after the optimizer and the Monitor are built: kept aside, and the Monitor
        # re-plans at the first step where one has been materialised (``materialised``)
        self.lazy_params: list[Tensor] = []
        self.sparse = 0
        seen: set[int] = set()
        for gi, g in enumerate(optimizer.param_groups):
            for pi, p in enumerate(g["params"]):
                if not isinstance(p, Tensor) or id(p) in seen:
                    continue
                seen.add(id(p))
                if is_lazy(p):
                    self.lazy_params.append(p)
                    continue
                if not p.requires_grad:
                    self.frozen_params.append(p)
                    continue
                if p.is_sparse:
                    self.sparse += 1  # a sparse *parameter* has no meaningful dense norm here
                    continue
                self.params.append(p)
                self.group_of.append(gi)
                layer_of_name.append(owner.get(id(p)) or f"{self.groups[gi]}.p{pi}")
        self.layers = list(dict.fromkeys(layer_of_name))
        lidx = {n: i for i, n in enumerate(self.layers)}
        self.layer_of = [lidx[n] for n in layer_of_name]
        # what each layer holds, for the analysis: the update-ratio band is a rule for weight
        # matrices; gains and biases alone ("vector") and embedding tables are judged apart
        self.roles: dict[str, str] = {n: "vector" for n in self.layers}
        for p, n in zip(self.params, layer_of_name):
            if id(p) in embeddings:
                self.roles[n] = "embedding"
            elif p.dim() >= 2 and self.roles[n] == "vector":
                self.roles[n] = "matrix"
        for n in _zero_matrix_layers(self.params, layer_of_name, self.roles):
            self.roles[n] = "zero_init"
        self.sharded = any(norms.is_dtensor(p) for p in self.params)
        locals_ = self.locals()
        self.home = locals_[0].device if locals_ else torch.device("cpu")
        self.buckets = norms.buckets(locals_)
        L, G, P = len(self.layers), len(self.groups), len(self.params)
        self.n_segments = L + G + 1
        idx = self.layer_of + [L + g for g in self.group_of] + [L + G] * P
        self.index = torch.tensor(idx, dtype=torch.long, device=self.home)
        self._seg: np.ndarray | None = None  # (P, segments) 0/1 for the CPU ratio sums
        if self.home.type == "cpu" and not self.sharded and P * self.n_segments <= 250_000:
            self._seg = np.zeros((P, self.n_segments))
            self._seg[np.tile(np.arange(P), 3), np.asarray(idx, dtype=np.int64)] = 1.0
        self.factors = None
        self.process_group = None
        if self.sharded:
            f = [norms.replication_factor(p) for p in self.params]
            self.factors = torch.tensor(f, dtype=torch.float32, device=self.home)
            mesh = next(p.device_mesh for p in self.params if norms.is_dtensor(p))  # type: ignore[attr-defined]
            self.process_group = mesh.get_group() if mesh.ndim == 1 else None
        # squared norms are summed in float64 on CPU (cheap there); float32 on accelerators
        self.acc = torch.float64 if self.home.type == "cpu" else torch.float32
        self.all_idx = list(range(P))
        self.group_set = sorted(set(self.group_of))
        self.snaps: list[Tensor | None] = [None] * P
        self._all_snapped = P == 0
        self._sub_cache: dict[tuple[int, ...], tuple[list[int], Any, Tensor]] = {}
        # the C kernel's share: CPU float32 contiguous parameters of an unsharded CPU model
        can_fuse = fused_ok and not self.sharded and self.home.type == "cpu"
        self.fused_idx = [i for i, t in enumerate(locals_) if can_fuse and norms.fusable(t)]
        self.rest_set = set(self.all_idx) - set(self.fused_idx)
        self.rest_idx = sorted(self.rest_set)
        self._fz: norms.FusedPass | None = None
        self.stale = False  # set when a parameter stopped fitting the plan: the Monitor re-plans
        # lr² of each param group, on the device: the SGD fast path scales norms by it (filled each
        # ratio step, so a CUDA graph of the step reads the LR in effect)
        self.lr2 = torch.zeros(len(optimizer.param_groups), dtype=self.acc, device=self.home)
        # CUDA graphs of the ratio step: all parameters on one GPU, not sharded
        self.graphs = (graphs_ok and self.home.type == "cuda" and not self.sharded and P > 0
                       and all(dev == self.home for dev, _dtype in self.buckets))
        self.gsq = torch.zeros(P if self.graphs else 0, dtype=self.acc, device=self.home)  # what the graphs read
        # per half ("before"/"after"), the graphs by key, and the keys of the latest ratio steps
        self._graphed: dict[str, OrderedDict[Any, _cuda_graphs.Captured]] = {"before": OrderedDict(), "after": OrderedDict()}
        self._seen: dict[str, deque] = {"before": deque(maxlen=_GRAPHS_KEPT * 2), "after": deque(maxlen=_GRAPHS_KEPT * 2)}
        self.captures = 0
        #: the path the last ratio step's norms took: "fused", "foreach" or "cuda_graph"
        self.last_path = "foreach"

    @property
    def frozen(self) -> int:
        """How many of the optimizer's parameters were frozen (``requires_grad=False``) when planned."""
        return len(self.frozen_params)

    def unfrozen(self, step: int) -> bool:
        """Whether a parameter frozen when planned requires a gradient now. Checked every step
        for up to 256 frozen tensors (about 45 ns each), else every 16th step (a LoRA model's
        frozen base: a layer unfrozen is then recorded within 16 steps)."""
        if not self.frozen_params or (len(self.frozen_params) > 256 and step % 16):
            return False
        return any(p.requires_grad for p in self.frozen_params)

    def materialised(self) -> bool:
        """Whether a lazy module's parameter, shapeless when planned, has been materialised since."""
        return bool(self.lazy_params) and any(not is_lazy(p) for p in self.lazy_params)

    # number of device-row columns: 4 fixed + layers + groups
    @property
    def width(self) -> int:
        return len(_FIXED) + len(self.layers) + len(self.groups)

    def column_names(self) -> list[str]:
        return list(_FIXED) + [names.update_ratio(n) for n in self.layers] + [names.group_update_ratio(g) for g in self.groups]

    def locals(self) -> list[Tensor]:
        if not self.sharded:
            return [p.detach() for p in self.params]
        return [norms.local(p).detach() for p in self.params]

    def _kind(self, group: Mapping[str, Any]) -> str:
        if not self.fast_path or isinstance(group.get("lr"), Tensor):
            return _GENERIC  # a tensor LR would be read with a host sync: take the snapshot path
        if group.get("momentum", 0) and not group.get("nesterov", False):
            return _SGD_MOMENTUM
        if not group.get("momentum", 0) and not group.get("weight_decay", 0):
            return _SGD_PLAIN
        return _GENERIC

    def _subset(self, idx: list[int]) -> tuple[list[int], Any, Tensor]:
        key = tuple(idx)
        hit = self._sub_cache.get(key)
        if hit is None:
            locs = self.locals()
            hit = (idx, norms.buckets([locs[i] for i in idx]), norms.index_tensor(key, self.home))
            if len(self._sub_cache) > 8:
                self._sub_cache.clear()
            self._sub_cache[key] = hit
        return hit

    def _fused_pass(self) -> "norms.FusedPass | None":
        """The C kernel's passes over ``fused_idx`` once the kernel is ready (None until then)."""
        if not self.fused_idx:
            return None
        if self._fz is None:
            k = _cfused.kernels()  # the first call starts the background build; None until done
            if k is None:
                return None
            self._fz = norms.FusedPass(k, [self.params[i] for i in self.fused_idx])
        return self._fz

    def _alloc_snaps(self, idx: Sequence[int]) -> None:
        if self._all_snapped:
            return
        locs = None
        for i in idx:
            if self.snaps[i] is None:
                locs = locs or self.locals()
                self.snaps[i] = torch.empty_like(locs[i])  # a contiguous parameter gets a contiguous copy
        self._all_snapped = all(t is not None for t in self.snaps)

    def _scatter(self, out: Tensor, idx: Sequence[int], values: Tensor) -> None:
        """``out[idx] = values`` (converted to ``out``'s dtype); the whole vector when idx is everything."""
        values = values.to(out.dtype)
        if len(idx) == len(out):
            out.copy_(values)
        else:
            out[self._subset(list(idx))[2]] = values

    def _sq_norms(self, tensors: Sequence[Tensor], idx: Sequence[int], out: Tensor) -> None:
        """``out[i] = ||tensors[i]||²`` for i in idx, with foreach norms."""
        if not idx:
            return
        b = self.buckets if len(idx) == len(out) else self._subset(list(idx))[1]
        n = norms.foreach_norms([norms.local(tensors[i]) for i in idx], self.home, b)
        self._scatter(out, idx, n.to(self.acc).square_())

    def _snapshot(self, idx: Sequence[int], locs: Sequence[Tensor]) -> None:
        if len(idx) == len(locs):
            norms.snapshot(self.snaps, locs, self.buckets)  # type: ignore[arg-type]
        elif idx:
            norms.snapshot([self.snaps[i] for i in idx], [locs[i] for i in idx], self._subset(list(idx))[1])  # type: ignore[misc]

    def grad_sq(self) -> Tensor:
        """Per-parameter squared gradient norms (0 where there is no gradient), foreach path."""
        grads = [p.grad for p in self.params]
        out = torch.zeros(len(grads), dtype=self.acc, device=self.home)
        self._sq_norms(grads, [i for i, g in enumerate(grads) if g is not None], out)
        return out

    def before(self, optimizer: torch.optim.Optimizer, closure: bool = False) -> dict[str, Any]:
        """At the pre-step hook of a ratio step: squared grad and weight norms, snapshot of θ_before.

        Parameters in ``fused_idx`` go through one pass of the C kernel (``lrdiag.fused``) once it
        is ready; the rest, and all of them before that, through ``torch._foreach_*``; on a GPU,
        as a CUDA graph once the step's tensors have settled (``_graph_or_eager``).
        With a closure (LBFGS, Lightning's automatic optimization) the gradients of this step are
        computed inside ``step()``: grad norms wait for the post-step hook, and every parameter
        takes the snapshot path (the SGD fast path needs this step's gradient up front).
        """
        pg = optimizer.param_groups
        kinds = {gi: self._kind(pg[gi]) for gi in self.group_set}
        for gi, kind in kinds.items():
            if kind != _GENERIC:
                self.lr2[gi].fill_(float(pg[gi]["lr"]) ** 2)  # a kernel argument: no host-to-device copy
        if not self.graphs or closure:
            return self._before(kinds, closure)
        grads = [p.grad for p in self.params]
        if any(g is None or g.is_sparse for g in grads):
            return self._before(kinds, closure)
        # The gradients are read eagerly, into a buffer the graph reads: the allocator gives them
        # new addresses from step to step (a cycle of two or three, longer when other work
        # allocates between steps), while parameters, snapshots and momentum buffers stay put.
        self._sq_norms(grads, self.all_idx, self.gsq)  # type: ignore[arg-type]
        key = (tuple(kinds.values()), tuple(p.data_ptr() for p in self.params))
        return self._graph_or_eager("before", key, lambda: self._before(kinds, False, self.gsq))

    def _before(self, kinds: Mapping[int, str], closure: bool, gsq_done: Tensor | None = None) -> dict[str, Any]:
        """The norms and snapshot of ``before``; ``gsq_done`` holds the grad norms already taken."""
        P = len(self.params)
        grads: list[Tensor | None] = [None] * P if closure else [p.grad for p in self.params]
        if closure or not self.fast_path:
            generic = self.all_idx
        else:
            generic = [i for i in range(P) if kinds[self.group_of[i]] == _GENERIC or grads[i] is None or grads[i].is_sparse]  # type: ignore[union-attr]
        has = self.all_idx if closure else [i for i, g in enumerate(grads) if g is not None]
        self._alloc_snaps(generic)
        rest, grad_rest, fz = self.all_idx, has, self._fused_pass()
        if fz is not None:
            fi, snaps = self.fused_idx, self.snaps
            gen = None if len(generic) == P else set(generic)
            bad = fz.pre([self.params[i] for i in fi], [grads[i] for i in fi],
                         [snaps[i] if gen is None or i in gen else None for i in fi])
            if bad is None:  # a parameter changed under us (p.data replaced): foreach now, re-plan next step
                fz, self.stale = None, True
                self.snaps, self._all_snapped = [None] * P, False  # sized like the parameters as they are now
                self._alloc_snaps(generic)
            elif not bad and not closure and len(fi) == P:
                # the common case: the kernel's own output rows are the step's squared norms
                return {"gsq": fz.gsq, "wsq": fz.wsq, "generic": generic, "kinds": kinds, "has": set(has),
                        "fused": fz, "path": "fused", "direct": len(generic) == P}
        wsq = torch.zeros(P, dtype=self.acc, device=self.home)
        gsq = None if closure or gsq_done is not None else torch.zeros(P, dtype=self.acc, device=self.home)
        if fz is not None:
            self._scatter(wsq, fi, fz.wsq)
            if gsq is not None:
                self._scatter(gsq, fi, fz.gsq)
            rest = self.rest_idx
            grad_rest = [i for i in has if i in self.rest_set] + [fi[j] for j in bad]
        if rest:
            locs = self.locals()
            self._sq_norms(locs, rest, wsq)
            snap = rest if generic is self.all_idx else [i for i in generic if i in self.rest_set]
            try:
                self._snapshot(snap, locs)
            except RuntimeError:  # a parameter re-allocated with another shape (p.data = ...)
                for i in snap:
                    self.snaps[i] = torch.empty_like(locs[i])
                self._snapshot(snap, locs)
                self.stale = True  # and re-plan before the next step
        if gsq is not None:
            self._sq_norms(grads, grad_rest, gsq)  # type: ignore[arg-type]
        else:
            gsq = gsq_done
        return {"gsq": gsq, "wsq": wsq, "generic": generic, "kinds": kinds, "has": set(has),
                "fused": fz, "path": "fused" if fz is not None else "foreach", "direct": False}

    def after(self, optimizer: torch.optim.Optimizer, pre: Mapping[str, Any]) -> Tensor | np.ndarray:
        """At the post-step hook: the row values from grad_norm to the last group ratio."""
        self.last_path = pre["path"]
        if not pre.get("graph"):
            return self._after(optimizer, pre)
        # the after-step half reads the before-step graph's outputs: a graph of it is keyed by that graph
        bufs, complete = self._momentum_buffers(optimizer, pre)
        if not complete:
            return self._after(optimizer, pre)
        key = (pre["graph"], tuple(p.data_ptr() for p in self.params), tuple(b.data_ptr() for b in bufs.values()))
        return self._graph_or_eager("after", key, lambda: self._after(optimizer, pre))

    def _graph_or_eager(self, half: str, key: Any, run: Callable[[], Any]) -> Any:
        """``run()`` replayed from a CUDA graph when one was captured for these tensors (``key``:
        their addresses and the optimizer's kinds), else run eagerly.

        A graph is captured for a key seen at an earlier recent ratio step (the tensors have
        settled); the last ``_GRAPHS_KEPT`` graphs are kept, and at most ``_MAX_CAPTURES`` are
        captured per plan (a model whose parameters move all the time stays eager). Replaying
        costs one launch instead of the two dozen ops and per-tensor work of the eager step, which
        on a GPU fed by a busy host was most of lrdiag's cost. A failed capture turns graphs off
        for this plan.
        """
        graphs = self._graphed[half]
        cap = graphs.get(key)
        if cap is not None:
            graphs.move_to_end(key)
            self.last_path = "cuda_graph"
            return cap.replay()
        out = run()
        if key in self._seen[half] and self.captures < _MAX_CAPTURES:
            self.captures += 1
            try:
                cap = _cuda_graphs.Captured(run, self.home)
                if isinstance(cap.out, dict):
                    cap.out["graph"] = self.captures  # what the after-step half's key names
                graphs[key] = cap
                if len(graphs) > _GRAPHS_KEPT:
                    graphs.popitem(last=False)
            except Exception as e:
                self.graphs = False
                for g in self._graphed.values():
                    g.clear()
                log.debug("lrdiag: CUDA graph capture failed (%s); the ratio steps run eagerly", _describe(e))
        self._seen[half].append(key)
        return out

    def _after(self, optimizer: torch.optim.Optimizer, pre: Mapping[str, Any]) -> Tensor | np.ndarray:
        fz = pre["fused"]
        if pre["direct"] and fz.post(self.params):
            return self._ratios(fz.sq)  # rows usq, wsq, gsq as the kernel left them
        P = len(self.params)
        generic = pre["generic"]
        usq = torch.zeros(P, dtype=self.acc, device=self.home)
        rest = generic
        # the post pass only when the kernel took a snapshot (not with the SGD fast path everywhere)
        if fz is not None and any(i not in self.rest_set for i in generic) and fz.post([self.params[i] for i in self.fused_idx]):
            self._scatter(usq, self.fused_idx, fz.usq)  # 0 where no snapshot was taken (SGD fast path)
            rest = [i for i in generic if i in self.rest_set]
        if rest:
            locs = self.locals()
            b = self.buckets if len(rest) == P else self._subset(rest)[1]
            u = norms.update_norms([self.snaps[i] for i in rest], [locs[i] for i in rest], self.home, b)  # type: ignore[misc]
            self._scatter(usq, rest, u.to(self.acc).square_())
        if len(generic) != P:
            self._fast_updates(optimizer, pre, usq, set(generic))
        gsq = pre["gsq"] if pre["gsq"] is not None else self.grad_sq()
        return self._ratios(torch.stack([usq, pre["wsq"], gsq]))

    def _ratios(self, sq: Tensor) -> Tensor | np.ndarray:
        """Row values from (3, P) squared norms [update, weight, grad]: global norms, then ratios.

        On CPU (unsharded) in numpy with a precomputed 0/1 segment matrix: a dozen tiny torch ops
        cost ~0.3 ms right after the kernels have streamed the parameters through the caches.
        """
        if self._seg is not None:
            a = sq.numpy()
            bad = ~np.isfinite(a)
            if not bad.any():
                sums = a @ self._seg  # (3, segments): per layer, per group, all
            else:
                # 0 * inf is NaN: one parameter's non-finite norm would have made every layer's
                # NaN (and numpy warn "invalid value in matmul"). It stays in its own segments,
                # as index_add_ keeps it on the torch path.
                sums = np.where(bad, 0.0, a) @ self._seg
                for k, i in zip(*np.nonzero(bad)):
                    sums[k, self._seg[i] > 0] += a[k, i]
            with np.errstate(invalid="ignore"):
                roots = np.sqrt(sums)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = roots[0, :-1] / roots[1, :-1]
            return np.concatenate((roots[::-1, -1], ratio))
        if self.factors is not None:
            sq = sq * self.factors
        # every parameter counts for its layer, its group and "all": the columns repeated 3 times
        # (expand+reshape: Tensor.repeat is slow for small tensors on CPU)
        sums = norms.segment_sums(sq.unsqueeze(1).expand(-1, 3, -1).reshape(3, -1), self.index, self.n_segments)
        if self.sharded:
            norms.all_reduce_sum(sums, self.process_group)
        roots = sums.sqrt_()
        ratio = roots[0] / roots[1]
        return torch.cat([roots[2, -1:], roots[1, -1:], roots[0, -1:], ratio[:-1]])

    def _momentum_buffers(self, optimizer: torch.optim.Optimizer, pre: dict[str, Any]) -> tuple[dict[int, Tensor], bool]:
        """The SGD momentum buffers the fast path reads, by parameter index, and whether every one
        was there (a parameter without one keeps ||Δθ|| = 0 this step).

        Which parameters take them is kept in ``pre`` (a replayed graph hands back the same dict
        every step, so on a GPU this is worked out once, not per step and parameter)."""
        idx = pre.get("momentum_idx")
        if idx is None:
            generic, has, kinds = set(pre["generic"]), pre["has"], pre["kinds"]
            idx = pre["momentum_idx"] = [i for i in range(len(self.params)) if i not in generic and i in has
                                         and kinds[self.group_of[i]] == _SGD_MOMENTUM]
        out = {}
        state = optimizer.state
        for i in idx:
            buf = state.get(self.params[i], {}).get("momentum_buffer")
            if buf is not None:
                out[i] = norms.local(buf) if self.sharded else buf  # a buffer needs no detach: it has no grad
        return out, len(out) == len(idx)

    def _fast_updates(self, optimizer: torch.optim.Optimizer, pre: Mapping[str, Any], usq: Tensor, generic: set[int]) -> None:
        """||Δθ||² from SGD's own state instead of a snapshot.

        SGD without Nesterov updates θ ← θ − lr·b where b is the momentum buffer after this step
        (b = g + wd·θ without momentum), so ||Δθ||² = lr²·||b||²; with neither momentum nor weight
        decay, ||Δθ||² = lr²·||g||² reuses the grad norms already computed. Parameters without a
        gradient are not updated by SGD: their ||Δθ|| stays 0. lr² comes from ``self.lr2``.
        """
        kinds = pre["kinds"]
        bufs = self._momentum_buffers(optimizer, pre)[0]
        mom_idx = sorted(bufs)
        plain_idx = [i for i in range(len(self.params)) if i not in generic and i in pre["has"]
                     and kinds[self.group_of[i]] != _SGD_MOMENTUM]
        if mom_idx:
            n = norms.foreach_norms([bufs[i] for i in mom_idx], self.home, norms.buckets([bufs[i] for i in mom_idx]))
            self._scatter(usq, mom_idx, n.to(self.acc).square_() * self.lr2[self._group_index(mom_idx)])
        if plain_idx:
            t = self._subset(plain_idx)[2]
            self._scatter(usq, plain_idx, pre["gsq"][t] * self.lr2[self._group_index(plain_idx)])

    def _group_index(self, idx: list[int]) -> Tensor:
        """The param-group index of each parameter in ``idx``, as a device tensor (made once)."""
        return norms.index_tensor(tuple(self.group_of[i] for i in idx), self.home)


def _file_blocks(path: str | os.PathLike) -> list[tuple[np.ndarray, list[str], np.ndarray]]:
    """The row blocks of one store file, in order (``(steps, names, values)``)."""
    from .store import decode_block, iter_chunks, KIND_BLOCK

    return [decode_block(payload) for kind, payload in iter_chunks(path) if kind == KIND_BLOCK]


class _Writer(threading.Thread):
    """The one background thread that talks to sinks. Messages arrive through ``self.q``.

    The local store is always first; if it fails, blocks are kept in memory instead so analysis
    at close still sees every value. Any other failing sink is reported once and dropped.
    """

    def __init__(self, sink_factories: list[tuple[str, Callable[[], Sink]]], reporter: _Reporter, keep_limit: int = 50_000_000,
                 resumed_at: int = 0, resumed_from: Sequence[Path] = ()):
        super().__init__(name="lrdiag-writer", daemon=True)
        #: a resumed run's first step (``Monitor(start_step=...)``): the steps before it are read
        #: back from the run directory's earlier store files, and from those of ``resumed_from``
        #: (the directories earlier processes of the run wrote), so the report covers the whole run
        self.resumed_at = resumed_at
        self.resumed_from = list(resumed_from)
        self.q: "queue.Queue[tuple]" = queue.Queue()
        self._factories = sink_factories
        self._reporter = reporter
        self.sinks: list[Sink] = []
        self.store_sink: Sink | None = None
        self.store_path: Path | None = None
        self.memory: list[tuple[np.ndarray, dict[str, np.ndarray]]] | None = None
        self._kept_values = 0
        self._keep_limit = keep_limit
        self.meta: dict[str, Any] = {}
        self.report = None
        self.history = None
        self.rows_written = 0
        self.cpu_seconds = 0.0  # CPU time this thread spent writing (the overhead benchmark reads it)

    def put(self, *msg: Any) -> None:
        self.q.put(msg)

    def _call(self, sink: Sink, what: str, fn: Callable[[], Any]) -> bool:
        try:
            fn()
            return True
        except Exception as e:
            if sink is self.store_sink:
                self._reporter.once(f"store-{what}", f"lrdiag: the local store failed ({_describe(e)}); keeping values in memory, training continues")
                self.store_sink = None
                if self.memory is None:
                    self.memory = []
            else:
                kept = "the local store keeps every value" if self.store_sink is not None else "values are kept in memory"
                self._reporter.once(f"sink-{sink.name}-{what}", f"lrdiag: sink {sink.name!r} failed in {what} ({_describe(e)}); it is dropped, {kept}")
            if sink in self.sinks:
                self.sinks.remove(sink)
                try:
                    sink.close()
                except Exception:
                    pass
            return False

    def _open(self, meta: dict[str, Any]) -> None:
        self.meta = dict(meta)
        for label, make in self._factories:
            try:
                sink = make()
            except Exception as e:
                if label == "local store":
                    self.memory = []
                    self._reporter.once("store-create", f"lrdiag: cannot create the local store ({_describe(e)}); keeping values in memory, training continues")
                else:
                    self._reporter.once(f"sink-{label}-create", f"lrdiag: cannot create sink {label!r} ({_describe(e)}); continuing without it")
                continue
            self.sinks.append(sink)
            if label == "local store":
                self.store_sink = sink
                self.store_path = None
            self._call(sink, "open", lambda s=sink: s.open(self.meta))
            if sink is self.store_sink:
                self.store_path = getattr(sink, "path", None)

    def _rows(self, steps: np.ndarray, columns: dict[str, np.ndarray]) -> None:
        for sink in list(self.sinks):
            self._call(sink, "write", lambda s=sink: s.write(steps, columns))
        if self.store_sink is None and self.memory is not None:
            n = steps.size * len(columns)
            if self._kept_values + n <= self._keep_limit:
                self.memory.append((steps, columns))
                self._kept_values += n
            else:
                self._reporter.once("memory-full", "lrdiag: the in-memory fallback is full; later values are not kept")
        self.rows_written += steps.size

    def _meta(self, meta: dict[str, Any]) -> None:
        self.meta = dict(meta)
        for sink in list(self.sinks):
            update = getattr(sink, "update_meta", None)
            if update is not None:
                self._call(sink, "update_meta", lambda u=update: u(self.meta))

    def read_history(self):
        """Everything this process recorded, read back from its own store file (or memory); for a
        resumed run, with the run's steps before it from the directory's earlier store files."""
        from .history import History
        from .store import _merge

        blocks = self._earlier_blocks() if self.resumed_at > 0 else []
        if self.store_path is not None and Path(self.store_path).exists():
            blocks += _file_blocks(self.store_path)
        for steps, cols in self.memory or []:  # what arrived after the store failed
            blocks.append((np.asarray(steps), list(cols), np.vstack([np.asarray(v, np.float32) for v in cols.values()])))
        steps, series = _merge(blocks)
        return History(steps, series, self.meta)

    def _earlier_blocks(self) -> list[tuple[np.ndarray, list[str], np.ndarray]]:
        """The steps before ``resumed_at`` that other store files of ``resumed_from`` and of the
        run directory hold, oldest process first (where two hold a step, the later one's value
        is the run's: it resumed from a checkpoint before the earlier one stopped)."""
        from .store import store_files

        if self.store_path is None:
            return []
        own = Path(self.store_path)
        dirs = list(dict.fromkeys([*(Path(d).resolve() for d in self.resumed_from), own.parent.resolve()]))
        out = []
        for f in (f for d in dirs if d.is_dir() for f in store_files(d)):
            if f.resolve() == own.resolve():
                continue
            try:
                for steps, cols, vals in _file_blocks(f):
                    keep = steps < self.resumed_at
                    if keep.any():
                        out.append((steps[keep], cols, vals[:, keep]))
            except Exception as e:  # an unreadable earlier file: the report covers this process's steps
                self._reporter.once("earlier-store", f"lrdiag: could not read the run's earlier steps from {f.name} ({_describe(e)})")
        return out

    def _report(self, analyze: bool) -> None:
        try:
            self.history = self.read_history()
        except Exception as e:
            self._reporter.once("history", f"lrdiag: could not read the run back for analysis ({_describe(e)})")
            return
        if not analyze or len(self.history) == 0:
            return
        try:
            from .analysis.engine import analyze as run_analysis
        except Exception as e:
            self._reporter.once("analysis-import", f"lrdiag: analysis is unavailable ({_describe(e)}); the run is recorded, analyse it later with `lrdiag analyze`")
            return
        try:
            self.report = run_analysis(self.history)
        except Exception as e:
            self._reporter.once("analysis", f"lrdiag: analysis failed ({_describe(e)}); the run is recorded, analyse it later with `lrdiag analyze`")
            return
        for sink in list(self.sinks):
            self._call(sink, "write_report", lambda s=sink: s.write_report(self.report, self.history))

    def run(self) -> None:
        while True:
            msg = self.q.get()
            kind = msg[0]
            t0 = time.thread_time()
            try:
                if kind == "open":
                    self._open(msg[1])
                elif kind == "rows":
                    self._rows(msg[1], msg[2])
                elif kind == "meta":
                    self._meta(msg[1])
                elif kind == "report":
                    self._report(msg[1])
                elif kind == "flush":
                    for sink in list(self.sinks):
                        self._call(sink, "flush", sink.flush)
                elif kind == "close":
                    for sink in list(self.sinks):
                        self._call(sink, "close", sink.close)
                    return
            except Exception as e:  # never let the writer die silently
                self._reporter.once(f"writer-{kind}", f"lrdiag: writer error in {kind} ({_describe(e)})")
            finally:
                self.cpu_seconds += time.thread_time() - t0
                if kind == "flush" and len(msg) > 1:
                    msg[1].set()


def _default_logdir() -> Path:
    # like SummaryWriter: runs/<date>_<host>; a short uuid keeps two processes apart
    import socket

    return Path("runs") / f"{time.strftime('%b%d_%H-%M-%S')}_{socket.gethostname()}_{uuid.uuid4().hex[:6]}"


def _dist() -> tuple[int, int]:
    """``(rank, world_size)`` of the default process group, ``(0, 1)`` without one."""
    try:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
    except Exception:
        pass
    return 0, 1


class Monitor:
    """Record learning-rate diagnostics of a training run from the optimizer's step hooks.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        Any optimizer; its step hooks are used, ``step`` itself is untouched.
    model : torch.nn.Module, optional
        Names layers by the owning module's dotted name (``encoder.0.attn``); without it a layer
        is ``<group>.p<i>``. DDP/FSDP/compile wrappers are seen through.
    logdir : path, optional
        The run directory (TensorBoard logdir); default ``runs/<date>_<host>_<id>``.
    mlflow : bool, str or mlflow run, optional
        ``True`` logs to MLflow's default tracking store as well; a string is a tracking URI; an
        ``mlflow`` Run/ActiveRun logs into that run.
    every : int
        Record every ``every``-th optimizer step (LR, momentum, loss).
    ratio_every : int
        Compute the per-parameter passes (update ratios, grad/weight/update norms) every
        ``ratio_every``-th step. These are the only per-step costs that grow with model size.
    flush_secs : float
        Longest time recorded rows stay in memory (also bounds what ``kill -9`` can lose).
    flush_rows : int
        Rows kept on the device before a drain to the host (the only host sync).
    scaler : torch.amp.GradScaler, optional
        Detects steps the scaler skipped (inf/NaN gradients) and records them as skipped.
    sinks : list of Sink, optional
        Extra sinks, called on the writer thread after the local store and TensorBoard.
    tensorboard : bool
        Write TensorBoard scalars and the report summary into ``logdir`` (default True).
    analyze_on_close : bool
        ``close()`` analyses the run and writes the report to every sink.
    fast_path : bool
        For SGD, read ||Δθ|| from the momentum buffer (or the gradient) instead of a snapshot.
    fused : bool, optional
        Compute the norms of CPU float32 parameters with lrdiag's small C kernel
        (``lrdiag.fused``): two passes over memory per ratio step instead of about eight. It is
        compiled with the system C compiler on first use, in the background (the foreach path is
        used meanwhile, and wherever there is no compiler). Default: on unless the environment
        sets ``LRDIAG_FUSED=0``; ``False`` switches it off for this monitor.
    cuda_graphs : bool, optional
        On a GPU, replay each ratio step's weight and update norms and ratios from a CUDA graph
        (one launch instead of two dozen ops and per-tensor host work), captured once the
        parameters and momentum buffers have kept their addresses over two ratio steps, and run
        eagerly at any step where they moved; gradient norms are read eagerly (gradients move
        from step to step). ``monitor.norm_paths["cuda_graph"]`` counts the replayed steps.
        Default: on unless the environment sets ``LRDIAG_CUDA_GRAPHS=0``.
    start_step : int
        Step number of the first optimizer step (for a resumed run). The report (``close()``,
        ``history()``) then also covers the steps before it that earlier processes recorded in
        ``logdir`` or ``resumed_from``.
    resumed_from : path or list of paths, optional
        Run directories that earlier processes of this run wrote, where a resumed run writes into
        a new one (a TensorBoard logger's next version): with ``start_step``, their steps before
        it join the report. The Hugging Face and Lightning callbacks pass them from the checkpoint.
    loss_timing : {"auto", "before_step", "after_step"}
        Whether ``log_loss`` is called before ``optimizer.step()`` (the loss belongs to the next
        step) or after it (to the step just taken). ``auto`` decides at the first call: before if
        no step has been taken yet.
    rank : int, optional
        This process's rank; default ``torch.distributed.get_rank()``. Only rank 0 writes.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        model: torch.nn.Module | None = None,
        *,
        logdir: str | os.PathLike | None = None,
        mlflow: Any = False,
        every: int = 1,
        ratio_every: int = 1,
        flush_secs: float = 2.0,
        flush_rows: int = 256,
        scaler: Any = None,
        sinks: Sequence[Sink] | None = None,
        tensorboard: bool = True,
        analyze_on_close: bool = True,
        fast_path: bool = True,
        fused: bool | None = None,
        cuda_graphs: bool | None = None,
        start_step: int = 0,
        resumed_from: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
        loss_timing: str = "auto",
        rank: int | None = None,
        close_timeout: float = 120.0,
    ) -> None:
        # Accelerate's wrapper knows whether a micro-batch ends a gradient accumulation: a loss
        # logged after ``step()`` is then put in the step its micro-batch belongs to (``log_loss``)
        grad_state = getattr(optimizer, "gradient_state", None)
        self._accumulation = grad_state if hasattr(grad_state, "sync_gradients") else None
        optimizer = unwrap_optimizer(optimizer)
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise LRDiagError(f"Monitor needs a torch.optim.Optimizer, got {type(optimizer).__name__}; pass the optimizer your loop calls .step() on")
        if model is not None and not isinstance(model, torch.nn.Module):
            raise LRDiagError(f"model must be a torch.nn.Module (or None), got {type(model).__name__}")
        for label, v in (("every", every), ("ratio_every", ratio_every), ("flush_rows", flush_rows)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise LRDiagError(f"{label} must be an integer >= 1, got {v!r}")
        if not (isinstance(flush_secs, (int, float)) and flush_secs > 0):
            raise LRDiagError(f"flush_secs must be a positive number of seconds, got {flush_secs!r}")
        if loss_timing not in ("auto", "before_step", "after_step"):
            raise LRDiagError(f"loss_timing must be 'auto', 'before_step' or 'after_step', got {loss_timing!r}")
        self.optimizer = optimizer
        self.model = model
        self.every, self.ratio_every = every, ratio_every
        self.flush_secs, self.flush_rows = float(flush_secs), flush_rows
        self.analyze_on_close = analyze_on_close
        self.close_timeout = close_timeout
        self.run_dir = Path(logdir) if logdir is not None else _default_logdir()
        if resumed_from is None:
            resumed_from = []
        elif isinstance(resumed_from, (str, os.PathLike)):
            resumed_from = [resumed_from]
        #: run directories of this run's earlier processes (``resumed_from``)
        self.resumed_from = [Path(d) for d in resumed_from]
        self.rank = _dist()[0] if rank is None else int(rank)
        self.run_id = uuid.uuid4().hex
        self.report = None
        self._reporter = _Reporter()
        self._fast_path = fast_path
        self._fused = _cfused.enabled(fused)
        self._graphs = _cuda_graphs.enabled(cuda_graphs)
        #: ratio steps computed per path: "fused" (the C kernel took part), "foreach", or
        #: "cuda_graph" (on a GPU, the foreach step replayed from a CUDA graph)
        self.norm_paths = {"fused": 0, "foreach": 0, "cuda_graph": 0}
        self._step = int(start_step)
        self._loss_timing = loss_timing
        self._closed = False
        self._stats_on = True
        self._failures = 0
        self._pre: dict[str, Any] | None = None
        self._force_rebuild = False
        self._post_count = 0
        self._pending_row: int | None = None  # after_step mode: the row waiting for its loss
        self._loss_acc: Tensor | None = None
        self._loss_host = 0.0
        self._loss_count = 0
        self._loss_for_next = False  # the losses so far are micro-batches of the coming step (Accelerate)
        self._host_rows: list[tuple[int, list[Any], list[Any], float]] = []
        self._last_drain = time.monotonic()
        self._handles: list[Any] = []
        self._scaler = None
        self._writer: _Writer | None = None
        #: CPU seconds spent inside the step hooks on the training thread (a self-measurement)
        self.hook_cpu_seconds = 0.0

        self._owner = layer_names(model)
        self._embeddings = embedding_parameters(model)
        self._plan = _Plan(optimizer, self._owner, fast_path, self._fused, self._graphs, self._embeddings)
        if self._plan.fused_idx:
            _cfused.kernels()  # start the background build now: it is usually ready by the first step
        # Under DDP every rank holds the same parameters: rank 0 alone records. Sharded (FSDP)
        # parameters need every rank for the norm reductions, but still only rank 0 writes.
        if model is not None and not self._plan.sharded and _uses_fsdp1(model):
            self._reporter.once("fsdp1", "lrdiag: FullyShardedDataParallel (FSDP1) parameters are flat shards; update ratios "
                                "are those of rank 0's shard. Use torch.distributed.fsdp.fully_shard (FSDP2) for exact per-layer ratios")
        self._active = self.rank == 0 or self._plan.sharded
        self._writes = self.rank == 0
        self._alloc_rows()
        if self._writes:
            self._claim_run_dir()
            self._writer = _Writer(self._sink_factories(mlflow, sinks, tensorboard), self._reporter, resumed_at=int(start_step),
                                   resumed_from=self.resumed_from)
            self._writer.start()
            self._writer.put("open", self._meta())
            # a Monitor never closed still gets its last rows written when the interpreter exits
            atexit.register(_flush_at_exit, weakref.ref(self))
        if self._active:
            self._note_attached(optimizer)
            self._handles = [optimizer.register_step_pre_hook(_run_eagerly(self._pre_hook)),
                             optimizer.register_step_post_hook(_run_eagerly(self._post_hook))]
            if scaler is not None:
                self._wrap_scaler(scaler)

    # -- set-up -------------------------------------------------------------------------------
    def _note_attached(self, optimizer: torch.optim.Optimizer) -> None:
        """Say so once if an open Monitor already records ``optimizer``; remember this one."""
        try:
            earlier = [m for m in _ATTACHED.get(optimizer, ()) if m._handles]
            _ATTACHED.setdefault(optimizer, weakref.WeakSet()).add(self)
        except TypeError:  # an optimizer class that cannot be hashed or weakly referenced
            return
        if earlier:
            self._reporter.once("attached-twice", (
                f"lrdiag: this optimizer already has a Monitor recording it (run {earlier[0].run_dir}); both now "
                "record every step. Close the old one first (monitor.close(), or `with lrdiag.Monitor(...)`): "
                "re-running the notebook cell that made it leaves it attached"))

    def _claim_run_dir(self) -> None:
        """Write to a run directory no other open Monitor of this process writes to.

        Two Monitors in one directory (a GAN's two optimizers given one ``logdir``) would merge
        into one run: the same series names at the same steps, one's loss overwriting the
        other's. The second writes to ``<logdir>/monitor2`` instead and says so. A closed
        Monitor's directory is free again (a resumed run appends to it)."""
        def writer_of(path: Path) -> "Monitor | None":
            ref = _WRITING.get(os.path.abspath(path))
            m = ref() if ref is not None else None
            return m if m is not None and m is not self and not m._closed else None

        with _WRITING_LOCK:
            first = writer_of(self.run_dir)
            if first is not None:
                base, k = self.run_dir, 2
                while writer_of(base / f"monitor{k}") is not None:
                    k += 1
                self.run_dir = base / f"monitor{k}"
                self._reporter.once("run-dir-taken", (
                    f"lrdiag: {base} is already being written by another open Monitor (of {type(first.optimizer).__name__}); "
                    f"two runs in one directory would mix their series, so this Monitor writes to {self.run_dir}. "
                    "Give each optimizer a logdir of its own (e.g. runs/gan/G and runs/gan/D)"))
            _WRITING[os.path.abspath(self.run_dir)] = weakref.ref(self)

    def _sink_factories(self, mlflow: Any, sinks: Sequence[Sink] | None, tensorboard: bool) -> list[tuple[str, Callable[[], Sink]]]:
        from .sinks.local_sink import LocalStoreSink

        run_dir = self.run_dir
        out: list[tuple[str, Callable[[], Sink]]] = [("local store", lambda: LocalStoreSink(run_dir))]
        if tensorboard:
            from .sinks.tensorboard_sink import TensorBoardSink

            out.append(("tensorboard", lambda: TensorBoardSink(run_dir)))
        if mlflow is not None and mlflow is not False:
            out.append(("mlflow", lambda: _make_mlflow_sink(mlflow, run_dir)))
        for s in sinks or []:
            if not isinstance(s, Sink):
                raise LRDiagError(f"sinks must be lrdiag.sinks.base.Sink instances, got {type(s).__name__}")
            out.append((s.name, lambda s=s: s))
        return out

    def _meta(self) -> dict[str, Any]:
        from . import __version__

        pg = self.optimizer.param_groups
        group_hp = {self._plan.groups[i]: _hparams(g) for i, g in enumerate(pg)}
        return {
            "source": "lrdiag.Monitor",
            "source_format": "lrdiag-store",
            "run": self.run_dir.name,
            "run_id": self.run_id,
            "lrdiag_version": __version__,
            "torch_version": torch.__version__,
            "optimizer": type(self.optimizer).__name__,
            "hparams": group_hp[self._plan.groups[0]] if pg else {},
            "group_hparams": group_hp,
            "groups": list(self._plan.groups),
            "layers": list(self._plan.layers),
            "layer_roles": dict(self._plan.roles),
            "every": self.every,
            "ratio_every": self.ratio_every,
            "update_method": "sgd_state" if self._plan.fast_path else "snapshot",
            "frozen_params": self._plan.frozen,
            "world_size": _dist()[1],
            "created": time.time(),
        }

    def _alloc_rows(self) -> None:
        self._rows = torch.full((self.flush_rows, self._plan.width), float("nan"), device=self._plan.home)
        # on CPU, single values go in through a numpy view (no torch op per value)
        self._rows_np = self._rows.numpy() if self._rows.device.type == "cpu" else None

    def _wrap_scaler(self, scaler: Any) -> None:
        original = scaler.step
        monitor = self

        def step(optimizer, *args, **kwargs):
            before = monitor._post_count
            out = original(optimizer, *args, **kwargs)
            if optimizer is monitor.optimizer and monitor._post_count == before and not monitor._closed:
                monitor._guard("skipped-step", monitor._record_skipped)
            return out

        step._lrdiag_original = original  # type: ignore[attr-defined]
        scaler.step = step
        self._scaler = scaler

    # -- public API ---------------------------------------------------------------------------
    @property
    def step(self) -> int:
        """The number the next optimizer step will be recorded under (steps so far + start_step)."""
        return self._step

    @property
    def store_path(self) -> Path | None:
        """This process's local store file (None until the writer opened it, or off rank 0)."""
        return self._writer.store_path if self._writer else None

    @_run_eagerly
    def log_loss(self, loss: Tensor | float) -> None:
        """Add a loss value to the current optimizer step (no host sync; tensors stay on device).

        With gradient accumulation, call it for every micro-batch: the step records their mean.
        """
        if self._closed or not self._active:
            return
        try:
            # a micro-batch that does not end its gradient accumulation (Accelerate says which)
            # belongs to the next optimizer step, whether losses are logged before or after step()
            early = self._accumulation is not None and not self._accumulation.sync_gradients
            if early and not self._loss_for_next:
                # what was logged since the last step taken was that step's: its row is complete
                if self._pending_row is not None:
                    self._finish_pending()
                else:
                    self._reset_loss()  # a step not recorded (``every``)
            if self._loss_timing == "auto" and not early:
                # decided by the first micro-batch that ends an accumulation (every one without it)
                self._loss_timing = "before_step" if self._post_count == 0 else "after_step"
            self._loss_for_next = self._loss_for_next or early
            if isinstance(loss, Tensor):
                v = loss.detach()
                if v.numel() != 1:
                    v = v.float().mean()
                if self._loss_acc is None or self._loss_acc.device != v.device:
                    self._loss_acc = torch.zeros((), dtype=torch.float32, device=v.device)
                self._loss_acc.add_(v.reshape(()))
            else:
                self._loss_host += float(loss)
            self._loss_count += 1
        except Exception as e:
            self._reporter.once("log_loss", f"lrdiag: log_loss could not use {type(loss).__name__} ({_describe(e)}); it is ignored")

    @_run_eagerly
    def log_eval_loss(self, loss: Tensor | float, step: int | None = None) -> None:
        """Record a loss on held-out data (``lrdiag/eval_loss``) at ``step`` (default: the last
        optimizer step taken). Evaluations are rare, so a tensor is read with one host sync here.

        The analysis tests it with ReduceLROnPlateau's rule (stalled, converged, or rising:
        overfitting). A value that cannot be read is ignored with one warning.
        """
        if self._closed or not self._writes or self._writer is None:
            return
        try:
            v = float(loss.detach().float().mean()) if isinstance(loss, Tensor) else float(loss)
            at = int(step) if step is not None else max(int(self._step) - 1, 0)
            # after the rows up to that step: the store merges per series, and sinks skip NaN
            self._guard("log_eval_loss", self._drain)
            self._writer.put("rows", np.array([at], dtype=np.int64), {names.EVAL_LOSS: np.array([v], dtype=np.float64)})
        except Exception as e:
            self._reporter.once("log_eval_loss", f"lrdiag: log_eval_loss could not use {type(loss).__name__} ({_describe(e)}); it is ignored")

    def flush(self, timeout: float | None = 30.0) -> None:
        """Drain recorded rows to the sinks and wait until the writer has written them."""
        if not self._writes or self._writer is None or self._closed or not self._writer.is_alive():
            return
        self._guard("flush", self._drain)
        done = threading.Event()
        self._writer.put("flush", done)
        done.wait(timeout)

    def history(self):
        """Everything recorded so far as a ``History`` (flushes first; rank 0 only)."""
        self.flush()
        if self._writer is None:
            return None
        return self._writer.read_history()

    def detach(self) -> None:
        """Remove the hooks (and the scaler wrapper); recording stops, the sinks stay open."""
        for h in self._handles:
            h.remove()
        self._handles = []
        if self._scaler is not None and getattr(self._scaler.step, "_lrdiag_original", None) is not None:
            try:
                del self._scaler.step  # back to the class's method
            except AttributeError:
                pass
            self._scaler = None

    def close(self):
        """Flush, analyse the run (if ``analyze_on_close``), write the report to every sink, close them.

        Returns the Report (None off rank 0, when analysis is unavailable or the run is empty).
        Safe to call twice.
        """
        if self._closed:
            return self.report
        self._guard("close-flush", self._finish_pending)
        self._guard("close-drain", self._drain)
        self.detach()
        self._closed = True
        if self._writer is None:
            return None
        self._writer.put("report", self.analyze_on_close)
        self._writer.put("close")
        self._writer.join(self.close_timeout)
        if self._writer.is_alive():
            self._reporter.once("close-timeout", f"lrdiag: a sink did not finish within {self.close_timeout:g}s; closing without waiting")
        self.report = self._writer.report
        return self.report

    def __enter__(self) -> "Monitor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if not self._closed and self._handles:
                self.detach()
        except Exception:
            pass

    # -- hooks --------------------------------------------------------------------------------
    def _guard(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as e:
            self._fault(what, e)
            return None

    def _fault(self, what: str, e: BaseException) -> None:
        self._failures += 1
        self._reporter.once(f"hook-{what}", f"lrdiag: {what} failed ({_describe(e)}); training continues, recording degrades")
        self._pre = None
        self._force_rebuild = True
        if self._failures >= 3 and self._stats_on:
            self._stats_on = False
            self._reporter.once("stats-off", "lrdiag: update ratios and norms are switched off after repeated failures; LR and loss are still recorded")

    def _pre_hook(self, optimizer: torch.optim.Optimizer, args: tuple, kwargs: dict) -> None:
        t0 = time.thread_time()
        try:
            self._begin_step()
            s = self._step
            if self._stats_on and s % self.ratio_every == 0:
                # torch passes ``step``'s own arguments, self included: args == (optimizer, closure?)
                pos = args[1:] if args and args[0] is optimizer else args
                closure = (pos[0] if pos else kwargs.get("closure")) is not None
                self._pre = self._plan.before(optimizer, closure=closure)
            else:
                self._pre = None
        except Exception as e:
            self._fault("pre-step hook", e)
        self.hook_cpu_seconds += time.thread_time() - t0

    def _post_hook(self, optimizer: torch.optim.Optimizer, args: tuple, kwargs: dict) -> None:
        t0 = time.thread_time()
        self._post_count += 1
        try:
            s = self._step
            pre, self._pre = self._pre, None
            if s % self.every == 0 or pre is not None:
                row = self._new_row(s, skipped=0.0)
                if pre is not None:
                    try:
                        values = self._plan.after(optimizer, pre)
                        if isinstance(values, np.ndarray):
                            self._rows_np[row, _GRAD:] = values  # type: ignore[index]
                        else:
                            self._rows[row, _GRAD:].copy_(values)
                        self.norm_paths[self._plan.last_path] += 1
                        self._failures = 0
                    except Exception as e:  # the row keeps its LR and loss; ratios stay NaN
                        self._fault("update-ratio computation", e)
                self._end_row(row)
            else:
                self._reset_loss_if_before()
        except Exception as e:
            self._fault("post-step hook", e)
        finally:
            self._loss_for_next = False  # the losses logged for this step are its own now
            self._step += 1
            self.hook_cpu_seconds += time.thread_time() - t0

    def _record_skipped(self) -> None:
        """A scaler skipped ``optimizer.step``: a row with skipped=1 and no ratios (NaN)."""
        self._begin_step()
        s = self._step
        if s % self.every == 0 or s % self.ratio_every == 0:
            self._end_row(self._new_row(s, skipped=1.0))
        else:
            self._reset_loss_if_before()
        self._loss_for_next = False
        self._step += 1

    # -- rows ---------------------------------------------------------------------------------
    def _begin_step(self) -> None:
        """Start of an optimizer step: finish the previous row's loss (after_step mode), check the plan."""
        self._finish_pending()
        if (self._force_rebuild or self._plan.stale or _signature(self.optimizer) != self._plan.signature
                or self._plan.unfrozen(self._step) or self._plan.materialised()):
            self._rebuild()

    def _rebuild(self) -> None:
        self._force_rebuild = False
        self._drain()
        old = self._plan
        if self.model is not None:
            self._owner = layer_names(self.model)
            self._embeddings = embedding_parameters(self.model)
        self._plan = _Plan(self.optimizer, self._owner, self._fast_path, self._fused, self._graphs, self._embeddings)
        for name, role in old.roles.items():
            if role == "zero_init" and self._plan.roles.get(name) == "matrix":
                self._plan.roles[name] = "zero_init"  # grown since, but its first ratios are in the log
        if old.width != self._plan.width or old.home != self._plan.home:
            self._alloc_rows()
        if self._writer is not None and (old.layers != self._plan.layers or old.groups != self._plan.groups
                                         or old.roles != self._plan.roles):
            self._writer.put("meta", self._meta())

    def _new_row(self, step: int, skipped: float) -> int:
        if len(self._host_rows) >= self.flush_rows:
            self._drain()
        pg = self.optimizer.param_groups
        lrs = [_group_lr(self.optimizer, g) for g in pg]
        moms = [_momentum(g) for g in pg]
        self._host_rows.append((step, lrs, moms, skipped))
        return len(self._host_rows) - 1

    def _end_row(self, row: int) -> None:
        if self._loss_timing != "before_step":  # "auto" with no loss yet: a loss may still come
            self._pending_row = row
            return
        self._put_loss(row)
        self._maybe_drain()

    def _finish_pending(self) -> None:
        if self._pending_row is not None:
            row, self._pending_row = self._pending_row, None
            self._put_loss(row)
            self._maybe_drain()
        elif self._loss_timing != "before_step" and not self._loss_for_next:
            self._reset_loss()  # losses logged after a step that was not recorded

    def _reset_loss_if_before(self) -> None:
        """After a step that is not recorded: drop the losses that were its own."""
        if self._loss_timing != "after_step" or self._loss_for_next:
            self._reset_loss()

    def _reset_loss(self) -> None:
        self._loss_for_next = False
        if self._loss_count:
            if self._loss_acc is not None:
                self._loss_acc.zero_()
            self._loss_host = 0.0
            self._loss_count = 0

    def _put_loss(self, row: int) -> None:
        if not self._loss_count:
            return
        if self._loss_acc is not None and self._rows_np is not None and self._loss_acc.device.type == "cpu":
            self._rows_np[row, _LOSS] = (self._loss_acc.item() + self._loss_host) / self._loss_count
        elif self._loss_acc is not None:
            mean = (self._loss_acc + self._loss_host) / self._loss_count
            self._rows[row, _LOSS].copy_(mean, non_blocking=True)
        else:
            self._rows[row, _LOSS].fill_(self._loss_host / self._loss_count)
        self._reset_loss()

    def _maybe_drain(self) -> None:
        if len(self._host_rows) >= self.flush_rows or time.monotonic() - self._last_drain >= self.flush_secs:
            self._drain()

    def _drain(self) -> None:
        """Copy the recorded rows to the host (the one sync) and hand them to the writer thread."""
        self._last_drain = time.monotonic()
        n = len(self._host_rows)
        if n == 0 or self._pending_row is not None and n == 1 and self._pending_row == 0:
            return
        keep_pending = self._pending_row is not None
        m = n - 1 if keep_pending else n  # a row still waiting for its loss stays
        if m == 0:
            return
        dev = self._rows[:m].to("cpu", dtype=torch.float32).numpy().copy()
        self._rows[:m].fill_(float("nan"))
        host, self._host_rows = self._host_rows[:m], self._host_rows[m:]
        if keep_pending:
            self._rows[0].copy_(self._rows[m])
            self._rows[m].fill_(float("nan"))
            self._pending_row = 0
        if self._writes and self._writer is not None:
            self._writer.put("rows", *self._columns(host, dev))

    def _columns(self, host: list, dev: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        plan = self._plan
        steps = np.fromiter((h[0] for h in host), dtype=np.int64, count=len(host))
        cols: dict[str, np.ndarray] = {}
        for j, name in enumerate(plan.column_names()):
            cols[name] = dev[:, j]
        groups = plan.groups
        for gi, g in enumerate(groups):
            cols[names.lr(g)] = np.array([_float(h[1][gi]) if gi < len(h[1]) else math.nan for h in host], dtype=np.float64)
            mom = [h[2][gi] if gi < len(h[2]) else None for h in host]
            if any(m is not None for m in mom):
                cols[names.momentum(g)] = np.array([math.nan if m is None else m for m in mom], dtype=np.float64)
        cols[names.SKIPPED] = np.array([h[3] for h in host], dtype=np.float64)
        return steps, cols


def _float(v: Any) -> float:
    return float(v.item()) if isinstance(v, Tensor) else float(v)


def _uses_fsdp1(model: torch.nn.Module) -> bool:
    try:
        from torch.distributed.fsdp import FullyShardedDataParallel
    except Exception:  # pragma: no cover - builds without distributed
        return False
    return any(isinstance(m, FullyShardedDataParallel) for m in model.modules())


def _flush_at_exit(ref: "weakref.ref[Monitor]") -> None:
    mon = ref()
    if mon is None or mon._closed or mon._writer is None:
        return
    mon._guard("exit-flush", mon._finish_pending)
    mon._guard("exit-flush", mon._drain)
    mon._closed = True
    mon._writer.put("close")
    mon._writer.join(10.0)


def _make_mlflow_sink(mlflow: Any, run_dir: Path) -> Sink:
    """``mlflow=True`` -> default tracking store; a string -> tracking URI; else an MLflow run."""
    from .sinks.mlflow_sink import MLflowSink

    if mlflow is True:
        return MLflowSink(run_dir=run_dir)
    if isinstance(mlflow, (str, os.PathLike)):
        return MLflowSink(tracking_uri=str(mlflow), run_dir=run_dir)
    return MLflowSink(run=mlflow, run_dir=run_dir)

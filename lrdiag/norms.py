"""Fused multi-tensor norms for the Monitor, and their reduction over distributed shards.

Everything here works on lists of tensors with ``torch._foreach_*`` (one kernel launch per
(device, dtype) bucket, not one per parameter) and returns device tensors: nothing forces a host
sync. The update ratio of a set of parameters S (a layer, a param group, or all of them) is::

    ratio(S) = ||θ_after − θ_before||_2 / ||θ_before||_2
             = sqrt(Σ_{p∈S} ||Δp||²) / sqrt(Σ_{p∈S} ||p_before||²)

so per-parameter norms are squared, summed per set (``segment_sums``), optionally all-reduced
over the shards of a sharded model (FSDP), and only then square-rooted.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache
from typing import Sequence

import torch
from torch import Tensor

try:  # DTensor is how FSDP2 (fully_shard) and tensor parallelism shard parameters
    from torch.distributed.tensor import DTensor
except Exception:  # pragma: no cover - builds without distributed
    DTensor = None  # type: ignore[assignment]


def is_dtensor(t: Tensor) -> bool:
    return DTensor is not None and isinstance(t, DTensor)


def local(t: Tensor) -> Tensor:
    """The local shard of a DTensor (a view sharing its storage), else ``t`` itself."""
    return t._local_tensor if is_dtensor(t) else t  # type: ignore[attr-defined]


def replication_factor(t: Tensor) -> float:
    """1 / (number of ranks holding an identical copy of this shard).

    Summing squared local norms over every rank of the mesh counts a replicated shard once per
    replica; this factor undoes that. 1.0 for plain tensors and for fully sharded DTensors.
    """
    if not is_dtensor(t):
        return 1.0
    mesh = t.device_mesh  # type: ignore[attr-defined]
    copies = 1
    for dim, placement in enumerate(t.placements):  # type: ignore[attr-defined]
        if placement.is_replicate() or placement.is_partial():
            copies *= mesh.size(dim)
    return 1.0 / copies


def buckets(tensors: Sequence[Tensor]) -> "OrderedDict[tuple, list[int]]":
    """Indices of ``tensors`` grouped by (device, dtype): the unit a fused foreach kernel accepts."""
    out: OrderedDict[tuple, list[int]] = OrderedDict()
    for i, t in enumerate(tensors):
        out.setdefault((t.device, t.dtype), []).append(i)
    return out


def foreach_norms(tensors: Sequence[Tensor], home: torch.device, groups: "OrderedDict[tuple, list[int]] | None" = None) -> Tensor:
    """Per-tensor L2 norms as one float32 vector on ``home`` (same order as ``tensors``).

    Dense tensors of one (device, dtype) share one ``torch._foreach_norm`` call, accumulated in
    float32 whatever the storage dtype (bf16 norms would lose the small updates we look for).
    Sparse tensors (sparse gradients of an embedding) use the norm of their coalesced values.
    """
    n = len(tensors)
    if n == 0:
        return torch.zeros(0, device=home)
    if groups is None:
        groups = buckets(tensors)
    parts: list[Tensor] = []
    order: list[int] = []
    for (device, dtype), idx in groups.items():
        dense = [i for i in idx if not tensors[i].is_sparse]
        if dense:
            # accumulate low-precision storage in float32; float32/float64 norms keep their own
            acc = torch.float32 if dtype in (torch.float16, torch.bfloat16) else None
            norms = torch._foreach_norm([tensors[i] for i in dense], 2, dtype=acc)
            parts.append(torch.stack(norms).to(home, torch.float32, non_blocking=True))
            order.extend(dense)
        for i in idx:
            if tensors[i].is_sparse:
                v = tensors[i].coalesce()._values()
                parts.append(torch.linalg.vector_norm(v.float()).reshape(1).to(home, non_blocking=True))
                order.append(i)
    flat = parts[0] if len(parts) == 1 else torch.cat(parts)
    if order == list(range(n)):
        return flat
    out = torch.empty(n, device=home, dtype=torch.float32)
    out[index_tensor(tuple(order), home)] = flat
    return out


@lru_cache(maxsize=256)
def index_tensor(idx: tuple[int, ...], device: torch.device) -> Tensor:
    """``idx`` as a long tensor on ``device``, made once: building it is a host-to-device copy,
    which on a GPU waits for the device (a sync) and cannot be captured in a CUDA graph."""
    return torch.tensor(idx, dtype=torch.long, device=device)


def snapshot(dst: Sequence[Tensor], src: Sequence[Tensor], groups: "OrderedDict[tuple, list[int]]") -> None:
    """``dst[i] <- src[i]`` for every i, one fused copy per (device, dtype) bucket."""
    for idx in groups.values():
        torch._foreach_copy_([dst[i] for i in idx], [src[i] for i in idx])


def update_norms(snap: Sequence[Tensor], params: Sequence[Tensor], home: torch.device, groups: "OrderedDict[tuple, list[int]]") -> Tensor:
    """``||θ_before − θ_after||`` per parameter, where ``snap`` holds θ_before (overwritten)."""
    for idx in groups.values():
        torch._foreach_sub_([snap[i] for i in idx], [params[i] for i in idx])
    return foreach_norms(snap, home, groups)


def segment_sums(values: Tensor, index: Tensor, size: int) -> Tensor:
    """Sum the columns of ``values`` (k, n) into ``size`` segments: ``out[:, index[j]] += values[:, j]``."""
    out = torch.zeros(values.shape[0], size, device=values.device, dtype=values.dtype)
    return out.index_add_(1, index, values)


def all_reduce_sum(t: Tensor, group=None) -> Tensor:
    """Sum ``t`` over the ranks of ``group`` in place (one collective; asynchronous on GPU streams)."""
    import torch.distributed as dist

    dist.all_reduce(t, op=dist.ReduceOp.SUM, group=group)
    return t


def fusable(t: Tensor) -> bool:
    """Whether the C kernel (``lrdiag.fused``) may read ``t``: a plain dense contiguous CPU float32 tensor."""
    return type(t) in (Tensor, torch.nn.Parameter) and _readable(t, t.numel())


def _readable(t: Tensor, n: int) -> bool:
    """The per-step check before handing ``t``'s pointer to C: still float32, dense, CPU, contiguous, n elements.

    A parameter whose ``.data`` was replaced, or a gradient of another layout, fails it; C never
    sees a pointer whose extent it does not know.
    """
    return t.dtype is torch.float32 and t.layout is torch.strided and t.is_cpu and t.numel() == n and t.is_contiguous()


class FusedPass:
    """The fused pre/post passes of ``lrdiag.fused`` over a fixed list of CPU float32 tensors.

    ``pre`` reads θ and g, writes the snapshot, and leaves ``Σθ²`` in ``wsq`` and ``Σg²`` in
    ``gsq`` (float64, one per tensor); ``post`` leaves ``Σ(θ_after − θ_before)²`` in ``usq``.
    The three are the rows of ``sq`` (3, count) = [usq, wsq, gsq]: the Monitor's ratio input as is.
    Every call first checks each tensor (``_readable``); a parameter that fails makes the call
    return False/None and nothing is computed, so the caller takes the foreach path instead.
    """

    def __init__(self, kernels, params: Sequence[Tensor]):
        self.k = kernels
        self.n = [p.numel() for p in params]
        c = self.count = len(params)
        self.tab = torch.zeros((4, c), dtype=torch.int64)
        self.sq = torch.zeros((3, c), dtype=torch.float64)
        self._tab = self.tab.numpy()  # a view: cheap row assignment from Python lists
        self._tab[3] = self.n
        out = self.sq.data_ptr()
        # lrd_pre writes its 2c sums (Σθ², Σg²) from its out pointer on: rows 1 and 2; lrd_post row 0
        self._pre_args = (c, self.tab.data_ptr(), out + 8 * c)
        self._post_args = (c, self.tab.data_ptr(), out)
        self.usq, self.wsq, self.gsq = self.sq[0], self.sq[1], self.sq[2]

    def pre(self, params: Sequence[Tensor], grads: Sequence[Tensor | None], snaps: Sequence[Tensor | None]) -> list[int] | None:
        """One pass: snapshot (where ``snaps[j]`` is given), ``wsq`` and ``gsq`` (0 where no gradient).

        Returns the positions whose gradient exists but could not be read here (their ``gsq`` is 0:
        the caller computes them), or None when a parameter or snapshot failed the check.
        """
        pp, gp, sp, bad = [], [], [], []
        for j, (p, g, s, n) in enumerate(zip(params, grads, snaps, self.n)):
            if not _readable(p, n):
                return None
            pp.append(p.data_ptr())
            if g is None:
                gp.append(0)
            elif type(g) is Tensor and _readable(g, n):
                gp.append(g.data_ptr())
            else:
                gp.append(0)
                bad.append(j)
            if s is None:
                sp.append(0)
            elif _readable(s, n):
                sp.append(s.data_ptr())
            else:
                return None
        tab = self._tab
        tab[0], tab[1], tab[2] = pp, gp, sp
        self.k.pre(*self._pre_args, torch.get_num_threads())
        return bad

    def post(self, params: Sequence[Tensor]) -> bool:
        """One pass over the snapshots taken by ``pre``: ``usq`` (0 where no snapshot was taken).

        The snapshot tensors must still be alive (the caller holds them); False (nothing computed)
        if a parameter no longer passes the check.
        """
        pp = []
        for p, n in zip(params, self.n):
            if not _readable(p, n):
                return False
            pp.append(p.data_ptr())
        self._tab[0] = pp
        self.k.post(*self._post_args, torch.get_num_threads())
        return True

"""Capture a function's CUDA work once and replay it: the Monitor's ratio step on a GPU.

A ratio step is two dozen small ops whose cost on a GPU is the host's: launching them, and the
per-tensor work of ``torch._foreach_*`` (tens of microseconds per parameter tensor). Where the
host is what limits the step (eager PyTorch often is), that time adds to every step. A CUDA graph
replays all of it with one launch. It reads and writes the same memory each time, so it is valid
only while the tensors it read at capture keep their addresses; the Monitor keys each graph by
those addresses and runs eagerly when they change.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from .switches import switch


def enabled(flag: bool | None = None) -> bool:
    """Whether a Monitor should use CUDA graphs: ``flag`` when given, else ``LRDIAG_CUDA_GRAPHS`` (default on)."""
    return switch(flag, "LRDIAG_CUDA_GRAPHS")


class Captured:
    """``fn()``'s CUDA work captured into a graph (not run); ``replay()`` runs it and returns
    the tensors ``fn`` returned at capture, now holding this replay's values.

    Capture happens on a side stream, as CUDA requires, without synchronizing the device; the
    graph's temporaries live in its own memory pool. Replays run on the current stream, after
    the work already queued there (the backward pass, the optimizer step).
    """

    def __init__(self, fn: Callable[[], Any], device: torch.device):
        self.device = device
        self.graph = torch.cuda.CUDAGraph()
        current = torch.cuda.current_stream(device)
        side = torch.cuda.Stream(device)
        side.wait_stream(current)
        with torch.cuda.stream(side):
            # "thread_local": another thread's CUDA calls (a data loader's pinning) do not break it
            self.graph.capture_begin(capture_error_mode="thread_local")
            try:
                self.out = fn()
            finally:
                self.graph.capture_end()
        current.wait_stream(side)

    def replay(self) -> Any:
        # on the parameters' GPU: a model on cuda:1 trains fine while the current device is cuda:0,
        # but a graph replayed there would be launched on another device's stream
        with torch.cuda.device(self.device):
            self.graph.replay()
        return self.out

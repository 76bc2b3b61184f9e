"""Series names shared by every writer and reader (TensorBoard tags, MLflow keys, the store).

The names are a contract (DESIGN.md): ``lrdiag/loss``, ``lrdiag/lr/<group>``,
``lrdiag/update_ratio/<layer>``, ``lrdiag/grad_norm``, ``lrdiag/weight_norm``. Extra series
lrdiag adds keep the ``lrdiag/`` prefix.
"""

from __future__ import annotations

PREFIX = "lrdiag/"
PLUGIN_NAME = "lrdiag"

LOSS = "lrdiag/loss"
EVAL_LOSS = "lrdiag/eval_loss"  # validation/eval loss from foreign logs (HF eval rows, val_loss)
GRAD_NORM = "lrdiag/grad_norm"
WEIGHT_NORM = "lrdiag/weight_norm"
UPDATE_NORM = "lrdiag/update_norm"  # global ||Δθ||, all monitored parameters together
SKIPPED = "lrdiag/skipped"  # 1.0 on a step an AMP GradScaler skipped

LR = "lrdiag/lr/"  # + group name
MOMENTUM = "lrdiag/momentum/"  # + group name; SGD momentum or Adam beta1
UPDATE_RATIO = "lrdiag/update_ratio/"  # + layer name (owning module's dotted name)
GROUP_UPDATE_RATIO = "lrdiag/group_update_ratio/"  # + group name

# Series the range test writes (one point per range-test step, step = range-test step).
RANGE_TEST_LR = "lrdiag/range_test/lr"
RANGE_TEST_LOSS = "lrdiag/range_test/loss"
RANGE_TEST_SMOOTHED = "lrdiag/range_test/smoothed"

# Tensor-summary tags the Monitor writes for the TensorBoard plugin.
REPORT_TAG = "lrdiag/report"


def lr(group: str) -> str:
    return LR + group


def momentum(group: str) -> str:
    return MOMENTUM + group


def update_ratio(layer: str) -> str:
    return UPDATE_RATIO + layer


def group_update_ratio(group: str) -> str:
    return GROUP_UPDATE_RATIO + group


def group_name(group: dict, index: int) -> str:
    """A param group's name: its ``name`` entry if it has one, else ``group<i>``."""
    name = group.get("name")
    return str(name) if name else f"group{index}"

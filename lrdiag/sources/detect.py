"""Map a source's own series names (TensorBoard tags, CSV columns, MLflow keys) to lrdiag's.

lrdiag's own names (``lrdiag/...``) map to themselves. Foreign names are recognised from the
conventions of common tools:

* loss: ``train/loss`` (Hugging Face), ``loss``, ``train_loss``, ``Loss/train``,
  ``train_loss_step`` (Lightning with ``on_step``), ``batch_loss`` (Keras), ... and, failing
  those, any name whose last word is ``loss`` and that does not mention eval/val/test;
* learning rate: ``train/learning_rate``, ``learning_rate``, ``lr`` (one group, ``group0``);
  Lightning's ``LearningRateMonitor`` tags ``lr-Adam``, ``lr-SGD/pg1`` (group ``Adam``,
  ``SGD/pg1``); ``lr/<group>``, ``learning_rate/<group>``, ``lr_<group>`` (group ``<group>``).
  Several LR names become several groups;
* ``grad_norm`` / ``train/grad_norm`` / Lightning's ``grad_2.0_norm_total`` -> ``lrdiag/grad_norm``;
  ``eval/loss``, ``eval_loss``, ``val_loss``, ... (failing those, an eval/val/test name whose last
  word is ``loss``: ``validation/epoch_loss``) -> ``lrdiag/eval_loss``; ``momentum-Adam`` ->
  ``lrdiag/momentum/Adam``; ``update_ratio`` (whole model) -> ``lrdiag/update_ratio/model``,
  ``update_ratio/<layer>`` -> ``lrdiag/update_ratio/<layer>``.

Every other name is kept as it is. Overrides (``loss=``, ``lr=``, ``grad_norm=``, ...) name the
series explicitly and win over detection.
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping, Sequence

from .. import names
from ..errors import SourceError
from .base import short_list

EVAL_LOSS = names.EVAL_LOSS

# Exact names, best first (compared case-insensitively).
LOSS_NAMES = (
    "train/loss", "loss", "train_loss", "loss/train", "training_loss", "training/loss", "train/loss_step",
    "train_loss_step", "loss_step", "batch_loss", "train/batch_loss", "train/total_loss", "total_loss",
    "trainer/loss", "losses/train", "loss/training", "train/loss_epoch", "train_loss_epoch", "epoch_loss",
)
EVAL_LOSS_NAMES = (
    "eval/loss", "eval_loss", "val_loss", "val/loss", "validation_loss", "validation/loss", "loss/val",
    "loss/validation", "loss/eval", "valid_loss", "valid/loss", "val_loss_epoch", "epoch_val_loss",
    "evaluation/loss", "test_loss", "test/loss", "loss/test",
)
GRAD_NORM_NAMES = (
    "grad_norm", "train/grad_norm", "gradient_norm", "train/gradient_norm", "grad-norm", "gradnorm",
    "grad_2.0_norm_total", "train/grad_2.0_norm_total", "grad_norm_total", "total_grad_norm",
    "global_grad_norm", "optim/grad_norm", "grad_norm/total",
)
WEIGHT_NORM_NAMES = ("weight_norm", "train/weight_norm", "param_norm", "parameter_norm", "params_norm")
GENERIC_LR = ("train/learning_rate", "learning_rate", "lr", "train/lr", "learning-rate", "learningrate",
              "learning rate", "optim/lr", "optimizer/lr", "trainer/lr", "epoch_learning_rate", "epoch_lr",
              "batch_learning_rate", "lr/train", "learning_rate/train")

_EVALISH = re.compile(r"(^|[/_\-. ])(eval|evaluation|val|valid|validation|test|dev)([/_\-. ]|$)", re.I)
_LR_PREFIXED = re.compile(r"^(?:train/|optim/|optimizer/)?(?:lr|learning_rate)[/_](?P<group>.+)$", re.I)
_LIGHTNING_LR = re.compile(r"^lr-(?P<group>.+?)(?P<suffix>-momentum|-weight_decay)?$")
_LIGHTNING_MOMENTUM = re.compile(r"^(?:lr-(?P<group>.+)-momentum|momentum-(?P<group2>.+))$")
_UPDATE_RATIO = re.compile(r"^(?:train/)?update_ratio(?:[/._:](?P<layer>.+))?$", re.I)
# ``lr_<x>`` where x says it is not a group (a decay factor, a scheduler setting, a range).
_NOT_A_GROUP = {"scheduler", "decay", "warmup", "mult", "multiplier", "factor", "scale", "ratio", "finder",
                "min", "max", "init", "initial", "base", "final", "end", "start", "peak", "step", "epoch"}

ROLES = ("loss", "lr", "grad_norm", "weight_norm", "eval_loss")


def _lower_index(tags: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for t in tags:
        out.setdefault(t.lower(), t)
    return out


def _first(tags_lower: Mapping[str, str], candidates: Sequence[str], taken: set[str]) -> str | None:
    for c in candidates:
        t = tags_lower.get(c)
        if t is not None and t not in taken:
            return t
    return None


def _heuristic_loss(tags: Sequence[str], taken: set[str]) -> str | None:
    """A name whose last word is ``loss`` and that is not an eval metric (shortest wins)."""
    found = []
    for t in tags:
        if t in taken or _EVALISH.search(t) or t.startswith(names.PREFIX):
            continue
        words = [w for w in re.split(r"[/_\-. ]", t.lower()) if w]
        if words and words[-1] in ("loss", "step") and "loss" in words[-2:]:
            epoch = "epoch" in words
            found.append((epoch, len(t), t))
    return min(found)[2] if found else None


def is_eval_loss_name(tag: str) -> bool:
    """An eval/val/test metric whose last word is ``loss`` (``validation/epoch_loss``, ``eval_squad_loss``)."""
    words = [w for w in re.split(r"[/_\-. ]", tag.lower()) if w]
    return bool(words) and words[-1] == "loss" and _EVALISH.search(tag) is not None


def _heuristic_eval_loss(tags: Sequence[str], taken: set[str]) -> str | None:
    """An eval loss by :func:`is_eval_loss_name` (Keras' split runs): a validation set before a
    test set, then the shortest name."""
    found = [(_EVALISH.search(t).group(2).lower() == "test", len(t), t)
             for t in tags if t not in taken and not t.startswith(names.PREFIX) and is_eval_loss_name(t)]
    return min(found)[2] if found else None


def _lr_group(tag: str) -> str | None:
    """The param-group name a learning-rate tag stands for, or None if it is not an LR tag."""
    low = tag.lower()
    if low in GENERIC_LR:
        return ""  # one unnamed group
    m = _LIGHTNING_LR.match(tag)
    if m:
        return None if m.group("suffix") else m.group("group")
    m = _LR_PREFIXED.match(tag)
    if m and m.group("group").lower() not in _NOT_A_GROUP and not _EVALISH.search(m.group("group")):
        return m.group("group")
    return None


def _require(tag: str, tags: Sequence[str], role: str, source) -> str:
    if tag in tags:
        return tag
    low = _lower_index(tags).get(tag.lower())
    if low is not None:
        return low
    raise SourceError(f"{source}: no series named {tag!r} (given as {role}=); it has {short_list(sorted(tags))}")


def classify(tags: Iterable[str], *, source="", loss: str | None = None, lr: str | Sequence[str] | None = None,
             **overrides: str | None) -> dict[str, str]:
    """Map every tag to its History series name (``lrdiag/...`` or the tag itself).

    Parameters
    ----------
    tags : names the source holds.
    loss : the tag holding the training loss (detected when None).
    lr : the tag (or list of tags) holding the learning rate(s); each becomes one group.
    overrides : ``grad_norm=``, ``weight_norm=``, ``eval_loss=`` name those series.

    Raises SourceError when an override names a tag the source does not have.
    """
    tags = list(dict.fromkeys(tags))
    own = {t for t in tags if t.startswith(names.PREFIX)}
    mapping: dict[str, str] = {t: t for t in own}
    taken: set[str] = set(own)  # original tags already assigned
    used: set[str] = set(own)  # History names already produced

    def assign(tag: str, target: str) -> None:
        if target in used and mapping.get(tag) != target:
            return  # the own name (or an earlier alias) already provides this series
        mapping[tag] = target
        taken.add(tag)
        used.add(target)

    low = _lower_index(t for t in tags if t not in own)

    # -- loss --------------------------------------------------------------------------
    if loss is not None:
        tag = _require(loss, tags, "loss", source)
        if names.LOSS in used and mapping.get(tag) != names.LOSS:
            used.discard(names.LOSS)
            mapping[names.LOSS] = names.LOSS + "_recorded"  # keep lrdiag's own, renamed
        assign(tag, names.LOSS)
    elif names.LOSS not in used:
        tag = _first(low, LOSS_NAMES, taken) or _heuristic_loss([t for t in tags if t not in own], taken)
        if tag is not None:
            assign(tag, names.LOSS)

    # -- learning rates ----------------------------------------------------------------
    if lr is not None:
        lr_tags = [lr] if isinstance(lr, str) else list(lr)
        for i, t in enumerate(lr_tags):
            tag = _require(t, tags, "lr", source)
            group = _lr_group(tag) if not tag.startswith(names.LR) else tag[len(names.LR):]
            assign(tag, names.lr(group or f"group{i}"))
    elif not any(t.startswith(names.LR) for t in own):
        generic_done = False
        for t in [low[c] for c in GENERIC_LR if c in low] + [t for t in tags if t not in own]:
            if t in taken:
                continue
            group = _lr_group(t)
            if group is None:
                continue
            if group == "":
                if generic_done:
                    continue  # ``lr`` and ``train/lr`` both present: one series is enough
                generic_done = True
                group = "group0"
            assign(t, names.lr(group))

    # -- other known series ----------------------------------------------------------
    for role, target, candidates in (
        ("grad_norm", names.GRAD_NORM, GRAD_NORM_NAMES),
        ("weight_norm", names.WEIGHT_NORM, WEIGHT_NORM_NAMES),
        ("eval_loss", EVAL_LOSS, EVAL_LOSS_NAMES),
    ):
        if overrides.get(role):
            assign(_require(overrides[role], tags, role, source), target)
        elif target not in used:
            tag = _first(low, candidates, taken)
            if tag is None and role == "eval_loss":
                tag = _heuristic_eval_loss([t for t in tags if t not in own], taken)
            if tag is not None:
                assign(tag, target)
    for t in tags:
        if t in taken:
            continue
        m = _LIGHTNING_MOMENTUM.match(t)
        if m:
            assign(t, names.momentum(m.group("group") or m.group("group2")))
            continue
        m = _UPDATE_RATIO.match(t)
        if m:
            assign(t, names.update_ratio(m.group("layer") or "model"))

    # -- everything else keeps its name (unless that collides with an lrdiag name) -------
    for t in tags:
        if t not in mapping:
            mapping[t] = t if t not in used else "source/" + t
            used.add(mapping[t])
    return mapping


def renamed(mapping: Mapping[str, str]) -> dict[str, str]:
    """``{History name: original tag}`` for the series whose name changed (for History.meta)."""
    return {v: k for k, v in mapping.items() if k != v}

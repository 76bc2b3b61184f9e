"""Errors lrdiag raises to users. Each message says what was wrong and what to do."""

from __future__ import annotations


class LRDiagError(Exception):
    """Base class for every error lrdiag raises on purpose."""


class SourceError(LRDiagError, ValueError):
    """A source given to ``lrdiag.load`` cannot be read or holds no usable series.

    The message names the source and what is missing, in one line.
    """


class AnalysisError(LRDiagError, ValueError):
    """A History cannot be analysed (for example: no loss series at all)."""


def warn(message: str, category: type[Warning] = UserWarning, stacklevel: int = 2, logged: bool = False) -> None:
    """``warnings.warn`` for a problem lrdiag works around, which must never stop the training it
    watches: where warnings are made errors (``-W error``, pytest's ``filterwarnings = error``)
    the raise would come out of an optimizer hook, a forward hook or a callback. The message then
    goes to the ``lrdiag`` logger instead (unless the caller ``logged`` it already)."""
    import logging
    import warnings

    try:
        warnings.warn(message, category, stacklevel=stacklevel + 1)
    except Exception:
        if not logged:
            logging.getLogger("lrdiag").warning(message)

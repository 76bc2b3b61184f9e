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

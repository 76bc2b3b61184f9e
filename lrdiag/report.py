"""Finding and Report: the data model every renderer consumes, and its versioned JSON.

Report JSON (``"schema": "lrdiag.report/1"``)::

    {"schema", "run", "steps": [first, last], "findings": [{"kind", "start_step", "end_step",
     "severity", "confidence", "lr", "message", "evidence": {...}}], "range_test": {...} | null,
     "recommendation": {...} | null, "summary": "..."}

``range_test`` and ``recommendation`` are kept as plain JSON dicts here so that a Report read back
from TensorBoard or MLflow is the same object as the one ``analyze`` produced;
``lrdiag.recommend(report, ...)`` rebuilds a live Recommendation from them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

SCHEMA = "lrdiag.report/1"

#: Finding kinds with a fixed meaning (new kinds may be added; these keep theirs).
KINDS = ("divergence", "spike", "oscillation", "plateau", "lr_too_low", "lr_too_high")

#: Severities, least to most severe.
SEVERITIES = ("info", "warning", "critical")


def _json_safe(value: Any) -> Any:
    """Make ``value`` strict-JSON serialisable: numpy scalars/arrays to Python, NaN/inf to None."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _json_safe(value.tolist())
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return str(value)


@dataclass
class Finding:
    """One thing analysis found, over a range of steps.

    ``kind`` is one of ``KINDS`` (or a newer kind); ``severity`` one of ``SEVERITIES``;
    ``confidence`` in [0, 1]; ``lr`` is the learning rate in effect at ``start_step`` (None if
    the run has no LR series); ``message`` is one or two plain sentences; ``evidence`` holds the
    numbers behind it (test statistics, thresholds, layer names, ...).
    """

    kind: str
    start_step: int
    end_step: int
    severity: str = "warning"
    confidence: float = 0.5
    lr: float | None = None
    message: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return _json_safe({
            "kind": self.kind,
            "start_step": int(self.start_step),
            "end_step": int(self.end_step),
            "severity": self.severity,
            "confidence": float(self.confidence),
            "lr": None if self.lr is None else float(self.lr),
            "message": self.message,
            "evidence": self.evidence,
        })

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Finding":
        return cls(
            kind=str(d["kind"]),
            start_step=int(d["start_step"]),
            end_step=int(d["end_step"]),
            severity=str(d.get("severity", "warning")),
            confidence=float(d.get("confidence") or 0.0),
            lr=None if d.get("lr") is None else float(d["lr"]),
            message=str(d.get("message", "")),
            evidence=dict(d.get("evidence") or {}),
        )

    @property
    def severity_rank(self) -> int:
        return SEVERITIES.index(self.severity) if self.severity in SEVERITIES else 0


@dataclass
class Report:
    """What ``lrdiag.analyze`` returns; ``to_dict()`` is the versioned JSON above."""

    run: str
    steps: tuple[int, int] | None
    findings: list[Finding] = field(default_factory=list)
    range_test: dict[str, Any] | None = None
    recommendation: dict[str, Any] | None = None
    summary: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = {
            "schema": SCHEMA,
            "run": self.run,
            "steps": None if self.steps is None else [int(self.steps[0]), int(self.steps[1])],
            "findings": [f.to_dict() for f in self.findings],
            "range_test": self.range_test,
            "recommendation": self.recommendation,
            "summary": self.summary,
        }
        if self.meta:
            d["meta"] = self.meta
        return _json_safe(d)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Report":
        schema = d.get("schema")
        if schema != SCHEMA:
            raise ValueError(f"not an lrdiag report (schema {schema!r}, expected {SCHEMA!r})")
        steps = d.get("steps")
        return cls(
            run=str(d.get("run", "")),
            steps=None if not steps else (int(steps[0]), int(steps[1])),
            findings=[Finding.from_dict(f) for f in d.get("findings") or []],
            range_test=d.get("range_test"),
            recommendation=d.get("recommendation"),
            summary=str(d.get("summary", "")),
            meta=dict(d.get("meta") or {}),
        )

    @classmethod
    def from_json(cls, text: str) -> "Report":
        return cls.from_dict(json.loads(text))

    def to_text(self) -> str:
        """Plain text for a terminal (``lrdiag.render.to_text``)."""
        from .render import to_text

        return to_text(self)

    def to_markdown(self) -> str:
        """Markdown: summary, findings table, recommendation with its code (``lrdiag.render``)."""
        from .render import to_markdown

        return to_markdown(self)

    def sorted_findings(self) -> list[Finding]:
        """Most severe first, then most confident, then earliest."""
        return sorted(self.findings, key=lambda f: (-f.severity_rank, -f.confidence, f.start_step))

    @property
    def verdict(self) -> str:
        """One word for tags and badges: ``healthy``, or the kind of the most severe finding."""
        problems = [f for f in self.sorted_findings() if f.severity != "info"]
        return problems[0].kind if problems else "healthy"

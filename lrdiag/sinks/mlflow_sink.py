"""The MLflow sink and its companions, under the names they were first imported by.

The code lives in ``lrdiag.mlflow`` (one module per job: ``sink``, ``run_target``, ``run_page``,
``sync``, ``sweep``, ``experiment``, ``cursor``, ``tracking``); this module keeps
``lrdiag.sinks.mlflow_sink.<name>`` importable for the Monitor, the integrations and user code.
"""

from __future__ import annotations

from ..mlflow.cursor import CURSOR_NAME, PENDING_DIR, read_cursor, write_cursor
from ..mlflow.experiment import analyze_experiment, experiment_view, sweep_figure
from ..mlflow.run_page import (
    ARTIFACT_DIR, MAX_TAG_CHARS, NOTE_TAG, SECTION_END, SECTION_START, build_report_files, description_section,
    merge_description, report_tags, schedule_text, suggested_lr, write_back,
)
from ..mlflow.run_target import MAX_KEY_CHARS, MAX_METRICS_PER_BATCH, RUN_KEY_TAG, RunTarget, metric_key
from ..mlflow.sink import MLflowSink
from ..mlflow.sweep import final_loss, initial_loss, sweep_summary
from ..mlflow.sync import sync
from ..mlflow.tracking import parse_run_id as parse_run_source

__all__ = [
    "ARTIFACT_DIR", "CURSOR_NAME", "MAX_KEY_CHARS", "MAX_METRICS_PER_BATCH", "MAX_TAG_CHARS", "NOTE_TAG", "PENDING_DIR",
    "RUN_KEY_TAG", "SECTION_END", "SECTION_START", "MLflowSink", "RunTarget", "analyze_experiment", "build_report_files",
    "description_section", "experiment_view", "final_loss", "initial_loss", "merge_description", "metric_key",
    "parse_run_source", "read_cursor", "report_tags", "schedule_text", "suggested_lr", "sweep_figure", "sweep_summary",
    "sync", "write_back", "write_cursor",
]

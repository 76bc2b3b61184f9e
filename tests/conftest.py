"""Shared test helpers: free loopback ports, real servers, the browser, realistic runs."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
REALRUNS = SHARED / "realruns"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = REPO / "test-artifacts"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_chromium() -> None:
    """Skip a browser test where Chromium is absent, except in CI, where that is a failure."""
    if not (os.path.exists(CHROMIUM) and shutil.which("chromium")):
        if IN_CI:
            pytest.fail("Debian's chromium is required in CI (.ci/run installs it)")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def realruns() -> list[Path]:
    files = sorted(REALRUNS.glob("*.json"))
    if not files:
        if IN_CI:
            pytest.fail(f"{REALRUNS} is missing: CI runs with ../shared beside the repository")
        pytest.skip("../shared/realruns is not beside this checkout")
    return files


def pytest_configure(config):
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning")
    config.addinivalue_line("markers", "browser: needs Debian's chromium")
    config.addinivalue_line("markers", "server: starts a real tensorboard or mlflow server")


_MLFLOW_ENV = ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID")


@pytest.fixture(autouse=True)
def _isolate_mlflow_state():
    """MLflow keeps process-wide state: ``mlflow.set_experiment`` (called by Lightning's
    MLFlowLogger and Transformers' MLflow callback) sets a module global and MLFLOW_EXPERIMENT_ID.
    A later test on a fresh store would then look for an experiment that does not exist there.
    Each test starts and ends with MLflow's defaults (without importing mlflow if unused)."""
    saved = {k: os.environ.get(k) for k in _MLFLOW_ENV}
    yield
    import sys

    fluent = sys.modules.get("mlflow.tracking.fluent")
    if fluent is not None:
        while fluent.active_run() is not None:
            fluent.end_run()
        fluent._active_experiment_id = None
        if "mlflow" in sys.modules:
            sys.modules["mlflow"].set_tracking_uri(None)
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v

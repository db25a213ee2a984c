"""Browser tests: the tiny ``global_vs_local`` run once, served by ``kedro viz`` and the MLflow UI on loopback,
looked at in headless Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright).

Without Chromium (or Playwright) the tests skip, except where ``SYNERGY_REQUIRE_BROWSER=1`` (CI), where they fail.
Screenshots and server logs go to ``$SYNERGY_ARTIFACTS/browser`` (default ``<repo>/test-artifacts/browser``).
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import TINY
from tests.kedro_project import REPO, copy_project, inside, tracking_uri

CHROMIUM = Path(os.environ.get("SYNERGY_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SERVER_START_TIMEOUT_S = 120
PAGE_TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1600, "height": 1000}
# No telemetry or version checks from the servers: the tests run on loopback only.
QUIET_ENV = {"KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1", "MLFLOW_DISABLE_TELEMETRY": "true",
             "PYTHONUNBUFFERED": "1"}


def _missing(reason: str) -> None:
    if os.environ.get("SYNERGY_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, but SYNERGY_REQUIRE_BROWSER=1 (CI must not skip the browser tests).")
    pytest.skip(reason)


def artifacts_root() -> Path:
    return Path(os.environ.get("SYNERGY_ARTIFACTS") or REPO / "test-artifacts")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots and server logs of the browser tests go."""
    path = artifacts_root() / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.is_file():
        _missing(f"{CHROMIUM} not installed (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401 - only whether it imports
    except ImportError:
        _missing("the playwright Python package is not installed")
    return CHROMIUM


@pytest.fixture(scope="package")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def new_page(browser):
    """A fresh context (no stored UI state) per page, all closed after the test."""
    contexts = []

    def make(init_script: str | None = None):
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        if init_script:
            context.add_init_script(init_script)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def free_port(low: int = 20_000, high: int = 32_767) -> int:
    """A free loopback port below Linux's ephemeral range (kedro-viz refuses ports above 49151)."""
    for port in random.sample(range(low, high + 1), 200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free loopback port in {low}-{high}")


def http_get(url: str, timeout: float = 10) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # loopback only
        return response.read()


def http_post_json(url: str, body: dict, timeout: float = 10) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # loopback only
        return json.loads(response.read())


def _tail(path: Path, n: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


class Server:
    """A server subprocess in its own process group, with a bounded wait until it answers and a sure stop."""

    def __init__(self, name: str, cmd: Sequence[str], cwd: Path, ready_path: str, port: int, log: Path) -> None:
        self.name, self.cmd, self.cwd, self.log = name, list(cmd), cwd, log
        self.url = f"http://127.0.0.1:{port}"
        self.ready_url = self.url + ready_path
        self.proc: subprocess.Popen | None = None
        self.ready = False

    def start(self) -> None:
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(self.cmd, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT,
                                         env={**os.environ, **QUIET_ENV}, start_new_session=True)

    def wait_ready(self, timeout_s: float = SERVER_START_TIMEOUT_S) -> str:
        if self.proc is None:
            pytest.fail(f"{self.name} was never started")
        deadline = time.monotonic() + timeout_s
        while not self.ready:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode} before answering:\n{_tail(self.log)}")
            try:
                http_get(self.ready_url, timeout=5)
                self.ready = True
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"{self.name} ({self.ready_url}) did not answer within {timeout_s} s:\n"
                                f"{_tail(self.log)}")
                time.sleep(0.5)
        return self.url

    def stop(self) -> None:
        """SIGTERM to the server's own process group, SIGKILL for whatever of it lingers."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        try:  # children (uvicorn, MLflow's job runner) may outlive the leader
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def _requested(request: pytest.FixtureRequest, fixture: str) -> bool:
    """Whether any selected test uses ``fixture`` (so a server is only started when a test will look at it)."""
    return any(fixture in getattr(item, "fixturenames", ()) for item in request.session.items)


@pytest.fixture(scope="package")
def served(chromium, artifacts, tmp_path_factory, request) -> SimpleNamespace:
    """The tiny ``global_vs_local`` run, once for all browser tests, in a throw-away project copy, and its servers.

    ``kedro viz`` needs only the project's code and configuration, so it starts while the pipeline runs; the MLflow
    UI starts as soon as the run has written ``mlflow.db``. Both are stopped at the end, whatever happens.
    """
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    project = copy_project(tmp_path_factory.mktemp("browser") / "project")
    (project / "conf/local/mlflow.yml").write_text("register_models: true\n")  # the opt-in, as a user sets it
    port = free_port()
    viz = Server("kedro viz", [sys.executable, "-m", "kedro", "viz", "run", "--host", "127.0.0.1",
                               "--port", str(port), "--no-browser"],
                 project, "/api/main", port, artifacts / "kedro_viz.log")
    port = free_port()
    mlflow = Server("mlflow ui", [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", tracking_uri(project),
                                  "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                    project, "/health", port, artifacts / "mlflow_ui.log")
    request.addfinalizer(viz.stop)
    request.addfinalizer(mlflow.stop)

    if _requested(request, "viz_url"):
        viz.start()
    with inside(project):
        bootstrap_project(project)
        with KedroSession.create(project_path=project, runtime_params=TINY) as session:
            session.run(pipeline_name="global_vs_local")
    if _requested(request, "mlflow_url"):
        mlflow.start()
    return SimpleNamespace(project=project, viz=viz, mlflow=mlflow)


@pytest.fixture(scope="package")
def viz_url(served) -> str:
    """Base URL of ``kedro viz run`` for the run's project, on a free loopback port."""
    return served.viz.wait_ready()


@pytest.fixture(scope="package")
def mlflow_url(served) -> str:
    """Base URL of the MLflow UI on the run's ``mlflow.db``, on a free loopback port."""
    return served.mlflow.wait_ready()

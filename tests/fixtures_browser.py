"""Browser fixtures: Debian's Chromium driven by Playwright against an app served live on loopback.

A pytest plugin: tests/conftest.py loads it with ``pytest_plugins``.

Playwright cannot download its own browser here, so it drives the system Chromium
(``apt-get install chromium``; ``make test`` installs it when run as root). Without it the
browser tests skip.

Two event loops meet here. Playwright's sync API keeps its own loop in the test thread and,
while it is started, leaves that loop marked as *running* there between calls, so
``asyncio.run()`` in the test thread fails until Playwright stops. Hence ``browser`` is
scoped to the module, not the session: the tests of other modules get a clean thread. The
app under test runs in uvicorn in a thread of its own, with its own loop.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",  # root cannot use Chromium's sandbox
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # The network is closed: no calls home, no waits on them.
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = (
    "Chromium not found at /usr/bin/chromium: install Debian's package with "
    "`sudo apt-get install -y --no-install-recommends chromium` (or run `make test` as root), "
    "or point GREENTRADE_CHROMIUM at a Chromium binary"
)
START_TIMEOUT = 30.0


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The Chromium binary to drive; skips the test when there is none."""
    override = os.environ.get("GREENTRADE_CHROMIUM")
    if override:
        if not (Path(override).is_file() and os.access(override, os.X_OK)):
            pytest.skip(f"GREENTRADE_CHROMIUM={override} is not an executable file")
        return override
    if not Path("/usr/bin/chromium").exists():
        pytest.skip(INSTALL_HINT)
    # /usr/bin/chromium is Debian's shell launcher: it adds flags of its own from /etc/chromium.d
    # and its /dev/shm check prints a shell error on hosts with a big /dev/shm. Skip it.
    real = Path("/usr/lib/chromium/chromium")
    return str(real) if real.is_file() else shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[object]:
    """A headless Chromium, shared by the tests of one module (see the module docstring)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh page in a fresh context (its own cookies and storage) that accepts downloads."""
    context = browser.new_context(accept_downloads=True)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


class _LiveServer:
    def __init__(self, app: object) -> None:
        import uvicorn

        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,  # the OS picks a free port; read back once bound, so no race for it
            log_level="warning",
            lifespan="on",
            ws="none",  # not needed, and spares the import of websockets
            timeout_graceful_shutdown=5,  # Chromium keeps connections open
        )
        self.server = uvicorn.Server(config)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="live-app", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run()
        except BaseException as exc:  # uvicorn calls sys.exit(3) when the startup fails
            self.error = exc

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError(f"the live app failed to start ({self.error!r}); see its log")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the live app did not start within {START_TIMEOUT:.0f} s")
            time.sleep(0.01)
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(timeout=5)


@pytest.fixture
def live_app() -> Iterator[Callable[[object], str]]:
    """``live_app(app) -> base_url``: serve an ASGI app with uvicorn on 127.0.0.1, stopped after the test.

    The app's lifespan runs (startup before the URL is returned, shutdown at teardown).
    """
    servers: list[_LiveServer] = []

    def start(app: object) -> str:
        server = _LiveServer(app)
        servers.append(server)
        return server.start()

    yield start
    for server in reversed(servers):
        server.stop()
    stuck = [s for s in servers if s.thread.is_alive()]
    assert not stuck, "a live app did not shut down"

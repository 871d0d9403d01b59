"""uvicorn's ``Server`` as a task in ``loa run``'s event loop, started and stopped with the rest."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette

from campaign.errors import LoaError
from campaign.texts import pair

log = logging.getLogger(__name__)


class WebError(LoaError):
    """The web server could not start (the address is taken, or not this machine's)."""


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """``loa run`` owns SIGINT/SIGTERM and stops the server itself."""
        yield


class WebServer:
    def __init__(self, app: Starlette, host: str, port: int) -> None:
        self.app, self.host, self.port = app, host, port
        config = uvicorn.Config(app, host=host, port=port, lifespan="off", access_log=False, log_level="warning",
                                timeout_graceful_shutdown=3, server_header=False)
        self.server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def bound_port(self) -> int:
        """The port really listened on (``port`` 0 picks a free one: tests, benchmarks)."""
        for server in getattr(self.server, "servers", []):
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self.port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.bound_port}"

    async def start(self) -> asyncio.Task[None]:
        """Listening when this returns (or ``WebError``); the returned task ends when the server does."""
        self._task = asyncio.create_task(self._serve(), name="web server")
        while not self.server.started:
            if self._task.done():
                self._task.result()  # raises WebError
                raise WebError(" / ".join(pair("web.stopped_starting", address=f"{self.host}:{self.port}")))
            await asyncio.sleep(0.01)
        return self._task

    async def _serve(self) -> None:
        try:
            await self.server.serve()
        except SystemExit:  # uvicorn exits when it cannot bind
            raise WebError(" / ".join(pair("web.cannot_listen", address=f"{self.host}:{self.port}"))) from None

    async def stop(self) -> None:
        stopping = getattr(self.app.state, "stopping", None)
        if stopping is not None:
            stopping.set()  # LED event streams end, so the graceful shutdown is quick
        self.server.should_exit = True
        for task in getattr(self.app.state, "background", ()):
            task.cancel()
        if self._task is not None and not self._task.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 5)
            except TimeoutError:
                self.server.force_exit = True
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebError):
                await self._task

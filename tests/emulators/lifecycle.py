"""Start, stop and address of an emulator served on 127.0.0.1 from daemon threads (both emulators)."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Any


class Served:
    """Lifecycle shared by the emulators: single use, free port, hung requests released on stop.

    A subclass sets ``name``, builds its HTTP server in ``_make_server`` and may add threads of its
    own (``_background``); its ``__init__`` calls ``_init_lifecycle`` before anything else.
    """

    name = "emulator"

    def _init_lifecycle(self) -> None:
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    def _make_server(self) -> ThreadingHTTPServer:
        raise NotImplementedError

    def _background(self) -> list[threading.Thread]:
        return []

    def start(self) -> Any:
        """Bind a free port on 127.0.0.1 and serve from daemon threads (single use)."""
        if self._server is not None:
            raise RuntimeError("emulator already started")
        self._server = self._make_server()
        self._threads = [threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                          name=self.name, daemon=True), *self._background()]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Shut down; hung requests and long polls are released immediately."""
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=2.0)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("emulator not started")
        return int(self._server.server_address[1])

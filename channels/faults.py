"""Did a failed request reach the platform? The one classification every adapter uses.

A failure *before* the request was written (DNS, refused or timed-out connection, a full pool)
or one the platform answered (a 4xx/5xx or 429 that was read) leaves nothing behind: retrying is
safe. A failure *after* it was written (read timeout, connection reset or closed without an
answer, an answer that cannot be parsed) is ambiguous: the message may be out, so a blind retry
may post it twice. Adapters set ``ChannelError.ambiguous`` from these functions.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

_HTTPX_BEFORE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol, httpx.InvalidURL)
_URLLIB3_BEFORE = (ConnectTimeoutError, NewConnectionError, NameResolutionError)
_REQUESTS_AFTER = (requests.ReadTimeout, ReadTimeoutError, ProtocolError, requests.exceptions.ChunkedEncodingError,
                   requests.exceptions.ContentDecodingError, ConnectionResetError, TimeoutError)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes and contexts, and the ``reason`` urllib3's MaxRetryError wraps."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        reason = getattr(e, "reason", None)
        todo += [e.__cause__, e.__context__, reason if isinstance(reason, BaseException) else None]
        todo += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]


def httpx_ambiguous(exc: BaseException) -> bool:
    """For python-telegram-bot (httpx underneath): TimedOut/NetworkError wrap the httpx error.

    ConnectTimeout/PoolTimeout/ConnectError: never sent. ReadTimeout, WriteTimeout, ReadError,
    WriteError, RemoteProtocolError ("server disconnected without sending a response"): maybe sent.
    No httpx error at all: the platform answered (5xx, 429). (A 2xx answer that cannot be parsed is
    recognised by the adapter, which knows how its library reports it.)
    """
    for e in _chain(exc):
        if isinstance(e, _HTTPX_BEFORE):
            return False
        if isinstance(e, httpx.HTTPError):
            return True
    return False


def requests_ambiguous(exc: BaseException) -> bool:
    """For ``requests`` (Zalo): connection errors and connect timeouts are before the write;
    read timeouts, a connection closed without an answer and broken bodies are after it."""
    chain = list(_chain(exc))
    if any(isinstance(e, (requests.ConnectTimeout, *_URLLIB3_BEFORE)) for e in chain):
        return False
    if any(isinstance(e, _REQUESTS_AFTER) for e in chain):
        return True
    # a ConnectionError carrying nothing we know: a connection that could not be opened is the usual case
    return not isinstance(exc, requests.ConnectionError)


def timed_out(exc: requests.RequestException) -> bool:
    """A read timeout, also when urllib3's retry wrapper makes ``requests`` call it a ConnectionError."""
    if isinstance(exc, requests.Timeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (ReadTimeoutError, TimeoutError))


def retry_connects(session: requests.Session | None, retries: int, *, pool: int = 8) -> requests.Session:
    """A session that retries only failed connections: the request never reached the platform, so a retry
    cannot duplicate a post. Anything after the request was written is the caller's to classify."""
    session = session or requests.Session()
    retry = Retry(total=retries, connect=retries, read=0, status=0, other=0, redirect=0, allowed_methods=None,
                  backoff_factor=0.2, raise_on_status=False)
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=pool)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session

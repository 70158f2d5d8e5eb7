"""HTTP transport to a Qoro service: sessions, auth, retries, timeouts and error mapping.

This module owns everything ``qoro-api.md`` §1 says about the wire below the endpoints:

* the ``Authorization: Bearer`` header (added per request by ``client/auth.py``'s auth object,
  so the key is in no session attribute, repr or log line) and the ``User-Agent`` (§1.2, §1.3);
* retries as data (§1.6, the policy in ``client/retry.py``): GET and DELETE go through a
  session whose ``HTTPAdapter`` carries a urllib3 ``Retry`` (502/503/504, connection and read
  errors, exponential backoff, ``Retry-After`` honoured and capped); every POST goes through
  a second session whose adapter has ``Retry(total=0)``, so ``cancel/``, ``submit_qubo/`` and
  ``execution_config/`` are never re-sent;
* idempotent submission (§1.6, §8 item 10): ``job/init/`` and each ``add_circuits/`` chunk
  carry an ``Idempotency-Key`` header (uuid4, one per logical request, the same on every
  re-send). Only a service whose ping answered ``"idempotency": true`` has them re-sent, by a
  third session whose urllib3 ``Retry`` allows POST (the same statuses, backoff and
  ``Retry-After`` rules as GET, 429 included). Whether the service supports it is learned from
  one ping per transport, asked lazily the first time a keyed POST fails (a healthy submission
  costs no extra request) and cached; any other ping the caller makes also fills the cache.
  Against any other service (the cloud ignores the header) the first failure is final and an
  unanswered POST raises :class:`AmbiguousSubmissionError`;
* request bodies serialized once by ``protocol.text.json_body`` and sent as bytes, so the size the
  planner measured is the size sent (§1.4, §3.2); gzip-compressed (``protocol.text.gzip_body``)
  once the service has advertised that it accepts it;
* mapping every status >= 400 to the typed error of ``client.errors`` with the server's own
  message (§1.7, read by ``client/responses.py``), and every ``requests`` exception to
  :class:`QoroConnectionError`. This is the only module that catches ``requests`` exceptions;
* masking the key in every message built from server or transport text (``auth.redact_key``:
  keys of 8+ characters wherever they occur, shorter ones where they stand alone).

It imports the standard library, requests/urllib3, ``protocol`` and this package's
``auth``/``config``/``errors``/``retry``/``responses``/``stats``; never PennyLane.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from threading import Lock
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

from ..protocol.text import gzip_body, json_body
from ..protocol.vocabulary import (
    BODY_GZIP_MIN_BYTES,
    CONTENT_ENCODING_HEADER,
    GZIP_ENCODING,
    IDEMPOTENCY_HEADER,
)
from .auth import BearerAuth, redact_key, user_agent
from .config import ApiKey, is_loopback
from .errors import (
    AmbiguousSubmissionError,
    QoroConnectionError,
    QoroError,
    QoroHTTPError,
    RateLimitedError,
    ResponseTooLargeError,
    http_error_class,
)
from .in_process import InProcessAdapter, InProcessApp
from .responses import MESSAGE_LIMIT, json_or_none, server_message
from .retry import (
    MAX_RETRY_AFTER,
    RETRY_METHODS,
    resendable,
    retry_after,
    retry_count,
    retry_policy,
)
from .stats import ClientStats

__all__ = ["Transport"]

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 256 << 20
"""Default cap on one response body (decoded): far over any page of results."""
_READ_CHUNK = 1 << 16

PING_TIMEOUT = 10.0  # §1.5
def _session(key: ApiKey, agent: str, retry: Retry) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.auth = BearerAuth(key)
    session.headers["User-Agent"] = agent
    return session


class Transport:
    """Authenticated JSON-over-HTTP calls to one Qoro base URL.

    Args:
        base_url (str): e.g. ``"https://app.qoroquantum.net/api"`` (no trailing slash).
        api_key (ApiKey): the key; only placed in the ``Authorization`` header.
        stats (ClientStats | None): counters to update (a new one if omitted).
        retries (int): retries for GET/DELETE and keyed POSTs (urllib3 ``Retry(total=...)``).
        backoff (float): urllib3 ``backoff_factor`` (sleeps 0, 2b, 4b, ... between retries).
        timeout_cap (float | None): upper bound on every per-call timeout (None: none).
        max_response_bytes (int): a response body over this many bytes (decoded) is refused
            with :class:`ResponseTooLargeError`, read no further.
        in_process (InProcessApp | None): the service at ``base_url`` runs in this process;
            its requests go to the application directly (``client/in_process.py``), the
            same bytes without a socket.
    """

    def __init__(
        self,
        base_url: str,
        api_key: ApiKey,
        *,
        stats: ClientStats | None = None,
        retries: int = 5,
        backoff: float = 0.1,
        timeout_cap: float | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        in_process: InProcessApp | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout_cap = timeout_cap
        self.max_response_bytes = max_response_bytes
        # POST bodies of at least BODY_GZIP_MIN_BYTES go out gzip-compressed (Content-Encoding) once
        # the service has said it accepts that (the embedded service's job/init/ answer); the
        # cloud does not, and gets the plain bodies of §1.4.
        self.gzip_requests = False
        self.stats = stats if stats is not None else ClientStats()
        self._key = api_key
        agent = user_agent()
        self._idempotent = _session(api_key, agent, retry_policy(retries, backoff))
        # State-changing POSTs: total=0 also stops urllib3 re-sending on connect errors.
        self._once = _session(api_key, agent, Retry(total=0, read=False, redirect=False))
        # Keyed POSTs to a service that applies each Idempotency-Key once: urllib3 re-sends
        # the identical request (same key) on the GET rules, 429 + Retry-After included.
        self._keyed = _session(
            api_key, agent, retry_policy(retries, backoff, frozenset({"POST"}))
        )
        self._idempotency: bool | None = None  # the ping's "idempotency"; None = not asked
        self._ping_lock = Lock()
        if is_loopback(urlsplit(self.base_url).hostname or ""):
            # A service on this machine is never reached through a proxy, and requests would
            # read the proxy environment again on every call (0.3 of 1.7 ms per local request).
            for session in (self._idempotent, self._once, self._keyed):
                session.trust_env = False
        # The embedded service: requests go straight to its application (in_process.py),
        # prepared as a session would prepare them (its headers, the auth) but not sent
        # through one: a session's cookie, hook, proxy and redirect machinery costs 0.3 ms
        # per request and has nothing to do on this path (no retries either: no network).
        self._direct = None if in_process is None else InProcessAdapter(in_process)

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    def __getstate__(self) -> dict[str, Any]:  # copy/pickle without the lock
        state = dict(self.__dict__)
        del state["_ping_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._ping_lock = Lock()

    def close(self) -> None:
        """Close the sessions' connection pools."""
        self._idempotent.close()
        self._once.close()
        self._keyed.close()

    # -- public verbs ------------------------------------------------------------------------

    def get(
        self,
        endpoint: str,
        *,
        timeout: float,
        params: Mapping[str, Any] | None = None,
        job_id: str | None = None,
        deadline: float | None = None,
    ) -> Any:
        """GET ``endpoint`` (retried); the parsed JSON body, or None for an empty body.

        ``deadline`` (``time.monotonic()`` seconds) ends the request earlier than ``timeout``.
        """
        resp = self._send("GET", endpoint, timeout=timeout, params=params, job_id=job_id,
                          deadline=deadline)
        body = json_or_none(resp, "GET", endpoint, job_id)
        if endpoint == "":  # the ping (§2.1): remember what the service advertises
            self._idempotency = isinstance(body, dict) and body.get("idempotency") is True
        return body

    def supports_idempotency(self) -> bool:
        """Whether the service advertised ``"idempotency": true`` in its ping.

        The ping is sent at most once per transport (unless it fails, in which case the
        answer is False for now and the next call asks again).
        """
        if self._idempotency is None:
            with self._ping_lock:
                if self._idempotency is None:
                    try:
                        self.get("", timeout=PING_TIMEOUT)
                    except QoroError as exc:
                        log.debug("ping for idempotency support failed: %s", exc)
                        return False
        return bool(self._idempotency)

    def get_text(self, endpoint: str, *, timeout: float, job_id: str | None = None) -> str:
        """GET ``endpoint`` (retried); the body as text (e.g. an HTML fragment)."""
        return self._send("GET", endpoint, timeout=timeout, job_id=job_id).text

    def post(
        self,
        endpoint: str,
        body: Mapping[str, Any] | bytes | None = None,
        *,
        timeout: float,
        job_id: str | None = None,
    ) -> Any:
        """POST a JSON body once (never retried); the parsed JSON body, or None if empty.

        Args:
            endpoint (str): path relative to the base URL, e.g. ``"job/init/"``.
            body (Mapping | bytes | None): a mapping is serialized with ``wire.json_body``;
                bytes are sent as they are (already serialized and sized by the planner).
            timeout (float): connect and per-read timeout in seconds (§1.5).
            job_id (str | None): the job concerned, for error messages.

        Raises:
            AmbiguousSubmissionError: the request may have reached the service but no answer
                came back (dropped connection, read timeout).
        """
        data = body if isinstance(body, bytes) or body is None else json_body(body)
        resp = self._send("POST", endpoint, timeout=timeout, data=data, job_id=job_id)
        return json_or_none(resp, "POST", endpoint, job_id)

    def post_idempotent(
        self,
        endpoint: str,
        body: Mapping[str, Any] | bytes,
        *,
        timeout: float,
        job_id: str | None = None,
    ) -> Any:
        """POST one logical request under a fresh ``Idempotency-Key``; re-sent only if safe.

        If the service is known to honour the key, urllib3 re-sends the identical request
        (same key) on connection errors, read timeouts, 502/503/504 and 429/503 with
        ``Retry-After``. If support is not known yet, the first attempt goes out unretried
        and only a retryable failure triggers the (cached) ping and then the keyed re-sends:
        one lost response costs one ping, a healthy submission costs nothing extra.

        Args:
            endpoint (str): ``"job/init/"`` or ``"job/<id>/add_circuits/"``.
            body (Mapping | bytes): as for :meth:`post`.
            timeout (float): connect and per-read timeout in seconds (§1.5).
            job_id (str | None): the job concerned, for error messages.

        Raises:
            AmbiguousSubmissionError: no answer came back and the request could not be
                re-sent safely (the service does not advertise idempotency) or every re-send
                failed too.
        """
        data = body if isinstance(body, bytes) else json_body(body)
        key = {IDEMPOTENCY_HEADER: str(uuid.uuid4())}
        if self._idempotency:
            return self._post_keyed(endpoint, data, key, timeout, job_id)
        try:
            resp = self._send(
                "POST", endpoint, timeout=timeout, data=data, job_id=job_id, extra=key
            )
        except (QoroConnectionError, QoroHTTPError) as exc:
            if not resendable(exc) or not self.supports_idempotency():
                raise
            if isinstance(exc, RateLimitedError) and exc.retry_after:
                # The adapter would have slept Retry-After had it sent the first attempt.
                time.sleep(min(exc.retry_after, MAX_RETRY_AFTER))
            log.debug("POST %s failed (%s); re-sending with the same key", endpoint, exc)
            return self._post_keyed(endpoint, data, key, timeout, job_id)
        return json_or_none(resp, "POST", endpoint, job_id)

    def _post_keyed(
        self, endpoint: str, data: bytes, key: dict[str, str], timeout: float, job_id: str | None
    ) -> Any:
        resp = self._send(
            "POST", endpoint, timeout=timeout, data=data, job_id=job_id, extra=key, keyed=True
        )
        return json_or_none(resp, "POST", endpoint, job_id)

    def delete(self, endpoint: str, *, timeout: float, job_id: str | None = None) -> None:
        """DELETE ``endpoint`` (retried)."""
        self._send("DELETE", endpoint, timeout=timeout, job_id=job_id)

    # -- machinery ---------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        endpoint: str,
        *,
        timeout: float,
        params: Mapping[str, Any] | None = None,
        data: bytes | None = None,
        job_id: str | None = None,
        extra: Mapping[str, str] | None = None,
        keyed: bool = False,
        deadline: float | None = None,
    ) -> requests.Response:
        url = f"{self.base_url}/{endpoint}"  # §1.1: base + "/" + endpoint, verbatim
        if keyed:
            session = self._keyed
        else:
            session = self._idempotent if method in RETRY_METHODS else self._once
        headers = {"Content-Type": "application/json"} if method == "POST" else None
        if extra:
            headers = {**(headers or {}), **extra}
        if self.timeout_cap is not None:
            timeout = min(timeout, self.timeout_cap)
        if data and self.gzip_requests and len(data) >= BODY_GZIP_MIN_BYTES:
            data = gzip_body(data)
            headers = {**(headers or {}), CONTENT_ENCODING_HEADER: GZIP_ENCODING}
        size = len(data) if data else 0
        self.stats.add(requests=1, bytes_sent=size)
        started = time.monotonic()
        if deadline is not None:
            timeout = max(min(timeout, deadline - started), 0.001)
        try:
            if self._direct is not None:
                resp = self._send_direct(session, method, url, params, data, headers, timeout)
            else:
                resp = session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=timeout,
                    allow_redirects=method != "POST",
                    stream=True,
                )
            # `timeout` bounds the whole body, not each socket read (a server dripping a byte
            # at a time restarts a read timeout forever); `deadline` bounds everything.
            end = time.monotonic() + timeout
            resp._content = _read_body(resp, end if deadline is None else min(end, deadline),
                                       self.max_response_bytes)
        except requests.RequestException as exc:
            raise self._connection_error(exc, method, endpoint, job_id, keyed) from None
        retried = retry_count(resp)
        if retried:
            self.stats.add(retries=retried)
        log.debug(
            "%s %s -> %s (%d bytes sent, %d retries, %.3f s)",
            method,
            endpoint,
            resp.status_code,
            size,
            retried,
            time.monotonic() - started,
        )
        if resp.status_code >= 400:
            raise self._http_error(resp, method, endpoint, job_id)
        if method == "POST" and 300 <= resp.status_code < 400:
            where = resp.headers.get("Location", "?")
            raise QoroHTTPError(
                resp.status_code,
                f"unexpected redirect to {self.redact(where)}; a POST is never re-sent",
                method=method,
                path=endpoint,
                job_id=job_id,
            )
        return resp

    def _send_direct(self, session: requests.Session, method: str, url: str,
                     params: Mapping[str, Any] | None, data: bytes | None,
                     headers: Mapping[str, str] | None, timeout: float) -> requests.Response:
        """One request to the in-process application, with the session's headers and auth."""
        assert self._direct is not None
        prepared = requests.PreparedRequest()
        prepared.prepare(method=method, url=url, headers={**session.headers, **(headers or {})},
                         data=data, params=params, auth=session.auth)
        return self._direct.send(prepared, stream=True, timeout=timeout)

    def redact(self, text: str) -> str:
        """``text`` with the API key masked (servers may echo it): see :func:`redact_key`."""
        return redact_key(text, self._key.reveal())

    def _http_error(
        self, resp: requests.Response, method: str, endpoint: str, job_id: str | None
    ) -> QoroHTTPError:
        message = self.redact(server_message(resp))
        cls = http_error_class(resp.status_code)
        return cls(
            resp.status_code,
            message,
            method=method,
            path=endpoint,
            job_id=job_id,
            retry_after=retry_after(resp.headers.get("Retry-After")),
        )

    def _connection_error(
        self,
        exc: requests.RequestException,
        method: str,
        endpoint: str,
        job_id: str | None,
        keyed: bool = False,
    ) -> QoroConnectionError:
        detail = self.redact(_describe(exc))
        log.debug("%s %s failed: %s", method, endpoint, detail)
        # A keyed POST may have been answered-but-lost on an earlier attempt even when the
        # last one could not connect: only an unkeyed, never-sent POST is unambiguous.
        if method == "POST" and (keyed or not _never_sent(exc)):
            once = (
                " (every re-send carried the same Idempotency-Key, so it acted at most once)"
                if keyed
                else ""
            )
            return AmbiguousSubmissionError(
                f"{detail}; the request may have reached the service, which may have acted "
                f"on it{once}"
                + (f" (inspect or delete job {job_id})" if job_id else " (check your jobs)"),
                method=method,
                path=endpoint,
                job_id=job_id,
            )
        return QoroConnectionError(detail, method=method, path=endpoint, job_id=job_id)


def _read_body(resp: requests.Response, end: float, cap: int) -> bytes:
    """The whole body of a streamed response, by ``end`` (monotonic) and at most ``cap`` bytes.

    Raises:
        requests.ReadTimeout: ``end`` passed before the body ended (mapped like any timeout).
        ResponseTooLargeError: the body is over ``cap``.
    """
    chunks, size = [], 0
    try:
        while True:
            if time.monotonic() > end:
                raise requests.ReadTimeout("the response did not end within the timeout")
            chunk = resp.raw.read1(_READ_CHUNK, decode_content=True)
            if not chunk:
                resp.raw.release_conn()  # read to the end: the connection is kept alive
                return b"".join(chunks)
            size += len(chunk)
            if size > cap:
                raise ResponseTooLargeError(
                    f"response to {resp.request.method} {urlsplit(resp.url).path} is over "
                    f"the client's cap of {cap} bytes (max_response_bytes); refused unread"
                )
            chunks.append(chunk)
    except (ProtocolError, ReadTimeoutError, DecodeError) as exc:
        raise requests.ConnectionError(exc) from None
    finally:
        if size > cap or time.monotonic() > end:
            resp.close()


def _never_sent(exc: BaseException) -> bool:
    """True when the request certainly did not reach the service (connect failure, TLS)."""
    if isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError)):
        return True
    for arg in getattr(exc, "args", ()):
        reason = arg.reason if isinstance(arg, MaxRetryError) else arg
        if isinstance(reason, (NewConnectionError, ConnectTimeoutError)):
            return True
    return False


def _describe(exc: requests.RequestException) -> str:
    kind = type(exc).__name__
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "read timed out (no answer within the timeout)"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect timed out"
    if isinstance(exc, requests.exceptions.RetryError):
        return "retries exhausted"
    text = str(exc)
    if len(text) > MESSAGE_LIMIT:
        text = text[:MESSAGE_LIMIT] + "..."
    return f"{kind}: {text}"

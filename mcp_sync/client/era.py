"""Which era a server speaks, found once per server and remembered.

``Client(..., protocol=...)``:

* ``"auto"`` (default): probe, then speak what the server speaks;
* ``"legacy"`` / a legacy version (``"2025-11-25"``...): ``initialize`` only;
* ``"modern"`` / a modern version (``"2026-07-28"``): stateless requests only.

Probing (DIGEST 1.3) sends ``server/discover`` with the preferred modern version:

* stdio and in-memory: a ``DiscoverResult`` means modern; a recognized modern
  error (-32022 listing a version we speak, -32020, -32021) means modern (after
  -32022, ask again with a listed version); any other error, or no answer
  within ``probe_timeout`` seconds, means legacy: ``initialize``.
* Streamable HTTP: :class:`~mcp_sync.protocol.era.HttpEraProbe` reads the HTTP
  status and body: a modern JSON-RPC error in a 400 body means modern, a 400/
  404/405 without one means legacy (the transport may then fall back further
  to HTTP+SSE when ``initialize`` is refused too); 401/403/5xx are errors.
* Should a legacy ``initialize`` be refused by a server listing modern versions
  (a modern-only server that was slow to answer the probe), switch to modern.

The decision is cached in a small in-process :class:`~mcp_sync.protocol.era.EraCache`
(:data:`ERA_CACHE` unless the client was given another, or None): stdio servers
by command line, working directory and environment, HTTP servers by
origin + path. A cached legacy decision skips the probe; a cached modern one
still sends ``server/discover`` (it returns the server's info). If the cached
era turns out wrong, it is forgotten and the server probed again.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from ..errors import ConnectionClosed, HttpStatusError, McpError, ProtocolVersionError, RequestTimeout
from ..protocol import era as pe
from ..protocol import modern as mp
from ..protocol.modern import RejectedRequest
from ..protocol.versions import ALL_VERSIONS, LEGACY_VERSIONS, MODERN_VERSIONS, is_modern
from ..types import to_wire
from .client import DEFAULT_PROBE_TIMEOUT  # noqa: F401  (re-exported)
from .modern import ModernSupport, modern_capabilities

log = logging.getLogger("mcp_sync.client")

#: The process-wide era cache clients use unless told otherwise.
ERA_CACHE = pe.EraCache()

AUTO = "auto"
LEGACY = pe.LEGACY
MODERN = pe.MODERN


def resolve_protocol(protocol: str, protocol_version: str | None) -> tuple[str, str | None]:
    """``(mode, pinned version)`` from the constructor's ``protocol`` and ``protocol_version``.

    ``mode`` is ``"auto"``, ``"legacy"`` or ``"modern"``. A ``protocol_version``
    given with ``protocol="auto"`` pins that version (what older code meant).
    """
    if protocol == AUTO and protocol_version is not None:
        protocol = protocol_version
    if protocol in (AUTO, LEGACY, MODERN):
        if protocol_version is not None and protocol != AUTO:
            if (protocol == MODERN) != is_modern(protocol_version) or protocol_version not in ALL_VERSIONS:
                raise ProtocolVersionError(f"protocol={protocol!r} does not go with protocol_version="
                                           f"{protocol_version!r}")
            return protocol, protocol_version
        return protocol, None
    if protocol in LEGACY_VERSIONS:
        return LEGACY, protocol
    if protocol in MODERN_VERSIONS:
        return MODERN, protocol
    raise ProtocolVersionError(f"protocol must be 'auto', 'legacy', 'modern' or one of {', '.join(ALL_VERSIONS)}; "
                               f"not {protocol!r}")


def _is_http(transport: Any) -> bool:
    from ..transports.http_client import HttpClientTransport

    return isinstance(transport, HttpClientTransport)


class _Outcome:
    """What one probe request brought: a result, a JSON-RPC error, an HTTP status, or nothing in time."""

    def __init__(self, result: Any = None, error: dict[str, Any] | None = None, status: int | None = None,
                 body: Any = None, timed_out: bool = False, exception: BaseException | None = None) -> None:
        self.result = result
        self.error = error
        self.status = status
        self.body = body
        self.timed_out = timed_out
        self.exception = exception


def _discover(client: Any, version: str, timeout: float | None) -> _Outcome:

    params = mp.with_request_meta(None, mp.build_request_meta(
        version, modern_capabilities(client), to_wire(client.client_info)))
    try:
        result = client.session.call("server/discover", params, timeout=timeout)
    except RequestTimeout:
        return _Outcome(timed_out=True)
    except RejectedRequest as exc:  # HTTP: a JSON-RPC error body with a non-2xx status
        return _Outcome(error=exc.to_error(), status=exc.http_status, exception=exc)
    except McpError as exc:
        return _Outcome(error=exc.to_error(), status=200, exception=exc)
    except HttpStatusError as exc:  # HTTP error without a JSON-RPC body
        return _Outcome(status=exc.status, body=exc.body, exception=exc)
    return _Outcome(result=result, status=200)


def establish(client: Any) -> None:
    """Settle the era of ``client``'s server and get the client ready to send requests."""
    mode = client._era_mode
    if mode == LEGACY:
        client._initialize()
        client.era = LEGACY
        return
    cache = client._era_cache if mode == AUTO else None
    key = getattr(client.transport, "era_key", None) if cache is not None else None
    cached = cache.get(key) if cache is not None and key is not None else None
    if cached is not None and cached.era == LEGACY:
        try:
            switched = _legacy(client, mode)
            if switched is not None:
                cache.put(key, switched)  # type: ignore[union-attr]
            return
        except (McpError, ProtocolVersionError) as exc:
            log.info("the server at %s no longer speaks legacy MCP as remembered (%s); probing again", key, exc)
            cache.forget(key)  # type: ignore[union-attr]
            if client.session.input_closed:
                raise
    start = cached.version if cached is not None and cached.era == MODERN else None
    decision = _probe(client, mode, start)
    if cache is not None and key is not None:
        cache.put(key, decision)


def _probe(client: Any, mode: str, start_version: str | None = None) -> pe.EraDecision:
    http = _is_http(client.transport)
    pinned = client._pinned_version
    versions = ([pinned] if pinned else list(MODERN_VERSIONS)) + ([] if mode == MODERN else list(LEGACY_VERSIONS))
    probe: pe._Probe = pe.HttpEraProbe(versions) if http else pe.StdioEraProbe(versions)
    if start_version in probe.modern_versions:
        probe.version = start_version
    # Over HTTP every server answers (or fails) a POST: no answer is not a legacy signal.
    timeout = client.timeout if (http or mode == MODERN) else client.probe_timeout
    decision: pe.EraDecision
    while True:
        outcome = _discover(client, probe.version, timeout)
        if http:
            if outcome.timed_out:
                raise RequestTimeout("no answer to server/discover within the timeout")
            if outcome.result is not None:
                decision = probe.on_response(200, {"result": outcome.result})  # type: ignore[attr-defined]
            elif outcome.error is not None:
                decision = probe.on_response(outcome.status or 200, {"error": outcome.error})  # type: ignore[attr-defined]
            else:
                decision = probe.on_response(outcome.status or 0, outcome.body)  # type: ignore[attr-defined]
        elif outcome.timed_out:
            if mode == MODERN:
                raise RequestTimeout("the server did not answer server/discover within the timeout")
            decision = probe.on_timeout()  # type: ignore[attr-defined]
        elif outcome.error is not None:
            decision = probe.on_error(outcome.error)
        else:
            decision = probe.on_result(outcome.result)
        log.debug("era probe of %s: %s", getattr(client.transport, "era_key", "the server"), decision)
        if decision.action == pe.RETRY:
            continue
        if mode == MODERN and http and outcome.status == 404 and outcome.error is None:
            url = getattr(client.transport, "url", "the server")
            raise HttpStatusError(404, f"nothing serves MCP at {url} (server/discover answered HTTP 404 "
                                       f"without a JSON-RPC error): check the endpoint path (mcp_sync "
                                       f"servers default to '/mcp')")
        if decision.action == pe.USE and decision.era == MODERN:
            result = outcome.result if pe.is_discover_result(outcome.result) else None
            _modern(client, decision.version or probe.version, result, http)
            return decision
        if decision.action in (pe.INITIALIZE, pe.HTTP_SSE):
            if mode == MODERN:
                raise ProtocolVersionError(f"the server does not speak the 2026-07-28 protocol ({decision.reason}); "
                                           "it looks like a legacy server: use protocol='auto' or 'legacy'")
            switched = _legacy(client, mode)
            return switched or decision
        offered = _supported(outcome.error.get("data")) if isinstance(outcome.error, Mapping) else []
        legacy_only = bool(offered) and not any(v in MODERN_VERSIONS for v in offered)
        if decision.action == pe.FAIL and mode == MODERN and legacy_only:
            raise ProtocolVersionError(f"the server speaks only legacy versions ({', '.join(offered)}), not "
                                       "2026-07-28: use protocol='auto' or 'legacy'")
        if decision.action == pe.FAIL and decision.era is None and mode == MODERN:
            raise ProtocolVersionError(f"the server does not speak the 2026-07-28 protocol ({decision.reason}); "
                                       "it looks like a legacy server: use protocol='auto' or 'legacy'")
        if decision.action == pe.FAIL:
            raise ProtocolVersionError(f"no protocol version both sides speak: {decision.reason}")
        if outcome.exception is not None:  # not an era signal (auth, server error): report it as it came
            raise outcome.exception
        raise ConnectionClosed(f"cannot tell which protocol the server speaks: {decision.reason}")


def _legacy(client: Any, mode: str) -> pe.EraDecision | None:
    """``initialize``; if a modern-only server refuses it listing modern versions, go modern instead.

    Returns the decision to cache when it switched to modern, else None.
    """
    try:
        client._initialize()
    except McpError as exc:
        offered = _supported(exc.data)
        pinned = client._pinned_version
        modern = pe.choose_version(offered, [pinned] if pinned else MODERN_VERSIONS) if mode == AUTO else None
        if modern is None:
            raise
        log.info("the server refused initialize and lists %s: speaking 2026-07-28", offered)
        outcome = _discover(client, modern, client.timeout)
        if outcome.error is not None:
            raise McpError.from_error(outcome.error) from None
        if outcome.result is None or not pe.is_discover_result(outcome.result):
            raise
        _modern(client, modern, outcome.result, _is_http(client.transport))
        return pe.EraDecision(pe.USE, MODERN, modern, "initialize refused by a modern server")
    client.era = LEGACY
    return None


def _supported(data: Any) -> list[str]:
    supported = data.get("supported") if isinstance(data, Mapping) else None
    return [v for v in supported if isinstance(v, str)] if isinstance(supported, list) else []


def _modern(client: Any, version: str, discover_result: Mapping[str, Any] | None, http: bool) -> None:
    support = ModernSupport(client, version, http=http, max_input_rounds=client.max_input_rounds)
    client._modern = support
    client.era = MODERN
    client.protocol_version = version
    client.session.protocol_version = version
    if http:
        client.transport.header_hook = support.param_headers
    if discover_result is None:
        discover_result = client.session.call("server/discover", support.with_meta(None), timeout=client.timeout)
    support.apply_discover(discover_result)
    client._ready.set()

"""The portal's one outbound HTTP client (httpx): timeouts, size caps and an address policy.

Every request the portal makes to a URL it was given (a nightly build, a release bundle, a
Mattermost server, a webhook) goes through here, so that one place decides:

- which addresses may be reached (``AddressPolicy``): private, loopback, link-local, multicast,
  reserved and unspecified addresses are refused unless ``allow_private`` or listed in
  ``allowed``; the check runs when the socket is opened, on the very addresses it connects to,
  so a DNS answer cannot change between the check and the connection (DNS rebinding);
- how long a request may take in total (not per read: a server that trickles bytes still stops);
- how many bytes may come back (``Content-Length`` up front, and every byte counted);
- redirects, followed by hand (at most ``MAX_REDIRECTS``) so that the scheme rule applies to
  every hop, and the address policy to every connection.

Environment proxies are ignored on purpose: a proxy resolves names itself, out of our sight.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import socket
import ssl
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import certifi
import httpcore
import httpx
from django.conf import settings

from common.errors import InvalidInput, UpstreamError

MAX_REDIRECTS = 5
MAX_JSON_BYTES = 20 * 1024 * 1024
CHUNK_SIZE = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "PluginPortal/1.0"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# IPv6 ranges that carry an IPv4 address inside: judged by the address they lead to.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class UpstreamHTTPError(UpstreamError):
    """The remote server answered with a status outside 2xx."""

    code = "upstream_status"

    def __init__(self, message: str, *, status_code: int, url: str, body: str = "") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.url = url
        self.body = body  # the start of the error page, for logs and status messages


class UpstreamTooLarge(UpstreamError):
    code = "upstream_too_large"


class UpstreamTimeout(UpstreamError):
    code = "upstream_timeout"


class UpstreamUnreachable(UpstreamError):
    code = "upstream_unreachable"


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def address_refusal(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public address (``None`` when it is one)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = address_refusal(inner)
            return f"{reason} (IPv4 {inner} inside IPv6)" if reason else None
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("non-global", not ip.is_global),
    )
    return next((name for name, hit in checks if hit), None)


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses outbound requests may connect to.

    ``allowed`` lists host names (matched exactly, case-insensitive), IP addresses and CIDR
    ranges that may be reached even when private, like Mattermost's
    ``AllowedUntrustedInternalConnections``.
    """

    allow_private: bool = False
    allowed: Sequence[str] = ()
    _hosts: frozenset[str] = field(init=False, repr=False, compare=False)
    _networks: tuple[IPNetwork, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        # A single string is read the way Mattermost reads its setting: separated by spaces
        # (or commas), never character by character.
        entries = (
            self.allowed.replace(",", " ").split()
            if isinstance(self.allowed, str)
            else self.allowed
        )
        for entry in entries:
            text = entry.strip().lower()
            if not text:
                continue
            try:
                networks.append(ipaddress.ip_network(text.strip("[]"), strict=False))
            except ValueError:
                hosts.add(text.rstrip("."))
        object.__setattr__(self, "allowed", tuple(entries))
        object.__setattr__(self, "_hosts", frozenset(hosts))
        object.__setattr__(self, "_networks", tuple(networks))

    @classmethod
    def from_settings(cls) -> AddressPolicy:
        return cls(
            allow_private=settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES,
            allowed=tuple(getattr(settings, "OUTBOUND_ALLOWED_ADDRESSES", ())),
        )

    def refusal(self, host: str, ip: IPAddress) -> str | None:
        """Why connecting to ``ip`` (which ``host`` resolved to) is refused, or ``None``."""
        if self.allow_private or host.lower().rstrip(".") in self._hosts:
            return None
        if any(ip.version == net.version and ip in net for net in self._networks):
            return None
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            inner = ip.ipv4_mapped
            if any(inner in net for net in self._networks if net.version == 4):
                return None
        return address_refusal(ip)

    def resolve(self, host: str, port: int) -> list[str]:
        """The addresses of ``host`` this policy lets us connect to (raises when there are none)."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise UpstreamUnreachable(f"cannot resolve host {host!r}: {exc}") from exc
        permitted: list[str] = []
        refused: list[str] = []
        for *_, sockaddr in infos:
            address = str(sockaddr[0]).split("%", 1)[0]
            reason = self.refusal(host, ipaddress.ip_address(address))
            if reason is None:
                if address not in permitted:
                    permitted.append(address)
            else:
                kind, _, why = reason.partition(" (")
                refused.append(f"{address} is a {kind} address" + (f" ({why}" if why else ""))
        if not permitted:
            raise InvalidInput(
                f"refusing to connect to {host}: {'; '.join(refused)}. Outbound requests to "
                f"private networks are off; set OUTBOUND_ALLOW_PRIVATE_ADDRESSES=true or list "
                f"the host, address or range in OUTBOUND_ALLOWED_ADDRESSES to allow it.",
                code="address_refused",
            )
        return permitted


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write ends by the request's overall deadline.

    httpx's timeouts apply per operation: a server sending a byte just before each read timeout
    would keep a download going for ever. Capping each socket operation at the time left makes
    the total timeout exact.
    """

    def __init__(self, stream: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def _cap(self, timeout: float | None, error: type[Exception]) -> float:
        left = self._deadline.left()
        if left <= 0:
            raise error(f"the total timeout of {self._deadline.seconds:g} seconds passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._cap(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._cap(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        tls = self._stream.start_tls(
            ssl_context, server_hostname, self._cap(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _PolicyBackend(httpcore.SyncBackend):
    """Opens TCP connections only to addresses the policy accepts, resolved once, here.

    httpcore still uses the URL's host name for TLS (SNI, certificate check) and the Host
    header; only the address the socket connects to is chosen by us.
    """

    def __init__(self, policy: AddressPolicy, deadline: _Deadline) -> None:
        self.policy = policy
        self.deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        last_error: Exception | None = None
        for address in self.policy.resolve(host, port):
            left = self.deadline.left()
            if left <= 0:
                raise httpcore.ConnectTimeout("the total timeout passed")
            capped = left if timeout is None else min(timeout, left)
            try:
                stream = super().connect_tcp(address, port, capped, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
                continue
            return _DeadlineStream(stream, self.deadline)
        if last_error is None:  # resolve() returns at least one address or raises
            raise UpstreamUnreachable(f"no address to connect to for {host}")
        raise last_error


def _ssl_context() -> ssl.SSLContext:
    """certifi's CAs, the system's, and ``OUTBOUND_CA_BUNDLE`` if set; hostnames checked."""
    context = ssl.create_default_context(cafile=certifi.where())
    context.load_default_certs()
    bundle = getattr(settings, "OUTBOUND_CA_BUNDLE", "")
    if bundle:
        context.load_verify_locations(cafile=bundle)
    return context


class _PolicyTransport(httpx.HTTPTransport):
    def __init__(self, policy: AddressPolicy, deadline: _Deadline) -> None:
        super().__init__(retries=0, trust_env=False)
        # httpx offers no public hook for the network backend; the pool it builds is replaced
        # with the same settings plus ours (pinned httpx/httpcore versions in requirements).
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=10,
            max_keepalive_connections=0,
            network_backend=_PolicyBackend(policy, deadline),
        )


@dataclass(frozen=True)
class DownloadResult:
    url: str  # the final URL, after redirects
    status: int
    size: int
    sha256: str
    content_type: str
    elapsed: float  # seconds


def _check_url(url: str | httpx.URL, *, require_https: bool) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise InvalidInput(f"not a valid URL: {url!s}: {exc}", code="bad_url") from exc
    if parsed.scheme not in {"http", "https"}:
        raise InvalidInput(
            f"only http and https URLs can be fetched, not {parsed.scheme or 'no'} scheme: {url}",
            code="bad_url",
        )
    if require_https and parsed.scheme != "https":
        raise InvalidInput(f"an https URL is required: {url}", code="https_required")
    if not parsed.host:
        raise InvalidInput(f"the URL has no host: {url}", code="bad_url")
    if parsed.userinfo:
        raise InvalidInput("credentials inside the URL are not accepted", code="bad_url")
    return parsed


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.start = time.monotonic()

    def left(self) -> float:
        return self.seconds - (time.monotonic() - self.start)

    def remaining(self, url: httpx.URL) -> float:
        left = self.left()
        if left <= 0:
            raise UpstreamTimeout(f"{_safe(url)} did not answer within {self.seconds:g} seconds")
        return left

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start


def _safe(url: httpx.URL) -> str:
    """The URL without its query string, which may hold tokens."""
    return str(url.copy_with(query=None, fragment=None))


@contextmanager
def _open(
    url: str,
    *,
    policy: AddressPolicy,
    deadline: _Deadline,
    require_https: bool,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
    json_body: Any = None,
) -> Iterator[httpx.Response]:
    """A streaming 2xx response for ``url`` after redirects; the errors of this module.

    Only GET follows redirects: re-sending a POST body to wherever a server points is not
    something a webhook call should do silently.
    """
    current = _check_url(url, require_https=require_https)
    with httpx.Client(
        transport=_PolicyTransport(policy, deadline),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
    ) as client:
        for hop in range(MAX_REDIRECTS + 1):
            left = deadline.remaining(current)
            request = client.build_request(
                method,
                current,
                params=params if hop == 0 else None,
                json=json_body,
                timeout=httpx.Timeout(left),
            )
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise UpstreamTimeout(
                    f"{_safe(current)} did not answer within {deadline.seconds:g} seconds"
                ) from exc
            except httpx.TransportError as exc:
                raise UpstreamUnreachable(f"cannot reach {_safe(current)}: {exc}") from exc
            try:
                if response.status_code in REDIRECT_STATUSES and method == "GET":
                    location = response.headers.get("location")
                    if not location:
                        raise UpstreamError(
                            f"{_safe(current)} answered {response.status_code} with no Location"
                        )
                    current = _check_url(current.join(location), require_https=require_https)
                    continue
                if not response.is_success:
                    raise UpstreamHTTPError(
                        f"{_safe(current)} answered HTTP {response.status_code}",
                        status_code=response.status_code,
                        url=str(current),
                        body=_error_body(response),
                    )
                yield response
                return
            finally:
                response.close()
    raise UpstreamError(f"{url} redirected more than {MAX_REDIRECTS} times")


def _error_body(response: httpx.Response, limit: int = 2048) -> str:
    """The first ``limit`` bytes of an error response, as text; never raises."""
    data = bytearray()
    try:
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) >= limit:
                break
    except (httpx.HTTPError, httpcore.TimeoutException, UpstreamError):
        pass
    return bytes(data[:limit]).decode("utf-8", "replace")


def _chunks(response: httpx.Response, deadline: _Deadline, *, raw: bool) -> Iterator[bytes]:
    stream = response.iter_raw(CHUNK_SIZE) if raw else response.iter_bytes(CHUNK_SIZE)
    try:
        for chunk in stream:
            deadline.remaining(response.url)
            yield chunk
    except httpx.TimeoutException as exc:
        raise UpstreamTimeout(
            f"{_safe(response.url)} did not finish within {deadline.seconds:g} seconds"
        ) from exc
    except httpx.TransportError as exc:
        raise UpstreamUnreachable(f"{_safe(response.url)} broke off the transfer: {exc}") from exc


def _check_length(response: httpx.Response, max_bytes: int) -> None:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise UpstreamTooLarge(
            f"{_safe(response.url)} is {int(declared)} bytes, more than the limit of {max_bytes}"
        )


def _rewind(dest: BinaryIO) -> int | None:
    try:
        return dest.tell() if dest.seekable() else None
    except (OSError, ValueError):
        return None


def download(
    url: str,
    dest: BinaryIO,
    *,
    max_bytes: int | None = None,
    timeout: float | None = None,
    policy: AddressPolicy | None = None,
    require_https: bool = False,
) -> DownloadResult:
    """Stream ``url`` into ``dest``, hashing as it goes; the body exactly as served.

    Defaults come from settings (``OUTBOUND_MAX_DOWNLOAD_BYTES``, ``OUTBOUND_TIMEOUT_SECONDS``,
    the address policy). On any failure a seekable ``dest`` is cut back to where it started.
    Raises ``InvalidInput`` (bad URL, https required, address refused) or ``UpstreamError``.
    """
    limit = settings.OUTBOUND_MAX_DOWNLOAD_BYTES if max_bytes is None else max_bytes
    deadline = _Deadline(settings.OUTBOUND_TIMEOUT_SECONDS if timeout is None else timeout)
    start = _rewind(dest)
    digest = hashlib.sha256()
    size = 0
    try:
        # identity: the bytes the server holds (a .tar.gz must not arrive gunzipped).
        with _open(
            url,
            policy=policy or AddressPolicy.from_settings(),
            deadline=deadline,
            require_https=require_https,
            headers={"Accept-Encoding": "identity"},
        ) as response:
            _check_length(response, limit)
            for chunk in _chunks(response, deadline, raw=True):
                size += len(chunk)
                if size > limit:
                    raise UpstreamTooLarge(
                        f"{_safe(response.url)} sent more than the limit of {limit} bytes"
                    )
                digest.update(chunk)
                dest.write(chunk)
            final_url, status = str(response.url), response.status_code
            content_type = response.headers.get("content-type", "")
    except BaseException:
        if start is not None:
            dest.seek(start)
            dest.truncate()
        raise
    return DownloadResult(
        url=final_url,
        status=status,
        size=size,
        sha256=digest.hexdigest(),
        content_type=content_type,
        elapsed=deadline.elapsed,
    )


def get_json(
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    timeout: float | None = None,
    policy: AddressPolicy | None = None,
) -> Any:
    """GET ``url`` and decode its JSON body (at most ``MAX_JSON_BYTES``)."""
    deadline = _Deadline(settings.OUTBOUND_TIMEOUT_SECONDS if timeout is None else timeout)
    with _open(
        url,
        policy=policy or AddressPolicy.from_settings(),
        deadline=deadline,
        require_https=False,
        params=params,
        headers={"Accept": "application/json"},
    ) as response:
        _check_length(response, MAX_JSON_BYTES)
        body = bytearray()
        for chunk in _chunks(response, deadline, raw=False):
            body += chunk
            if len(body) > MAX_JSON_BYTES:
                raise UpstreamTooLarge(
                    f"{_safe(response.url)} sent more than {MAX_JSON_BYTES} bytes of JSON"
                )
        try:
            return json.loads(body)
        except ValueError as exc:
            raise UpstreamError(f"{_safe(response.url)} did not answer with JSON: {exc}") from exc


def post_json(
    url: str,
    payload: Any,
    *,
    timeout: float | None = None,
    policy: AddressPolicy | None = None,
    headers: Mapping[str, str] | None = None,
) -> Any:
    """POST ``payload`` as JSON; the decoded JSON answer, or ``None`` when it is not JSON.

    Redirects are not followed (a 3xx answer is an ``UpstreamHTTPError``). Meant for webhooks
    and small API calls.
    """
    deadline = _Deadline(settings.OUTBOUND_TIMEOUT_SECONDS if timeout is None else timeout)
    with _open(
        url,
        policy=policy or AddressPolicy.from_settings(),
        deadline=deadline,
        require_https=False,
        headers={"Accept": "application/json", **(headers or {})},
        method="POST",
        json_body=payload,
    ) as response:
        _check_length(response, MAX_JSON_BYTES)
        body = bytearray()
        for chunk in _chunks(response, deadline, raw=False):
            body += chunk
            if len(body) > MAX_JSON_BYTES:
                raise UpstreamTooLarge(f"{_safe(response.url)} answered with too large a body")
        if "json" not in response.headers.get("content-type", ""):
            return None
        try:
            return json.loads(body)
        except ValueError:
            return None

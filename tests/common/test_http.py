"""The outbound HTTP client against real HTTP servers on loopback (http.server in threads)."""

from __future__ import annotations

import gzip
import hashlib
import io
import ipaddress
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from common import http
from common.errors import InvalidInput, UpstreamError
from common.http import (
    AddressPolicy,
    UpstreamHTTPError,
    UpstreamTimeout,
    UpstreamTooLarge,
    UpstreamUnreachable,
    address_refusal,
    download,
    get_json,
    post_json,
)

BODY = bytes(range(256)) * 400  # 102,400 bytes
LOOPBACK_OK = AddressPolicy(allow_private=False, allowed=["127.0.0.1"])


class Handler(BaseHTTPRequestHandler):
    """Routes of the test server; every request is recorded on the server."""

    def log_message(self, format, *args):  # keep test output clean
        pass

    def do_GET(self):
        self.server.requests.append((self.path, dict(self.headers)))
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        route = getattr(
            self, "route_" + parts.path.strip("/").split("/")[0].replace("-", "_"), None
        )
        if route is None:
            return self.send_body(404, b"not found", "text/plain")
        try:
            return route(parts.path, query)
        except (BrokenPipeError, ConnectionResetError):
            return None

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.server.requests.append((self.path, dict(self.headers)))
        path = urlsplit(self.path).path
        if path == "/echo":
            return self.send_body(
                200, json.dumps({"got": json.loads(body)}).encode(), "application/json"
            )
        if path == "/webhook":
            return self.send_body(200, b"ok", "text/plain")
        if path == "/moved":
            self.send_response(307)
            self.send_header("Location", "/echo")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return self.send_body(400, b'{"message": "bad payload"}', "application/json")

    def send_body(self, status, body, content_type="application/octet-stream", length=True):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route_bundle(self, path, query):
        self.send_body(200, BODY, "application/gzip")

    def route_no_length(self, path, query):
        # HTTP/1.0 without Content-Length: the body ends when the connection closes.
        size = int(query.get("size", ["0"])[0])
        self.send_body(200, b"x" * size, length=False)

    def route_big(self, path, query):
        self.send_body(200, b"y" * int(query["size"][0]))

    def route_error(self, path, query):
        self.send_body(int(query["status"][0]), b"failure")

    def route_redirect(self, path, query):
        # /redirect/N -> /redirect/N-1 ... -> /bundle
        remaining = int(path.rsplit("/", 1)[1])
        self.send_response(302)
        self.send_header("Location", f"/redirect/{remaining - 1}" if remaining > 1 else "/bundle")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_redirect_to(self, path, query):
        self.send_response(int(query.get("status", ["302"])[0]))
        self.send_header("Location", query["url"][0])
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_loop(self, path, query):
        self.send_response(301)
        self.send_header("Location", "/loop")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_trickle(self, path, query):
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        for _ in range(100):
            self.wfile.write(b"z" * 10)
            self.wfile.flush()
            time.sleep(0.1)

    def route_stall(self, path, query):
        time.sleep(3)
        self.send_body(200, b"late")

    def route_gzip(self, path, query):
        payload = gzip.compress(b"content that the server stores gzipped" * 50)
        self.send_response(200)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def route_json(self, path, query):
        body = json.dumps({"query": {k: v[0] for k, v in query.items()}, "ok": True}).encode()
        self.send_body(200, body, "application/json")

    def route_not_json(self, path, query):
        self.send_body(200, b"<html>hello</html>", "text/html")

    def route_host(self, path, query):
        self.send_body(200, self.headers["Host"].encode(), "text/plain")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str):
        super().__init__((host, 0), Handler)
        self.requests: list[tuple[str, dict]] = []
        self.cert_path = None

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


@pytest.fixture(scope="module")
def _servers() -> Iterator[dict[str, Server]]:
    servers = {"main": Server("127.0.0.1"), "other": Server("127.0.0.2")}
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers.values()]
    for thread in threads:
        thread.start()
    yield servers
    for server in servers.values():
        server.shutdown()
        server.server_close()


@pytest.fixture
def server(_servers) -> Server:
    _servers["main"].requests.clear()
    return _servers["main"]


@pytest.fixture
def other_server(_servers) -> Server:
    """A second server on 127.0.0.2: loopback, but not in LOOPBACK_OK's allow-list."""
    _servers["other"].requests.clear()
    return _servers["other"]


# --- Address policy --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "non-global"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ],
)
def test_non_public_addresses_are_refused_with_the_reason(address, reason):
    assert address_refusal(ipaddress.ip_address(address)).startswith(reason)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(address):
    assert address_refusal(ipaddress.ip_address(address)) is None


def test_policy_refuses_localhost_and_names_the_setting_that_allows_it():
    with pytest.raises(InvalidInput) as excinfo:
        AddressPolicy(allow_private=False).resolve("localhost", 80)
    message = str(excinfo.value)
    assert "127.0.0.1 is a loopback address" in message
    assert "OUTBOUND_ALLOW_PRIVATE_ADDRESSES" in message
    assert "OUTBOUND_ALLOWED_ADDRESSES" in message
    assert excinfo.value.code == "address_refused"


@pytest.mark.parametrize("allowed", [["localhost"], ["LOCALHOST."], ["127.0.0.1"], ["127.0.0.0/8"]])
def test_policy_allows_listed_hosts_addresses_and_ranges(allowed):
    assert "127.0.0.1" in AddressPolicy(allow_private=False, allowed=allowed).resolve(
        "localhost", 80
    )


def test_policy_allow_list_does_not_open_other_private_addresses():
    policy = AddressPolicy(allow_private=False, allowed=["10.0.0.0/8", "mm.internal"])
    with pytest.raises(InvalidInput, match=r"192.168.0.1 is a private address"):
        policy.resolve("192.168.0.1", 80)
    assert policy.resolve("10.9.9.9", 80) == ["10.9.9.9"]


def test_allow_list_may_be_one_string_like_mattermosts_setting():
    policy = AddressPolicy(allow_private=False, allowed="10.0.0.0/8 127.0.0.1,mm.internal")

    assert policy.allowed == ("10.0.0.0/8", "127.0.0.1", "mm.internal")
    assert policy.resolve("127.0.0.1", 80) == ["127.0.0.1"]
    with pytest.raises(InvalidInput):
        policy.resolve("127.0.0.2", 80)


def test_allow_private_allows_everything():
    assert AddressPolicy(allow_private=True).resolve("127.0.0.1", 80) == ["127.0.0.1"]


def test_unresolvable_host_is_an_upstream_error():
    with pytest.raises(UpstreamUnreachable, match="cannot resolve"):
        AddressPolicy(allow_private=True).resolve("no-such-host.invalid", 80)


# --- download --------------------------------------------------------------------------------


def test_download_streams_the_body_with_its_sha256(server):
    dest = io.BytesIO()

    result = download(f"{server.base}/bundle", dest, policy=LOOPBACK_OK)

    assert dest.getvalue() == BODY
    assert result.size == len(BODY)
    assert result.sha256 == hashlib.sha256(BODY).hexdigest()
    assert result.status == 200
    assert result.content_type == "application/gzip"
    assert result.url == f"{server.base}/bundle"
    assert result.elapsed >= 0


def test_download_keeps_the_bytes_as_served_even_when_content_encoded(server):
    dest = io.BytesIO()

    download(f"{server.base}/gzip", dest, policy=LOOPBACK_OK)

    assert dest.getvalue()[:2] == b"\x1f\x8b"  # still gzip: a .tar.gz stays a .tar.gz
    assert server.requests[-1][1]["Accept-Encoding"] == "identity"


def test_download_refuses_loopback_when_private_addresses_are_off(server):
    dest = io.BytesIO()

    with pytest.raises(InvalidInput, match=r"127.0.0.1 is a loopback address"):
        download(f"{server.base}/bundle", dest, policy=AddressPolicy(allow_private=False))

    assert server.requests == []
    assert dest.getvalue() == b""


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("[::1]", "::1"),
        ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1"),
        ("2130706433", "127.0.0.1"),  # 127.0.0.1 as one decimal number
        ("0x7f.1", "127.0.0.1"),  # inet_aton's hex and short forms
        ("127.1", "127.0.0.1"),
        ("[fe80::1]", "fe80::1"),
        ("[::]", "::"),
        ("0", "0.0.0.0"),
    ],
)
def test_disguised_loopback_forms_are_refused(server, host, address):
    port = server.server_address[1]

    with pytest.raises(
        InvalidInput, match=r"is a (loopback|link-local|unspecified) address"
    ) as excinfo:
        download(f"http://{host}:{port}/bundle", io.BytesIO(), policy=AddressPolicy())

    assert address in str(excinfo.value)
    assert server.requests == []


def test_download_policy_defaults_to_the_settings(server, settings):
    settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES = False
    settings.OUTBOUND_ALLOWED_ADDRESSES = []
    with pytest.raises(InvalidInput, match="OUTBOUND_ALLOW_PRIVATE_ADDRESSES"):
        download(f"{server.base}/bundle", io.BytesIO())
    assert server.requests == []

    settings.OUTBOUND_ALLOWED_ADDRESSES = ["127.0.0.1"]
    assert download(f"{server.base}/bundle", io.BytesIO()).size == len(BODY)


def test_download_follows_a_redirect_chain(server):
    dest = io.BytesIO()

    result = download(f"{server.base}/redirect/5", dest, policy=LOOPBACK_OK)

    assert dest.getvalue() == BODY
    assert result.url == f"{server.base}/bundle"
    assert [path for path, _ in server.requests] == [
        "/redirect/5",
        "/redirect/4",
        "/redirect/3",
        "/redirect/2",
        "/redirect/1",
        "/bundle",
    ]


def test_download_stops_after_five_redirects(server):
    with pytest.raises(UpstreamError, match="redirected more than 5 times"):
        download(f"{server.base}/redirect/6", io.BytesIO(), policy=LOOPBACK_OK)
    assert "/bundle" not in [path for path, _ in server.requests]


def test_download_stops_a_redirect_loop(server):
    with pytest.raises(UpstreamError, match="redirected more than"):
        download(f"{server.base}/loop", io.BytesIO(), policy=LOOPBACK_OK)
    assert len(server.requests) == 6


def test_redirect_to_a_refused_address_is_refused_before_connecting(server, other_server):
    target = f"{other_server.base}/bundle"
    dest = io.BytesIO()

    with pytest.raises(InvalidInput, match=r"127.0.0.2 is a loopback address"):
        download(f"{server.base}/redirect-to?url={target}", dest, policy=LOOPBACK_OK)

    assert other_server.requests == []
    assert dest.getvalue() == b""


def test_redirect_to_another_scheme_is_refused(server):
    with pytest.raises(InvalidInput, match="only http and https"):
        download(
            f"{server.base}/redirect-to?url=file:///etc/passwd", io.BytesIO(), policy=LOOPBACK_OK
        )


def test_allowed_second_server_is_reached_through_a_redirect(server, other_server):
    policy = AddressPolicy(allow_private=False, allowed=["127.0.0.1", "127.0.0.2"])

    result = download(
        f"{server.base}/redirect-to?status=307&url={other_server.base}/bundle",
        io.BytesIO(),
        policy=policy,
    )

    assert result.url == f"{other_server.base}/bundle"
    assert [path for path, _ in other_server.requests] == ["/bundle"]


def test_https_is_required_when_asked(server):
    with pytest.raises(InvalidInput, match="https URL is required") as excinfo:
        download(f"{server.base}/bundle", io.BytesIO(), policy=LOOPBACK_OK, require_https=True)
    assert excinfo.value.code == "https_required"
    assert server.requests == []


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "file:///etc/passwd", "not a url", "http://", "http://user:pw@host/x"],
)
def test_bad_urls_are_invalid_input(url):
    with pytest.raises(InvalidInput):
        download(url, io.BytesIO(), policy=LOOPBACK_OK)


@pytest.mark.parametrize("status", [404, 500, 503])
def test_http_error_status_is_an_upstream_error_with_the_status(server, status):
    dest = io.BytesIO()

    with pytest.raises(UpstreamHTTPError, match=f"HTTP {status}") as excinfo:
        download(f"{server.base}/error?status={status}", dest, policy=LOOPBACK_OK)

    assert excinfo.value.status_code == status
    assert dest.getvalue() == b""


def test_unknown_path_is_404(server):
    with pytest.raises(UpstreamHTTPError) as excinfo:
        download(f"{server.base}/nothing-here", io.BytesIO(), policy=LOOPBACK_OK)
    assert excinfo.value.status_code == 404


def test_too_large_by_content_length_is_refused_before_reading(server):
    dest = io.BytesIO(b"keep")
    dest.seek(4)

    with pytest.raises(UpstreamTooLarge, match="more than the limit of 1000"):
        download(f"{server.base}/big?size=5000", dest, policy=LOOPBACK_OK, max_bytes=1000)

    assert dest.getvalue() == b"keep"


def test_too_large_without_content_length_is_cut_off_while_streaming(server):
    dest = io.BytesIO(b"keep")
    dest.seek(4)

    with pytest.raises(UpstreamTooLarge, match="sent more than the limit of 1000 bytes"):
        download(f"{server.base}/no-length?size=500000", dest, policy=LOOPBACK_OK, max_bytes=1000)

    # Nothing of the refused body is left in the destination.
    assert dest.getvalue() == b"keep"


def test_body_without_content_length_within_the_limit_is_accepted(server):
    dest = io.BytesIO()

    result = download(
        f"{server.base}/no-length?size=1000", dest, policy=LOOPBACK_OK, max_bytes=1000
    )

    assert result.size == 1000
    assert dest.getvalue() == b"x" * 1000


def test_max_bytes_defaults_to_the_setting(server, settings):
    settings.OUTBOUND_MAX_DOWNLOAD_BYTES = 100
    with pytest.raises(UpstreamTooLarge):
        download(f"{server.base}/bundle", io.BytesIO(), policy=LOOPBACK_OK)


def test_server_that_never_answers_times_out(server):
    with pytest.raises(UpstreamTimeout, match=r"within 0.5 seconds"):
        download(f"{server.base}/stall", io.BytesIO(), policy=LOOPBACK_OK, timeout=0.5)


def test_total_timeout_stops_a_server_that_trickles_bytes(server):
    dest = io.BytesIO()

    # Each read completes quickly; only a deadline over the whole transfer stops it.
    with pytest.raises(UpstreamTimeout):
        download(f"{server.base}/trickle", dest, policy=LOOPBACK_OK, timeout=0.6)

    assert dest.getvalue() == b""


def test_closed_port_is_unreachable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(UpstreamUnreachable, match="cannot reach"):
        download(f"http://127.0.0.1:{port}/x", io.BytesIO(), policy=LOOPBACK_OK, timeout=5)


def test_connection_goes_to_the_checked_address_with_the_original_host_header(server, monkeypatch):
    """The name is resolved once, by the policy, and the socket connects to that answer."""
    port = server.server_address[1]
    real_getaddrinfo = socket.getaddrinfo
    lookups = []

    def resolver(host, *args, **kwargs):
        lookups.append(host)
        if host == "portal-test.example":
            return real_getaddrinfo("127.0.0.1", *args, **kwargs)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(http.socket, "getaddrinfo", resolver)
    dest = io.BytesIO()

    download(f"http://portal-test.example:{port}/host", dest, policy=LOOPBACK_OK)

    assert dest.getvalue() == f"portal-test.example:{port}".encode()
    # One name lookup; the socket then connects to the literal address that was checked.
    assert [name for name in lookups if not name[0].isdigit()] == ["portal-test.example"]


def test_host_resolving_to_a_private_address_is_refused(monkeypatch):
    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(
        http.socket,
        "getaddrinfo",
        lambda host, *a, **kw: real_getaddrinfo("10.0.0.7", *a, **kw),
    )

    with pytest.raises(InvalidInput, match=r"refusing to connect to evil.example: 10.0.0.7"):
        download("http://evil.example/bundle", io.BytesIO(), policy=AddressPolicy())


# --- get_json --------------------------------------------------------------------------------


def test_get_json_decodes_the_body_and_sends_params(server):
    data = get_json(f"{server.base}/json", params={"filter": "jira", "page": 2}, policy=LOOPBACK_OK)

    assert data == {"query": {"filter": "jira", "page": "2"}, "ok": True}
    assert server.requests[-1][1]["Accept"] == "application/json"


def test_get_json_follows_redirects_and_keeps_the_policy(server, other_server):
    with pytest.raises(InvalidInput, match=r"127.0.0.2"):
        get_json(f"{server.base}/redirect-to?url={other_server.base}/json", policy=LOOPBACK_OK)
    assert other_server.requests == []


def test_get_json_of_a_non_json_body_is_an_upstream_error(server):
    with pytest.raises(UpstreamError, match="did not answer with JSON"):
        get_json(f"{server.base}/not-json", policy=LOOPBACK_OK)


def test_get_json_error_status_is_an_upstream_error(server):
    with pytest.raises(UpstreamHTTPError) as excinfo:
        get_json(f"{server.base}/error?status=500", policy=LOOPBACK_OK)
    assert excinfo.value.status_code == 500


def test_get_json_refuses_loopback_by_policy(server):
    with pytest.raises(InvalidInput, match="loopback"):
        get_json(f"{server.base}/json", policy=AddressPolicy(allow_private=False))
    assert server.requests == []


def test_get_json_times_out(server):
    with pytest.raises(UpstreamTimeout):
        get_json(f"{server.base}/stall", policy=LOOPBACK_OK, timeout=0.5)


# --- post_json -------------------------------------------------------------------------------


def test_post_json_sends_the_payload_and_decodes_the_answer(server):
    answer = post_json(f"{server.base}/echo", {"text": "hello", "n": 1}, policy=LOOPBACK_OK)

    assert answer == {"got": {"text": "hello", "n": 1}}
    assert server.requests[-1][1]["Content-Type"] == "application/json"


def test_post_json_to_a_plain_text_webhook_returns_none(server):
    assert post_json(f"{server.base}/webhook", {"text": "hi"}, policy=LOOPBACK_OK) is None


def test_post_json_error_keeps_the_start_of_the_error_body(server):
    with pytest.raises(UpstreamHTTPError) as excinfo:
        post_json(f"{server.base}/other", {"x": 1}, policy=LOOPBACK_OK)

    assert excinfo.value.status_code == 400
    assert "bad payload" in excinfo.value.body


def test_post_json_does_not_follow_redirects(server):
    with pytest.raises(UpstreamHTTPError) as excinfo:
        post_json(f"{server.base}/moved", {"x": 1}, policy=LOOPBACK_OK)

    assert excinfo.value.status_code == 307
    assert [path for path, _ in server.requests] == ["/moved"]


def test_post_json_refuses_loopback_by_policy(server):
    with pytest.raises(InvalidInput, match="loopback"):
        post_json(f"{server.base}/echo", {"x": 1}, policy=AddressPolicy(allow_private=False))
    assert server.requests == []


# --- TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory) -> Iterator[Server]:
    """An HTTPS server with a self-signed certificate no CA vouches for."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"),
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    server = Server("127.0.0.1")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.cert_path = folder / "cert.pem"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_tls_certificates_are_verified_even_though_the_socket_targets_an_address(tls_server):
    port = tls_server.server_address[1]
    dest = io.BytesIO()

    with pytest.raises(UpstreamUnreachable, match="CERTIFICATE_VERIFY_FAILED"):
        download(f"https://localhost:{port}/bundle", dest, policy=LOOPBACK_OK, require_https=True)

    assert dest.getvalue() == b""


def test_https_download_with_a_trusted_internal_ca(tls_server, settings):
    settings.OUTBOUND_CA_BUNDLE = str(tls_server.cert_path)
    tls_server.requests.clear()
    port = tls_server.server_address[1]
    dest = io.BytesIO()

    result = download(
        f"https://localhost:{port}/bundle", dest, policy=LOOPBACK_OK, require_https=True
    )

    assert dest.getvalue() == BODY
    assert result.url == f"https://localhost:{port}/bundle"
    assert tls_server.requests[-1][1]["Host"] == f"localhost:{port}"


def test_certificate_is_checked_against_the_url_name_not_the_connected_address(
    tls_server, settings, monkeypatch
):
    """The socket goes to 127.0.0.1 (in the certificate), but the URL names another host."""
    settings.OUTBOUND_CA_BUNDLE = str(tls_server.cert_path)
    port = tls_server.server_address[1]
    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(
        http.socket,
        "getaddrinfo",
        lambda host, *a, **kw: real_getaddrinfo(
            "127.0.0.1" if host == "other-name.example" else host, *a, **kw
        ),
    )

    with pytest.raises(UpstreamUnreachable, match="CERTIFICATE_VERIFY_FAILED"):
        download(f"https://other-name.example:{port}/bundle", io.BytesIO(), policy=LOOPBACK_OK)


def test_https_redirect_to_plain_http_is_refused_when_https_is_required(
    tls_server, server, settings
):
    settings.OUTBOUND_CA_BUNDLE = str(tls_server.cert_path)
    port = tls_server.server_address[1]
    target = f"{server.base}/bundle"

    with pytest.raises(InvalidInput, match="https URL is required"):
        download(
            f"https://localhost:{port}/redirect-to?url={target}",
            io.BytesIO(),
            policy=LOOPBACK_OK,
            require_https=True,
        )

    assert server.requests == []

"""The go-plugin handshake line a server plugin prints on stdout once it listens.

``CORE-PROTOCOL|APP-PROTOCOL|NETWORK|ADDRESS|PROTOCOL|SERVER-CERT[|MUX]``, e.g.
``1|1|unix|/tmp/plugin123|netrpc|``. Checked as Mattermost's go-plugin client checks it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

CORE_PROTOCOL_VERSION = 1
#: Mattermost's plugin API version (``plugin.Handshake.ProtocolVersion``).
APP_PROTOCOL_VERSIONS = (1,)
PROTOCOLS = ("netrpc", "grpc")
NETWORKS = ("unix", "tcp")

#: The go-plugin environment a plugin process gets on top of the server's environment.
MAGIC_COOKIE_KEY = "MATTERMOST_PLUGIN"
MAGIC_COOKIE_VALUE = "Securely message teams, anywhere."
PLUGIN_ENV = {
    MAGIC_COOKIE_KEY: MAGIC_COOKIE_VALUE,
    "PLUGIN_MIN_PORT": "10000",
    "PLUGIN_MAX_PORT": "25000",
    "PLUGIN_PROTOCOL_VERSIONS": ",".join(str(v) for v in APP_PROTOCOL_VERSIONS),
}


class HandshakeError(ValueError):
    """The line is not a handshake this host accepts; the message says why."""


@dataclass(frozen=True)
class Handshake:
    core_version: int
    app_version: int
    network: str
    address: str
    protocol: str


def _is_loopback(address: str) -> bool:
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if not port.isdigit() or not 0 < int(port) < 65536:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_handshake(line: str) -> Handshake:
    text = line.strip()
    parts = text.split("|")
    shown = text if len(text) <= 200 else text[:200] + "..."
    if len(parts) < 4:
        raise HandshakeError(f"unrecognized remote plugin message: {shown!r}")
    try:
        core = int(parts[0])
    except ValueError as exc:
        raise HandshakeError(f"unrecognized remote plugin message: {shown!r}") from exc
    if core != CORE_PROTOCOL_VERSION:
        raise HandshakeError(
            f"incompatible core API version with plugin: plugin version {parts[0]}, "
            f"core version {CORE_PROTOCOL_VERSION}"
        )
    try:
        app = int(parts[1])
    except ValueError as exc:
        raise HandshakeError(f"error parsing protocol version {parts[1]!r}") from exc
    if app not in APP_PROTOCOL_VERSIONS:
        raise HandshakeError(
            f"incompatible API version with plugin: plugin version {app}, "
            f"supported versions {list(APP_PROTOCOL_VERSIONS)}"
        )
    network, address = parts[2], parts[3]
    if network not in NETWORKS or not address:
        raise HandshakeError(f"unsupported plugin address {network!r} {address!r}")
    if network == "tcp" and not _is_loopback(address):
        # The health check connects to this address: a plugin must not point the supervisor at
        # another machine (go-plugin would dial it too; plugins only ever listen locally).
        raise HandshakeError(f"plugin address {address!r} is not on the loopback interface")
    # go-plugin defaults to net/rpc when the field is absent (very old plugins).
    protocol = parts[4] if len(parts) > 4 and parts[4] else "netrpc"
    if protocol not in PROTOCOLS:
        raise HandshakeError(f"unsupported plugin protocol {protocol!r}")
    return Handshake(core, app, network, address, protocol)

"""The go-plugin handshake line, checked as Mattermost's go-plugin client checks it."""

from __future__ import annotations

import pytest

from hostserver.runtime.handshake import PLUGIN_ENV, HandshakeError, parse_handshake


@pytest.mark.parametrize(
    ("line", "network", "address", "protocol"),
    [
        ("1|1|unix|/tmp/plugin123|netrpc|\n", "unix", "/tmp/plugin123", "netrpc"),
        ("1|1|tcp|127.0.0.1:10001|grpc|", "tcp", "127.0.0.1:10001", "grpc"),
        ("1|1|tcp|[::1]:10001|grpc|", "tcp", "[::1]:10001", "grpc"),
        ("1|1|tcp|localhost:10001|netrpc|cert|true", "tcp", "localhost:10001", "netrpc"),
        # Very old plugins print four fields: go-plugin assumes net/rpc.
        ("1|1|unix|/tmp/p", "unix", "/tmp/p", "netrpc"),
    ],
)
def test_valid_handshakes(line: str, network: str, address: str, protocol: str) -> None:
    handshake = parse_handshake(line)

    assert (handshake.network, handshake.address, handshake.protocol) == (
        network,
        address,
        protocol,
    )
    assert handshake.core_version == 1 and handshake.app_version == 1


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("", "unrecognized remote plugin message"),
        ("1|1|unix", "unrecognized remote plugin message"),
        ("hello|1|unix|/tmp/p|netrpc", "unrecognized remote plugin message"),
        ("2|1|unix|/tmp/p|netrpc", "incompatible core API version"),
        ("1|x|unix|/tmp/p|netrpc", "error parsing protocol version"),
        ("1|2|unix|/tmp/p|netrpc", "incompatible API version with plugin: plugin version 2"),
        ("1|1|udp|/tmp/p|netrpc", "unsupported plugin address"),
        ("1|1|unix||netrpc", "unsupported plugin address"),
        ("1|1|unix|/tmp/p|http", "unsupported plugin protocol 'http'"),
        ("1|1|tcp|192.168.1.4:80|grpc", "not on the loopback interface"),
        ("1|1|tcp|example.com:80|grpc", "not on the loopback interface"),
        ("1|1|tcp|127.0.0.1:99999|grpc", "not on the loopback interface"),
        ("x" * 5000, "unrecognized remote plugin message"),
    ],
)
def test_invalid_handshakes_say_why(line: str, reason: str) -> None:
    with pytest.raises(HandshakeError, match=reason) as err:
        parse_handshake(line)

    assert len(str(err.value)) < 400  # a huge line is shortened in the message


def test_plugin_environment_is_go_plugins() -> None:
    assert PLUGIN_ENV == {
        "MATTERMOST_PLUGIN": "Securely message teams, anywhere.",
        "PLUGIN_MIN_PORT": "10000",
        "PLUGIN_MAX_PORT": "25000",
        "PLUGIN_PROTOCOL_VERSIONS": "1",
    }

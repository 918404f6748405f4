"""Nothing is ever fetched from the network: validate and build run with socket creation disabled."""

from __future__ import annotations

import socket

import pytest

from evidence_kit._api import build_binder

from .conftest import EXAMPLE


def test_build_with_sockets_disabled(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError(f"network access attempted: socket{args}")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    result = build_binder(EXAMPLE, tmp_path / "b.pdf")
    assert result.report.record_count > 0
    assert not any("network access attempted" in f.message for f in result.report.findings)


def test_socket_guard_itself_works(monkeypatch):
    monkeypatch.setattr(socket, "socket", lambda *a, **k: (_ for _ in ()).throw(AssertionError("blocked")))
    with pytest.raises(AssertionError, match="blocked"):
        socket.socket()

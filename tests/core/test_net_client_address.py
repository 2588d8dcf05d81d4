"""Client address resolution: X-Forwarded-For is believed only from configured proxies."""

from __future__ import annotations

import pytest

from assistant.core.net import client_address

PROXIES = ["10.0.0.0/8", "192.168.1.5"]


def test_without_header_the_peer_is_the_client():
    assert client_address("203.0.113.9", None, PROXIES) == "203.0.113.9"
    assert client_address("10.0.0.2", "", PROXIES) == "10.0.0.2"


@pytest.mark.parametrize("header", ["1.2.3.4", "1.2.3.4, 5.6.7.8", "garbage", "10.0.0.1"])
def test_header_from_an_untrusted_peer_is_ignored(header):
    assert client_address("203.0.113.9", header, PROXIES) == "203.0.113.9"


def test_header_is_ignored_when_no_proxy_is_configured():
    assert client_address("127.0.0.1", "1.2.3.4", []) == "127.0.0.1"


def test_trusted_proxy_passes_on_the_client_address():
    assert client_address("10.0.0.2", "198.51.100.20", PROXIES) == "198.51.100.20"
    assert client_address("192.168.1.5", "198.51.100.20", PROXIES) == "198.51.100.20"


def test_client_cannot_choose_its_address_by_prepending_hops():
    # The client sent "X-Forwarded-For: 1.1.1.1"; our proxy appended the real address.
    assert client_address("10.0.0.2", "1.1.1.1, 198.51.100.20", PROXIES) == "198.51.100.20"


def test_chain_of_trusted_proxies_is_walked_from_the_right():
    assert client_address("10.0.0.2", "198.51.100.20, 10.1.2.3, 192.168.1.5", PROXIES) == "198.51.100.20"


def test_only_trusted_hops_falls_back_to_the_leftmost():
    assert client_address("10.0.0.2", "10.9.9.9, 10.1.1.1", PROXIES) == "10.9.9.9"


def test_single_address_is_not_a_network_of_its_neighbours():
    assert client_address("192.168.1.6", "1.2.3.4", PROXIES) == "192.168.1.6"


def test_ipv6_proxies_and_clients():
    assert client_address("::1", "2001:db8::7", ["::1"]) == "2001:db8::7"
    assert client_address("2001:db8::1", "1.2.3.4", ["::1"]) == "2001:db8::1"


def test_bad_proxy_entries_and_peer_names_are_ignored():
    assert client_address("10.0.0.2", "1.2.3.4", ["not-an-address", "10.0.0.0/8"]) == "1.2.3.4"
    assert client_address("testclient", "1.2.3.4", PROXIES) == "testclient"

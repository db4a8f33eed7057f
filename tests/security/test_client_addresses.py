"""Who the client is: a forwarding header is believed only from configured proxies, and only as
far as they wrote it; what a client writes into it itself never picks its rate limit."""

from __future__ import annotations

import pytest

from escalon.ratelimits.clients import client_address, limit_subject, parse_networks

PROXIES = parse_networks("198.51.100.7, 10.0.0.0/8, 2001:db8:1::/48")


def test_a_peer_that_is_not_a_trusted_proxy_is_the_client_whatever_it_forwards() -> None:
    assert client_address("203.0.113.9", ["192.0.2.1"], trusted=PROXIES) == "203.0.113.9"


def test_without_trusted_proxies_the_header_is_never_read() -> None:
    assert client_address("198.51.100.7", ["192.0.2.1"], trusted=()) == "198.51.100.7"


def test_behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client() -> None:
    chain = ["192.0.2.1, 203.0.113.5, 10.1.2.3"]  # forged, client, inner proxy
    assert client_address("198.51.100.7", chain, trusted=PROXIES) == "203.0.113.5"


def test_several_forwarding_headers_are_read_as_one_chain_in_order() -> None:
    chain = ["192.0.2.1", "203.0.113.5", "10.1.2.3"]
    assert client_address("198.51.100.7", chain, trusted=PROXIES) == "203.0.113.5"


def test_a_chain_of_trusted_proxies_only_names_the_farthest_one() -> None:
    assert client_address("198.51.100.7", ["10.0.0.1, 10.0.0.2"], trusted=PROXIES) == "10.0.0.1"


def test_a_hop_that_is_not_an_address_ends_the_walk() -> None:
    chain = ["192.0.2.1, unknown, 10.1.2.3"]
    assert client_address("198.51.100.7", chain, trusted=PROXIES) == "unknown"


def test_the_forwarded_header_is_read_by_its_for_parameters() -> None:
    header = ['for=192.0.2.1;proto=https, for="[2001:db8:cafe::17]:4711";by=10.0.0.1']
    found = client_address("198.51.100.7", header, trusted=PROXIES, header="forwarded")
    assert found == "2001:db8:cafe::17"


def test_ports_and_brackets_are_not_part_of_the_address() -> None:
    assert client_address("198.51.100.7", ["203.0.113.5:4711"], trusted=PROXIES) == "203.0.113.5"
    found = client_address("198.51.100.7", ["[2001:db8:2::9]:80"], trusted=PROXIES)
    assert found == "2001:db8:2::9"


def test_an_ipv4_mapped_peer_counts_as_its_ipv4_address() -> None:
    assert client_address("::ffff:198.51.100.7", ["203.0.113.5"], trusted=PROXIES) == "203.0.113.5"
    assert client_address("::ffff:203.0.113.9", [], trusted=PROXIES) == "203.0.113.9"


def test_an_ipv6_client_is_limited_by_its_64_network() -> None:
    assert limit_subject("2001:db8:5:6:aaaa::1") == limit_subject("2001:db8:5:6:bbbb::2")
    assert limit_subject("2001:db8:5:7::1") != limit_subject("2001:db8:5:6::1")
    assert limit_subject("203.0.113.5") == "203.0.113.5"


def test_a_trusted_proxy_setting_that_is_not_an_address_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="not-a-network"):
        parse_networks("10.0.0.1, not-a-network")

"""IP networks named in settings (trusted proxies, who may scrape /metrics) and whether an address is in one."""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

Network = IPv4Network | IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR networks (`10.0.0.0/8`, `::1`); host bits are allowed."""
    return tuple(ip_network(entry, strict=False) for entry in entries)


def checked_networks(entries: list[str], setting: str) -> list[str]:
    """A settings validator's body: `entries` unchanged, or a ValueError naming the setting and the entry."""
    for entry in entries:
        try:
            ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(f"{setting}: {entry!r} is not an IP address or CIDR network") from None
    return entries


def address_within(host: str, networks: Iterable[Network]) -> bool:
    """Whether `host` (an IPv4-mapped IPv6 address counts as its IPv4 address) lies in any of `networks`;
    False for anything that is not an address."""
    try:
        address = ip_address(host)
    except ValueError:
        return False
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)

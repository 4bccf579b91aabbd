"""The SSRF guard of CALL_WEBHOOK: which URLs an activity may call, decided on the addresses the host
resolves to (not on its name), so the connection can be pinned to an address that was checked.

Without pinning, a name could resolve to a public address for the check and to 127.0.0.1 for the
connection (DNS rebinding). So `check_url` returns the checked addresses and the caller connects to one
of them, sending the original name as Host header and TLS server name."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

import httpx

from activities.deps import Resolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SUBJECT = "Workflow webhook URL"
BLOCKED_NAMES = frozenset({"localhost", "metadata", "metadata.google.internal"})
BLOCKED_SUFFIXES = (".localhost", ".internal", ".local")
# Cloud metadata services. Most are link-local or private anyway; listed so the error says what they are,
# and for the ones that are not (Azure's wire server is a public-range address).
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "168.63.129.16",
))
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeUrl(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class ResolutionFailed(Exception):
    """The host did not resolve: possibly transient, so the caller may retry."""


@dataclass(frozen=True)
class SafeTarget:
    url: httpx.URL
    # The name as sent on the wire (IDNA-encoded, IPv6 without brackets).
    hostname: str
    addresses: tuple[str, ...]
    is_ip_literal: bool

    @property
    def host_header(self) -> str:
        host = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        return f"{host}:{self.url.port}" if self.url.port is not None else host

    def pinned(self, address: str) -> httpx.URL:
        """The URL with its host replaced by one checked address (scope ids dropped: they do not go in URLs)."""
        return self.url.copy_with(host=address.split("%", 1)[0])


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """IPv4 destinations hidden in IPv6 forms (mapped, NAT64, 6to4, Teredo) reach the IPv4 host."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def address_problem(ip: IPAddress) -> str | None:
    """Why this address may not be called (a word for the error message), or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
        inner = _embedded_ipv4(ip)
        if inner is not None:
            problem = address_problem(inner)
            if problem is not None:
                return problem
            if ip.ipv4_mapped is not None:
                return None
    if ip in METADATA_ADDRESSES:
        return "metadata"
    for problem, flagged in (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if flagged:
            return problem
    # What is neither private nor global (carrier-grade NAT 100.64/10, 6to4 relays, ...) is not public.
    return None if ip.is_global else "non-public"


def _blocked_name(host: str) -> bool:
    return host in BLOCKED_NAMES or host.endswith(BLOCKED_SUFFIXES)


def parse_url(raw: str) -> httpx.URL:
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise UnsafeUrl("invalid_url", f"{SUBJECT} is not a valid URL") from None
    if url.scheme not in ("http", "https"):
        scheme = f"{url.scheme}:" if url.scheme else "(none)"
        raise UnsafeUrl("protocol_not_allowed", f"{SUBJECT} must use http or https, got {scheme}")
    if url.userinfo:
        raise UnsafeUrl("credentials_not_allowed", f"{SUBJECT} must not contain credentials")
    if not url.raw_host:
        raise UnsafeUrl("invalid_url", f"{SUBJECT} must include a host")
    return url


async def check_url(raw: str, *, allow_private: bool, resolve: Resolver) -> SafeTarget:
    """The URL as a target the caller may connect to, or `UnsafeUrl` / `ResolutionFailed`."""
    url = parse_url(raw)
    hostname = url.raw_host.decode("ascii").lower().rstrip(".")
    try:
        literal: IPAddress | None = ipaddress.ip_address(hostname)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        if not allow_private and _blocked_name(hostname):
            raise UnsafeUrl("blocked_hostname", f"{SUBJECT} host {hostname} is not allowed")
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            addresses = await resolve(hostname, port)
        except (socket.gaierror, UnicodeError, OSError) as exc:
            raise ResolutionFailed(f"{SUBJECT} host {hostname} could not be resolved: {exc}") from None
        if not addresses:
            raise ResolutionFailed(f"{SUBJECT} host {hostname} could not be resolved")
    if not allow_private:
        # Every answer is checked: a name with one public and one private address is refused, since
        # nothing says which one a retry would get.
        for address in addresses:
            try:
                problem = address_problem(ipaddress.ip_address(address.split("%", 1)[0]))
            except ValueError:
                problem = "unparseable"
            if problem is None:
                continue
            if literal is not None:
                raise UnsafeUrl("private_ip", f"{SUBJECT} host {hostname} is a {problem} address")
            raise UnsafeUrl("private_resolved_ip",
                            f"{SUBJECT} host {hostname} resolves to a {problem} address ({address})")
    return SafeTarget(url=url, hostname=hostname, addresses=tuple(addresses), is_ip_literal=literal is not None)

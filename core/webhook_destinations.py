"""Where webhook deliveries may go. A partner or a marketplace gives a URL; farmgate must not be
turned into a tool for reaching what sits behind it (server-side request forgery):

- https:// only, except plain http to loopback outside production (a developer's own receiver);
- never to loopback (outside development), private (RFC 1918, RFC 4193 ULA), link-local (RFC 3927,
  RFC 4291 — which holds the cloud metadata address 169.254.169.254), shared CGNAT (RFC 6598),
  unspecified, multicast, reserved or documentation addresses, nor IPv6 forms of them (mapped, 6to4,
  NAT64 of a refused IPv4 address): only globally routable addresses (Python's ``is_global``).

The check runs at registration (the URL as given, and what its name resolves to now) and again
at send time after resolving the name, and the connection then goes to the very address that was
checked, so a name that re-resolves to an internal address between check and connect (DNS
rebinding) gains nothing. Why a destination was refused is never echoed in the delivery log.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from farmgate.core.domain.errors import InvalidInput

#: what a name is resolved with: (host, port) -> addresses (text); raises OSError when it cannot
Resolver = Callable[[str, int], Sequence[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


class RefusedDestination(Exception):
    """The URL's host is, or resolves to, an address deliveries may not go to."""


class UnresolvableDestination(Exception):
    """The URL's host name does not resolve (now)."""


def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's resolver (getaddrinfo), every address of the name."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


class FileResolver:
    """Tests only (FARMGATE_TEST_RESOLVER_FILE): answers from a JSON file {host: [addresses]}, read
    on every look-up, so a test controls — and can change — what a name resolves to, and no DNS
    query ever leaves the machine."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __call__(self, host: str, port: int) -> list[str]:
        try:
            table = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            table = {}
        if host not in table:
            raise OSError(f"{host} is not in the test resolver's table")
        return list(table[host])


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in ipaddress.ip_network("64:ff9b::/96"):  # NAT64 (RFC 6052)
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_loopback(address: IPAddress) -> bool:
    embedded = _embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
    return address.is_loopback or (embedded is not None and embedded.is_loopback)


def is_public(address: IPAddress) -> bool:
    """Globally routable, and so is any IPv4 address it carries."""
    embedded = _embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
    return address.is_global and not address.is_multicast and (embedded is None or is_public(embedded))


@dataclass(frozen=True)
class DestinationPolicy:
    """``allow_loopback``: development and tests may deliver to a receiver on this machine."""

    resolver: Resolver = system_resolver
    allow_loopback: bool = False

    def allowed(self, address: IPAddress) -> bool:
        return is_public(address) or (self.allow_loopback and is_loopback(address))

    def check_registration(self, url: str, field: list[str]) -> None:
        """Refuse (InvalidInput on ``field``) a URL whose scheme or host may not receive deliveries:
        its literal address, or what its name resolves to now. A name that does not resolve yet is
        accepted: it is checked again on every send."""
        try:
            host, port, scheme = _parts(url)
        except RefusedDestination:
            raise InvalidInput("url must be an http(s) URL with a host name or address and a port from 1 to"
                               " 65535", field) from None
        loopback_name = host.lower() in LOOPBACK_NAMES
        literal = _literal(host)
        if scheme == "http" and not (self.allow_loopback and (loopback_name or (literal and is_loopback(literal)))):
            raise InvalidInput("url must be https://" + (" (plain http only to this machine, in development)"
                                                        if self.allow_loopback else ""), field)
        try:
            self.addresses(url)
        except RefusedDestination:
            raise InvalidInput("url must point to a public internet address", field) from None
        except UnresolvableDestination:
            pass

    def addresses(self, url: str) -> list[IPAddress]:
        """The addresses to connect to for ``url``, every one of them allowed; raises
        RefusedDestination if any is not (a name with one internal address is refused whole),
        UnresolvableDestination if the name does not resolve."""
        host, port, _ = _parts(url)
        literal = _literal(host)
        if literal is not None:
            found = [literal]
        elif host.lower() in LOOPBACK_NAMES:
            found = [ipaddress.ip_address("127.0.0.1")]
        else:
            try:
                found = [ipaddress.ip_address(text.split("%", 1)[0]) for text in self.resolver(host, port)]
            except (OSError, UnicodeError, ValueError):
                raise UnresolvableDestination(host) from None
            if not found:
                raise UnresolvableDestination(host)
        if not all(self.allowed(address) for address in found):
            raise RefusedDestination(host)
        return found


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        # inet_aton's forms (0x7f.1, 2130706433, 127.1) are what curl and the OS accept as addresses
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


#: a host name's characters once IDNA-encoded: letters, digits, hyphens, underscores and dots
_HOST = re.compile(r"[A-Za-z0-9_.-]+")


def _parts(url: str) -> tuple[str, int, str]:
    """(host, port, scheme) of an http(s) URL; RefusedDestination when it is not one. A fully
    qualified name's trailing dot is dropped ("localhost." is localhost, "127.0.0.1." is 127.0.0.1),
    so neither the literal-address nor the loopback-name check can be stepped around with it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedDestination("not an http(s) URL")
    try:
        port = parts.port
    except ValueError:
        raise RefusedDestination("bad port") from None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    elif not 1 <= port <= 65535:
        raise RefusedDestination("bad port")
    host = parts.hostname[:-1] if parts.hostname.endswith(".") else parts.hostname
    try:
        encoded = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise RefusedDestination("bad host") from None
    if _literal(host) is None and (not host or host.startswith(".") or host.endswith(".") or ".." in host
                                   or not _HOST.fullmatch(encoded)):
        raise RefusedDestination("bad host")
    return host, port, parts.scheme

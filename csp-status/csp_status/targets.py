"""Where csp-status may send requests: not to private, loopback or link-local addresses unless
an admin allows it (CSP_ALLOW_PRIVATE_TARGETS=1). Checked on the resolved addresses, and again
on every redirect hop, so neither DNS nor a redirect can smuggle a request inside. Checks go
further: their HTTP client resolves names through a resolver that applies the rule to the very
addresses it connects to, tcp checks connect to the address they checked, and provider fetches
connect to the address ``pinned`` checked (no DNS rebinding between the check and the
connection)."""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlparse, urlunparse

from polystatus.errors import Invalid


def is_private(address: str) -> bool:
    """Anything not on the public internet: private, loopback, link-local, shared address space
    (100.64.0.0/10, where some clouds put their metadata service), reserved, multicast, and the
    same behind an IPv4-mapped IPv6 address."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def refuse_private(address: str, allow_private, host: str | None = None) -> None:
    """Raise Invalid when ``address`` is private and not allowed (True, False or CIDR ranges)."""
    if allow_private is True or not is_private(address):
        return
    if any(ipaddress.ip_address(address) in ipaddress.ip_network(net, strict=False) for net in (allow_private or [])):
        return
    shown = host or address
    raise Invalid(f"{shown} resolves to a private or loopback address ({address}); "
                  "set CSP_ALLOW_PRIVATE_TARGETS=1 to allow it.", code="private_target",
                  details={"url": ["Private or loopback target."]})


def host_url(host: str, port: int) -> str:
    """An http URL for a bare host, IPv6 literals in brackets."""
    return f"http://[{host}]:{port}/" if ":" in host and not host.startswith("[") else f"http://{host}:{port}/"


def split_host_port(address: str, default_port: int) -> tuple[str, int]:
    """"1.1.1.1", "1.1.1.1:53", "[2606:4700::1111]:53", "2606:4700::1111", "dns.example:5353"."""
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else default_port
    if address.count(":") == 1:
        host, _, port = address.partition(":")
        if port.isdigit():
            return host, int(port)
    return address, default_port


def check_url(url: str, allow_private, *, resolve: bool = True) -> None:
    """``allow_private``: True (anything goes), False (public only), or a list of CIDR ranges an
    admin allows in addition to public addresses (e.g. ["10.1.0.0/16"])."""
    try:
        parsed = urlparse(url)
        parsed.port  # noqa: B018 (a port out of range raises here, not in a later caller)
    except ValueError:  # an unclosed "[", a bad port: a 500 otherwise
        raise Invalid("The URL must be http(s)://host/...", details={"url": ["Not a valid URL."]}) from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise Invalid("The URL must be http(s)://host/...", details={"url": ["Not an http(s) URL."]})
    if allow_private is True:
        return
    host = parsed.hostname
    try:
        addresses = [host] if _is_ip(host) else (
            [info[4][0] for info in socket.getaddrinfo(host, parsed.port or 443, proto=socket.IPPROTO_TCP)]
            if resolve else [])
    except socket.gaierror:
        # Unresolvable now: the request resolves it again, through the guarded resolver of
        # checks.engine, which applies this same rule to the address it connects to.
        return
    for address in addresses:
        refuse_private(address, allow_private, host)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


@dataclass(frozen=True)
class Pinned:
    """Where to send a request for ``url``: the address that was checked, with the name kept
    for the Host header and for TLS (SNI and the certificate's name)."""
    url: str
    headers: dict = field(default_factory=dict)
    extensions: dict = field(default_factory=dict)


def pinned(url: str, allow_private) -> list[Pinned]:
    """Resolve ``url``'s host once, apply the rule to every address, and answer one request per
    address, in the resolver's order (the caller tries the next when one does not connect, as a
    client connecting by name would: an IPv6 address first on a host without IPv6, say). An
    unresolvable name is refused here: there is nothing to check, and letting the client resolve
    it later is the rebinding hole."""
    check_url(url, allow_private, resolve=False)
    parsed = urlparse(url)
    host = parsed.hostname
    if allow_private is True or _is_ip(host):
        return [Pinned(url)]
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise Invalid(f"{host} does not resolve ({exc.strerror}).", code="unresolvable",
                      details={"url": ["The name does not resolve."]}) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        refuse_private(address, allow_private, host)
    userinfo, _, hostport = parsed.netloc.rpartition("@")
    headers = {"Host": hostport}
    extensions = {"sni_hostname": host} if parsed.scheme == "https" else {}
    return [Pinned(urlunparse(parsed._replace(netloc=_netloc(userinfo, address, parsed.port))), headers, extensions)
            for address in addresses]


def _netloc(userinfo: str, address: str, port: int | None) -> str:
    netloc = f"[{address}]" if ":" in address else address
    netloc = f"{netloc}:{port}" if port else netloc
    return f"{userinfo}@{netloc}" if userinfo else netloc

"""Where csp-status may send requests: not to private, loopback or link-local addresses unless
an admin allows it (CSP_ALLOW_PRIVATE_TARGETS=1). Checked on the resolved addresses, and again
on every redirect hop, so neither DNS nor a redirect can smuggle a request inside."""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlparse

from polystatus.errors import Invalid


def is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified)


def check_url(url: str, allow_private, *, resolve: bool = True) -> None:
    """``allow_private``: True (anything goes), False (public only), or a list of CIDR ranges an
    admin allows in addition to public addresses (e.g. ["10.1.0.0/16"])."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise Invalid("The URL must be http(s)://host/...", details={"url": ["Not an http(s) URL."]})
    if allow_private is True:
        return
    allowed = [ipaddress.ip_network(net, strict=False) for net in (allow_private or [])]
    host = parsed.hostname
    try:
        addresses = [host] if _is_ip(host) else (
            [info[4][0] for info in socket.getaddrinfo(host, parsed.port or 443, proto=socket.IPPROTO_TCP)]
            if resolve else [])
    except socket.gaierror:
        return  # unresolvable now: the fetch will fail, and be checked again then
    for address in addresses:
        if is_private(address) and not any(ipaddress.ip_address(address) in net for net in allowed):
            raise Invalid(f"{host} resolves to a private or loopback address ({address}); "
                          "set CSP_ALLOW_PRIVATE_TARGETS=1 to allow it.", code="private_target",
                          details={"url": ["Private or loopback target."]})


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False

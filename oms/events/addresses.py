"""Which webhook targets OMS may call: HTTPS to public addresses, unless a setting allows more.

A subscriber must not be able to make OMS call its own network: loopback, private, link-local,
multicast, reserved or cloud-metadata addresses are refused, by name and by every address the name
resolves to. The name is resolved when the subscription is written and again before each delivery
(a name may resolve elsewhere later: DNS rebinding); the delivery then connects to the address it
checked. `OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS` (off by default) allows plain HTTP and every address,
for local development and tests.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

# Names of cloud metadata services, refused whatever they resolve to.
METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.internal",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
        "metadata.platformequinix.com",
    }
)
# Metadata addresses outside the ranges refused anyway (AWS IMDS over IPv6, Alibaba, Oracle ...).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)


class TargetRefused(Exception):
    """A webhook target OMS will not call; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def private_targets_allowed() -> bool:
    return bool(getattr(settings, "OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS", False))


def address_refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Why OMS does not call this address ("" when it may)."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return address_refusal(mapped)
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for label, flag in (
        ("a loopback address", address.is_loopback),
        ("a link-local address", address.is_link_local),
        ("a multicast address", address.is_multicast),
        ("an unspecified address", address.is_unspecified),
        ("a reserved address", address.is_reserved),
        ("a private address", address.is_private),
        ("not a public address", not address.is_global),
    ):
        if flag:
            return label
    return ""


def _resolve(host: str, port: int) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(
            f"The host '{host}' could not be resolved ({exc}). Use a name that resolves."
        ) from None
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise TargetRefused(f"The host '{host}' resolves to no address.")
    return addresses


def target_check(url: str) -> Target:
    """Parse, resolve and check a target URL; raise TargetRefused naming the reason."""
    allowed = private_targets_allowed()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"'{url}' is not a valid URL ({exc}).") from None
    scheme = (parts.scheme or "").lower()
    if scheme not in ("https", "http"):
        raise TargetRefused("The target must be an https:// URL.")
    if scheme == "http" and not allowed:
        raise TargetRefused(
            "The target must use HTTPS: plain http:// is refused (events are signed, not secret-proof)."
        )
    if parts.username or parts.password:
        raise TargetRefused("Put credentials in additional_headers, not in the URL.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise TargetRefused("The target URL has no host.")
    port = port or (443 if scheme == "https" else 80)
    if host in METADATA_HOSTS and not allowed:
        raise TargetRefused(f"'{host}' is a cloud metadata service; OMS does not call it.")
    addresses = _resolve(host, port)
    if not allowed:
        for address in addresses:
            reason = address_refusal(ipaddress.ip_address(address.split("%")[0]))
            if reason:
                raise TargetRefused(
                    f"'{host}' resolves to {address}, {reason}: OMS only calls public addresses. "
                    "Use a publicly reachable HTTPS endpoint."
                )
    return Target(scheme=scheme, host=host, port=port, addresses=addresses)

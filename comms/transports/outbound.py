"""Where Kalm may connect: public internet addresses, and the internal hosts the operator names.

Every outbound HTTP call (stakeholder and subscriber webhooks, Teams, Slack, the SMS API) goes
through ``comms.transports.http``, whose network backend asks ``connect_addresses`` where to
connect: it resolves the host here, once, checks every address and connects to a checked one,
so a DNS answer that changes after a check (rebinding) cannot reach an internal host. The forms
and the CSV import ask ``url_refusal`` when an address is entered, for a field error.

Refused: loopback, private, link-local, shared (CGNAT), multicast, unspecified, reserved and
documentation ranges; IPv6 forms that carry an IPv4 address (IPv4-mapped and -compatible, 6to4,
Teredo, local-use NAT64) and the well-known NAT64 prefix unless the IPv4 address inside it is
public; numeric host spellings other than a plain dotted quad (``0x7f000001``, ``2130706433``,
``0177.0.0.1``, ``127.1``), which resolvers read as IPv4 addresses.

``settings.KALM_OUTBOUND_ALLOW`` (host names, IP addresses, CIDR networks) lets named internal
hosts through. It applies to what staff enter and the operator configures; the public's own
addresses (status page webhook subscriptions) use it only with
``KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE`` (tests, development).
"""

import functools
import ipaddress
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_V4_REFUSED: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "this network"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "shared address space (CGNAT)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
)
_V6_REFUSED: tuple[tuple[str, str], ...] = (
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::ffff:0:0/96", "IPv4-mapped"),
    ("::/96", "IPv4-compatible"),
    ("64:ff9b:1::/48", "local-use NAT64"),
    ("100::/64", "discard-only"),
    ("2001::/32", "Teredo"),
    ("2001:db8::/32", "documentation"),
    ("2002::/16", "6to4"),
    ("3fff::/20", "documentation"),
    ("fc00::/7", "unique local (private)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
)
_REFUSED = tuple((ipaddress.ip_network(network), reason) for network, reason in _V4_REFUSED + _V6_REFUSED)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known prefix: DNS64 answers for IPv4-only hosts
_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
DNS_MEMO_SECONDS = 60  # how long an entry check reuses a host's DNS answer (a CSV import asks per row)


class Refused(Exception):
    """The host is not one Kalm may connect to."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        self.host, self.address, self.reason = host, address, reason
        if host == address:
            super().__init__(f"{host} is a non-public address ({reason})")
        else:
            super().__init__(f"{host} resolves to a non-public address ({address}, {reason})")


@dataclass(frozen=True)
class Allowed:
    """Internal destinations the operator allowed: exact host names and IP networks."""

    names: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    def permits_name(self, host: str) -> bool:
        return normalized_host(host) in self.names

    def permits_address(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks if network.version == address.version)

    def with_host(self, host: str) -> "Allowed":
        """These and ``host`` (a name, or an IP address)."""
        if not host:
            return self
        address = ip_literal(host)
        if address is not None:
            return Allowed(self.names, (*self.networks, ipaddress.ip_network(address)))
        return Allowed(self.names | {normalized_host(host)}, self.networks)


NOTHING = Allowed()


def parse_allow(entries: Iterable[str]) -> Allowed:
    """``KALM_OUTBOUND_ALLOW``'s entries: host names, IP addresses, CIDR networks. ValueError names a bad one."""
    names: set[str] = set()
    networks: list[IPNetwork] = []
    for entry in (item.strip() for item in entries):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            continue
        except ValueError:
            pass
        host = normalized_host(entry)
        if "/" in entry or not host or is_numeric_host(host) or not all(
                label and len(label) <= 63 and label.replace("-", "").replace("_", "").isalnum()
                and label.isascii() for label in host.split(".")):
            raise ValueError(f"not a host name, IP address or CIDR network: {entry!r}")
        names.add(host)
    return Allowed(frozenset(names), tuple(networks))


@functools.lru_cache(maxsize=32)
def _parsed(entries: tuple[str, ...]) -> Allowed:
    return parse_allow(entries)


def configured_allow() -> Allowed:
    """``settings.KALM_OUTBOUND_ALLOW``, parsed (cached per value; settings.py checked it at start-up)."""
    return _parsed(tuple(settings.KALM_OUTBOUND_ALLOW))


def allowed_for(*, public: bool) -> Allowed:
    """What a call may reach besides the internet: staff-entered and operator-configured endpoints get
    ``KALM_OUTBOUND_ALLOW``; the public's subscriber webhooks nothing, unless
    ``KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE`` (tests, development) extends the list to them."""
    if public and not settings.KALM_SUBSCRIBER_WEBHOOK_ALLOW_PRIVATE:
        return NOTHING
    return configured_allow()


# --- hosts and addresses ------------------------------------------------------------------------


def normalized_host(host: str) -> str:
    """Lower case, without IPv6 brackets or the trailing dot of an absolute name."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host[:-1] if host.endswith(".") and not host.endswith("..") else host


def is_numeric_host(host: str) -> bool:
    """A host made of numbers only (``0x7f000001``, ``2130706433``, ``0177.0.0.1``, ``127.1``): resolvers
    read these as IPv4 addresses, whatever a dotted quad would say."""
    parts = normalized_host(host).split(".")
    return 1 <= len(parts) <= 4 and all(_is_number(part) for part in parts)


def _is_number(part: str) -> bool:
    if part[:2] in ("0x", "0X"):
        return all(char in "0123456789abcdefABCDEF" for char in part[2:])
    return part.isascii() and part.isdigit()


def ip_literal(host: str) -> IPAddress | None:
    """The IP address a host spells (any IPv6 form, a dotted quad), or None for a name."""
    text = normalized_host(host).split("%", 1)[0]  # a zone ("fe80::1%eth0") is not part of the address
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def refusal_reason(address: IPAddress) -> str | None:
    """Why Kalm must not connect to ``address`` (e.g. "loopback"), or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64:  # the IPv4 address inside decides
            inner = refusal_reason(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
            return f"NAT64 of a {inner} address" if inner else None
        if address not in _GLOBAL_UNICAST:
            return next((reason for network, reason in _REFUSED if address in network), "reserved")
    for network, reason in _REFUSED:
        if address.version == network.version and address in network:
            return reason
    return None if address.is_global else "not global"


def address_refusal(host: str, address: IPAddress, allowed: Allowed) -> Refused | None:
    reason = refusal_reason(address)
    if reason is None or allowed.permits_address(address):
        return None
    return Refused(normalized_host(host), str(address), reason)


# --- at connection time ---------------------------------------------------------------------------


def connect_addresses(host: str, port: int, allowed: Allowed) -> list[str]:
    """The addresses to connect to for ``host``, each checked; raises ``Refused`` or ``socket.gaierror``.

    Connect to these, not to the name: a second lookup could answer differently (rebinding).
    """
    literal = _checked_literal(host, allowed)
    if literal is not None:
        return [str(literal)]
    found = [str(info[4][0]) for info in _lookup(host, port)]
    if allowed.permits_name(host):
        return found  # the operator named this host: wherever it resolves
    for text in found:
        address = ip_literal(text)
        refused = address_refusal(host, address, allowed) if address else Refused(host, text, "unreadable")
        if refused:
            raise refused
    return found


def _checked_literal(host: str, allowed: Allowed) -> IPAddress | None:
    if is_numeric_host(host) and ip_literal(host) is None:
        raise Refused(normalized_host(host), normalized_host(host), "numeric host that is not a dotted quad")
    literal = ip_literal(host)
    if literal is not None and (refused := address_refusal(host, literal, allowed)):
        raise refused
    return literal


def _lookup(host: str, port: int) -> list[tuple]:
    found = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    if not found:
        raise socket.gaierror(f"no address for {host}")
    return found


# --- at entry -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UrlRefusal:
    code: str  # "non-public" | "unresolved"
    address: str = ""
    reason: str = ""


def url_refusal(url: str, allowed: Allowed, *, unresolved_ok: bool) -> UrlRefusal | None:
    """Why an entered URL's host must not be called, or None. The connection-time check still applies.

    ``unresolved_ok``: a name that does not resolve now passes (staff may enter an endpoint before
    it goes live); the public's addresses must resolve.
    """
    host = urlsplit(url).hostname or ""
    if not host:
        return None  # the URL field's own validation reports it
    try:
        literal = _checked_literal(host, allowed)
        if literal is not None or allowed.permits_name(host):
            return None
        if host == "localhost" or host.endswith(".localhost"):  # RFC 6761: loopback, whatever DNS says
            raise Refused(host, "127.0.0.1", "loopback")
        addresses = _memoised_lookup(normalized_host(host), int(time.monotonic() // DNS_MEMO_SECONDS))
        if not addresses:
            return None if unresolved_ok else UrlRefusal("unresolved")
        for address in addresses:
            if refused := address_refusal(host, address, allowed):
                raise refused
    except Refused as refused:
        return UrlRefusal("non-public", refused.address, refused.reason)
    return None


@functools.lru_cache(maxsize=512)
def _memoised_lookup(host: str, _period: int) -> tuple[IPAddress, ...]:
    try:
        found = socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return ()
    return tuple(address for info in found if (address := ip_literal(str(info[4][0]))) is not None)

"""Server-side request forgery (SSRF) protection for the base URLs administrators enter for LLM providers.

A base URL is checked twice:

* when it is saved (:func:`check_base_url`): ``http``/``https`` only, a valid port, no user name or password
  in it, and every address its host resolves to must be public;
* on every request, each redirect hop included (:class:`GuardedTransport`, the transport of the SDK clients
  built by :func:`guarded_client`): the host is resolved again, every address checked, and the connection is
  made to the address that was checked (the original name kept for TLS and the ``Host`` header), so neither a
  redirect inward nor a name whose DNS answer changes after the save reaches an internal address.

Which addresses (:func:`classify`), IPv4-mapped (``::ffff:10.0.0.1``), IPv4-compatible (``::10.0.0.1``),
NAT64 (``64:ff9b::/96``), 6to4 and Teredo forms of IPv6 being judged by the IPv4 address they carry:

* never admitted (``providers.url_forbidden``): the cloud metadata addresses (:data:`METADATA`), link-local
  (``169.254.0.0/16``, ``fe80::/10``), multicast, reserved, unspecified (``0.0.0.0/8``, ``::``) and any
  other non-global address that is not loopback or private;
* admitted only for a provider whose admin ticked "allow a local server" (``allow_local``)
  (``providers.url_private``): loopback (``127.0.0.0/8``, ``::1``), private (``10/8``, ``172.16/12``,
  ``192.168/16``), shared (``100.64/10``) and unique-local (``fc00::/7``);
* public: everything else.

Requests go out directly (``trust_env=False``): a proxy from the environment would resolve the name itself
and defeat the check. The providers configured by environment variables are set by the operator and are not
guarded (see :mod:`assistant.services.llm.providers`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Collection, Sequence
from typing import TypeAlias
from urllib.parse import urlsplit

import httpx2

from assistant.core.errors import InvalidInput
from assistant.services.llm.tls import tls_context

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
#: ``resolver(host, port)`` -> the host's addresses as text (IPv4 or IPv6, no zone). Raises ``OSError`` when
#: the name does not resolve.
Resolver: TypeAlias = Callable[[str, int], Sequence[str]]

#: Cloud metadata services (AWS, GCP, Azure, OpenStack: 169.254.169.254; AWS ECS: 169.254.170.2; AWS IPv6:
#: fd00:ec2::254; Alibaba: 100.100.100.200; Oracle: 192.0.0.192): never reachable, whatever the tick.
METADATA: frozenset[IPAddress] = frozenset(ipaddress.ip_address(text) for text in (
    "169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192"))

_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # connecting to 0.x.x.x reaches this host on Linux
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (``socket.getaddrinfo``, TCP), zone ids dropped.

    Raises:
        OSError: the name does not resolve (``socket.gaierror``).
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    if 1 < int(address) <= 0xFFFF_FFFF:  # IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks)
        return ipaddress.IPv4Address(int(address))
    return None


def classify(address: IPAddress) -> str | None:
    """Why ``address`` is refused, or None when it is public.

    Returns:
        ``providers.url_forbidden`` (never admitted), ``providers.url_private`` (admitted with
        ``allow_local``) or None. IPv6 forms carrying an IPv4 address are judged by that address.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return classify(embedded)
    if (address in METADATA or address.is_link_local or address.is_multicast or address.is_unspecified
            or (address.version == 4 and address in _THIS_NETWORK)):
        return "providers.url_forbidden"
    if address.is_loopback:  # before "reserved": ::1 lies in the reserved ::/8
        return "providers.url_private"
    if address.is_reserved:
        return "providers.url_forbidden"
    if address.is_private or (address.version == 4 and address in _SHARED):
        return "providers.url_private"
    return None if address.is_global else "providers.url_forbidden"


def check_address(text: str, *, allow_local: bool, trusted: Collection[IPNetwork] = ()) -> IPAddress:
    """``text`` as an address when a provider may connect to it.

    Args:
        allow_local: the provider's "allow a local server" tick (admits loopback and private addresses).
        trusted: networks admitted whatever their kind (none in the app; tests stand a loopback server in
            for a public one with it).

    Raises:
        InvalidInput: ``providers.url_forbidden`` or ``providers.url_private`` with ``address``.
    """
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if any(address in network for network in trusted):
        return address
    refusal = classify(address)
    if refusal == "providers.url_forbidden" or (refusal == "providers.url_private" and not allow_local):
        raise InvalidInput(refusal, address=str(address))
    return address


def parse_base_url(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a provider's base URL (host without brackets, the scheme's default port
    when none is given).

    Raises:
        InvalidInput: ``providers.url_invalid`` (not a URL, no host), ``providers.url_scheme`` (not
            http/https), ``providers.url_userinfo`` (a user name or password in it), ``providers.url_port``
            (not 1-65535).
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidInput("providers.url_port" if "port" in str(exc).lower() else "providers.url_invalid") from exc
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("providers.url_scheme")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidInput("providers.url_userinfo")
    if not parts.hostname:
        raise InvalidInput("providers.url_invalid")
    if port == 0:
        raise InvalidInput("providers.url_port")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def resolve_checked(host: str, port: int, *, allow_local: bool, resolver: Resolver = system_resolver,
                    trusted: Collection[IPNetwork] = ()) -> list[IPAddress]:
    """Every address of ``host`` (itself when it is an address), each checked by :func:`check_address`.

    Raises:
        InvalidInput: ``providers.url_unresolvable`` (with ``host``) when the name does not resolve; the
            refusal of the first refused address otherwise.
    """
    if _is_literal(host):
        texts: Sequence[str] = [host]
    else:
        try:
            texts = resolver(host, port)
        except OSError as exc:
            raise InvalidInput("providers.url_unresolvable", host=host) from exc
        if not texts:
            raise InvalidInput("providers.url_unresolvable", host=host)
    return [check_address(text, allow_local=allow_local, trusted=trusted) for text in texts]


def check_base_url(url: str, *, allow_local: bool, resolver: Resolver = system_resolver,
                   trusted: Collection[IPNetwork] = ()) -> str:
    """The trimmed ``url`` when a provider may use it as its base URL (blocking: resolves the host).

    Raises:
        InvalidInput: see :func:`parse_base_url` and :func:`resolve_checked`.
    """
    _, host, port = parse_base_url(url)
    resolve_checked(host, port, allow_local=allow_local, resolver=resolver, trusted=trusted)
    return url.strip()


class AddressRefused(httpx2.ConnectError):
    """A request (or a redirect hop) to an address the provider may not reach; ``refusal`` is the
    :class:`InvalidInput` with the code and address. The SDKs report it as a connection error."""

    def __init__(self, refusal: InvalidInput, request: httpx2.Request) -> None:
        super().__init__(f"{refusal.code} {refusal.params}", request=request)
        self.refusal = refusal


class GuardedTransport(httpx2.AsyncBaseTransport):
    """An HTTP transport that resolves and checks each request's host (:func:`resolve_checked`) and then
    connects to the checked address, keeping the name for TLS (SNI and certificate check) and ``Host``.

    Args:
        allow_local, trusted: see :func:`check_address`.
        resolver: see :data:`Resolver`; called on a worker thread.
    """

    def __init__(self, *, allow_local: bool, resolver: Resolver = system_resolver,
                 trusted: Collection[IPNetwork] = ()) -> None:
        self._allow_local = allow_local
        self._resolver = resolver
        self._trusted = tuple(trusted)
        self._inner = httpx2.AsyncHTTPTransport(verify=tls_context(), trust_env=False)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """Check the request's host, then send it to its checked addresses in turn until one accepts the
        connection (``localhost`` may resolve to ``::1`` first while the server listens on ``127.0.0.1``).

        Raises:
            AddressRefused: the host does not resolve or an address is refused.
        """
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        try:
            addresses = await asyncio.to_thread(resolve_checked, host, port, allow_local=self._allow_local,
                                                resolver=self._resolver, trusted=self._trusted)
        except InvalidInput as refusal:
            raise AddressRefused(refusal, request) from None
        if _is_literal(host):
            return await self._inner.handle_async_request(request)
        if request.url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": host}
        for address in addresses[:-1]:  # the next address when one refuses the connection
            request.url = request.url.copy_with(host=str(address))
            try:
                return await self._inner.handle_async_request(request)
            except httpx2.ConnectError:
                continue
        request.url = request.url.copy_with(host=str(addresses[-1]))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._inner.aclose()


def guarded_client(*, allow_local: bool, timeout: float, resolver: Resolver = system_resolver,
                   trusted: Collection[IPNetwork] = ()) -> httpx2.AsyncClient:
    """An HTTP client for an SDK's ``http_client=`` whose every request and redirect hop goes through a
    :class:`GuardedTransport`; ``timeout`` in seconds. The SDK closes it with its own ``close()``."""
    return httpx2.AsyncClient(transport=GuardedTransport(allow_local=allow_local, resolver=resolver,
                                                         trusted=trusted),
                              timeout=timeout, follow_redirects=True, trust_env=False)


def refusal_of(exc: BaseException) -> InvalidInput | None:
    """The SSRF refusal behind ``exc`` (an SDK's connection error wraps it), or None."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, AddressRefused):
            return seen.refusal
        seen = seen.__cause__ or seen.__context__
    return None

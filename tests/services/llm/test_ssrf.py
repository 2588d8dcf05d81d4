"""SSRF protection of administrators' base URLs: which addresses are refused when a URL is saved, and that the
HTTP client the SDKs get checks every request and redirect hop again (a real loopback server, the real
``openai`` SDK)."""

from __future__ import annotations

import ipaddress

import pytest
from support.llm_server import LoopbackLLMServer, Reply

from assistant.core.errors import InvalidInput, ProviderError
from assistant.models.admin import ProviderKind
from assistant.services.llm import connections
from assistant.services.llm.connections import ProviderConfig
from assistant.services.llm.ssrf import check_base_url, parse_base_url, system_resolver

pytestmark = pytest.mark.anyio


def private_resolver(host: str, port: int) -> list[str]:
    """A DNS answer for a name that points inside the network (what a rebinding attacker's DNS serves)."""
    return ["10.0.0.5"] if host == "models.example.com" else system_resolver(host, port)


def mixed_resolver(host: str, port: int) -> list[str]:
    """A name with one public and one private address: the private one must not slip through."""
    return ["93.184.216.34", "192.168.1.20"]


def refusal(url: str, **kwargs: object) -> str:
    with pytest.raises(InvalidInput) as caught:
        check_base_url(url, **kwargs)  # type: ignore[arg-type]
    return caught.value.code


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://127.0.0.1:11434/v1", "providers.url_private"),
        ("http://localhost:11434/v1", "providers.url_private"),  # the name resolves to loopback (/etc/hosts)
        ("http://[::1]:8000/v1", "providers.url_private"),
        ("http://[::ffff:10.0.0.1]/v1", "providers.url_private"),  # IPv4-mapped IPv6
        ("http://[::ffff:127.0.0.1]/v1", "providers.url_private"),
        ("http://10.1.2.3/v1", "providers.url_private"),
        ("http://192.168.0.10/v1", "providers.url_private"),
        ("http://[fd12::1]/v1", "providers.url_private"),  # unique-local
        ("http://169.254.169.254/latest/meta-data", "providers.url_forbidden"),  # cloud metadata
        ("http://[::ffff:169.254.169.254]/", "providers.url_forbidden"),
        ("http://[fd00:ec2::254]/", "providers.url_forbidden"),  # AWS metadata over IPv6
        ("http://169.254.1.1/", "providers.url_forbidden"),  # link-local
        ("http://[fe80::1]/", "providers.url_forbidden"),
        ("http://0.0.0.0:8080/", "providers.url_forbidden"),
        ("http://224.0.0.1/", "providers.url_forbidden"),
    ],
)
def test_internal_addresses_are_refused(url, code):
    assert refusal(url, allow_local=False) == code


def test_a_name_resolving_to_a_private_address_is_refused():
    assert refusal("https://models.example.com/v1", allow_local=False,
                   resolver=private_resolver) == "providers.url_private"
    assert refusal("https://models.example.com/v1", allow_local=False,
                   resolver=mixed_resolver) == "providers.url_private"


def test_the_tick_admits_loopback_and_private_but_never_metadata_or_link_local():
    assert check_base_url(" http://127.0.0.1:11434/v1 ", allow_local=True) == "http://127.0.0.1:11434/v1"
    assert check_base_url("http://[::1]:8000/v1", allow_local=True)
    assert check_base_url("https://models.example.com/v1", allow_local=True, resolver=private_resolver)
    assert refusal("http://169.254.169.254/", allow_local=True) == "providers.url_forbidden"
    assert refusal("http://[fe80::1]/", allow_local=True) == "providers.url_forbidden"


def test_a_public_address_is_admitted():
    assert check_base_url("https://93.184.216.34/v1", allow_local=False) == "https://93.184.216.34/v1"
    assert check_base_url("https://[2606:4700::1111]/v1", allow_local=False)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://example.com/", "providers.url_scheme"),
        ("file:///etc/passwd", "providers.url_scheme"),
        ("example.com/v1", "providers.url_scheme"),
        ("http://user:pw@example.com/", "providers.url_userinfo"),
        ("http://example.com@127.0.0.1/", "providers.url_userinfo"),
        ("http://example.com:99999/", "providers.url_port"),
        ("http://example.com:0/", "providers.url_port"),
        ("http://example.com:port/", "providers.url_port"),
        ("http:///v1", "providers.url_invalid"),
    ],
)
def test_malformed_urls_are_refused(url, code):
    assert refusal(url, allow_local=True) == code


def test_a_name_that_does_not_resolve_is_refused():
    def nowhere(host: str, port: int) -> list[str]:
        raise OSError("no such name")

    with pytest.raises(InvalidInput) as caught:
        check_base_url("https://nowhere.invalid/v1", allow_local=True, resolver=nowhere)
    assert (caught.value.code, caught.value.params) == ("providers.url_unresolvable", {"host": "nowhere.invalid"})


def test_default_ports():
    assert parse_base_url("https://api.openai.com/v1") == ("https", "api.openai.com", 443)
    assert parse_base_url("http://[::1]/v1") == ("http", "::1", 80)


def config(server: LoopbackLLMServer, *, allow_local: bool, host: str = "127.0.0.1") -> ProviderConfig:
    port = server.url.rsplit(":", 1)[1]
    return ProviderConfig(name="local", kind=ProviderKind.OPENAI_COMPATIBLE.value, base_url=f"http://{host}:{port}/v1",
                          timeout_seconds=5, allow_local=allow_local, guarded=True, api_key="sk-local")


async def test_the_tick_admits_a_loopback_server_at_request_time(llm_server):
    llm_server.models = ["llama3.1", "qwen2.5:7b"]
    assert await connections.test_connection(config(llm_server, allow_local=True)) == ["llama3.1", "qwen2.5:7b"]


async def test_without_the_tick_nothing_is_sent_to_loopback(llm_server):
    with pytest.raises(InvalidInput) as caught:
        await connections.test_connection(config(llm_server, allow_local=False))
    assert (caught.value.code, caught.value.params) == ("providers.url_private", {"address": "127.0.0.1"})
    assert llm_server.requests == []


async def test_a_name_whose_dns_turns_private_after_the_save_is_refused(llm_server):
    """DNS rebinding: the check runs again on each request, with the answer the request would connect to."""
    with pytest.raises(InvalidInput) as caught:
        await connections.test_connection(config(llm_server, allow_local=False, host="models.example.com"),
                              resolver=private_resolver)
    assert caught.value.code == "providers.url_private"
    assert llm_server.requests == []


async def test_a_redirect_inward_is_refused(llm_server):
    """The first server is admitted (standing in for a public one); its 302 to another loopback address is
    refused before anything is sent there."""
    with LoopbackLLMServer() as inner:
        inner_port = inner.url.rsplit(":", 1)[1]
        llm_server.models_reply = Reply(status=302, headers={"Location": f"http://127.0.0.2:{inner_port}/v1/models"})
        with pytest.raises(InvalidInput) as caught:
            await connections.test_connection(config(llm_server, allow_local=False),
                                  trusted=[ipaddress.ip_network("127.0.0.1/32")])
        assert (caught.value.code, caught.value.params) == ("providers.url_private", {"address": "127.0.0.2"})
        assert [request.method for request in llm_server.requests] == ["GET"]
        assert inner.requests == []


async def test_a_redirect_to_the_metadata_service_is_refused_even_with_the_tick(llm_server):
    llm_server.models_reply = Reply(status=307, headers={"Location": "http://169.254.169.254/latest/meta-data"})
    with pytest.raises(InvalidInput) as caught:
        await connections.test_connection(config(llm_server, allow_local=True))
    assert (caught.value.code, caught.value.params) == ("providers.url_forbidden", {"address": "169.254.169.254"})


async def test_a_redirect_to_an_allowed_address_is_followed(llm_server):
    with LoopbackLLMServer() as inner:
        inner.models = ["moved-model"]
        llm_server.models_reply = Reply(status=302, headers={"Location": f"{inner.url}/v1/models"})
        assert await connections.test_connection(config(llm_server, allow_local=True)) == ["moved-model"]


async def test_an_unreachable_server_is_reported(llm_server):
    from support.llm_server import closed_port

    unreachable = ProviderConfig(name="local", kind=ProviderKind.OPENAI_COMPATIBLE.value,
                                 base_url=f"http://127.0.0.1:{closed_port()}/v1", timeout_seconds=5,
                                 allow_local=True, guarded=True)
    with pytest.raises(ProviderError) as caught:
        await connections.test_connection(unreachable)
    assert caught.value.code == "providers.unreachable"


async def test_the_next_checked_address_is_tried_when_one_refuses_the_connection(llm_server):
    """``localhost`` may resolve to ``::1`` first while the server listens on 127.0.0.1 only."""
    def both(host: str, port: int) -> list[str]:
        return ["::1", "127.0.0.1"] if host == "localhost" else system_resolver(host, port)

    assert await connections.test_connection(config(llm_server, allow_local=True, host="localhost"),
                                           resolver=both) == ["test-model"]
    assert llm_server.requests[0].headers["host"] == f"localhost:{llm_server.url.rsplit(':', 1)[1]}"

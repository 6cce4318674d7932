"""Where webhooks may not go, on each real backend: every kind of internal address is refused when
an endpoint is registered (as a literal address, or a name resolving to one) and again when a
delivery is sent (a name that re-resolves to one after registration), and the delivery log says
"refused destination" and nothing more.

No test here sends a packet: names resolve through a table the test controls, and deliveries go
through an HTTP transport that records requests instead of connecting (it must see none when a
destination is refused)."""

from __future__ import annotations

import base64
import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path
from datetime import datetime, timedelta, timezone
from types import ModuleType

import httpx
import pytest

from farmgate.core.domain.errors import InvalidInput
from farmgate.core.webhook_destinations import DestinationPolicy, FileResolver
from farmgate.deploy.container import System
from farmgate.workers.broker import make_broker

SECRET = "whsec_" + base64.b64encode(b"destination-tests-key-32-bytes!!").decode()
#: every kind of address a delivery must never reach, by what it is
REFUSED = {
    "loopback": "127.0.0.1",
    "loopback, elsewhere in 127/8": "127.5.5.5",
    "IPv6 loopback": "::1",
    "IPv4-mapped loopback": "::ffff:127.0.0.1",
    "RFC 1918 10/8": "10.0.0.5",
    "RFC 1918 172.16/12": "172.16.3.4",
    "RFC 1918 192.168/16": "192.168.1.1",
    "IPv6 unique local (ULA)": "fd12:3456::1",
    "link-local": "169.254.10.10",
    "IPv6 link-local": "fe80::1",
    "CGNAT (RFC 6598)": "100.64.0.1",
    "cloud metadata": "169.254.169.254",
    "AWS IPv6 metadata": "fd00:ec2::254",
    "Alibaba metadata (CGNAT)": "100.100.100.200",
    "unspecified": "0.0.0.0",
    "multicast": "224.0.0.1",
    "6to4 of a private address": "2002:a00:5::1",
    "NAT64 of a private address": "64:ff9b::a00:5",
    "documentation": "192.0.2.10",
}
#: a public address: names resolve to it in the table only, and nothing ever connects to it here
PUBLIC = "93.184.215.14"


def url_of(address: str) -> str:
    return f"https://[{address}]/hooks" if ":" in address else f"https://{address}/hooks"


@pytest.fixture
def production_policy(system: System, tmp_path: Path) -> Iterator[tuple[DestinationPolicy, Path]]:
    """The production policy (no loopback), resolving names from a table the test writes."""
    path = tmp_path / "resolver.json"
    policy = DestinationPolicy(resolver=FileResolver(path), allow_loopback=False)
    previous = system.app.webhook_destinations
    system.app.webhook_destinations = policy
    yield policy, path
    system.app.webhook_destinations = previous


def write(path: Path, table: dict[str, list[str]]) -> None:
    path.write_text(json.dumps(table))


@pytest.fixture(scope="module")
def webhooks_module() -> ModuleType:
    make_broker("memory://")
    from farmgate.workers import webhooks

    return webhooks


def test_every_refused_kind_is_refused_at_registration(system: System, production_policy) -> None:
    policy, path = production_policy
    write(path, {**{f"hooks-{n}.partner.example": [address] for n, address in enumerate(REFUSED.values())},
                 "mixed.partner.example": [PUBLIC, "10.1.2.3"], "good.partner.example": [PUBLIC]})
    partner = system.app.register_export_partner(name="Gent Fruit NV", country="BE")
    for n, (kind, address) in enumerate(REFUSED.items()):
        for url in (url_of(address), f"https://hooks-{n}.partner.example/in"):
            with pytest.raises(InvalidInput) as refused:
                system.app.register_webhook_endpoint(partner_id=partner, url=url, secret=SECRET)
            assert refused.value.field == ["input", "url"], (kind, url)
            assert address not in str(refused.value), (kind, url)
    # Other spellings of loopback that resolvers and curl accept.
    for url in ("https://localhost/in", "https://2130706433/in", "https://0x7f000001/in", "https://127.1/in",
                "https://mixed.partner.example/in"):
        with pytest.raises(InvalidInput):
            system.app.register_webhook_endpoint(partner_id=partner, url=url, secret=SECRET)
    # Plain http is refused in production even to a public address.
    with pytest.raises(InvalidInput, match="https"):
        system.app.register_webhook_endpoint(partner_id=partner, url=f"http://{PUBLIC}/in", secret=SECRET)
    assert policy.addresses("https://good.partner.example/in") == [ipaddress.ip_address(PUBLIC)]
    system.app.register_webhook_endpoint(partner_id=partner, url="https://good.partner.example/in", secret=SECRET)
    # A name that does not resolve yet is accepted: every send checks it again.
    system.app.register_webhook_endpoint(partner_id=partner, url="https://not-yet.partner.example/in", secret=SECRET)


def test_a_trailing_dot_a_bad_port_or_a_malformed_host_is_refused_as_input_at_registration(
        system: System, production_policy) -> None:
    # "127.0.0.1." and "localhost." are the same host as without the dot (a fully qualified name), and
    # were accepted; a port out of range was an internal error; a host with a space was accepted.
    policy, path = production_policy
    write(path, {"hooks.partner.example": ["10.0.0.5"], "good.partner.example": [PUBLIC]})
    partner = system.app.register_export_partner(name="Gent Fruit NV", country="BE")
    for url in ("https://127.0.0.1./in", "https://localhost./in", "https://LocalHost./in", "https://[::1]./in",
                "https://hooks.partner.example./in", "https://good.partner.example:99999/in",
                "https://good.partner.example:0/in", "https://exa mple.com/in", "https://good.partner.example../in"):
        with pytest.raises(InvalidInput) as refused:
            system.app.register_webhook_endpoint(partner_id=partner, url=url, secret=SECRET)
        assert refused.value.field == ["input", "url"], url
    assert policy.addresses("https://good.partner.example./in") == [ipaddress.ip_address(PUBLIC)]
    system.app.register_webhook_endpoint(partner_id=partner, url="https://good.partner.example./in", secret=SECRET)


def test_a_name_that_re_resolves_to_a_refused_address_is_refused_at_send_time_before_connecting(
    system: System, production_policy, webhooks_module: ModuleType
) -> None:
    policy, path = production_policy
    write(path, {"hooks.brno.example": [PUBLIC]})
    partner = system.app.register_export_partner(name="Brno Exotic a.s.", country="CZ")
    system.app.register_webhook_endpoint(partner_id=partner, url="https://hooks.brno.example/in", secret=SECRET)
    orders = [system.app.create_export_order(
        partner_id=partner, reference=f"REBIND-{n}", product="Lychee", hs_code="081090", destination_country="CZ",
        consignee="Ms Lan", incoterm="CPT", quantity_kg=100, unit_price="12.50", currency="EUR",
        harvest_to_door_hours=96, created_by="POSTMART") for n in range(len(REFUSED))]
    system.catch_up()
    attempts: list[httpx.Request] = []
    client = httpx.Client(transport=httpx.MockTransport(lambda request: attempts.append(request) or httpx.Response(200)))
    now = datetime.now(timezone.utc)
    for order, (kind, address) in zip(orders, REFUSED.items()):
        # After registration, the name is pointed at an internal address (DNS rebinding).
        write(path, {"hooks.brno.example": [address]})
        [delivery] = system.webhooks.due(now + timedelta(seconds=1), 1, export_order_id=order)
        assert webhooks_module.send_delivery(system, delivery, client) is False, kind
        row = system.webhooks.by_ids([delivery])[delivery]
        assert (row["status"], row["last_error"]) == ("PENDING", "refused destination"), kind
    assert attempts == [], "no request may be sent to a refused destination"
    # Pointed back at a public address, the same delivery goes out — to the address just checked,
    # under its own name (Host header and TLS server name).
    write(path, {"hooks.brno.example": [PUBLIC]})
    later = now + timedelta(hours=2)
    system.app.clock = lambda: later
    [delivery] = system.webhooks.due(later, 1, export_order_id=orders[0])
    assert webhooks_module.send_delivery(system, delivery, client) is True
    [request] = attempts
    assert request.url.host == PUBLIC and request.headers["host"] == "hooks.brno.example"
    assert request.extensions["sni_hostname"] == "hooks.brno.example"
    assert request.headers["webhook-id"] == system.webhooks.by_ids([delivery])[delivery]["event_id"]


def test_development_delivers_to_this_machine_but_never_to_private_addresses(tmp_path: Path) -> None:
    development = DestinationPolicy(resolver=FileResolver(tmp_path / "none.json"), allow_loopback=True)
    for url in ("http://127.0.0.1:8080/in", "http://localhost:8080/in", "https://[::1]/in"):
        development.check_registration(url, ["input", "url"])
    for address in ("10.0.0.5", "169.254.169.254", "fd12:3456::1", "100.64.0.1"):
        with pytest.raises(InvalidInput):
            development.check_registration(url_of(address), ["input", "url"])
    with pytest.raises(InvalidInput):
        development.check_registration(f"http://{PUBLIC}/in", ["input", "url"])

"""The carrier registry on POPO: built-in carriers and their spellings, ADMIN's additions, refusals."""

from __future__ import annotations

from uuid import uuid4

import pytest

from farmgate.core.domain.carrier import (
    BUILT_IN_CARRIERS, MAX_ALIASES, VIETTEL_POST, VNPOST, CarrierRegistry, carrier_id_for, spelling_key,
)
from farmgate.core.domain.errors import AlreadyExists, InvalidInput


@pytest.mark.parametrize("spelling", ["VNPost", "Vietnam Post", "VN Post", "vnpost", "VN-POST", " Viet Nam Post ",
                                      "Bưu điện Việt Nam", "BƯU ĐIỆN VIỆT NAM", "Buu dien Viet Nam"])
def test_every_known_spelling_of_vietnam_post_names_vnpost(spelling: str) -> None:
    assert CarrierRegistry.start().resolve(spelling) == VNPOST


@pytest.mark.parametrize("spelling", ["Viettel Post", "ViettelPost", "viettel-post", "Bưu chính Viettel"])
def test_every_known_spelling_of_viettel_post_names_viettel_post(spelling: str) -> None:
    assert CarrierRegistry.start().resolve(spelling) == VIETTEL_POST


@pytest.mark.parametrize("spelling", ["GHN", "Giao Hàng Nhanh", "", "   ", "---", "Viettel", "Post"])
def test_a_spelling_of_no_known_carrier_names_none(spelling: str) -> None:
    assert CarrierRegistry.start().resolve(spelling) is None


def test_a_carrier_is_found_by_its_id_and_ids_are_derived_from_the_name() -> None:
    registry = CarrierRegistry.start()
    assert registry.resolve(VNPOST.id) == VNPOST and registry.resolve(uuid4()) is None
    assert VNPOST.id == carrier_id_for("vn post") != VIETTEL_POST.id
    assert spelling_key("Bưu điện Việt Nam") == "buudienvietnam"
    assert all(c.built_in for c in BUILT_IN_CARRIERS)


def test_admin_adds_a_carrier_whose_aliases_then_name_it() -> None:
    registry = CarrierRegistry.start()
    ghn = registry.register(" Giao Hàng Nhanh ", ["GHN", "ghn", "Giao hang nhanh express"])
    # Check a spelling given twice (by key) is kept once, and the name is stripped.
    assert (ghn.name, ghn.aliases, ghn.built_in) == ("Giao Hàng Nhanh", ("GHN", "Giao hang nhanh express"), False)
    assert ghn.id == carrier_id_for("Giao Hàng Nhanh")  # from the name, not an alias
    assert registry.resolve("G.H.N") == ghn and registry.resolve(ghn.id) == ghn
    assert registry.carriers == (*BUILT_IN_CARRIERS, ghn)
    assert [type(e).__name__ for e in registry.collect_events()] == ["Started", "CarrierRegistered"]


@pytest.mark.parametrize(
    ("name", "aliases", "field", "names"),
    [
        ("Vietnam Post", [], ["input", "name"], "VNPost"),
        ("GHN", ["Giao Hàng Nhanh", "VN Post"], ["input", "aliases", "1"], "VNPost"),
        ("GHN", ["Viettel-Post"], ["input", "aliases", "0"], "Viettel Post"),
    ],
)
def test_a_spelling_that_already_names_a_carrier_is_refused_naming_it(name, aliases, field, names) -> None:
    registry = CarrierRegistry.start()
    registry.collect_events()
    with pytest.raises(AlreadyExists) as refused:
        registry.register(name, aliases)
    assert refused.value.field == field and names in refused.value.message
    assert registry.collect_events() == [] and registry.registered == []


def test_a_carrier_added_by_admin_blocks_its_spellings_for_the_next() -> None:
    registry = CarrierRegistry.start()
    registry.register("GHN", ["Giao Hàng Nhanh"])
    with pytest.raises(AlreadyExists) as refused:
        registry.register("Giao hang nhanh", [])
    assert "GHN" in refused.value.message


@pytest.mark.parametrize(
    ("name", "aliases", "field"),
    [
        ("  ", [], ["input", "name"]),
        ("...", [], ["input", "name"]),
        ("x" * 101, [], ["input", "name"]),
        ("GHN", ["ok", ""], ["input", "aliases", "1"]),
        ("GHN", ["y" * 101], ["input", "aliases", "0"]),
        ("GHN", [f"alias {i}" for i in range(MAX_ALIASES + 1)], ["input", "aliases"]),
    ],
)
def test_bad_carrier_input_is_refused_with_its_field(name, aliases, field) -> None:
    registry = CarrierRegistry.start()
    registry.collect_events()
    with pytest.raises(InvalidInput) as refused:
        registry.register(name, aliases)
    assert refused.value.field == field
    assert registry.collect_events() == []


def test_a_spelling_of_exactly_the_longest_length_and_exactly_the_most_aliases_are_accepted() -> None:
    registry = CarrierRegistry.start()
    carrier = registry.register("G" * 100, ["H" * 100, *(f"alias {i}" for i in range(MAX_ALIASES - 1))])
    assert carrier.name == "G" * 100 and len(carrier.aliases) == MAX_ALIASES


@pytest.mark.parametrize(
    ("name", "aliases", "message", "field"),
    [
        (None, [], "name must not be empty", ["input", "name"]),
        ("  ", [], "name must not be empty", ["input", "name"]),
        ("x" * 101, [], "name is longer than 100 characters", ["input", "name"]),
        ("...", [], "name must contain letters or digits", ["input", "name"]),
        ("GHN", ["-+-"], "an alias must contain letters or digits", ["input", "aliases", "0"]),
        ("GHN", [f"alias {i}" for i in range(MAX_ALIASES + 1)], "A carrier has at most 20 aliases", ["input", "aliases"]),
    ],
)
def test_bad_carrier_input_is_refused_saying_why(name, aliases, message, field) -> None:
    with pytest.raises(InvalidInput) as refused:
        CarrierRegistry.start().register(name, aliases)
    assert (refused.value.message, refused.value.field) == (message, field)


def test_a_spelling_with_a_control_character_is_refused_naming_its_field() -> None:
    for name, aliases, field in (("GH\x00N", [], ["input", "name"]), ("GHN", ["ok", "G\x07HN"], ["input", "aliases", "1"])):
        with pytest.raises(InvalidInput) as refused:
            CarrierRegistry.start().register(name, aliases)
        assert refused.value.field == field, name


def test_a_spelling_is_measured_after_it_is_made_canonical() -> None:
    # U+2ADC (forking) becomes two code points under NFC: 100 characters as typed, 199 as kept.
    with pytest.raises(InvalidInput) as long:
        CarrierRegistry.start().register("a" + "\u2adc" * 99)
    assert (long.value.message, long.value.field) == ("name is longer than 100 characters", ["input", "name"])

"""Parsing of /api/v1/plugins parameters: one test per rule of spec section 2."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from common.errors import InvalidInput
from marketplace.compat import MarketplaceQuery, parse_query
from marketplace.versions import version_key


def parse(query: str) -> MarketplaceQuery:
    return parse_query(QueryDict(query).getlist)


def test_defaults_are_page_0_per_page_100_and_every_flag_false() -> None:
    assert parse("") == MarketplaceQuery(page=0, per_page=100)


@pytest.mark.parametrize(("text", "value"), [("5", 5), ("%2B5", 5), ("007", 7), ("-0", 0)])
def test_integers_are_parsed_like_go_atoi(text: str, value: int) -> None:
    assert parse(f"page={text}").page == value


@pytest.mark.parametrize(
    "text", ["1.5", "+5", "%205", "5%20", "1_0", "0x10", "five", "٣", "9" * 20]
)
def test_integers_go_atoi_refuses_are_400(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse(f"per_page={text}")


def test_per_page_zero_short_circuits_before_other_checks() -> None:
    assert parse("per_page=0&page=-3&server_version=bad").per_page == 0


def test_per_page_minus_one_means_all_and_ignores_page() -> None:
    query = parse("per_page=-1&page=7")
    assert (query.per_page, query.page) == (-1, 0)


def test_negative_page_is_refused() -> None:
    with pytest.raises(InvalidInput):
        parse("page=-1")


@pytest.mark.parametrize("text", ["-2", "-100"])
def test_per_page_below_minus_one_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse(f"per_page={text}")


@pytest.mark.parametrize("text", ["1", "t", "T", "TRUE", "true", "True"])
def test_go_parsebool_true_spellings(text: str) -> None:
    query = parse(f"enterprise_plugins={text}&cloud={text}&return_all_versions={text}")
    assert query.enterprise_plugins and query.cloud and query.return_all_versions


@pytest.mark.parametrize("text", ["0", "f", "F", "FALSE", "false", "False"])
def test_go_parsebool_false_spellings(text: str) -> None:
    query = parse(f"enterprise_plugins={text}&cloud={text}&return_all_versions={text}")
    assert not (query.enterprise_plugins or query.cloud or query.return_all_versions)


@pytest.mark.parametrize("text", ["yes", "no", "tRUE", "on", "2", "true ", "y"])
@pytest.mark.parametrize("name", ["enterprise_plugins", "cloud", "return_all_versions"])
def test_other_bool_spellings_are_refused(name: str, text: str) -> None:
    with pytest.raises(InvalidInput):
        parse(f"{name}={text}")


def test_first_value_of_a_repeated_key_wins() -> None:
    query = parse("page=2&page=9&filter=jira&filter=zoom&cloud=true&cloud=false")
    assert (query.page, query.filter, query.cloud) == (2, "jira", True)


def test_first_value_wins_even_when_it_is_empty() -> None:
    assert parse("filter=&filter=zoom").filter == ""


def test_empty_values_count_as_absent() -> None:
    query = parse("page=&per_page=&filter=&server_version=&enterprise_plugins=&cloud=&platform=")
    assert query == MarketplaceQuery()


@pytest.mark.parametrize("text", ["1", "a", "v9.0.0", "9.0", "9.0.0.0", "09.0.0", "9.0.0-"])
def test_malformed_server_version_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse(f"server_version={text}")


def test_server_version_is_strict_semver_with_prerelease_and_build() -> None:
    assert parse("server_version=9.0.0-rc1%2Bb7").server_version == version_key("9.0.0-rc1")


def test_filter_is_trimmed_and_lower_cased() -> None:
    assert parse("filter=%20%20GitHub%09").filter == "github"


def test_unknown_platform_acts_as_none() -> None:
    assert parse("platform=linux-arm64").platform == ""
    assert parse("platform=darwin-amd64").platform == "darwin-amd64"


def test_parameters_the_server_also_sends_are_ignored() -> None:
    sent = "build_enterprise_ready=maybe&local_only=x&remote_only=y&whatever=1"
    assert parse(sent) == MarketplaceQuery()


def test_every_parameter_is_part_of_the_cache_key() -> None:
    variants = [
        "page=1",
        "per_page=5",
        "filter=x",
        "server_version=9.0.0",
        "enterprise_plugins=true",
        "cloud=true",
        "platform=linux-amd64",
        "plugin_id=x",
        "return_all_versions=true",
    ]
    keys = {parse(v).cache_key() for v in variants} | {parse("").cache_key()}
    assert len(keys) == len(variants) + 1

"""`POST /packages/{id}/command/` with values OMS cannot use or store: 400 naming the field, never 500.

A transition id beyond a bigint cannot be looked up (SQLite raises OverflowError), and a refused
command is recorded with its `slug` and `input_parameters`: PostgreSQL text and jsonb cannot hold NUL
(U+0000), and no database holds a lone surrogate (a JSON "\\ud800" escape, not UTF-8).
"""

import pytest

from oms.core.statuses import PackageStatus
from oms.packages.models import Package
from oms.transitions.models import RefusedCommand, StateTransition, StateTransitionLog
from tests.api.conftest import API, make_order, make_package


def _url(package: Package) -> str:
    return f"{API}/packages/{package.pk}/command/"


@pytest.fixture
def package(channel_42) -> Package:
    StateTransition.objects.create(
        model="package",
        command="PREPARE_PACKAGE",
        slug="PREPARE_PACKAGE",
        source_state=PackageStatus.WAITING,
        destination_state=PackageStatus.PREPARING,
    )
    return make_package(order=make_order(channel=channel_42))


def _refused_naming(response, field: str) -> str:
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["status_code"] == 400
    assert list(body["error"]) == [field]
    return " ".join(body["error"][field])


def _nothing_happened(package: Package) -> None:
    package.refresh_from_db()
    assert package.status == PackageStatus.WAITING
    assert not StateTransitionLog.objects.exists()
    assert not RefusedCommand.objects.exists()


@pytest.mark.parametrize(
    ("transition", "bound"),
    [
        (10**30, f"less than or equal to {2**63 - 1}"),
        (2**63, f"less than or equal to {2**63 - 1}"),
        (-1, "greater than or equal to 1"),
        (0, "greater than or equal to 1"),
    ],
)
def test_a_transition_id_out_of_range_is_refused_naming_it(api, package, transition, bound):
    response = api.post(_url(package), {"transition": transition}, format="json")

    assert bound in _refused_naming(response, "transition")
    _nothing_happened(package)


def test_the_largest_transition_id_is_looked_up_and_not_found(api, package):
    response = api.post(_url(package), {"transition": 2**63 - 1}, format="json")

    assert f"There is no package state transition with id {2**63 - 1}" in _refused_naming(
        response, "transition"
    )
    package.refresh_from_db()
    assert package.status == PackageStatus.WAITING


@pytest.mark.parametrize(
    "input_parameters",
    [
        {"barcodes": "a\x00b"},
        {"a\x00": 1},
        {"barcodes": ["ok", {"deep": ["\x00"]}]},
        {"nested": {"key\x00": "value"}},
    ],
    ids=["in a value", "in a key", "deep in a list", "in a nested key"],
)
def test_a_nul_character_in_input_parameters_is_refused_naming_them(api, package, input_parameters):
    body = {"slug": "PREPARE_PACKAGE", "input_parameters": input_parameters}

    response = api.post(_url(package), body, format="json")

    assert "NUL" in _refused_naming(response, "input_parameters")
    _nothing_happened(package)


def test_a_nul_character_in_the_slug_is_refused_naming_it(api, package):
    response = api.post(_url(package), {"slug": "PREPARE\x00PACKAGE"}, format="json")

    _refused_naming(response, "slug")
    _nothing_happened(package)


@pytest.mark.parametrize(
    "body, field",
    [
        ('{"slug": "PREPARE_PACKAGE", "input_parameters": {"barcodes": ["\\ud800"]}}', "input_parameters"),
        ('{"slug": "PREPARE_PACKAGE", "input_parameters": {"\\udfff": 1}}', "input_parameters"),
        ('{"slug": "PREPARE\\ud800"}', "slug"),
    ],
    ids=["in input_parameters", "in an input_parameters key", "in the slug"],
)
def test_a_lone_surrogate_is_refused_naming_the_field(api, package, body, field):
    response = api.post(_url(package), body, content_type="application/json")

    assert "U+D" in _refused_naming(response, field)
    _nothing_happened(package)


def test_input_parameters_without_nul_still_reach_the_command(api, package):
    response = api.post(
        _url(package), {"slug": "PREPARE_PACKAGE", "input_parameters": {"unknown": "x"}}, format="json"
    )

    # The command's own validation answers (PREPARE_PACKAGE takes no input), and records the refusal.
    _refused_naming(response, "input_parameters")
    assert RefusedCommand.objects.count() == 1

import pytest
from django.utils import timezone

from oms.core.statuses import PackageStatus
from oms.transitions.models import StateTransition, StateTransitionLog
from tests.api.conftest import API, make_order, make_package

URL = f"{API}/state-transitions/"
VALID_STATES = (
    "waiting, preparing, ready_to_pack, packed, shipped, attempted_delivery, delivered, out_of_stock, "
    "cancelled, packed_for_refund"
)


def _transition(**fields) -> StateTransition:
    values = {
        "model": "package",
        "command": "CHANNEL_BASED_COMPLETE_PACKAGING",
        "slug": "CHANNEL_BASED_COMPLETE_PACKAGING",
        "source_state": PackageStatus.WAITING,
        "destination_state": PackageStatus.PACKED,
    }
    values.update(fields)
    return StateTransition.objects.create(**values)


@pytest.mark.parametrize("source", ["waiting", "preparing", "ready_to_pack"])
def test_the_seeds_three_transitions_can_be_created(api, source):
    body = {
        "model": "package",
        "command": "CHANNEL_BASED_COMPLETE_PACKAGING",
        "slug": "CHANNEL_BASED_COMPLETE_PACKAGING",
        "source_state": source,
        "destination_state": "packed",
    }

    response = api.post(URL, body, format="json")

    assert response.status_code == 201
    data = response.json()
    assert {k: data[k] for k in body} == body
    row = StateTransition.objects.get()
    assert (row.source_state, row.destination_state) == (PackageStatus[source.upper()], PackageStatus.PACKED)


@pytest.mark.parametrize(
    ("command", "source", "destination"),
    [("PREPARE_PACKAGE", "waiting", "preparing"), ("READY_TO_PACK", "preparing", "ready_to_pack")],
)
def test_the_other_registered_commands_can_be_defined(api, command, source, destination):
    body = {
        "command": command,
        "slug": command.lower(),
        "source_state": source,
        "destination_state": destination,
    }

    response = api.post(URL, body, format="json")

    assert response.status_code == 201
    assert response.json()["model"] == "package"


def test_states_may_be_sent_as_codes_and_read_back_as_names(api):
    body = {"command": "PREPARE_PACKAGE", "slug": "prepare", "source_state": 100, "destination_state": "200"}

    response = api.post(URL, body, format="json")

    assert response.status_code == 201
    assert (response.json()["source_state"], response.json()["destination_state"]) == ("waiting", "preparing")


def test_a_source_state_the_command_does_not_run_from_is_refused(api):
    body = {
        "command": "PREPARE_PACKAGE",
        "slug": "p",
        "source_state": "packed",
        "destination_state": "preparing",
    }

    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "source_state": [
            "PREPARE_PACKAGE cannot run from 'packed'. Use a source state it runs from: waiting."
        ]
    }
    assert StateTransition.objects.count() == 0


def test_a_destination_the_command_does_not_lead_to_is_refused(api):
    body = {
        "command": "CHANNEL_BASED_COMPLETE_PACKAGING",
        "slug": "x",
        "source_state": "waiting",
        "destination_state": "shipped",
    }

    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "destination_state": [
            "CHANNEL_BASED_COMPLETE_PACKAGING leads to packed, not 'shipped'. Use that destination state."
        ]
    }
    assert StateTransition.objects.count() == 0


def test_an_unknown_command_code_is_refused_listing_the_valid_ones(api):
    body = {
        "command": "COMPLETE_PACKAGING",
        "slug": "x",
        "source_state": "waiting",
        "destination_state": "packed",
    }

    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "command": [
            "'COMPLETE_PACKAGING' is not a known command code. Valid codes: "
            "CANCEL_PACKAGE, CANCEL_PACKED_PACKAGE, CHANNEL_BASED_COMPLETE_PACKAGING, PREPARE_PACKAGE, "
            "READY_TO_PACK, REPACK_PACKAGE."
        ]
    }


def test_an_unknown_state_is_refused_listing_the_valid_ones(api):
    body = {
        "command": "PREPARE_PACKAGE",
        "slug": "x",
        "source_state": "new",
        "destination_state": "preparing",
    }

    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "source_state": [f"Unknown state 'new'. Valid states: {VALID_STATES}."]
    }


def test_a_state_of_the_wrong_type_is_refused(api):
    body = {
        "command": "PREPARE_PACKAGE",
        "slug": "x",
        "source_state": ["waiting"],
        "destination_state": "preparing",
    }

    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]) == ["source_state"]


def test_an_unknown_model_is_refused_listing_the_valid_ones(api):
    body = {
        "model": "order",
        "command": "PREPARE_PACKAGE",
        "slug": "x",
        "source_state": "waiting",
        "destination_state": "preparing",
    }

    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "model": ["'order' is not a model with transitions. Valid models: package."]
    }


def test_a_duplicate_model_slug_source_is_refused_naming_the_existing_row(api):
    existing = _transition()
    body = {
        "command": "CHANNEL_BASED_COMPLETE_PACKAGING",
        "slug": "CHANNEL_BASED_COMPLETE_PACKAGING",
        "source_state": "waiting",
        "destination_state": "packed",
    }

    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "slug": [
            "A transition 'CHANNEL_BASED_COMPLETE_PACKAGING' from 'waiting' already exists "
            f"(id {existing.pk}); "
            f"(model, slug, source_state) is unique. Change it with PATCH /api/v1/oms/state-transitions/"
            f"{existing.pk}/, or use another slug or source_state."
        ]
    }
    assert StateTransition.objects.count() == 1


def test_a_blank_slug_is_refused(api):
    body = {
        "command": "PREPARE_PACKAGE",
        "slug": "   ",
        "source_state": "waiting",
        "destination_state": "preparing",
    }

    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]) == ["slug"]


def test_list_transitions_shows_names(api):
    transition = _transition()

    response = api.get(URL)

    assert response.status_code == 200
    row = response.json()["results"][0]
    assert (row["id"], row["source_state"], row["destination_state"]) == (transition.pk, "waiting", "packed")


def test_filter_transitions_by_slug(api):
    wanted = _transition(slug="pack")
    _transition(slug="other")

    response = api.get(URL, {"slug": "pack"})

    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]


def test_patch_a_transitions_name(api):
    transition = _transition()

    response = api.patch(f"{URL}{transition.pk}/", {"name": "Pack"}, format="json")

    assert response.status_code == 200
    transition.refresh_from_db()
    assert transition.name == "Pack"


def test_patch_to_a_source_another_transition_has_is_refused(api):
    _transition(source_state=PackageStatus.WAITING)
    second = _transition(source_state=PackageStatus.PREPARING)

    response = api.patch(f"{URL}{second.pk}/", {"source_state": "waiting"}, format="json")

    assert response.status_code == 400
    assert "already exists" in response.json()["error"]["slug"][0]
    second.refresh_from_db()
    assert second.source_state == PackageStatus.PREPARING


def test_patch_is_checked_against_the_stored_command(api):
    transition = _transition(command="PREPARE_PACKAGE", source_state=100, destination_state=200, slug="p")

    response = api.patch(f"{URL}{transition.pk}/", {"destination_state": "packed"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]) == ["destination_state"]
    transition.refresh_from_db()
    assert transition.destination_state == 200


def test_a_row_with_a_command_no_longer_registered_reads_fine_and_must_be_fixed_on_patch(api):
    transition = _transition(command="RETIRED_COMMAND", source_state=100, destination_state=999)

    read = api.get(f"{URL}{transition.pk}/")
    patched = api.patch(f"{URL}{transition.pk}/", {"name": "x"}, format="json")

    assert read.status_code == 200
    assert (read.json()["command"], read.json()["destination_state"]) == ("RETIRED_COMMAND", "999")
    assert patched.status_code == 400
    assert patched.json()["error"]["command"][0].startswith("'RETIRED_COMMAND' is not a known command code.")


def test_delete_a_transition(api):
    transition = _transition()

    response = api.delete(f"{URL}{transition.pk}/")

    assert response.status_code == 204
    assert not StateTransition.objects.exists()


def test_delete_a_transition_that_was_run_keeps_its_log(api, channel_42):
    transition = _transition()
    package = make_package(order=make_order(channel=channel_42), status=PackageStatus.PACKED)
    log = StateTransitionLog.objects.create(
        package=package,
        transition=transition,
        command=transition.command,
        old_state=100,
        new_state=500,
        created_at=timezone.now(),
    )

    response = api.delete(f"{URL}{transition.pk}/")

    assert response.status_code == 204
    log.refresh_from_db()
    assert log.transition_id is None


def test_put_is_not_offered_on_a_transition(api):
    transition = _transition()

    response = api.put(f"{URL}{transition.pk}/", {"name": "x"}, format="json")

    assert response.status_code == 405

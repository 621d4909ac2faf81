"""The hooks lower apps offer and higher apps fill at ready(): each is filled once, by its owner."""

import pytest

from oms.omnitron.connection import _sources, connection_settings
from oms.omnitron.reports import _superseded_checks
from oms.orders.cancellation_hooks import report_of_cancelled_items, shipment_cancellation_seen
from oms.orders.services import order_items_packed
from oms.packages.cancel_commands import CANCELLATION_COMMANDS
from oms.packages.commands import COMMAND_CLASSES
from oms.packages.listeners import _packed_listeners
from oms.packages.reports import preparing_report_superseded_reason
from oms.shipments.cancellation_hooks import _listeners as _cancellation_listeners
from oms.transitions.commands import CommandSpec, command_codes, command_get, command_register


def test_transitions_know_exactly_the_package_commands():
    assert command_codes() == sorted(COMMAND_CLASSES)
    packaging = command_get("CHANNEL_BASED_COMPLETE_PACKAGING")
    assert packaging.sources == COMMAND_CLASSES["CHANNEL_BASED_COMPLETE_PACKAGING"].sources
    assert packaging.destinations == COMMAND_CLASSES["CHANNEL_BASED_COMPLETE_PACKAGING"].destinations


def test_the_cancellation_commands_join_the_package_commands_from_ready():
    for code, command in CANCELLATION_COMMANDS.items():
        assert COMMAND_CLASSES[code] is command
        assert command_get(code).sources == command.sources


def test_a_command_code_cannot_be_registered_twice_with_other_moves():
    known = command_get("PREPARE_PACKAGE")

    command_register(known)  # the same spec again changes nothing
    with pytest.raises(ValueError, match="PREPARE_PACKAGE is already registered"):
        command_register(CommandSpec("PREPARE_PACKAGE", "other", frozenset({100}), frozenset({800})))

    assert command_get("PREPARE_PACKAGE") == known


def test_each_hook_is_filled_once_by_its_owner():
    assert _packed_listeners == [order_items_packed]
    # Packages says when a report was overtaken by shipping; orders when its items were cancelled.
    assert sorted(_superseded_checks, key=lambda check: check.__name__) == [
        preparing_report_superseded_reason,
        report_of_cancelled_items,
    ]
    assert _cancellation_listeners == [shipment_cancellation_seen]
    assert len(_sources) == 1


def test_the_application_setting_is_the_first_connection_source(db, settings):
    from oms.configuration.services import application_setting_set

    settings.OMNITRON_URL = "http://from-the-environment.invalid"
    assert connection_settings().url == "http://from-the-environment.invalid"

    application_setting_set(
        key="OMNITRON_CLIENT_SETTINGS",
        value={"url": "http://from-the-setting.invalid/", "username": "u", "password": "p"},
    )

    connection = connection_settings()
    assert (connection.url, connection.source) == (
        "http://from-the-setting.invalid",
        "the OMNITRON_CLIENT_SETTINGS application setting",
    )

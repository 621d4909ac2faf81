"""`oms check_setup` and `setup_check`: the seed's setup checklist, with a fix for every gap."""

import subprocess
import sys
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oms.channels.models import Channel
from oms.channels.services import channels_sync
from oms.configuration.models import ApplicationSetting
from oms.configuration.services import application_setting_set
from oms.omnitron.client import OmnitronClient, omnitron_client_get
from oms.operations.marketplace import marketplace_setup
from oms.operations.setup_check import setup_check
from oms.shipments.cargo_companies import cargo_companies_sync
from oms.shipments.models import CargoCompany, CargoCompanyCondition
from oms.transitions.models import StateTransition
from tests.factories import cargo_company, omnitron_order_json, seed_condition_body
from tests.processes import child_env, free_port

INGEST = "/api/v1/oms/omnitron/orders/"
CONDITIONS = "/api/v1/oms/cargo-company-conditions/"
ALL_OK_TITLES = {
    "Channel Trendyol (id {channel}, Omnitron 42)",
    "Cargo company Yurtici Kargo (id {company}, Omnitron 7)",
    "Route Trendyol orders of Yurtici Kargo to OmnitronShipmentClient",
    "Transition CHANNEL_BASED_COMPLETE_PACKAGING: waiting -> packed",
    "Transition CHANNEL_BASED_COMPLETE_PACKAGING: preparing -> packed",
    "Transition CHANNEL_BASED_COMPLETE_PACKAGING: ready_to_pack -> packed",
    "Transition CANCEL_PACKAGE: waiting -> cancelled",
    "Transition CANCEL_PACKAGE: preparing -> cancelled",
    "Transition CANCEL_PACKAGE: ready_to_pack -> cancelled",
    "Transition CANCEL_PACKED_PACKAGE: packed -> cancelled",
    "Transition REPACK_PACKAGE: packed -> packed",
    "Setting AUTO_RUN_SHIP_THE_PACKAGE_COMMAND = true",
    "Omnitron connection",
}


def check_setup(*args: str) -> tuple[int, str]:
    """Run `oms check_setup` in this process: (exit code, everything it printed)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("check_setup", *args, stdout=out, stderr=err, no_color=True)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + err.getvalue() + f"CommandError: {exc}\n"
    return 0, out.getvalue() + err.getvalue()


def missing_titles(output: str) -> set[str]:
    lines = output.splitlines()
    return {line.removeprefix("MISSING").strip() for line in lines if line.startswith("MISSING")}


def shown(text: str, output: str) -> bool:
    """Whether `text` is in the output, whatever the line wrapping of details."""
    return " ".join(text.split()) in " ".join(output.split())


def ok_titles(output: str) -> set[str]:
    return {line.removeprefix("OK").strip() for line in output.splitlines() if line.startswith("OK ")}


@pytest.fixture
def ingest(api, omnitron_sandbox_settings):
    """Create an order in the sandbox and push it to OMS, as Omnitron's webhook does."""

    def ingest(channel: int = 42, cargo_company: int | None = 7) -> dict:
        order = omnitron_sandbox_settings.create_order(channel=channel, cargo_company=cargo_company)
        response = api.post(INGEST, order, format="json")
        assert response.status_code == 201, response.json()
        return response.json()

    return ingest


@pytest.fixture
def complete(api, ingest, omnitron_sandbox_settings):
    """Everything the seed's checklist asks for, with two orders of channel 42 / cargo company 7."""
    company = cargo_company(omnitron_id=7)
    marketplace_setup()
    ingest()
    ingest()
    channel = Channel.objects.get(omnitron_id=42)
    response = api.post(
        CONDITIONS, seed_condition_body(cargo_company_id=company.pk, channel_id=channel.pk), format="json"
    )
    assert response.status_code == 201, response.json()
    # `oms check_setup` runs in a fresh process: no token is cached there.
    OmnitronClient.token_cache_clear()
    return {"channel": channel, "cargo_company": company}


def expected_ok(complete) -> set[str]:
    ids = {"channel": complete["channel"].pk, "company": complete["cargo_company"].pk}
    return {title.format(**ids) for title in ALL_OK_TITLES}


@pytest.mark.django_db(transaction=True)
def test_an_empty_install_lists_every_gap_with_its_fix_and_exits_1(tmp_path):
    env = child_env(tmp_path)
    for name in ("OMNITRON_USERNAME", "OMNITRON_PASSWORD"):
        env.pop(name, None)

    result = subprocess.run(
        [sys.executable, "-m", "oms", "check_setup", "--no-color"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    output = result.stdout
    assert missing_titles(output) == {
        "Channels",
        "Cargo companies",
        "Route marketplace orders to OmnitronShipmentClient",
        "Transition CHANNEL_BASED_COMPLETE_PACKAGING: waiting -> packed",
        "Transition CHANNEL_BASED_COMPLETE_PACKAGING: preparing -> packed",
        "Transition CHANNEL_BASED_COMPLETE_PACKAGING: ready_to_pack -> packed",
        "Transition CANCEL_PACKAGE: waiting -> cancelled",
        "Transition CANCEL_PACKAGE: preparing -> cancelled",
        "Transition CANCEL_PACKAGE: ready_to_pack -> cancelled",
        "Transition CANCEL_PACKED_PACKAGE: packed -> cancelled",
        "Transition REPACK_PACKAGE: packed -> packed",
        "Setting AUTO_RUN_SHIP_THE_PACKAGE_COMMAND = true",
        "Omnitron connection",
    }
    assert not ok_titles(output)
    for fix in (
        "fix: oms sync_channels",
        "fix: oms sync_cargo_companies",
        "or: POST /api/v1/oms/cargo-companies/",
        "oms setup_marketplace --channel <OMS channel id> --cargo-company <OMS cargo company id>",
        "or: POST /api/v1/oms/cargo-company-conditions/",
        '"source_state": "waiting", "destination_state": "packed"}',
        '"source_state": "preparing", "destination_state": "packed"}',
        '"source_state": "ready_to_pack", "destination_state": "packed"}',
        'or: POST /api/v1/oms/settings/application_settings/ {"key": "AUTO_RUN_SHIP_THE_PACKAGE_COMMAND", '
        '"json_value": true}',
        "not configured: url, username, password missing",
        "fix: set OMNITRON_URL, OMNITRON_USERNAME and OMNITRON_PASSWORD and restart OMS",
        '{"key": "OMNITRON_CLIENT_SETTINGS", "json_value": {"url": "https://<omnitron host>"',
    ):
        assert shown(fix, output), fix
    assert output.count("fix: oms setup_marketplace") == 9  # eight transitions and the setting
    assert "0 of 13 checks OK, 13 MISSING." in output
    assert "13 of 13 setup checks are missing" in result.stderr


@pytest.mark.django_db
def test_a_complete_install_prints_all_ok_and_exits_0(complete):
    code, output = check_setup()

    assert code == 0, output
    assert ok_titles(output) == expected_ok(complete)
    assert not missing_titles(output)
    assert "fix:" not in output
    assert shown("registered with type 'sales_channel'; 2 orders.", output)
    assert shown("logged in to ", output) and shown("read 4 channels", output)
    assert "All 13 checks OK" in output


def _channel_without_type(complete, ingest, settings):
    Channel.objects.update(channel_type="")
    channel = complete["channel"]
    return {f"Channel Trendyol (id {channel.pk}, Omnitron 42)"}, [
        f'fix: PATCH /api/v1/oms/channels/{channel.pk}/ {{"channel_type": "sales_channel"}}',
        "or: oms sync_channels",
    ]


def _unknown_cargo_company(complete, ingest, settings):
    ingest(cargo_company=8)
    channel = complete["channel"]
    return {
        "Cargo company Omnitron 8",
        "Route Trendyol orders of Omnitron cargo company 8 to OmnitronShipmentClient",
    }, [
        "Omnitron cargo company 8, named by 1 order of Trendyol, is not in OMS",
        "fix: oms sync_cargo_companies  (creates it from Omnitron and links these orders)",
        'or: POST /api/v1/oms/cargo-companies/ {"name": "<its name in Omnitron>", "omnitron_id": 8}',
        f"oms setup_marketplace --channel {channel.pk} --cargo-company <its new OMS id>",
    ]


def _cargo_company_created_after_its_orders(complete, ingest, settings):
    ingest(cargo_company=8)
    late = CargoCompany.objects.create(name="Aras Kargo", omnitron_id=8)
    return {
        f"Cargo company Aras Kargo (id {late.pk}, Omnitron 8)",
        "Route Trendyol orders of Omnitron cargo company 8 to OmnitronShipmentClient",
    }, [
        "exists, but is not linked to 1 order of Trendyol that arrived before it was created",
        "fix: oms sync_cargo_companies  (links orders to their cargo company)",
    ]


def _no_condition(complete, ingest, settings):
    CargoCompanyCondition.objects.all().delete()
    channel, company = complete["channel"], complete["cargo_company"]
    return {"Route Trendyol orders of Yurtici Kargo to OmnitronShipmentClient"}, [
        f"fix: oms setup_marketplace --channel {channel.pk} --cargo-company {company.pk}",
        f'or: POST /api/v1/oms/cargo-company-conditions/ {{"cargo_company": {company.pk}, ',
        f'"channels": [{channel.pk}]',
        "refuses its 2 orders",
    ]


def _condition_for_another_channel(complete, ingest, settings):
    other = Channel.objects.create(name="Hepsiburada", channel_type="sales_channel", omnitron_id=43)
    condition = CargoCompanyCondition.objects.get()
    condition.rules_configuration["rules"][0]["params"]["channels"] = [other.pk]
    condition.save()
    channel, company = complete["channel"], complete["cargo_company"]
    return {"Route Trendyol orders of Yurtici Kargo to OmnitronShipmentClient"}, [
        f"fix: oms setup_marketplace --channel {channel.pk} --cargo-company {company.pk}",
    ]


def _transition_missing(source: str) -> Callable:
    def remove(complete, ingest, settings):
        StateTransition.objects.filter(slug="CHANNEL_BASED_COMPLETE_PACKAGING", source_state=source).delete()
        name = {100: "waiting", 200: "preparing", 400: "ready_to_pack"}[source]
        return {f"Transition CHANNEL_BASED_COMPLETE_PACKAGING: {name} -> packed"}, [
            "fix: oms setup_marketplace",
            'or: POST /api/v1/oms/state-transitions/ {"command": "CHANNEL_BASED_COMPLETE_PACKAGING", '
            f'"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "source_state": "{name}", '
            '"destination_state": "packed"}',
        ]

    return remove


def _transition_running_another_command(complete, ingest, settings):
    row = StateTransition.objects.get(slug="CHANNEL_BASED_COMPLETE_PACKAGING", source_state=100)
    StateTransition.objects.filter(pk=row.pk).update(command="PREPARE_PACKAGE", destination_state=200)
    return {"Transition CHANNEL_BASED_COMPLETE_PACKAGING: waiting -> packed"}, [
        f"transition {row.pk} has this slug and source but runs PREPARE_PACKAGE to 'preparing'",
        f"fix: PATCH /api/v1/oms/state-transitions/{row.pk}/ "
        '{"command": "CHANNEL_BASED_COMPLETE_PACKAGING", "destination_state": "packed"}',
    ]


def _auto_run_false(complete, ingest, settings):
    application_setting_set(key="AUTO_RUN_SHIP_THE_PACKAGE_COMMAND", value=False)
    row = ApplicationSetting.objects.get(key="AUTO_RUN_SHIP_THE_PACKAGE_COMMAND")
    return {"Setting AUTO_RUN_SHIP_THE_PACKAGE_COMMAND = true"}, [
        f"set to false (id {row.pk})",
        "fix: oms setup_marketplace",
        f'or: PATCH /api/v1/oms/settings/application_settings/{row.pk}/ {{"json_value": true}}',
    ]


def _auto_run_unset(complete, ingest, settings):
    ApplicationSetting.objects.filter(key="AUTO_RUN_SHIP_THE_PACKAGE_COMMAND").delete()
    return {"Setting AUTO_RUN_SHIP_THE_PACKAGE_COMMAND = true"}, [
        "not set (false by default)",
        'or: POST /api/v1/oms/settings/application_settings/ {"key": "AUTO_RUN_SHIP_THE_PACKAGE_COMMAND", '
        '"json_value": true}',
    ]


def _omnitron_not_configured(complete, ingest, settings):
    settings.OMNITRON_URL = ""
    return {"Omnitron connection"}, [
        "not configured: url missing in the OMNITRON_URL, OMNITRON_USERNAME and OMNITRON_PASSWORD",
        "fix: set OMNITRON_URL, OMNITRON_USERNAME and OMNITRON_PASSWORD and restart OMS",
    ]


def _omnitron_unreachable(complete, ingest, settings):
    settings.OMNITRON_URL = f"http://127.0.0.1:{free_port()}"
    return {"Omnitron connection"}, [
        "unreachable: Omnitron at http://127.0.0.1:",
        "failed after 1 attempt(s)",
        "fix: check that the URL is Omnitron's and reachable from this machine",
    ]


GAPS = {
    "channel without a type": _channel_without_type,
    "cargo company unknown to OMS": _unknown_cargo_company,
    "cargo company created after its orders": _cargo_company_created_after_its_orders,
    "no condition": _no_condition,
    "condition for another channel": _condition_for_another_channel,
    "transition from waiting missing": _transition_missing(100),
    "transition from preparing missing": _transition_missing(200),
    "transition from ready_to_pack missing": _transition_missing(400),
    "transition running another command": _transition_running_another_command,
    "AUTO_RUN false": _auto_run_false,
    "AUTO_RUN unset": _auto_run_unset,
    "Omnitron not configured": _omnitron_not_configured,
    "Omnitron unreachable": _omnitron_unreachable,
}


@pytest.mark.django_db
@pytest.mark.parametrize("gap", GAPS.values(), ids=GAPS.keys())
def test_each_gap_is_detected_with_its_fix(complete, ingest, settings, gap):
    expected_missing, fixes = gap(complete, ingest, settings)

    code, output = check_setup()

    assert code == 1, output
    assert missing_titles(output) == expected_missing
    for text in fixes:
        assert shown(text, output), text
    assert f"{len(expected_missing)} MISSING." in output


@pytest.mark.django_db
def test_wrong_omnitron_credentials_are_told_apart(complete, settings):
    settings.OMNITRON_PASSWORD = "not-the-password"

    code, output = check_setup()

    assert code == 1
    assert missing_titles(output) == {"Omnitron connection"}
    assert shown("wrong credentials: Omnitron at ", output)
    assert shown("refused the credentials of user 'omnitron'", output)
    assert shown("fix: correct the username and password: set OMNITRON_URL, OMNITRON_USERNAME and", output)


@pytest.mark.django_db
def test_wrong_credentials_in_the_application_setting_point_at_its_patch(complete, omnitron_sandbox_settings):
    sandbox = omnitron_sandbox_settings
    row = application_setting_set(
        key="OMNITRON_CLIENT_SETTINGS", value={"url": sandbox.url, "username": "omnitron", "password": "x"}
    )

    code, output = check_setup()

    assert code == 1
    assert shown(f"(from the OMNITRON_CLIENT_SETTINGS application setting (id {row.pk}))", output)
    patch = f"PATCH /api/v1/oms/settings/application_settings/{row.pk}/"
    assert shown(f"fix: correct the username and password: {patch}", output)


@pytest.mark.django_db
def test_no_omnitron_skips_the_connection_check(complete, settings):
    settings.OMNITRON_URL = ""

    code, output = check_setup("--no-omnitron")

    assert code == 0, output
    assert "Omnitron connection" not in output
    assert "All 12 checks OK" in output


@pytest.mark.django_db
def test_before_the_first_order_every_active_marketplace_channel_needs_a_route(
    omnitron_sandbox_settings, api
):
    client = omnitron_client_get()
    channels_sync(client=client)
    cargo_companies_sync(client=client)
    client.close()
    marketplace_setup()
    trendyol = Channel.objects.get(omnitron_id=42)
    yurtici = CargoCompany.objects.get(omnitron_id=7)
    Channel.objects.filter(omnitron_id=44).update(is_active=False)  # Amazon: inactive, not checked
    response = api.post(
        CONDITIONS, seed_condition_body(cargo_company_id=yurtici.pk, channel_id=trendyol.pk), format="json"
    )
    assert response.status_code == 201
    hepsiburada = Channel.objects.get(omnitron_id=43)

    report = setup_check(check_omnitron=False)

    by_title = {item.title: item for item in report.items}
    assert not report.ok
    assert [item.title for item in report.missing] == ["Route Hepsiburada orders to OmnitronShipmentClient"]
    assert "cargo companies: Yurtici Kargo" in report.missing[0].detail
    assert report.missing[0].fix.startswith(
        f"oms setup_marketplace --channel {hepsiburada.pk} --cargo-company <OMS cargo company id>"
    )
    assert by_title["Route Trendyol orders to OmnitronShipmentClient"].ok
    assert by_title["Route Web orders to OmnitronShipmentClient"].ok  # a web channel is not a marketplace
    assert by_title[f"Channel Hepsiburada (id {hepsiburada.pk}, Omnitron 43)"].ok
    assert not any("Amazon" in title for title in by_title)


@pytest.mark.django_db
def test_orders_without_a_cargo_company_are_mentioned_on_their_channel(complete, ingest):
    ingest(cargo_company=None)

    report = setup_check(check_omnitron=False)

    assert report.ok
    channel = next(item for item in report.items if item.title.startswith("Channel Trendyol"))
    assert "3 orders (1 arrived with no cargo company in Omnitron" in channel.detail


@pytest.mark.django_db
def test_the_check_runs_a_constant_number_of_queries_whatever_the_number_of_orders(complete, api):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            setup_check(check_omnitron=False)
        return len(queries)

    few = count()
    for pk in range(70_001, 70_031):
        assert api.post(INGEST, omnitron_order_json(pk=pk), format="json").status_code == 201

    assert count() == few

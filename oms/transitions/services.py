"""Defining the marketplace flow's configuration as data, idempotently."""

from dataclasses import dataclass, field

from django.db import transaction

from oms.channels.models import Channel
from oms.configuration.services import application_setting_get, application_setting_set
from oms.core.errors import DomainError
from oms.core.statuses import PackageStatus, status_name
from oms.shipments.clients.omnitron_shipment_client import OmnitronShipmentClient
from oms.shipments.models import CargoCompany, CargoCompanyCondition
from oms.shipments.shipment_conditions import ChannelBasedOrdersCondition
from oms.transitions.models import StateTransition, TransitionModel

# (slug = command code, source, destination): the seed's three packaging transitions, and the
# warehouse steps that lead a package from waiting to ready_to_pack.
MARKETPLACE_TRANSITIONS = [
    ("CHANNEL_BASED_COMPLETE_PACKAGING", PackageStatus.WAITING, PackageStatus.PACKED),
    ("CHANNEL_BASED_COMPLETE_PACKAGING", PackageStatus.PREPARING, PackageStatus.PACKED),
    ("CHANNEL_BASED_COMPLETE_PACKAGING", PackageStatus.READY_TO_PACK, PackageStatus.PACKED),
    ("PREPARE_PACKAGE", PackageStatus.WAITING, PackageStatus.PREPARING),
    ("READY_TO_PACK", PackageStatus.PREPARING, PackageStatus.READY_TO_PACK),
    # Cancellations (oms.orders.cancellations): before packing, and a parcel pulled back.
    ("CANCEL_PACKAGE", PackageStatus.WAITING, PackageStatus.CANCELLED),
    ("CANCEL_PACKAGE", PackageStatus.PREPARING, PackageStatus.CANCELLED),
    ("CANCEL_PACKAGE", PackageStatus.READY_TO_PACK, PackageStatus.CANCELLED),
    ("CANCEL_PACKED_PACKAGE", PackageStatus.PACKED, PackageStatus.CANCELLED),
]


@dataclass
class SetupResult:
    done: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)


def channel_condition_exists(*, cargo_company: CargoCompany, channel: Channel) -> bool:
    """Whether a condition of the cargo company already routes the channel to the Omnitron client."""
    for condition in CargoCompanyCondition.objects.filter(cargo_company=cargo_company):
        for rule in condition.rules_configuration.get("rules", []):
            if rule.get("klass") != ChannelBasedOrdersCondition.path:
                continue
            params = rule.get("params", {})
            if params.get("conf", {}).get("klass") != OmnitronShipmentClient.path:
                continue
            channels = params.get("channels") or []
            if channel.pk in channels or (
                not channels and params.get("condition_type") == channel.channel_type
            ):
                return True
    return False


@transaction.atomic
def marketplace_setup(
    *, channel_id: int | None = None, cargo_company_id: int | None = None, auto_run: bool = True
) -> SetupResult:
    """Define the marketplace transitions and setting; optionally route a channel's orders."""
    result = SetupResult()
    for slug, source, destination in MARKETPLACE_TRANSITIONS:
        moves = f"{status_name(PackageStatus, source)} -> {status_name(PackageStatus, destination)}"
        label = f"transition {slug}: {moves}"
        _, created = StateTransition.objects.get_or_create(
            model=TransitionModel.PACKAGE,
            slug=slug,
            source_state=source,
            defaults={
                "command": slug,
                "destination_state": destination,
                "name": slug.replace("_", " ").capitalize(),
            },
        )
        (result.done if created else result.already).append(label)

    key = "AUTO_RUN_SHIP_THE_PACKAGE_COMMAND"
    if application_setting_get(key) != auto_run:
        application_setting_set(key=key, value=auto_run)
        result.done.append(f"setting {key} = {str(auto_run).lower()}")
    else:
        result.already.append(f"setting {key} = {str(auto_run).lower()}")

    if (channel_id is None) != (cargo_company_id is None):
        raise DomainError("Give both --channel and --cargo-company to route a channel, or neither.")
    if channel_id is not None:
        channel = Channel.objects.filter(pk=channel_id).first()
        if channel is None:
            raise DomainError(
                f"There is no OMS channel with id {channel_id} (see GET /api/v1/oms/channels/)."
            )
        cargo_company = CargoCompany.objects.filter(pk=cargo_company_id).first()
        if cargo_company is None:
            raise DomainError(
                f"There is no OMS cargo company with id {cargo_company_id} "
                "(see GET /api/v1/oms/cargo-companies/)."
            )
        label = (
            f"condition routing channel {channel.pk} ({channel.name}) of {cargo_company.name} "
            "to OmnitronShipmentClient"
        )
        if channel_condition_exists(cargo_company=cargo_company, channel=channel):
            result.already.append(label)
        else:
            CargoCompanyCondition.objects.create(
                cargo_company=cargo_company,
                rules_configuration={
                    "rules": [
                        {
                            "klass": ChannelBasedOrdersCondition.path,
                            "params": {
                                "condition_type": channel.channel_type,
                                "channels": [channel.pk],
                                "conf": {"klass": OmnitronShipmentClient.path},
                            },
                        }
                    ]
                },
            )
            result.done.append(label)
    return result

"""Setting up the marketplace flow's configuration as data, idempotently (`oms setup_marketplace`)."""

from dataclasses import dataclass, field

from django.db import transaction

from oms.channels.models import Channel
from oms.configuration.keys import AUTO_RUN_SHIP_THE_PACKAGE_COMMAND
from oms.configuration.services import application_setting_get, application_setting_set
from oms.core.errors import DomainError
from oms.core.statuses import PackageStatus, status_name
from oms.packages.cancel_commands import (
    CancelPackageCommand,
    CancelPackedPackageCommand,
    RepackPackageCommand,
)
from oms.packages.commands import (
    ChannelBasedCompletePackagingCommand,
    PreparePackageCommand,
    ReadyToPackCommand,
)
from oms.shipments.models import CargoCompany, CargoCompanyCondition
from oms.shipments.routes import rules_on_omnitron_route, seed_route_configuration
from oms.transitions.models import StateTransition, TransitionModel

PACKAGING_SLUG = ChannelBasedCompletePackagingCommand.code

# (slug = command code, source, destination): the seed's three packaging transitions, and the
# warehouse steps that lead a package from waiting to ready_to_pack.
MARKETPLACE_TRANSITIONS = [
    (PACKAGING_SLUG, PackageStatus.WAITING, PackageStatus.PACKED),
    (PACKAGING_SLUG, PackageStatus.PREPARING, PackageStatus.PACKED),
    (PACKAGING_SLUG, PackageStatus.READY_TO_PACK, PackageStatus.PACKED),
    (PreparePackageCommand.code, PackageStatus.WAITING, PackageStatus.PREPARING),
    (ReadyToPackCommand.code, PackageStatus.PREPARING, PackageStatus.READY_TO_PACK),
    # Cancellations (oms.orders.cancellations): before packing, and a parcel pulled back.
    (CancelPackageCommand.code, PackageStatus.WAITING, PackageStatus.CANCELLED),
    (CancelPackageCommand.code, PackageStatus.PREPARING, PackageStatus.CANCELLED),
    (CancelPackageCommand.code, PackageStatus.READY_TO_PACK, PackageStatus.CANCELLED),
    (CancelPackedPackageCommand.code, PackageStatus.PACKED, PackageStatus.CANCELLED),
    (RepackPackageCommand.code, PackageStatus.PACKED, PackageStatus.PACKED),
]


@dataclass
class SetupResult:
    done: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)


def channel_condition_exists(*, cargo_company: CargoCompany, channel: Channel) -> bool:
    """Whether a condition of the cargo company already routes the channel to the Omnitron client."""
    return any(
        rules_on_omnitron_route(configuration, channel_id=channel.pk, channel_type=channel.channel_type)
        for configuration in CargoCompanyCondition.objects.filter(cargo_company=cargo_company).values_list(
            "rules_configuration", flat=True
        )
    )


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

    key = AUTO_RUN_SHIP_THE_PACKAGE_COMMAND
    if application_setting_get(key) != auto_run:
        application_setting_set(key=key, value=auto_run)
        result.done.append(f"setting {key} = {str(auto_run).lower()}")
    else:
        result.already.append(f"setting {key} = {str(auto_run).lower()}")

    if (channel_id is None) != (cargo_company_id is None):
        raise DomainError("Give both --channel and --cargo-company to route a channel, or neither.")
    if channel_id is not None and cargo_company_id is not None:
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
                rules_configuration=seed_route_configuration(
                    channel_id=channel.pk, channel_type=channel.channel_type
                ),
            )
            result.done.append(label)
    return result

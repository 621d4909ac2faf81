"""The closed registry of package commands.

A `StateTransition` row names one of these codes; what the code does lives here, in code.
"""

from dataclasses import dataclass

from oms.core.statuses import PackageStatus


@dataclass(frozen=True)
class CommandSpec:
    code: str
    description: str
    sources: frozenset[int]
    destinations: frozenset[int]


PACKAGE_COMMANDS: dict[str, CommandSpec] = {
    spec.code: spec
    for spec in [
        CommandSpec(
            code="CHANNEL_BASED_COMPLETE_PACKAGING",
            description="Pack a marketplace package: shipment with the marketplace's tracking "
            "number, items packed, order items reported to Omnitron as preparing.",
            sources=frozenset({PackageStatus.WAITING, PackageStatus.PREPARING, PackageStatus.READY_TO_PACK}),
            destinations=frozenset({PackageStatus.PACKED}),
        ),
        CommandSpec(
            code="PREPARE_PACKAGE",
            description="Start picking a package's items.",
            sources=frozenset({PackageStatus.WAITING}),
            destinations=frozenset({PackageStatus.PREPARING}),
        ),
        CommandSpec(
            code="READY_TO_PACK",
            description="All items picked: the package is ready to be packed.",
            sources=frozenset({PackageStatus.PREPARING}),
            destinations=frozenset({PackageStatus.READY_TO_PACK}),
        ),
    ]
}

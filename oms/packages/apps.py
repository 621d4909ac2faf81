from django.apps import AppConfig


class PackagesConfig(AppConfig):
    name = "oms.packages"
    label = "packages"

    def ready(self) -> None:
        from oms.packages.shipment_moves import packages_follow_shipments
        from oms.shipments import shipment_moves

        shipment_moves.register(packages_follow_shipments, rank=shipment_moves.PACKAGES_RANK)

        from oms.omnitron.reports import superseded_check_register
        from oms.packages.cancel_commands import CANCELLATION_COMMANDS
        from oms.packages.commands import COMMAND_CLASSES, package_commands_add
        from oms.packages.reports import preparing_report_superseded_reason
        from oms.transitions.commands import CommandSpec, command_register

        # The cancellation commands join the package commands; state transitions may name them all.
        package_commands_add(CANCELLATION_COMMANDS)
        for command in COMMAND_CLASSES.values():
            command_register(
                CommandSpec(
                    code=command.code,
                    description=command.description,
                    sources=command.sources,
                    destinations=command.destinations,
                )
            )
        # The outbox does not send a "preparing" report once its package has shipped.
        superseded_check_register(preparing_report_superseded_reason)

        # Events carry the package as the API shows it.
        from oms.events.registry import representation_register
        from oms.packages.events import package_representation

        representation_register(kind="package", builder=package_representation)

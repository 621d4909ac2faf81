from django.apps import AppConfig


class ConfigurationConfig(AppConfig):
    name = "oms.configuration"
    label = "configuration"

    def ready(self) -> None:
        from oms.configuration.services import omnitron_connection_configured
        from oms.omnitron.connection import connection_source_register

        # The OMNITRON_CLIENT_SETTINGS application setting wins over the environment's settings.
        connection_source_register(omnitron_connection_configured)

from django.apps import AppConfig


class ConfigurationConfig(AppConfig):
    name = "oms.configuration"
    label = "configuration"

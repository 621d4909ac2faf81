from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "oms.operations"
    label = "operations"
    verbose_name = "Operator tooling"

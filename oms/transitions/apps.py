from django.apps import AppConfig


class TransitionsConfig(AppConfig):
    name = "oms.transitions"
    label = "transitions"

from django.apps import AppConfig


class OmnitronConfig(AppConfig):
    name = "oms.omnitron"
    label = "omnitron"

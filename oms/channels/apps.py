from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "oms.channels"
    label = "channels"

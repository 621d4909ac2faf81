from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "oms.dashboard"
    label = "dashboard"
    verbose_name = "Operations dashboard"

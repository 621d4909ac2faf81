from django.urls import path

from oms.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("packages/<int:package_id>/", views.package_detail, name="package"),
    path("packages/<int:package_id>/command/", views.package_command, name="package-command"),
    path("events/", views.webhook_events, name="events"),
]

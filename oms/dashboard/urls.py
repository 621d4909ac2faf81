from django.urls import path

from oms.dashboard import views, worklist_views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("packages/", worklist_views.worklist, name="worklist"),
    path("packages/pack/", worklist_views.worklist_pack_selected, name="worklist-pack"),
    path("packages/<int:package_id>/", views.package_detail, name="package"),
    path("packages/<int:package_id>/command/", views.package_command, name="package-command"),
    path("events/", views.webhook_events, name="events"),
]

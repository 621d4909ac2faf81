from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, path, reverse
from rest_framework.response import Response
from rest_framework.routers import APIRootView, DefaultRouter

from oms.channels.apis import ChannelViewSet
from oms.configuration.apis import ApplicationSettingViewSet
from oms.core.apis import LoginApi
from oms.events.apis import WebhookSubscriptionViewSet
from oms.orders.apis import OrderViewSet
from oms.orders.cancellation_apis import CancellationPlanApi
from oms.orders.ingest_apis import OmnitronOrderIngestApi
from oms.packages.apis import PackageViewSet
from oms.packages.bulk_apis import PackageBulkCommandApi
from oms.packages.command_apis import PackageCommandApi
from oms.packages.label_apis import PackageLabelApi, PackageLabelsApi
from oms.shipments.apis import (
    CargoCompanyConditionViewSet,
    CargoCompanyViewSet,
    ShipmentObservationViewSet,
    ShipmentStatusResolutionApi,
    ShipmentViewSet,
    TrackingNumberChangeViewSet,
)
from oms.transitions.apis import StateTransitionLogViewSet, StateTransitionViewSet


class ApiRootView(APIRootView):
    """DRF's API root (a link to each list), with each link's path reversed once per process.

    DRF's view reverses every link on every request, a quarter of what this cheapest authenticated
    request cost. The paths depend only on the URL configuration, the script prefix and the
    arguments; each answer still builds its links on the request's own scheme and host, as DRF does.
    """

    _paths: dict[tuple, dict[str, str]] = {}

    def get(self, request, *args, **kwargs):
        namespace = request.resolver_match.namespace
        key = (namespace, get_urlconf(), get_script_prefix(), args, tuple(sorted(kwargs.items())))
        paths = self._paths.get(key)
        if paths is None:
            paths = {}
            for name, url_name in (self.api_root_dict or {}).items():
                try:
                    paths[name] = reverse(
                        f"{namespace}:{url_name}" if namespace else url_name, args=args, kwargs=kwargs
                    )
                except NoReverseMatch:  # as DRF: a route with no list view has no link
                    continue
            self._paths[key] = paths
        return Response({name: request.build_absolute_uri(link) for name, link in paths.items()})


router = DefaultRouter()
router.APIRootView = ApiRootView
router.register("channels", ChannelViewSet, basename="channel")
router.register("cargo-companies", CargoCompanyViewSet, basename="cargo-company")
router.register("cargo-company-conditions", CargoCompanyConditionViewSet, basename="cargo-company-condition")
router.register("state-transitions", StateTransitionViewSet, basename="state-transition")
router.register("state-transition-logs", StateTransitionLogViewSet, basename="state-transition-log")
router.register("settings/application_settings", ApplicationSettingViewSet, basename="application-setting")
router.register("orders", OrderViewSet, basename="order")
router.register("packages", PackageViewSet, basename="package")
router.register("shipments", ShipmentViewSet, basename="shipment")
router.register("shipment-observations", ShipmentObservationViewSet, basename="shipment-observation")
router.register("tracking-number-changes", TrackingNumberChangeViewSet, basename="tracking-number-change")
router.register("whisperer/hooks", WebhookSubscriptionViewSet, basename="webhook-subscription")

urlpatterns = [
    path("auth/login/", LoginApi.as_view(), name="login"),
    path("omnitron/orders/", OmnitronOrderIngestApi.as_view(), name="omnitron-order-ingest"),
    path("cancellation_plan/", CancellationPlanApi.as_view(), name="cancellation-plan"),
    path(
        "shipment-status-resolution/",
        ShipmentStatusResolutionApi.as_view(),
        name="shipment-status-resolution",
    ),
    path("packages/<int:pk>/command/", PackageCommandApi.as_view(), name="package-command"),
    path("packages/bulk-command/", PackageBulkCommandApi.as_view(), name="package-bulk-command"),
    path("packages/labels/", PackageLabelsApi.as_view(), name="package-labels"),
    path("packages/<int:pk>/label/", PackageLabelApi.as_view(), name="package-label"),
    *router.urls,
]

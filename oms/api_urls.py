from django.urls import path
from rest_framework.routers import DefaultRouter

from oms.channels.apis import ChannelViewSet
from oms.configuration.apis import ApplicationSettingViewSet
from oms.core.apis import LoginApi
from oms.orders.apis import OrderViewSet
from oms.orders.cancellation_apis import CancellationPlanApi
from oms.orders.ingest_apis import OmnitronOrderIngestApi
from oms.packages.apis import PackageViewSet
from oms.packages.command_apis import PackageCommandApi
from oms.shipments.apis import (
    CargoCompanyConditionViewSet,
    CargoCompanyViewSet,
    ShipmentObservationViewSet,
    ShipmentStatusResolutionApi,
    ShipmentViewSet,
    TrackingNumberChangeViewSet,
)
from oms.transitions.apis import StateTransitionViewSet

router = DefaultRouter()
router.register("channels", ChannelViewSet, basename="channel")
router.register("cargo-companies", CargoCompanyViewSet, basename="cargo-company")
router.register("cargo-company-conditions", CargoCompanyConditionViewSet, basename="cargo-company-condition")
router.register("state-transitions", StateTransitionViewSet, basename="state-transition")
router.register("settings/application_settings", ApplicationSettingViewSet, basename="application-setting")
router.register("orders", OrderViewSet, basename="order")
router.register("packages", PackageViewSet, basename="package")
router.register("shipments", ShipmentViewSet, basename="shipment")
router.register("shipment-observations", ShipmentObservationViewSet, basename="shipment-observation")
router.register("tracking-number-changes", TrackingNumberChangeViewSet, basename="tracking-number-change")

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
    *router.urls,
]

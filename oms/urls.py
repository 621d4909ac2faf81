from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

# Unknown URLs under /api/ answer the JSON error envelope (elsewhere Django's 404 page).
handler404 = "oms.core.errors.page_not_found"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("ops/", include("oms.dashboard.urls")),
    path("api/v1/oms/", include("oms.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

"""One endpoint: `GET /` answers a small JSON object, about the size of OMS's API root."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView


class FloorApi(APIView):
    def get(self, request):
        return Response({"floor": "bare DRF", "database": None, "middleware": []})


urlpatterns = [path("", FloorApi.as_view(), name="floor")]

"""The request path of API calls: token calls skip the browser middleware (sessions, messages, frame
header) without losing anything, browsers keep all of it; the API root's links are DRF's, and an
order answered by the serializer built once is the order its serializer answers."""

import pytest
from django.test import Client
from rest_framework.reverse import reverse as drf_reverse
from rest_framework.test import APIClient, APIRequestFactory

from oms.api_urls import router
from oms.core.statuses import PackageStatus
from oms.orders.serializers import OrderSerializer, order_representation
from tests.api.conftest import API, make_order, make_package


def test_a_token_call_gets_no_session_cookie_and_no_frame_header(api):
    response = api.get(f"{API}/channels/")

    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    assert not response.cookies


def test_a_browser_session_still_opens_the_api_with_the_frame_header(staff_user):
    browser = Client()
    browser.force_login(staff_user)

    response = browser.get(f"{API}/channels/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_wrong_token_is_refused_even_with_a_logged_in_session(staff_user):
    browser = APIClient()
    browser.force_login(staff_user)  # a valid session cookie rides along
    browser.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = browser.get(f"{API}/channels/")

    assert response.status_code == 401
    assert response.json()["status_code"] == 401


def test_the_admin_login_page_keeps_its_session_csrf_and_frame_header(db):
    response = Client().get("/admin/login/")

    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "csrftoken" in response.cookies


@pytest.mark.parametrize("host", ["testserver", "127.0.0.1:8000"])
def test_the_api_root_links_every_list_as_drf_reverses_it_on_the_requests_host(api, host):
    response = api.get(f"{API}/", HTTP_HOST=host)

    request = APIRequestFactory().get(f"{API}/", HTTP_HOST=host)
    expected = {
        prefix: drf_reverse(f"{basename}-list", request=request)
        for prefix, _viewset, basename in router.registry
    }
    assert response.status_code == 200
    assert response.json() == expected
    assert response.json()["orders"] == f"http://{host}{API}/orders/"


def test_an_order_is_represented_as_its_serializer_answers_it_order_after_order(channel_42, cargo_company_1):
    known = make_order(channel=channel_42, items=3, cargo_company=cargo_company_1)
    make_package(order=known)
    unknown = make_order(channel=channel_42, items=1, omnitron_cargo_company_id=99)
    make_package(order=unknown, status=PackageStatus.PACKED)

    answers = [order_representation(order) for order in (known, unknown, known)]

    assert answers == [OrderSerializer(order).data for order in (known, unknown, known)]
    assert [len(answer["items"]) for answer in answers] == [3, 1, 3]
    assert answers[1]["warnings"] and not answers[0]["warnings"]

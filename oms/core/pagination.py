from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """`page` and `page_size` (capped at 500); body `{count, next, previous, results}`."""

    page_size_query_param = "page_size"
    max_page_size = 500
    invalid_page_message = (
        "Page '{page_number}' does not exist: {message}. Pages are numbered from 1; follow the "
        "'next' and 'previous' links of the list."
    )

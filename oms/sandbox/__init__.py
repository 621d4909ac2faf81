"""The Omnitron sandbox: a stand-in Omnitron served over real HTTP, with no Django.

It serves the endpoints of docs/omnitron-contract.md from an in-memory store (thread-safe), in the
exact wire format: status codes as strings of digits, `page`/`limit` pagination (limit at most 500)
with `count`/`next`/`previous`/`results` and absolute `next` URLs, token auth
(`POST /api/v1/auth/login/` -> `{"key"}`; `401 {"detail"}` without a valid token), orders filtered
by `id__in`, `status`, `modified_date__gte`, `modified_date__lte` and ordered by modified date then
pk, channels and cargo companies, `PATCH /api/i1/order_items/bulk_status_update/` (all or nothing)
and `PATCH /api/v1/order_items/{pk}/`. Status changes bump the order's `modified_date`; when every
item of an order ends up in one status, the order takes that status too.

Use from Python (tests)::

    server = SandboxServer(username="omnitron", password="secret").start()
    order = server.create_order(channel=42, cargo_company=7, item_count=2)
    server.set_status(order["pk"], 500)
    server.set_faults(fail_next=2)
    server.requests(path="/api/v1/orders/")
    server.stop()

or as a process: `oms sandbox --port 8100` (or `python -m oms.sandbox`).

Control endpoints (no auth; faults never apply to them):

- `GET /_sandbox/health/` -> 200 `{"status": "ok"}`.
- `POST /_sandbox/reset/` empties orders, faults and the request log, restores the seed channels
  and cargo companies and the initial push configuration (users and tokens stay).
- `POST /_sandbox/orders/` creates an order: `{"channel": 42, "cargo_company": 7,
  "tracking_number": "...", "number": ..., "status": "400", "items": [{"sku", "barcode", "name",
  "price", "tracking_number", "status"}]}` or `"item_count": N` instead of `items`; all but
  `channel` optional (also `pk`, `date_placed`, `modified_date`, `currency`, `shipping_amount`,
  `delivery_type`, `shipping_option_slug`, `extra_field`). -> 201 Order JSON; unknown channel or
  cargo company -> 400. Pks are assigned in increasing order (orders from 1001, items from 5001).
- `GET /_sandbox/orders/` every order (no pagination, no auth); `GET /_sandbox/orders/{pk}/` one.
- `POST /_sandbox/orders/{pk}/status/` `{"status": "500", "tracking_number": optional}` sets the
  order's and its items' status (and tracking number) -> 200 Order JSON.
- `POST /_sandbox/channels/` `{"pk"?, "name", "channel_type"?, "is_active"?}` -> 201;
  `POST /_sandbox/cargo_companies/` `{"pk"?, "name", "erp_code"?, "shipping_company"?}` -> 201.
  `GET` on either lists them.
- `GET /_sandbox/faults/` shows the faults; `POST` sets the given ones (others are kept);
  `DELETE` clears them all. Fields: `latency_ms` (delay before answering), `error_rate` (0..1
  probability of an `error_status` answer, default 503, with an HTML body), `fail_next` (the next N
  API requests answer `error_status`), `rate_limit_next` (the next N answer 429 with
  `Retry-After: <retry_after>`, default 1), `drop_next` (the next N connections are closed without
  an answer), `malformed_next` (the next N 200 answers carry a truncated JSON body; the change the
  request asked for is still made), `expire_tokens: true` (invalidate every token now), `paths`
  (list of path prefixes the faults apply to; empty = every API path, login included). A request
  takes at most one counted fault, checked in this order: drop, rate limit, fail, error rate.
- `GET /_sandbox/requests/?path=<prefix>` the recorded API requests, oldest first: `id`, `time`,
  `method`, `path`, `query` (raw), `params` (parsed, last value wins), `body` (parsed JSON; the login
  password is masked), `status` (null when dropped), `fault`, `user`. `DELETE` clears the log.
- `POST /_sandbox/push/` `{"url": "<OMS ingestion URL>", "token": "<OMS API token>", "enabled": true}`
  pushes every order created afterwards (full Order JSON, `Authorization: Token <token>`) from a
  background thread, retrying connection errors, 429 and 5xx a few times (honouring `Retry-After`).
  `"enabled": false` stops pushing (a lost push). `GET` shows the configuration (token masked) and
  counters `sent`, `failed`, `skipped`, `attempts`, `pending`, and the last deliveries.

Seed data: channels 1 Web (web), 42 Trendyol, 43 Hepsiburada (sales_channel), 44 Amazon (amazon);
cargo companies 7 Yurtici Kargo, 8 Aras Kargo, 9 Trendyol Express.
"""

from oms.sandbox.server import SandboxServer
from oms.sandbox.wire import SandboxError

__all__ = ["SandboxError", "SandboxServer"]

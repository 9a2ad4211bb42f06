"""The REST API: `/api/openapi.json` documents it, `/api/docs` lets you try it.

Routers live in hotline/api/<resource>.py; the error handlers every endpoint relies on in errors.py.
"""

from hotline.api import airings, callbacks, complaints, customers, engine, logistics, orders, products
from hotline.api.docs import OfflineSwagger
from hotline.api.errors import HotlineAPI, install

api = HotlineAPI(
    title="Hotline API",
    version="1",
    urls_namespace="api",
    docs=OfflineSwagger(),
    description=(
        "REST API of Hotline, the TV-shopping call center. Authenticate with `Authorization: Bearer <token>` "
        "(issue one with `hotline token USER`) or a logged-in session (writes then need the CSRF token). "
        "Money is a decimal string in yuan (`\"398.00\"`); times are ISO 8601 in UTC. "
        "Messages follow `Accept-Language` (zh-hans by default, en). Errors: 401 not authenticated, "
        "403 not allowed, 404 not found, 409 duplicate customer, 422 invalid input as "
        '`{"errors": {"field": ["message"]}}`.'
    ),
)
install(api)
api.add_router("/customers", customers.router)
api.add_router("/products", products.router)
api.add_router("/airings", airings.router)
api.add_router("/orders", orders.router)
api.add_router("/engine", engine.router)
api.add_router("/callbacks", callbacks.callbacks)
api.add_router("/voicemails", callbacks.voicemails)
api.add_router("/logistics", logistics.router)
api.add_router("/complaints", complaints.router)

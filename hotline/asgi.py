"""ASGI entry point (uvicorn serves it): HTTP goes to Django, websockets to the desk and the wallboard."""

import os
import threading

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
django_application = get_asgi_application()  # sets Django up before the routes import models

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from hotline.desk.consumers import DeskConsumer  # noqa: E402
from hotline.wallboard.consumers import WallboardConsumer  # noqa: E402

websocket_routes = [
    path("ws/desk/", DeskConsumer.as_asgi()),
    path("ws/wallboard/", WallboardConsumer.as_asgi()),
]

if not settings.TESTING:
    # The phone region tables take seconds to import; load them now, not in the first caller's screen pop.
    from hotline.lib.phones import load_region_tables

    threading.Thread(target=load_region_tables, name="region-tables", daemon=True).start()

application = ProtocolTypeRouter({
    "http": django_application,
    "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_routes))),
})

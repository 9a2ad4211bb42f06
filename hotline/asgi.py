"""ASGI entry point (uvicorn serves it; Channels routing joins here when the desk arrives)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
application = get_asgi_application()

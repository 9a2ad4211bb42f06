"""The REST API object; routers are added in hotline/api/*.py."""

from ninja import NinjaAPI

api = NinjaAPI(title="Hotline API", version="1", urls_namespace="api")

"""The JSON API under /api/v1/ (django-ninja). Routers live in the apps."""

from ninja import NinjaAPI

api = NinjaAPI(title="Kalm API", version="1", urls_namespace="api")

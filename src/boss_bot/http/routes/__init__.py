"""The API's routers: operations (health, readiness, metrics) and ``/api/v1``."""

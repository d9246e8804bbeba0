"""The callcenter project package: settings, ASGI/Celery entry points, roles and the shared shell."""

from callcenter.celery import app as celery_app

__all__ = ["celery_app"]

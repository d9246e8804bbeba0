"""Ticks the Celery beat schedule inside the server process when there is no Redis broker.

Tasks run eagerly in that case, so they must run where the in-memory channel layer lives: here.
"""

from __future__ import annotations

import logging
import threading

from celery import beat

from callcenter.celery import app

logger = logging.getLogger(__name__)
_started = threading.Event()


def embedded_beat_start() -> None:
    """Start the beat scheduler in a daemon thread, once per process."""
    if _started.is_set():
        return
    _started.set()
    # Beat runs a task in-process only if it is registered here; autodiscovery is lazy otherwise.
    app.loader.import_default_modules()
    service = beat.EmbeddedService(app, thread=True, scheduler_cls=app.conf.beat_scheduler)
    service.start()
    logger.info("Embedded beat started: scheduled tasks run inside this server process.")

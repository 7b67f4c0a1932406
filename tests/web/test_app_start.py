"""What the service does when it starts."""

import gc

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from web.app import GC_THRESHOLD, create_app
from web.settings import Settings


def test_the_heap_held_at_start_is_frozen_out_of_the_collectors_sight(settings: Settings, engine: Engine) -> None:
    gc.unfreeze()
    thresholds = gc.get_threshold()
    tuned = settings.model_copy(update={"tune_gc_at_start": True})
    try:
        with TestClient(create_app(tuned, engine)) as client:
            assert client.get("/healthz").text == "ok"
            assert gc.get_freeze_count() > 10_000  # the modules, routes and templates, not a handful of objects
            assert gc.get_threshold() == (GC_THRESHOLD, *thresholds[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    with TestClient(create_app(settings, engine)):
        assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds

"""What the service does when it starts."""

import gc

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from web.app import create_app
from web.settings import Settings


def test_the_heap_held_at_start_is_frozen_out_of_the_collectors_sight(settings: Settings, engine: Engine) -> None:
    gc.unfreeze()
    frozen = settings.model_copy(update={"freeze_heap_at_start": True})
    try:
        with TestClient(create_app(frozen, engine)) as client:
            assert client.get("/healthz").text == "ok"
            assert gc.get_freeze_count() > 10_000  # the modules, routes and templates, not a handful of objects
    finally:
        gc.unfreeze()
    with TestClient(create_app(settings, engine)):
        assert gc.get_freeze_count() == 0

"""The served process tunes Python's collector once it has started (app.main.tune_gc)."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from app.main import GC_GEN0_THRESHOLD, create_app


def test_gc_is_tuned_after_start_up_only_when_asked(settings, clock):
    before = gc.get_threshold()
    try:
        with TestClient(create_app(settings, clock=clock)) as client:
            assert client.get("/healthz").status_code == 200
            assert gc.get_threshold() == before  # tests and the CLI keep the defaults
        with TestClient(create_app(settings, clock=clock, gc_tuning=True)) as client:
            assert client.get("/healthz").status_code == 200
            assert gc.get_freeze_count() > 0
            assert gc.get_threshold()[0] == GC_GEN0_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)

"""ASGI entry point for uvicorn/gunicorn: `uvicorn app.asgi:app`."""

from app.main import create_app

# The served process, one per worker: the collector is tuned once it has started.
app = create_app(gc_tuning=True)

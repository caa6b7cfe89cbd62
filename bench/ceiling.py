"""The stack's own ceiling: FastAPI under the same uvicorn options as Cakap, no database,
no template, no middleware — one route answering a fixed byte string.

    CAKAP_BENCH_BODY_BYTES=14000 uvicorn bench.ceiling:app --host 127.0.0.1 --port 8001

bench_app.py sets the size to the module page's, so every scenario can be reported as a
fraction of what this Python/ASGI/HTTP stack can serve at all on the same core.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from fastapi.responses import Response

BODY = b"x" * int(os.environ.get("CAKAP_BENCH_BODY_BYTES", "10000"))

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/page")
def page() -> Response:
    return Response(BODY, media_type="text/html; charset=utf-8")

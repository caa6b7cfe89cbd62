"""`cakap serve`: the web server (uvicorn running app.asgi:app)."""

from __future__ import annotations

import typer

from app.cli.common import console, db_session


def serve(
    host: str = typer.Option("127.0.0.1", help="Alamat yang didengarkan."),
    port: int = typer.Option(8000, help="Port."),
    workers: int = typer.Option(1, help="Jumlah proses worker."),
    reload: bool = typer.Option(
        False, help="Muat ulang otomatis saat kode berubah (pengembangan)."
    ),
    proxy_headers: bool = typer.Option(False, help="Percayai X-Forwarded-* dari proxy (nginx)."),
) -> None:
    """Jalankan server web."""
    import uvicorn

    # Refuse an unreachable or unmigrated database here, with a clear message, rather than
    # in every worker's startup.
    with db_session():
        pass
    console.print(f"Cakap berjalan di http://{host}:{port}")
    uvicorn.run(
        "app.asgi:app",
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=proxy_headers,
        log_level="info",
    )

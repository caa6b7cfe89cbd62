"""Request logs: one line per request, plain or JSON. Paths only — query strings may carry
codes or tokens, so they are never logged."""

from __future__ import annotations

import json
import logging

log = logging.getLogger("cakap.request")


class RequestLogger:
    def __init__(self, *, json_format: bool = False):
        self.json_format = json_format

    def request(self, scope, state: dict, status: int, seconds: float) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        auth = state.get("auth")
        fields = {
            "request_id": state.get("request_id"),
            "method": scope.get("method"),
            "path": scope.get("path"),
            "status": status,
            "ms": round(seconds * 1000, 1),
            "user_id": auth.user_id if auth is not None else None,
        }
        if self.json_format:
            log.info(json.dumps(fields))
        else:
            log.info(
                "%(request_id)s %(method)s %(path)s %(status)s %(ms)sms user=%(user_id)s", fields
            )

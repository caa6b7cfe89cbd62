"""The two refusals a service function may raise, whatever calls it (a route, the CLI).

Routes do not translate them one by one: the web layer's error handlers answer 404 and
403 with the message (app/web/errors.py), the CLI prints it. They subclass LookupError and
PermissionError for readability at the call site, but only these classes are mapped: a
stray KeyError or a file's EACCES stays a 500 that gets logged, not a quiet 404/403.
"""

from __future__ import annotations


class NotFound(LookupError):
    """The record asked for does not exist (or is not visible to the asker)."""


class NotAllowed(PermissionError):
    """The asker may not do this; the message says why, in Indonesian."""

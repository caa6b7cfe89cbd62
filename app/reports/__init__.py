"""Completion reporting for the kominfo office: figures, charts, exports, API and CLI."""

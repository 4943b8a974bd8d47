"""ASGI middleware: request context and idempotent replays."""

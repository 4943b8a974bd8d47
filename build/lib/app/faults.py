"""Hooks for the fault drills (tests/faults/), in one place so no one mistakes them for the
service's behaviour. Each is off unless its setting is set, and production refuses the setting
(config.Settings: XZ_FAULT_PAUSE_AFTER_COMMIT)."""

import asyncio

from app.config import Settings


async def pause_after_commit(settings: Settings) -> None:
    """Holds an idempotent write's answer after its commit, so a drill can kill the server in
    the moment a phone would see nothing but a lost reply."""
    if settings.fault_pause_after_commit:
        await asyncio.sleep(settings.fault_pause_after_commit)

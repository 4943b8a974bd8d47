"""What a person sees of themselves at `/me`: who they are, where they belong, what they may
do, their balances and stars. A read across identity, roster and points."""

from app.services.me import data_export, profile, profile_cache

__all__ = ["data_export", "profile", "profile_cache"]

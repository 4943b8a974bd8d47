"""The Chinese labels live with the models (reports print them too); the contract reads them."""

from app.models.labels import ENUM_LABELS

__all__ = ["ENUM_LABELS"]

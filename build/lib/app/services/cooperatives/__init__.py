"""What a town recognises: branch-led cooperatives and their yearly figures, and the yearly
honours published as commendations."""

from app.services.cooperatives import honours, registry

__all__ = ["honours", "registry"]

"""The published API contract: how the OpenAPI document describes errors, callers and retries."""

from app.contract.document import install, operation_id
from app.contract.raises import Raised, errors_of

__all__ = ["Raised", "errors_of", "install", "operation_id"]

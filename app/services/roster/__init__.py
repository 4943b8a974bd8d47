"""The roster (花名册): towns, villages, branches, grids, households, people, role grants,
and reads of any of them within the caller's scope."""

from app.services.roster.bootstrap import create_superadmin
from app.services.roster.register import (
    create_branch,
    create_grid,
    create_household,
    create_person,
    create_town,
    create_village,
    get_in_scope,
    grant_role,
    list_in_scope,
    set_console_login,
    update_person,
    update_town,
)

__all__ = [
    "create_branch",
    "create_grid",
    "create_household",
    "create_person",
    "create_superadmin",
    "create_town",
    "create_village",
    "get_in_scope",
    "grant_role",
    "list_in_scope",
    "set_console_login",
    "update_person",
    "update_town",
]

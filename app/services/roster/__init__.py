"""The roster (花名册): towns, villages, branches, grids, households, people, role grants,
reads of any of them within the caller's scope, the roster as a spreadsheet and the door plates."""

from app.services.roster import erasure, imports, plates, sheets
from app.services.roster.bootstrap import create_superadmin
from app.services.roster.cards import PersonCard, person_card, revoke_role
from app.services.roster.imports import ImportNotFound, get_import, import_roster, present
from app.services.roster.lookup import VillageNotFound, get_in_scope, list_in_scope, names_of
from app.services.roster.people import create_person, grant_role, set_console_login, update_person
from app.services.roster.places import (
    create_branch,
    create_grid,
    create_household,
    create_town,
    create_village,
    update_town,
    update_village,
)
from app.services.roster.search import (
    HouseholdFilter,
    PeopleFilter,
    find_households,
    find_people,
)
from app.services.roster.villages import (
    assign_liaison,
    create_group,
    group_in,
    groups_of,
    is_liaison,
    village_people,
)

__all__ = [
    "HouseholdFilter",
    "ImportNotFound",
    "PeopleFilter",
    "PersonCard",
    "VillageNotFound",
    "assign_liaison",
    "create_branch",
    "create_grid",
    "create_group",
    "create_household",
    "create_person",
    "create_superadmin",
    "create_town",
    "create_village",
    "erasure",
    "find_households",
    "find_people",
    "get_import",
    "get_in_scope",
    "grant_role",
    "group_in",
    "groups_of",
    "import_roster",
    "imports",
    "is_liaison",
    "list_in_scope",
    "names_of",
    "person_card",
    "plates",
    "present",
    "revoke_role",
    "set_console_login",
    "sheets",
    "update_person",
    "update_town",
    "update_village",
    "village_people",
]

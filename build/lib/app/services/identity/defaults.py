"""What a left-out ``village_id`` or ``town_id`` means: the caller's one village or town. A
village secretary should not have to look up and type their own village's number in every body;
a caller who covers several must say which, and is told so (422 ``scope.required``)."""

from app.errors import Unprocessable
from app.models.roster import ADMIN_ROLES, ScopeType
from app.services.identity.scopes import Location, Principal


class ScopeRequired(Unprocessable):
    code = "scope.required"
    detail = "您管辖的范围不止一处，请写明是哪个村（village_id）或镇（town_id）。"


def own_village(principal: Principal) -> int:
    """The one village the caller administers, when that is all they administer."""
    grants = [g for g in principal.grants if g.role in ADMIN_ROLES]
    villages = {g.scope_id for g in grants if g.scope_type is ScopeType.village}
    wider = any(g.scope_type in (ScopeType.global_, ScopeType.town) for g in grants)
    if len(villages) == 1 and not wider:
        village = villages.pop()
        assert village is not None
        return village
    raise ScopeRequired("请填写 village_id：您管辖的不止一个村。")


def own_town(principal: Principal) -> int:
    """The one town all of the caller's admin grants lie in."""
    grants = [g for g in principal.grants if g.role in ADMIN_ROLES]
    towns = {g.town_id for g in grants}
    if len(towns) == 1 and None not in towns:
        town = towns.pop()
        assert town is not None
        return town
    raise ScopeRequired("请填写 town_id：您管辖的不止一个镇。")


def covers_one_village(principal: Principal) -> bool:
    try:
        own_village(principal)
    except ScopeRequired:
        return False
    return True


def home_of(principal: Principal) -> Location:
    """Where the caller works, as far as it is one place: the town all their admin grants lie in,
    and their village when that is all they administer. Files what they did (an export, say)
    where the admins above them look."""
    grants = [g for g in principal.grants if g.role in ADMIN_ROLES]
    towns = {g.town_id for g in grants}
    town = next(iter(towns)) if len(towns) == 1 else None
    return Location(
        town_id=town,
        village_id=own_village(principal) if covers_one_village(principal) else None,
    )

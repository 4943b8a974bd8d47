"""What a logged-in person sees of themselves, and the token answers that carry it."""

from typing import Literal

from pydantic import BaseModel

from app.models.roster import Role, ScopeType


class PlaceRef(BaseModel):
    id: int
    name: str


class RoleView(BaseModel):
    role: Role
    scope_type: ScopeType
    scope_id: int | None
    scope_name: str | None


class Balances(BaseModel):
    member_points_year: int = 0
    household_points: int = 0
    volunteer_minutes: int = 0
    member_star_level: int | None = None
    volunteer_star_level: int = 0


class MeProfile(BaseModel):
    account_id: int
    person_id: int | None
    name: str | None
    phone: str | None
    is_bound: bool
    is_party_member: bool
    is_mobile_member: bool
    roles: list[RoleView]
    town: PlaceRef | None
    village: PlaceRef | None
    branch: PlaceRef | None
    household: PlaceRef | None
    grid: PlaceRef | None
    balances: Balances


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    user: MeProfile

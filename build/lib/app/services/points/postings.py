"""What a posting is made of: whose account, what happened, who did it."""

from dataclasses import dataclass, field

from app.models.points import OwnerType, ScoringRule, SourceType
from app.models.roster import Household, Person
from app.services.identity import Principal


@dataclass(frozen=True, slots=True)
class Owner:
    type: OwnerType
    id: int
    town_id: int | None
    village_id: int | None

    @classmethod
    def of_person(cls, person: Person) -> "Owner":
        assert person.id is not None, "a person's account needs a saved person"
        return cls(OwnerType.person, person.id, person.town_id, person.village_id)

    @classmethod
    def of_household(cls, household: Household) -> "Owner":
        assert household.id is not None, "a household's account needs a saved household"
        return cls(OwnerType.household, household.id, household.town_id, household.village_id)

    @classmethod
    def household_of(cls, person: Person) -> "Owner | None":
        """The household account a person's actions earn for, if they belong to one."""
        if person.household_id is None:
            return None
        return cls(OwnerType.household, person.household_id, person.town_id, person.village_id)


@dataclass(frozen=True, slots=True)
class Posting:
    """What one real action asks the ledger to record."""

    title: str
    points_each: int
    source_type: SourceType
    quantity: int = 1
    rule: ScoringRule | None = None
    source_id: str | None = None
    note: str | None = None
    media_ids: list[int] = field(default_factory=list)
    pending: bool = False
    # Spending may not overdraw; awards and penalties may take a balance below zero.
    allow_overdraft: bool = True


@dataclass(frozen=True, slots=True)
class Credit:
    """One posting of several written together (``ledger.credit_each``). ``request_id``: the
    request that asked for it, for its audit entry, as the group is written outside it."""

    owner: Owner
    posting: Posting
    actor: Principal | None
    request_id: str | None = None

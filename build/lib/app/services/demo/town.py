"""Demo data: a town with two villages, their branches, grids, households and people."""

from collections.abc import Callable
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.auth import UserAccount
from app.models.base import id_of
from app.models.media import Media
from app.models.roster import (
    Branch,
    Grid,
    Household,
    Person,
    Role,
    RoleGrant,
    ScopeType,
    Town,
    Village,
)
from app.services.demo.flags import seed_flags
from app.services.demo.governance import seed_governance
from app.services.demo.photos import evidence_photo
from app.services.demo.points import seed_balances, seed_party_days, seed_rules
from app.services.identity import password_hasher
from app.services.kit import Storage

DEMO_TOWN = "红旗镇"
DEMO_PASSWORD = "xiangzhi-demo"

_VILLAGES = {
    "二十四份村": ["东网格", "西网格"],
    "前进村": ["南网格", "北网格"],
}
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
_GIVEN = ["建国", "秀英", "志强", "桂兰", "海军", "玉梅", "永胜", "春花", "国庆", "淑珍"]


class _Phones:
    def __init__(self) -> None:
        self.next = 13800000001

    def take(self) -> str:
        self.next += 1
        return str(self.next - 1)


async def seed_demo(
    session: AsyncSession,
    *,
    storage: Storage,
    progress: Callable[[str], None] = lambda _: None,
) -> list[tuple[str, str, str]]:
    """Writes the demo town once; returns (role, username, password) for each console login."""
    if (await session.exec(select(Town).where(Town.name == DEMO_TOWN))).first() is not None:
        return []
    phones = _Phones()
    logins: list[tuple[str, str, str]] = []
    names = iter(f"{s}{g}" for g in _GIVEN for s in _SURNAMES)

    async def photo(account_id: int, uploader: Person) -> Media:
        return await evidence_photo(
            session, storage=storage, uploader_account_id=account_id, uploader=uploader
        )

    async def add(row: object) -> None:
        session.add(row)
        await session.flush()

    async def person(**fields: object) -> Person:
        row = Person(name=next(names), phone=phones.take(), **fields)  # type: ignore[arg-type]
        await add(row)
        return row

    async def grant(
        who: Person,
        role: Role,
        scope: ScopeType,
        scope_id: int | None,
        *,
        village_id: int | None = None,
        login: str | None = None,
    ) -> int | None:
        assert who.id is not None
        await add(
            RoleGrant(
                person_id=who.id,
                role=role,
                scope_type=scope,
                scope_id=scope_id,
                town_id=town.id,
                village_id=village_id,
            )
        )
        if not login:
            return None
        account = UserAccount(
            person_id=who.id, username=login, password_hash=password_hasher.hash(DEMO_PASSWORD)
        )
        await add(account)
        logins.append((role.value, login, DEMO_PASSWORD))
        return account.id

    town = Town(name=DEMO_TOWN)
    await add(town)
    assert town.id is not None
    progress(f"镇：{DEMO_TOWN}")
    office = Branch(town_id=town.id, name="红旗镇机关党支部")
    mobile = Branch(town_id=town.id, name="流动党员服务中心党支部")
    await add(office)
    await add(mobile)
    town_admin = await person(town_id=town.id, branch_id=office.id, is_party_member=True)
    town_login = await grant(
        town_admin, Role.town_admin, ScopeType.town, town.id, login="town_admin"
    )
    assert town_login is not None
    photos: dict[int | None, int | None] = {None: (await photo(town_login, town_admin)).id}

    for index, (village_name, grid_names) in enumerate(_VILLAGES.items(), start=1):
        village = Village(town_id=town.id, name=village_name)
        await add(village)
        assert village.id is not None
        branch = Branch(town_id=town.id, village_id=village.id, name=f"{village_name}党支部")
        await add(branch)
        place: dict[str, Any] = {"town_id": town.id, "village_id": village.id}
        secretary = await person(**place, branch_id=branch.id, is_party_member=True)
        secretary_login = await grant(
            secretary,
            Role.village_admin,
            ScopeType.village,
            village.id,
            village_id=village.id,
            login=f"village{index}_admin",
        )
        assert secretary_login is not None
        photos[village.id] = (await photo(secretary_login, secretary)).id
        await grant(
            secretary, Role.branch_admin, ScopeType.branch, branch.id, village_id=village.id
        )
        keeper = await person(**place)
        await grant(
            keeper,
            Role.shop_keeper,
            ScopeType.village,
            village.id,
            village_id=village.id,
            login=f"village{index}_shop",
        )
        for grid_name in grid_names:
            grid = Grid(town_id=town.id, village_id=village.id, name=grid_name)
            await add(grid)
            assert grid.id is not None
            worker = await person(**place, grid_id=grid.id)
            await grant(worker, Role.grid_worker, ScopeType.grid, grid.id, village_id=village.id)
            for house in range(3):
                head = next(names)
                household = Household(
                    town_id=town.id,
                    village_id=village.id,
                    grid_id=grid.id,
                    head_name=head,
                    address=f"{village_name}{grid_name}{house + 1}号",
                )
                await add(household)
                member = house == 0
                if house == 1:
                    # A household is a family: the spouse is on the roster too.
                    await person(**place, grid_id=grid.id, household_id=household.id)
                await add(
                    Person(
                        **place,
                        grid_id=grid.id,
                        household_id=household.id,
                        name=head,
                        phone=phones.take(),
                        is_party_member=member,
                        branch_id=branch.id if member else None,
                    )
                )
            progress(f"  {village_name} {grid_name}：网格员与 3 户农户")
        for _ in range(2):
            await person(
                town_id=town.id, branch_id=mobile.id, is_party_member=True, is_mobile_member=True
            )
    for index, village in enumerate(
        (
            await session.exec(
                select(Village).where(Village.town_id == town.id).order_by(col(Village.id))
            )
        ).all(),
        start=1,
    ):
        # 村务监督委员会: reads the village's affairs and the flags about them.
        supervisor = await person(town_id=town.id, village_id=village.id)
        await grant(
            supervisor,
            Role.supervisor,
            ScopeType.village,
            village.id,
            village_id=village.id,
            login=f"village{index}_supervisor",
        )
    admin = Person(name="系统管理员")
    await add(admin)
    assert admin.id is not None
    await add(RoleGrant(person_id=admin.id, role=Role.superadmin, scope_type=ScopeType.global_))
    admin_account = UserAccount(
        person_id=admin.id, username="admin", password_hash=password_hasher.hash(DEMO_PASSWORD)
    )
    await add(admin_account)
    logins.insert(0, (Role.superadmin, "admin", DEMO_PASSWORD))
    count = len((await session.exec(select(Person.id))).all())
    progress(f"共 {count} 人。")
    rules = await seed_rules(session, town_id=town.id)
    await seed_balances(
        session,
        town_id=town.id,
        rules=rules,
        photos={k: v for k, v in photos.items() if v is not None},
        progress=progress,
    )
    await seed_party_days(session, town_id=town.id, progress=progress)
    await seed_governance(
        session, town_id=town.id, author_account_id=id_of(admin_account), progress=progress
    )
    await seed_flags(session, town_id=town.id, progress=progress)
    return logins

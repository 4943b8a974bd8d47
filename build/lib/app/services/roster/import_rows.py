"""A 花名册 file read into rows and checked, each problem named by its row and column.

Nothing here writes: the result is what an import would do (``plan``), so a dry run and the
real run follow exactly the same path."""

import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.base import id_of, text_problem
from app.models.roster import Branch, Grid, Household, Person, Village, VillagerGroup
from app.models.roster_import import RowError
from app.services.identity import Principal, ScopeRequired, covers, location_of, own_village
from app.services.kit import paper
from app.services.roster import member_columns

COLUMNS = [
    "姓名",
    "手机号",
    "村",
    "网格",
    "户号",
    "户主姓名",
    "与户主关系",
    "党支部",
    "是否党员",
    "是否流动党员",
    "性别",
    "出生年月",
    *member_columns.COLUMNS,
    "村民小组",
]
_PHONE = re.compile(r"^1[3-9][0-9]{9}$")
# Free text of a row, held to the rule the API holds a name to, and to its column's length.
_TEXT_COLUMNS = {"姓名": 100, "户主姓名": 100, "与户主关系": 20, "户号": 32}
_YES = {"是": True, "否": False, "1": True, "0": False, "y": True, "n": False, "": None}
_MONTH = re.compile(r"^(19|20)(\d{2})[-/.年]?(0?[1-9]|1[0-2])")


@dataclass
class PersonPlan:
    line: int
    existing: Person | None
    values: dict[str, Any]
    household_key: tuple[int, str] | None
    # The member file's columns, and how they differ from the file kept (for the tally).
    file: dict[str, Any] = field(default_factory=dict)
    file_changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class HouseholdPlan:
    existing: Household | None
    values: dict[str, Any]
    town_id: int


@dataclass
class Plan:
    total_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    people: list[PersonPlan] = field(default_factory=list)
    households: dict[tuple[int, str], HouseholdPlan] = field(default_factory=dict)


def _row_error(row: int, column: str, code: str, message: str) -> RowError:
    """One line of the report; the codes are the contract's (CONTRACT.md, roster import)."""
    return RowError(row=row, column=column, code=code, message=message)


def header_row(rows: list[list[str]]) -> int | None:
    """The row holding the column names (a title row above it is allowed)."""
    for index, row in enumerate(rows[:5]):
        if "姓名" in row and "手机号" in row:
            return index
    return None


def _month(text: str) -> str | None:
    found = _MONTH.match(text.replace(" ", ""))
    if not found:
        return None
    return f"{found.group(1)}{found.group(2)}-{int(found.group(3)):02d}"


class _Places:
    """Names in the file resolved to the rows they mean, once per name."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session, self.principal = session, principal
        self.villages: dict[str, Village | None] = {}

    async def village(self, name: str) -> Village | None:
        if name not in self.villages:
            found = (
                await self.session.exec(select(Village).where(col(Village.name) == name))
            ).all()
            mine = [v for v in found if covers(self.principal, location_of(v))]
            self.villages[name] = next(iter(mine or found), None)
        return self.villages[name]

    async def grid(self, village: Village, name: str) -> Grid | None:
        return (
            await self.session.exec(
                select(Grid).where(col(Grid.village_id) == village.id, col(Grid.name) == name)
            )
        ).first()

    async def group(self, village: Village, name: str) -> VillagerGroup | None:
        return (
            await self.session.exec(
                select(VillagerGroup).where(
                    col(VillagerGroup.village_id) == village.id, col(VillagerGroup.name) == name
                )
            )
        ).first()

    async def branch(self, village: Village, name: str) -> Branch | None:
        """The row's own village's branch of that name, or a town-level branch the importer
        covers; never another village's (as the API refuses it too)."""
        found = (
            await self.session.exec(
                select(Branch)
                .where(col(Branch.town_id) == village.town_id, col(Branch.name) == name)
                .order_by(col(Branch.id))
            )
        ).all()
        for branch in found:
            if branch.village_id == village.id:
                return branch
        for branch in found:
            if branch.village_id is None and covers(self.principal, location_of(branch)):
                return branch
        return None


# Told every 200 rows how far the check has come (done, total): the command line draws its
# progress line, the background import writes done_rows where the console polls it.
Progress = Callable[[int, int], Awaitable[None]]


async def plan_rows(
    session: AsyncSession,
    *,
    principal: Principal,
    rows: list[list[str]],
    village_id: int | None,
    progress: Progress | None = None,
) -> Plan:
    plan = Plan()
    top = header_row(rows)
    if top is None:
        message = "找不到标题行（姓名、手机号……），请用模板。"
        plan.errors.append(_row_error(1, "姓名", "roster.required", message))
        return plan
    headers = rows[top]
    check = _RowCheck(
        session, principal, plan, await _default_village(session, principal, village_id)
    )
    data = rows[top + 1 :]
    for offset, raw in enumerate(data):
        if raw and raw[0].startswith(paper.SIGNED_BY):
            break  # the signature line under an exported roster ends the table
        cell = {name: (raw[i] if i < len(raw) else "") for i, name in enumerate(headers)}
        if any(cell.values()):
            plan.total_rows += 1
            await check.row(top + 2 + offset, cell)
        if progress is not None and offset % 200 == 199:
            await progress(offset + 1, len(data))
    if progress is not None:
        await progress(len(data), len(data))
    return plan


def data_rows(rows: list[list[str]]) -> int:
    """How many people the file holds: non-empty rows under the header, above any signature."""
    top = header_row(rows)
    if top is None:
        return 0
    count = 0
    for raw in rows[top + 1 :]:
        if raw and raw[0].startswith(paper.SIGNED_BY):
            break
        count += any(raw)
    return count


class _RowCheck:
    def __init__(
        self, session: AsyncSession, principal: Principal, plan: Plan, village: Village | None
    ) -> None:
        self.session, self.principal, self.plan = session, principal, plan
        self.places = _Places(session, principal)
        self.default_village = village
        self.seen_phones: dict[str, int] = {}
        self.line = 0

    def fail(self, column: str, code: str, message: str) -> None:
        self.plan.errors.append(_row_error(self.line, column, code, message))

    async def row(self, line: int, cell: dict[str, str]) -> None:
        self.line, before = line, len(self.plan.errors)
        name = cell.get("姓名", "")
        if not name:
            self.fail("姓名", "roster.required", "姓名不能为空。")
        for column, longest in _TEXT_COLUMNS.items():
            self._text(column, cell.get(column, ""), longest)
        phone = self._phone(cell)
        village = await self._village(cell)
        flags = self._flags(cell)
        sex = cell.get("性别", "")
        if sex not in ("", "男", "女"):
            self.fail("性别", "roster.invalid_value", "性别只能填“男”或“女”。")
        birth = _month(cell.get("出生年月", "")) if cell.get("出生年月") else None
        if cell.get("出生年月") and birth is None:
            self.fail("出生年月", "roster.invalid_value", "出生年月请写成 1978-05 这样。")
        file = member_columns.read(cell, self.fail)
        if file and flags.get("is_party_member") is False:
            self.fail("入党日期", "roster.invalid_value", "入党等日期只填党员的。")
        grid, branch = await self._grid_and_branch(village, cell)
        group = await self._group(village, cell)
        existing = await self._existing(phone)
        if len(self.plan.errors) > before or village is None:
            return
        key = None
        if cell.get("户号"):
            key = (id_of(village), cell["户号"])
            relation = cell.get("与户主关系", "")
            head = cell.get("户主姓名") or (name if relation in ("", "户主", "本人") else "")
            await _plan_household(self.session, self.plan, key, village, (grid, group), head, line)
        values: dict[str, Any] = {
            "name": name,
            "phone": phone,
            "town_id": village.town_id,
            "village_id": village.id,
            "grid_id": grid.id if grid else None,
            "branch_id": branch.id if branch else None,
            "sex": sex or None,
            "birth_month": birth,
            "relation": cell.get("与户主关系") or None,
            **flags,
        }
        kept = await member_columns.kept(self.session, [id_of(existing)]) if existing else {}
        changed = member_columns.changes(kept.get(id_of(existing)) if existing else None, file)
        self.plan.people.append(PersonPlan(line, existing, values, key, file, changed))

    def _text(self, column: str, text: str, longest: int) -> None:
        """The API's own rule for names and short text (``text_problem``) and its length."""
        problem = text_problem(text, multiline=False)
        if problem is None and len(text) > longest:
            problem = f"不能超过 {longest} 个字"
        if problem is not None:
            self.fail(column, "roster.invalid_value", f"{column}{problem}。")

    def _phone(self, cell: dict[str, str]) -> str:
        phone = unicodedata.normalize("NFKC", cell.get("手机号", "")).replace(" ", "")
        if not phone:
            self.fail("手机号", "roster.required", "手机号不能为空。")
        elif not _PHONE.match(phone):
            self.fail("手机号", "roster.phone_invalid", f"手机号“{phone}”不是 11 位手机号。")
        elif phone in self.seen_phones:
            first = self.seen_phones[phone]
            self.fail("手机号", "roster.phone_duplicate", f"手机号与第 {first} 行重复。")
        else:
            self.seen_phones[phone] = self.line
        return phone

    async def _village(self, cell: dict[str, str]) -> Village | None:
        village = self.default_village
        if cell.get("村"):
            village = await self.places.village(cell["村"])
            if village is None:
                self.fail("村", "roster.unknown_village", f"没有名为“{cell['村']}”的村。")
        elif village is None:
            self.fail("村", "roster.required", "请填写村名（您管辖不止一个村）。")
        if village is not None and not covers(self.principal, location_of(village)):
            self.fail("村", "roster.out_of_scope", f"“{village.name}”不在您的管辖范围内。")
            return None
        return village

    def _flags(self, cell: dict[str, str]) -> dict[str, bool | None]:
        """Blank means "as the roster has it" (for a new person: no)."""
        flags: dict[str, bool | None] = {}
        for column, key in (("是否党员", "is_party_member"), ("是否流动党员", "is_mobile_member")):
            text = cell.get(column, "").lower()
            if text not in _YES:
                self.fail(column, "roster.invalid_value", f"{column}只能填“是”或“否”。")
            flags[key] = _YES.get(text) if text else None
        return flags

    async def _grid_and_branch(
        self, village: Village | None, cell: dict[str, str]
    ) -> tuple[Grid | None, Branch | None]:
        grid = branch = None
        if village is not None and cell.get("网格"):
            grid = await self.places.grid(village, cell["网格"])
            if grid is None:
                message = f"{village.name}没有名为“{cell['网格']}”的网格。"
                self.fail("网格", "roster.unknown_grid", message)
        if village is not None and cell.get("党支部"):
            branch = await self.places.branch(village, cell["党支部"])
            if branch is None:
                message = f"没有名为“{cell['党支部']}”的党支部。"
                self.fail("党支部", "roster.unknown_branch", message)
        return grid, branch

    async def _group(self, village: Village | None, cell: dict[str, str]) -> VillagerGroup | None:
        name = cell.get("村民小组", "")
        if village is None or not name:
            return None
        if not cell.get("户号"):
            self.fail("村民小组", "roster.required", "填写村民小组的行须同时填写户号。")
            return None
        group = await self.places.group(village, name)
        if group is None:
            self.fail(
                "村民小组", "roster.unknown_group", f"{village.name}没有名为“{name}”的村民小组。"
            )
        return group

    async def _existing(self, phone: str) -> Person | None:
        if not _PHONE.match(phone):
            return None
        found = (await self.session.exec(select(Person).where(col(Person.phone) == phone))).first()
        if found is not None and not covers(self.principal, location_of(found)):
            message = "这个手机号已登记在您管辖范围以外的人名下。"
            self.fail("手机号", "roster.out_of_scope", message)
        return found


async def _plan_household(
    session: AsyncSession,
    plan: Plan,
    key: tuple[int, str],
    village: Village,
    places: tuple[Grid | None, VillagerGroup | None],
    head: str,
    line: int,
) -> None:
    grid, group = places
    if key in plan.households:
        if head and not plan.households[key].values.get("head_name"):
            plan.households[key].values["head_name"] = head
        return
    existing = (
        await session.exec(
            select(Household).where(
                col(Household.village_id) == village.id, col(Household.number) == key[1]
            )
        )
    ).first()
    values: dict[str, Any] = {
        "grid_id": grid.id if grid else None,
        "villager_group_id": group.id if group else None,
    }
    if head:
        values["head_name"] = head
    elif existing is None:
        plan.errors.append(_row_error(line, "户主姓名", "roster.required", "新户须填写户主姓名。"))
        return
    plan.households[key] = HouseholdPlan(existing=existing, values=values, town_id=village.town_id)


async def _default_village(
    session: AsyncSession, principal: Principal, village_id: int | None
) -> Village | None:
    if village_id is not None:
        village = await session.get(Village, village_id)
        return village if village and covers(principal, location_of(village)) else None
    try:
        return await session.get(Village, own_village(principal))
    except ScopeRequired:  # not one village: each row must name its own
        return None

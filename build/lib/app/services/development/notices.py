"""The public notice (公示) of a candidate before the branch congress: a member-development
disclosure on the feed naming only what the notice needs (name, sex, age, branch) and never
an ID number or a phone, whatever the roster holds."""

from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china, utcnow
from app.models.development import DevelopmentCase
from app.models.feed import Category, PostCreate
from app.models.roster import Branch, Person
from app.services import feed
from app.services.identity import Location, Principal
from app.services.kit import WechatGateway

NOTICE_DAYS = 5


def _age(person: Person) -> str:
    if not person.birth_month:
        return ""
    year, month = (int(x) for x in person.birth_month.split("-"))
    now = to_china(utcnow())
    return f"{now.year - year - (1 if now.month < month else 0)} 岁"


async def publish(
    session: AsyncSession,
    *,
    principal: Principal,
    case: DevelopmentCase,
    person: Person,
    wechat: WechatGateway,
) -> int | None:
    branch = await session.get(Branch, case.branch_id)
    facts = "，".join(x for x in (person.name, person.sex or "", _age(person)) if x)
    now = to_china(utcnow())
    post = await feed.posts.create_post(
        session,
        principal=principal,
        wechat=wechat,
        data=PostCreate(
            title=f"发展党员公示：{person.name}",
            body=(
                f"经{branch.name if branch else '党支部'}支部委员会审查，拟将{facts}"
                f"列为中共预备党员接收对象，现予公示，公示期 {NOTICE_DAYS} 天。"
                "如有意见，请向党支部或上级党委反映。"
            ),
            category=Category.disclosure_member_development,
            village_id=case.village_id,
            disclosure_period=now.strftime("%Y-%m"),
        ),
        branch_id=case.branch_id,
        on_behalf=Location(
            town_id=case.town_id, village_id=case.village_id, branch_id=case.branch_id
        ),
    )
    return post.id

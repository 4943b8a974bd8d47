"""The 25 steps of the "525" procedure as data: code, stage, order, title and the rule the
system enforces (or watches) for it."""

from dataclasses import dataclass
from datetime import date

from app.models.development import DevelopmentStage as S
from app.models.development import StepRule


@dataclass(frozen=True, slots=True)
class Step:
    code: str
    stage: S
    title: str
    rule: str = ""


STEPS: tuple[Step, ...] = (
    Step("application", S.applicant, "递交入党申请书", "年满十八周岁，向党组织提出书面申请"),
    Step("talk", S.applicant, "党组织派人谈话", "收到入党申请书后一个月内派人谈话（逾期列为超期）"),
    Step("activist_selection", S.activist, "推荐和确定入党积极分子"),
    Step("activist_filing", S.activist, "报上级党委备案"),
    Step("activist_contacts", S.activist, "指定培养联系人", "指定一至两名正式党员作培养联系人"),
    Step("activist_education", S.activist, "培养教育考察"),
    Step(
        "candidate_selection",
        S.candidate,
        "确定发展对象",
        "确定为入党积极分子满一年后方可（早一天不行，当天可以）",
    ),
    Step("candidate_filing", S.candidate, "报上级党委备案"),
    Step("introducers", S.candidate, "确定入党介绍人", "两名正式党员作入党介绍人"),
    Step("political_review", S.candidate, "进行政治审查"),
    Step("training", S.candidate, "开展集中培训", "接收预备党员前须经集中培训"),
    Step(
        "branch_committee_review",
        S.candidate,
        "支部委员会审查并公示",
        "审查后对发展对象公示（宣传栏发布党员发展公示），公示在支部大会之前",
    ),
    Step("pre_review", S.candidate, "上级党委预审"),
    Step("application_form", S.candidate, "填写入党志愿书"),
    Step(
        "branch_congress",
        S.candidate,
        "支部大会讨论",
        "有表决权的正式党员过半数到会，且过半数赞成",
    ),
    Step("approval_talk", S.candidate, "上级党委派人谈话"),
    Step("approval", S.probationary, "上级党委审批", "支部大会后三个月内审批（逾期列为超期）"),
    Step("approval_filing", S.probationary, "再上一级党委组织部门备案"),
    Step("joining_group", S.probationary, "编入党支部和党小组"),
    Step("oath", S.probationary, "入党宣誓"),
    Step("probation_education", S.probationary, "继续教育考察"),
    Step("full_application", S.probationary, "提出转正申请"),
    Step(
        "full_congress",
        S.probationary,
        "支部大会讨论转正",
        "预备期满一年（自审批之日起），有表决权的正式党员过半数到会且过半数赞成",
    ),
    Step("full_approval", S.full_member, "上级党委审批转正"),
    Step("archive", S.full_member, "材料归档"),
)
ORDER = {step.code: index for index, step in enumerate(STEPS)}
BY_CODE = {step.code: step for step in STEPS}
VOTED = frozenset({"branch_congress", "full_congress"})
assert len(STEPS) == 25


def rules() -> list[StepRule]:
    return [
        StepRule(code=s.code, stage=s.stage, order=i + 1, title=s.title, rule=s.rule)
        for i, s in enumerate(STEPS)
    ]


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the month's last day when it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - some day of a month always exists

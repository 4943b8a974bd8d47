"""The admin's dashboard (工作台): the month's numbers and what waits for this admin."""

from typing import Literal

from pydantic import BaseModel, Field

from app.models.shop import FundYear
from app.models.warnings import BranchHealth


class PeopleCount(BaseModel):
    total: int = Field(description="花名册人数")
    bound: int = Field(description="已绑定小程序的人数")
    party_members: int = Field(description="党员人数")


class CadenceCount(BaseModel):
    cadence: Literal["month", "quarter", "year"] = Field(description="按月、按季、按年的项目")
    period: str = Field(description="所在期间，如 2026-11、2026-Q4、2026")
    held: int = Field(description="已落实（到会且按时提交会议记录）的项目数")
    required: int = Field(description="应落实的项目数")


class Meetings(BaseModel):
    held: int = Field(description="本期已落实的三会一课等项目数（按月、季、年）")
    required: int = Field(description="本期应落实的项目数")
    missing: int = Field(description="本期未落实的项目数")
    cadences: list[CadenceCount] = Field(
        default_factory=list, description="按月、按季、按年分开的落实情况"
    )


class PointsFlow(BaseModel):
    issued: int = Field(description="本期发放（入账）的积分")
    spent: int = Field(description="本期在积分超市兑换花掉的积分")


class GridCount(BaseModel):
    open: int = Field(description="未办结的网格任务")
    overdue: int = Field(description="其中已超期的")
    resolved: int = Field(description="本期办结的")


class DisclosureCount(BaseModel):
    published: int = Field(description="本期已公开的项目数")
    missing: int = Field(description="本期未公开的项目数")


class Queues(BaseModel):
    """Each count is exactly what the queue's own list returns for this admin."""

    points_pending: int = Field(description="待审核积分（GET /admin/points/pending）")
    posts_pending: int = Field(description="待审核信息（GET /admin/posts）")
    appeals_open: int = Field(description="待处理申诉（GET /admin/appeals?status=open）")
    leave_pending: int = Field(description="待审批请假（GET /admin/leave-requests）")
    checkins_pending: int = Field(description="待复核签到（GET /admin/checkins/pending）")
    service_requests_open: int = Field(
        description="未办结的群众诉求（GET /admin/service-requests?status=open）"
    )
    objections_open: int = Field(description="待答复的监督意见（GET /admin/objections）")
    transfers_pending: int = Field(
        default=0,
        description="在办的组织关系转接，转出和转入（GET /admin/transfers?status=pending）",
    )
    thought_reports_pending: int = Field(
        default=0, description="待接收的思想汇报（GET /admin/thought-reports）"
    )


class Dashboard(BaseModel):
    period: str = Field(description="统计月份，如 2026-11")
    people: PeopleCount = Field(description="人员")
    meetings: Meetings = Field(description="三会一课")
    attendance_rate: float | None = Field(
        description="本期活动的到会率（出席与迟到 ÷ 应到），无活动时为 null"
    )
    points: PointsFlow = Field(description="积分的进与出")
    grid: GridCount = Field(description="网格任务")
    volunteer_minutes: int = Field(description="本期确认的志愿服务分钟数")
    disclosures: DisclosureCount = Field(description="六大公开")
    queues: Queues = Field(description="待我处理的事项；各数与对应列表的条数一致")
    branches_to_visit: list[BranchHealth] = Field(
        default_factory=list, description="上月为黄色或红色的党支部及原因（红色在前）"
    )
    shop_funds_below_minimum: list[FundYear] = Field(
        default_factory=list,
        description="今年拨给积分超市的经费低于本镇最低额的村（方案原文“不少于x万元”）",
    )


class MonthFigures(BaseModel):
    period: str = Field(description="月份，如 2026-11")
    attended: int = Field(description="当月活动到会人次（出席与迟到）")
    points_issued: int = Field(description="当月发放（入账）的积分")
    points_spent: int = Field(description="当月兑换花掉的积分")


class MeetingCell(BaseModel):
    period: str
    held: int = Field(description="已召开的项目数")
    required: int = Field(description="应召开的项目数")


class MeetingRow(BaseModel):
    branch_id: int
    branch_name: str
    cells: list[MeetingCell]


class Trends(BaseModel):
    """The workbench's charts: a year of months, and the 三会一课 of each branch by month."""

    months: list[MonthFigures]
    meetings: list[MeetingRow]

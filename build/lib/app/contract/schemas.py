"""The problem+json schemas every error answer follows, and the tags that group operations."""

from typing import Any

PROBLEM_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "title": "Problem",
        "description": "错误答复（RFC 9457 problem+json）。",
        "type": "object",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": {"type": "string", "description": "错误类型的地址，以 code 结尾"},
            "title": {"type": "string", "description": "HTTP 状态的英文名"},
            "status": {"type": "integer", "description": "HTTP 状态码"},
            "detail": {"type": "string", "description": "给群众看的中文说明"},
            "code": {"type": "string", "description": "稳定的机器代码，如 checkin.qr_expired"},
        },
    },
    "FieldError": {
        "title": "FieldError",
        "type": "object",
        "required": ["field", "message"],
        "properties": {
            "field": {"type": "string", "description": "出错的字段，如 account_owner.person_id"},
            "message": {"type": "string", "description": "中文说明"},
        },
    },
    "ValidationProblem": {
        "title": "ValidationProblem",
        "description": "请求内容不合要求（422），逐个字段说明。",
        "allOf": [
            {"$ref": "#/components/schemas/Problem"},
            {
                "type": "object",
                "properties": {
                    "errors": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/FieldError"},
                    }
                },
            },
        ],
    },
}


def problem_ref(status: int) -> dict[str, str]:
    name = "ValidationProblem" if status == 422 else "Problem"
    return {"$ref": f"#/components/schemas/{name}"}


TAGS: list[dict[str, str]] = [
    {
        "name": "登录与身份",
        "description": "群众端与管理端：微信登录、绑定手机号、刷新与退出、管理员密码登录。",
    },
    {
        "name": "我的",
        "description": "群众端：本人资料、角色、所在村与户、各类积分与星级。",
    },
    {
        "name": "最强党支部评比",
        "description": "评比指标与权重、评委现场打分、数据测评、排名与表彰。",
    },
    {
        "name": "发展党员",
        "description": "发展党员 5 个阶段 25 个步骤：按顺序记录，时间、介绍人、票数按规定检查。",
    },
    {
        "name": "合作社与表彰",
        "description": "党支部领办合作社的登记与年度数据；年度表彰与光荣榜。",
    },
    {
        "name": "党员联系户与承诺践诺",
        "description": "党员一对一联系农户、走访记录与积分；党员年度承诺、践诺与评定。",
    },
    {
        "name": "四议两公开",
        "description": "议题六个阶段的会议、票数与两公开；群众查看已公开议题；监督委员会提意见。",
    },
    {
        "name": "坐班值班与代办",
        "description": "群众端：今日值班、提交代办诉求、评价；管理端：排班、受理办理、月报。",
    },
    {
        "name": "消息通知",
        "description": "群众端：站内消息、未读角标、订阅消息授权与提醒设置；管理端：通知公告。",
    },
    {
        "name": "主题党日与三会一课",
        "description": "党员签到（轮换二维码）、请假、出勤与三会一课达标统计。",
    },
    {
        "name": "积分",
        "description": "积分规则、奖扣、审核、申诉、排行与账本校验。",
    },
    {
        "name": "网格",
        "description": "网格员：任务上报与流转、入户评分、证据照片。",
    },
    {
        "name": "志愿服务",
        "description": "志愿活动报名、扫码签到签退、服务时长与证明。",
    },
    {
        "name": "积分超市",
        "description": "商品、兑换预约、核销与资金报表。",
    },
    {
        "name": "宣传栏",
        "description": "新闻、图片、月度公开，点赞与审核。",
    },
    {
        "name": "图片上传",
        "description": "照片上传（wx.uploadFile）与私密原图链接。",
    },
    {
        "name": "管理端·工作台",
        "description": "本月数字（人员、三会一课、积分、网格、志愿、公开）与待我处理的事项。",
    },
    {
        "name": "管理端·花名册与角色",
        "description": "镇、村、支部、网格、户、人员与角色授权。",
    },
    {
        "name": "管理端·星级评定",
        "description": "党员星级评定与回炉名单。",
    },
    {
        "name": "管理端·审计日志",
        "description": "每一次管理操作与积分变动的记录。",
    },
    {
        "name": "微信消息推送",
        "description": "微信服务器回调（内容安全结果）。",
    },
    {
        "name": "健康检查",
        "description": "进程与依赖是否可用。",
    },
]

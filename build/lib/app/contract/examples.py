"""A valid body for every write, as Swagger pre-fills it, with the caller it is meant for.

Ids are those of the demo town (`make run`); each example passes validation
(tests/test_openapi_contract.py sends every one and expects no 422).
"""

from typing import Any

_VILLAGE_ADMIN, _TOWN_ADMIN, _SUPER = "村管理员", "镇管理员", "超级管理员"
_VILLAGER, _MEMBER, _GRID, _KEEPER = "群众", "党员", "网格员", "积分超市管理员"
_VENUE = {"name": "村党群服务中心", "lat": 40.9312, "lng": 117.9632, "radius_m": 200}

EXAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "WechatLoginRequest": (_VILLAGER, {"code": "081Kq4Ga1Ahc2Y0AAFHa1j0aJr2Kq4GX"}),
    "BindPhoneRequest": (_VILLAGER, {"code": "13800000005"}),
    "RefreshRequest": (_VILLAGER, {"refresh_token": "由登录返回的 refresh_token"}),
    "TownCreate": (_SUPER, {"name": "青松镇"}),
    "TownUpdate": (
        _TOWN_ADMIN,
        {"appeal_days": 7, "rankings_enabled": True, "minutes_due_days": 7},
    ),
    "VillageCreate": (_TOWN_ADMIN, {"town_id": 1, "name": "东风村"}),
    "BranchCreate": (_TOWN_ADMIN, {"town_id": 1, "village_id": 1, "name": "二十四份村第二党支部"}),
    "GridCreate": (_VILLAGE_ADMIN, {"village_id": 1, "name": "三网格"}),
    "HouseholdCreate": (
        _VILLAGE_ADMIN,
        {"village_id": 1, "grid_id": 1, "head_name": "王建国", "address": "东街 12 号"},
    ),
    "PersonCreate": (
        _VILLAGE_ADMIN,
        {
            "name": "李秀英",
            "phone": "13912345678",
            "village_id": 1,
            "household_id": 1,
            "is_party_member": False,
        },
    ),
    "PersonUpdate": (_VILLAGE_ADMIN, {"phone": "13912345679", "is_mobile_member": True}),
    "ConsoleLoginCreate": (
        _VILLAGE_ADMIN,
        {"username": "dongfeng_admin", "password": "dongfeng-village-2026"},
    ),
    "RoleGrantCreate": (
        _VILLAGE_ADMIN,
        {"person_id": 2, "role": "grid_worker", "scope_type": "grid", "scope_id": 1},
    ),
    "ScoringRuleCreate": (
        _TOWN_ADMIN,
        {
            "code": "sanitation_weekly",
            "title": "庭院环境整洁",
            "ledger": "household",
            "points": 5,
            "unit": "once",
            "town_id": 1,
            "monthly_cap": 20,
            "requires_approval": False,
            "requires_evidence": False,
        },
    ),
    "ScoringRuleUpdate": (_TOWN_ADMIN, {"points": 6, "monthly_cap": 24}),
    "AwardCreate": (
        _VILLAGE_ADMIN,
        {"rule_code": "good_neighbour", "account_owner": {"household_id": 1}, "note": "帮邻居抢收"},
    ),
    "EntryDecision": (_VILLAGE_ADMIN, {"decision": "approve", "note": "照片属实"}),
    "BulkDecision": (_VILLAGE_ADMIN, {"entry_ids": [1, 2], "decision": "approve"}),
    "AppealCreate": (_VILLAGER, {"reason": "当天我家不在村里，扣分有误。"}),
    "AppealDecision": (_VILLAGE_ADMIN, {"decision": "uphold", "note": "核实有误，予以冲正。"}),
    "ReviewCreate": (_TOWN_ADMIN, {"person_id": 5, "year": 2026, "grade": "excellent"}),
    "RewardRequest": (_TOWN_ADMIN, {"year": 2026, "fund_fen": 300000, "top_n": 10, "town_id": 1}),
    "EventCreate": (
        _VILLAGE_ADMIN,
        {
            "branch_id": 3,
            "kind": "party_day",
            "title": "七一主题党日",
            "theme": "重温入党誓词",
            "starts_at": "2027-07-01T09:00:00+08:00",
            "ends_at": "2027-07-01T11:00:00+08:00",
            "venue": _VENUE,
        },
    ),
    "EventUpdate": (
        _VILLAGE_ADMIN,
        {
            "starts_at": "2027-07-01T14:00:00+08:00",
            "ends_at": "2027-07-01T16:00:00+08:00",
            "venue": _VENUE,
        },
    ),
    "EventCancel": (_VILLAGE_ADMIN, {"reason": "暴雨预警，改期举行。"}),
    "MinutesCreate": (
        _VILLAGE_ADMIN,
        {
            "topics": ["学习党的二十届四中全会精神", "研究人居环境整治分工"],
            "content": "书记领学全会公报，党员逐一发言；会议研究了村内环境整治分工。",
            "decisions": ["每周六开展一次环境整治志愿服务"],
        },
    ),
    "MinutesReturn": (_TOWN_ADMIN, {"reason": "缺少会议照片，请补充后重新提交。"}),
    "PartyGroupCreate": (
        _VILLAGE_ADMIN,
        {"branch_id": 3, "name": "第一党小组", "leader_id": 5, "member_ids": [10]},
    ),
    "PartyGroupUpdate": (_VILLAGE_ADMIN, {"name": "第一党小组", "member_ids": [2, 10]}),
    "MemberFileUpdate": (
        _TOWN_ADMIN,
        {
            "joined_at": "2001-07-01",
            "full_member_at": "2002-07-01",
            "education": "高中",
            "post": "村党支部书记",
        },
    ),
    "MobileMemberCreate": (
        _VILLAGE_ADMIN,
        {
            "direction": "out",
            "person_id": 5,
            "place": "天津市滨海新区",
            "employer": "某建筑公司",
            "since": "2026-03-01",
            "expected_return": "2026-12-31",
        },
    ),
    "ThoughtReportCreate": (
        _MEMBER,
        {
            "period": "2026-11",
            "content": "本月在工地参加了党员学习，学习了全会精神，按时交纳了党费。",
        },
    ),
    "RotationUpdate": (
        _TOWN_ADMIN,
        {"year": 2027, "mobile_branch_id": 2, "hosts": {"1": 3, "2": 4, "3": 3}},
    ),
    "TransferCreate": (
        _VILLAGE_ADMIN,
        {"person_id": 10, "to_branch_id": 4, "reason": "婚后随迁至前进村"},
    ),
    "TransferDecline": (_VILLAGE_ADMIN, {"reason": "本人尚未到本村居住，请核实"}),
    "ReeducationCreate": (
        _VILLAGE_ADMIN,
        {"person_id": 10, "year": 2026, "plan": ["学习党章", "支部书记谈心谈话"]},
    ),
    "ItemDone": (_VILLAGE_ADMIN, {"note": "已学习党章总纲"}),
    "ReeducationClose": (_VILLAGE_ADMIN, {"conclusion": "认识到位，表现合格，回炉教育结束"}),
    "BaseSet": (_TOWN_ADMIN, {"year": 2026, "kind": "employed", "base_fen": 450000}),
    "PaymentOrder": (_MEMBER, {"months": ["2026-11", "2026-12"], "extra_fen": 0}),
    "CashPayment": (
        _TOWN_ADMIN,
        {"person_id": 1, "months": ["2026-12"], "amount_fen": 4500, "receipt_no": "DF2026-0001"},
    ),
    "Reverse": (_TOWN_ADMIN, {"reason": "收据登记错了人，冲正后重新登记。"}),
    "DisclosureRequest": (_VILLAGE_ADMIN, {"branch_id": 3, "year": 2026}),
    "FundCreate": (
        _VILLAGE_ADMIN,
        {"year": 2026, "allocated_fen": 2000000, "source": "村集体经济收益"},
    ),
    "VillagerGroupCreate": (_VILLAGE_ADMIN, {"name": "第三村民小组"}),
    "LiaisonCreate": (_TOWN_ADMIN, {"person_id": 1}),
    "HeadRequest": (_TOWN_ADMIN, {"town_id": 1}),
    "CheckinCreate": (
        _MEMBER,
        {"token": "扫码得到的 token", "lat": 40.9313, "lng": 117.9631, "accuracy": 30},
    ),
    "RevokeCheckin": (_VILLAGE_ADMIN, {"reason": "代签，本人未到场。"}),
    "ReviewCheckin": (_VILLAGE_ADMIN, {"decision": "accept", "note": "位置偏差系信号原因"}),
    "LeaveCreate": (_MEMBER, {"reason": "外出务工，无法参加。"}),
    "LeaveDecision": (_VILLAGE_ADMIN, {"decision": "approve"}),
    "VillageUpdate": (_VILLAGE_ADMIN, {"office_phone": "0314-5551234"}),
    "ShiftCreate": (
        _VILLAGE_ADMIN,
        {
            "village_id": 1,
            "person_id": 2,
            "date": "2026-12-07",
            "starts_at": "08:30",
            "ends_at": "17:30",
            "repeat_days": 1,
        },
    ),
    "ServiceRequestCreate": (
        _VILLAGER,
        {"kind": "errand", "title": "代办医保续费", "description": "家中老人行动不便，请代办。"},
    ),
    "ServiceTransition": (_VILLAGE_ADMIN, {"action": "accept", "note": "今天下午去镇上办理"}),
    "RatingCreate": (_VILLAGER, {"stars": 5, "comment": "办得很快，谢谢！"}),
    "ProposalCreate": (
        _VILLAGE_ADMIN,
        {
            "village_id": 1,
            "title": "村东道路硬化工程",
            "content": "拟硬化村东 800 米土路，资金来自村集体收入与上级补助。",
            "held_at": "2026-11-20T19:00:00+08:00",
            "present": 5,
        },
    ),
    "StepCreate": (
        _VILLAGE_ADMIN,
        {
            "stage": "deliberated",
            "held_at": "2026-11-22T19:00:00+08:00",
            "expected": 9,
            "present": 8,
            "in_favour": 7,
            "against": 1,
            "abstain": 0,
        },
    ),
    "PublicationCreate": (
        _VILLAGE_ADMIN,
        {"kind": "resolution", "body": "经村民代表会议表决通过，公示期 7 天。"},
    ),
    "ObjectionCreate": (_VILLAGER, {"reason": "预算明细未公开，请补充公示。"}),
    "ObjectionAnswer": (_VILLAGE_ADMIN, {"answer": "预算明细已于 11 月 25 日在公开栏张贴。"}),
    "FlagDismiss": (_TOWN_ADMIN, {"reason": "核实过：是全村统一发放的义务出工积分。"}),
    "FlagEscalate": (_TOWN_ADMIN, {"note": "请村委会说明打分依据。"}),
    "PersonErase": (_VILLAGE_ADMIN, {"reason": "已迁出本村，本人申请删除个人信息。"}),
    "ConsentCreate": (_VILLAGER, {"version": "2026-12-07"}),
    "PairingCreate": (_VILLAGE_ADMIN, {"person_id": 2, "household_ids": [1, 2]}),
    "ContactLogCreate": (
        _MEMBER,
        {"household_id": 1, "kind": "visit", "note": "入户了解冬季取暖情况", "media_ids": []},
    ),
    "PledgeCreate": (
        _MEMBER,
        {"year": 2026, "items": ["帮助 3 户困难群众", "参加志愿服务 50 小时"]},
    ),
    "ProgressCreate": (_MEMBER, {"item_index": 0, "note": "帮王大爷家修好了屋顶"}),
    "AssessmentCreate": (_VILLAGE_ADMIN, {"grade": "excellent", "note": "承诺事项全部完成"}),
    "CooperativeCreate": (
        _VILLAGE_ADMIN,
        {
            "branch_id": 1,
            "name": "二十四份村黑猪养殖专业合作社",
            "industry": "黑猪",
            "founded_at": "2024-03-01",
            "leader_person_id": 2,
        },
    ),
    "CooperativeReportCreate": (
        _VILLAGE_ADMIN,
        {
            "year": 2026,
            "income_fen": 120000000,
            "collective_income_fen": 18000000,
            "households_benefited": 46,
        },
    ),
    "HonourCreate": (
        _VILLAGE_ADMIN,
        {"year": 2026, "title": "文明家庭", "household_id": 1, "citation": "孝老爱亲，邻里和睦。"},
    ),
    "CaseCreate": (_VILLAGE_ADMIN, {"person_id": 5, "branch_id": 1, "applied_at": "2026-03-02"}),
    "CaseStepCreate": (
        _VILLAGE_ADMIN,
        {"step": "talk", "done_at": "2026-03-20", "note": "支部书记谈话，了解入党动机"},
    ),
    "ContestCreate": (
        _TOWN_ADMIN,
        {
            "town_id": 1,
            "year": 2026,
            "title": "最强党支部",
            "prize_fen": 3000000,
            "winners": 1,
            "prize_rule": "first",
            "criteria": [
                {"code": "onsite", "title": "现场评审", "weight": 40, "source": "judged"},
                {
                    "code": "meetings",
                    "title": "三会一课",
                    "weight": 30,
                    "source": "computed",
                    "metric": "meeting_compliance",
                },
                {
                    "code": "coops",
                    "title": "支部领办合作社",
                    "weight": 30,
                    "source": "computed",
                    "metric": "collective_income",
                    "hard": True,
                },
            ],
        },
    ),
    "JudgesSet": (_TOWN_ADMIN, {"person_ids": [2, 3, 4, 5, 6]}),
    "SheetCreate": (_TOWN_ADMIN, {"branch_id": 1, "scores": {"onsite": 92}}),
    "GrantsCreate": (
        _VILLAGER,
        {"results": {"模板id-来自 GET /notification-templates": "accept"}},
    ),
    "MarkRead": (_VILLAGER, {"all": True}),
    "NoticeCreate": (
        _VILLAGE_ADMIN,
        {
            "title": "明天上午停水检修",
            "body": "明天 8:00 至 12:00 村东片停水检修，请提前储水。",
            "audience": {"village_id": 1},
            "party_members_only": False,
        },
    ),
    "PostCreate": (
        _VILLAGE_ADMIN,
        {
            "title": "十一月村务公开",
            "body": "本月村集体收入 3.2 万元，支出明细见附图。",
            "category": "disclosure_village",
            "village_id": 1,
            "disclosure_period": "2026-11",
        },
    ),
    "ReviewDecision": (_VILLAGE_ADMIN, {"decision": "approve"}),
    # A grid worker's own report must carry photos (upload them first, POST /api/v1/media);
    # this one is handed down by the village admin, which needs none.
    "TaskCreate": (
        _VILLAGE_ADMIN,
        {
            "category": "sanitation",
            "title": "村口垃圾堆放",
            "description": "村口桥下有建筑垃圾，需清运。",
            "lat": 40.9301,
            "lng": 117.9620,
            "priority": "normal",
            "origin": "assigned",
            "grid_id": 1,
            "assignee_person_id": 4,
        },
    ),
    "TransitionCreate": (_GRID, {"action": "start", "note": "今天下午处理"}),
    "ScoreCreate": (
        _GRID,
        {"household_id": 1, "rule_code": "good_neighbour", "note": "入户评分", "media_ids": []},
    ),
    "ActivityCreate": (
        _VILLAGE_ADMIN,
        {
            "title": "环境清扫志愿服务",
            "category": "环境保护",
            "village_id": 1,
            "starts_at": "2027-03-05T08:00:00+08:00",
            "ends_at": "2027-03-05T11:00:00+08:00",
            "venue": _VENUE,
            "capacity": 30,
        },
    ),
    "ScanCreate": (_VILLAGER, {"token": "扫码得到的 token", "lat": 40.9313, "lng": 117.9631}),
    "HandEntry": (
        _VILLAGE_ADMIN,
        {
            "person_id": 5,
            "sign_in_at": "2027-03-05T08:05:00+08:00",
            "sign_out_at": "2027-03-05T10:50:00+08:00",
            "note": "手机没电，现场登记补录。",
        },
    ),
    "RecordIds": (_VILLAGE_ADMIN, {"record_ids": [1, 2, 3]}),
    "GoodsCreate": (
        _VILLAGE_ADMIN,
        {"village_id": 1, "name": "洗衣液", "points": 30, "stock": 20, "monthly_limit": 2},
    ),
    "GoodsUpdate": (_VILLAGE_ADMIN, {"points": 25, "on_shelf": True}),
    "Restock": (_VILLAGE_ADMIN, {"quantity": 10, "cost_yuan": "125.50", "note": "村集体收入采购"}),
    "RedemptionCreate": (_VILLAGER, {"goods_id": 3, "quantity": 1}),
    "Fulfil": (_KEEPER, {"code": "40271586"}),
}

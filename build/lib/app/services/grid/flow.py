"""The grid task state machine, in one place: which action moves which status where, and which
actions only an admin may take."""

from app.models.grid import TaskAction, TaskStatus

MOVES: dict[TaskAction, tuple[frozenset[TaskStatus], TaskStatus]] = {
    TaskAction.accept: (frozenset({TaskStatus.reported}), TaskStatus.accepted),
    TaskAction.start: (frozenset({TaskStatus.accepted}), TaskStatus.in_progress),
    TaskAction.resolve: (frozenset({TaskStatus.in_progress}), TaskStatus.resolved),
    TaskAction.close: (frozenset({TaskStatus.resolved}), TaskStatus.closed),
    TaskAction.reject: (frozenset({TaskStatus.reported, TaskStatus.accepted}), TaskStatus.rejected),
    # Work found wanting goes back to the grid worker to be done again.
    TaskAction.reopen: (
        frozenset({TaskStatus.resolved, TaskStatus.closed}),
        TaskStatus.in_progress,
    ),
}

# Deciding what the village takes on, and whether it is done, is the cadres' call.
ADMIN_ONLY = frozenset({TaskAction.accept, TaskAction.reject, TaskAction.close, TaskAction.reopen})

OPEN = frozenset({TaskStatus.reported, TaskStatus.accepted, TaskStatus.in_progress})

ACTION_TITLES = {
    TaskAction.accept: "受理",
    TaskAction.start: "开始办理",
    TaskAction.resolve: "办结",
    TaskAction.close: "关闭",
    TaskAction.reject: "驳回",
    TaskAction.reopen: "重新办理",
}


def next_status(status: TaskStatus, action: TaskAction) -> TaskStatus | None:
    allowed_from, target = MOVES[action]
    return target if status in allowed_from else None

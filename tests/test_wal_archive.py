"""Reading how far the WAL archive trails: segment names, the files the archiver also archives
that are no segment (a restore's new timeline leaves one as the last archived), and the
sentence /readyz and backup-check say."""

from datetime import UTC, datetime, timedelta

from app.db.archive import ArchiveState, segment_number, warning_of

T = datetime(2026, 12, 6, 12, tzinfo=UTC)


def test_segment_numbers_cross_the_xlogid() -> None:
    assert segment_number("0000000100000000000000FF") == 0xFF
    assert segment_number("000000010000000100000000") == 0x100
    assert segment_number("000000010000000000000003.00000028.backup") == 3


def test_files_that_are_no_segment_have_no_number() -> None:
    assert segment_number("00000002.history") is None
    assert segment_number("not a wal file at all!!!") is None


def _state(**changed: object) -> ArchiveState:
    fields: dict[str, object] = {
        "last_archived_wal": "000000010000000000000010",
        "last_archived_time": T,
        "last_failed_time": None,
        "failed_count": 0,
        "current_wal": "000000010000000000000011",
        "behind": 0,
    }
    return ArchiveState(**{**fields, **changed})  # type: ignore[arg-type]


def test_the_warning_names_a_failure_before_any_lag() -> None:
    assert warning_of(_state(), max_segments=16) is None
    assert warning_of(None, max_segments=16) is None
    failed = _state(last_failed_time=T + timedelta(seconds=1), behind=40)
    assert "归档失败" in (warning_of(failed, max_segments=16) or "")
    recovered = _state(last_failed_time=T - timedelta(seconds=1))
    assert warning_of(recovered, max_segments=16) is None


def test_lag_warns_only_past_the_threshold() -> None:
    assert warning_of(_state(behind=16), max_segments=16) is None
    said = warning_of(_state(behind=17), max_segments=16)
    assert said == "WAL 归档落后 17 个段（约 272 MB）。"

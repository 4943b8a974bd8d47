"""The order of the 四议两公开 and each meeting's quorum and majority, in one place.

- 两委联席会议 (deliberated): more than half of its members present, more than half of those
  present in favour.
- 党员大会 (reviewed): more than half of the members with a vote present, and more than half of
  them (not of those present) in favour.
- 村民代表会议 (resolved): two thirds of the representatives present, more than half of those
  present in favour.
- 村民会议 (resolved): more than half of the villagers present (or of the households' delegates,
  as the village counts them), more than half of those present in favour.
"""

from dataclasses import dataclass

from app.models.proposals import MeetingBody, ProposalStage

ORDER = (
    ProposalStage.proposed,
    ProposalStage.deliberated,
    ProposalStage.reviewed,
    ProposalStage.resolved,
    ProposalStage.resolution_published,
    ProposalStage.result_published,
)
MEETINGS = {
    ProposalStage.deliberated: MeetingBody.two_committees,
    ProposalStage.reviewed: MeetingBody.party_congress,
}


@dataclass(frozen=True, slots=True)
class Verdict:
    quorum: bool
    passed: bool


def follows(current: ProposalStage, wanted: ProposalStage) -> bool:
    """Whether ``wanted`` is the very next stage after ``current``."""
    if current not in ORDER or wanted not in ORDER:
        return False
    return ORDER.index(wanted) == ORDER.index(current) + 1


def judge(body: MeetingBody, *, expected: int, present: int, in_favour: int) -> Verdict:
    if body is MeetingBody.representatives:
        quorum = present * 3 >= expected * 2
    else:
        quorum = present * 2 > expected
    if body is MeetingBody.party_congress:
        passed = in_favour * 2 > expected
    else:
        passed = in_favour * 2 > present
    return Verdict(quorum=quorum, passed=quorum and passed)

"""The rates of the Central Organisation Department's 2008 rules on Party dues, as data: a
share of the monthly base (income after tax, or pension) by band, or a fixed sum for farmers,
students and members without income. Rounding is here and only here: half up, to the fen."""

from app.errors import Unprocessable
from app.models.dues import BaseKind

# (the band's upper bound in fen, inclusive, or None for the rest; the rate in basis points)
EMPLOYED = ((300_000, 50), (500_000, 100), (1_000_000, 150), (None, 200))
RETIRED = ((500_000, 50), (None, 100))
BANDS = {BaseKind.employed: EMPLOYED, BaseKind.retired: RETIRED}
FIXED_FEN = (20, 100)  # 0.2 to 1 yuan a month, the branch's choice


class FixedOutOfRange(Unprocessable):
    code = "dues.fixed_out_of_range"
    detail = "农民、学生和无固定收入的党员每月交纳 0.2 元至 1 元（fixed_fen 20–100）。"


class BaseRequired(Unprocessable):
    code = "dues.base_required"
    detail = "在职和离退休党员须填写月收入或养老金（base_fen）。"


def half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def rate_of(kind: BaseKind, base_fen: int) -> int:
    for upper, rate in BANDS[kind]:
        if upper is None or base_fen <= upper:
            return rate
    raise AssertionError("the last band is open")


def monthly_due(kind: BaseKind, base_fen: int | None, fixed_fen: int | None) -> int:
    if kind in BANDS:
        if base_fen is None:
            raise BaseRequired()
        return half_up(base_fen * rate_of(kind, base_fen), 10_000)
    low, high = FIXED_FEN
    if fixed_fen is None or not low <= fixed_fen <= high:
        raise FixedOutOfRange()
    return fixed_fen

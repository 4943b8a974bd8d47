"""Finds (and masks) the personal numbers that village notice boards have leaked: ID card
numbers (with a valid checksum), mobile numbers and bank card numbers (Luhn-valid)."""

import re
from dataclasses import dataclass

_ID = re.compile(r"(?<!\d)(\d{17}[\dXx])(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
_CARD = re.compile(r"(?<!\d)(\d{16,19})(?!\d)")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def valid_id_number(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn(number: str) -> bool:
    digits = [int(d) for d in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


@dataclass(frozen=True, slots=True)
class Found:
    kinds: tuple[str, ...]
    masked: str


def scan(text: str) -> Found:
    kinds: list[str] = []

    def id_number(match: re.Match[str]) -> str:
        number = match.group(1)
        if not valid_id_number(number):
            return number
        kinds.append("身份证号")
        return number[:3] + "*" * 13 + number[-2:]

    def card(match: re.Match[str]) -> str:
        number = match.group(1)
        if not luhn(number):
            return number
        kinds.append("银行卡号")
        return "*" * (len(number) - 4) + number[-4:]

    def mobile(match: re.Match[str]) -> str:
        kinds.append("手机号")
        number = match.group(1)
        return number[:3] + "****" + number[-4:]

    masked = _ID.sub(id_number, text)
    masked = _CARD.sub(card, masked)
    masked = _MOBILE.sub(mobile, masked)
    return Found(tuple(dict.fromkeys(kinds)), masked)

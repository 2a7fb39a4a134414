"""Display formats: money stays a Decimal until it becomes text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal


def yuan(value: Decimal | int | None) -> str:
    """``Decimal('12345.6')`` -> ``¥12,345.60`` (exact; never through float)."""
    amount = Decimal(0) if value is None else Decimal(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def count(value: int | None) -> str:
    """An integer with thousands separators."""
    return f"{value or 0:,}"


def line(value: Decimal) -> str:
    """A monitoring line for labels: ``10,000`` (decimals only when it has them)."""
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def when(value: dt.datetime | None) -> str:
    """A timestamp to the minute, or a dash."""
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"

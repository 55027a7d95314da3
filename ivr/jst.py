"""Japanese Standard Time: the enforcement date, change dates and the pages' clocks are
Japanese calendar days and hours (UTC+9, no daylight saving)."""

from __future__ import annotations

import datetime

JST = datetime.timezone(datetime.timedelta(hours=9), "JST")

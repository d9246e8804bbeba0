"""A small, tricky call set with its KPIs computed by hand (T = 20 s, S = 5 s).

All on Monday 2026-11-23 (UTC, the test zone), seconds after 09:00:

c1  sales   queued 0,    answered 12 (wait 12), ended 100, wrap-up to 130   alice  csat 5, nps 10
c2  sales   queued 30,   answered 55 (wait 25 > T), ended 155, no wrap-up   alice  csat 2, nps 5
c3  sales   queued 60,   abandoned 63 (wait 3: a short abandon)
c4  sales   queued 70,   abandoned 110 (wait 40)
c5  sales   queued 120,  timed out 180 (wait 60)
c6  sales   queued 200,  answered 205 by alice (wait 5), transferred at 260 to support,
    support queued 260,  answered 270 by bob (wait 10), ended 400, wrap-up to 420   csat 4, nps 8
c7  sales   queued 899 (last second of 09:00-09:15), answered 915 (wait 16), ended 1000   alice
c8  sales   queued 900 (first second of 09:15), answered 930 (wait 30), ended 1000         bob
c9  sales   queued 850, nothing more: still waiting (offered, no outcome)
c10 sales   queued 1000, answered 1004 (wait 4), hold 1010-1040, ended 1100 (talk 66, hold 30) alice
c11 sales   queued 1200, answered 1220 (wait exactly T: within), ended 1300             bob
c12 sales   queued 1400, abandoned 1405 (wait exactly S: not short)
c13 sales   queued 23:59:50, answered 00:00:10 the next day (wait 20), ended 00:02:00  alice
            (it belongs to the day and interval it was queued in)
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.kpi.factories import call_events

DAY = date(2026, 11, 23)
MIDNIGHT_MINUS_10 = 14 * 3600 + 59 * 60 + 50  # 23:59:50 is 14 h 59 m 50 s after 09:00


def tricky_events() -> list[dict]:
    t13 = MIDNIGHT_MINUS_10
    return [
        *call_events("c1", queued=0, answered=12, ended=100, wrapup=130, csat=5, nps=10),
        *call_events("c2", queued=30, answered=55, ended=155, csat=2, nps=5),
        *call_events("c3", queued=60, abandoned=63),
        *call_events("c4", queued=70, abandoned=110),
        *call_events("c5", queued=120, timeout=180),
        *call_events(
            "c6", queued=200, answered=205, transfer=(260, "support", "bob", 270, 400, 420), csat=4, nps=8
        ),
        *call_events("c7", queued=899, answered=915, ended=1000),
        *call_events("c8", queued=900, answered=930, ended=1000, agent="bob"),
        *call_events("c9", queued=850),
        *call_events("c10", queued=1000, answered=1004, hold=(1010, 1040), ended=1100),
        *call_events("c11", queued=1200, answered=1220, ended=1300, agent="bob"),
        *call_events("c12", queued=1400, abandoned=1405),
        *call_events("c13", queued=t13, answered=t13 + 20, ended=t13 + 130),
    ]


def approx(expected: dict) -> dict:
    return {
        key: (pytest.approx(value, abs=0.01) if isinstance(value, float) else value)
        for key, value in expected.items()
    }


SALES = {
    "offered": 13,
    "answered": 8,
    "abandoned": 3,
    "short_abandoned": 1,
    "timed_out": 1,
    "service_level": 50.0,  # c1 c6 c7 c10 c11 c13 within T: 6 ÷ (13 - 1)
    "abandon_rate": 16.67,  # (3 - 1) ÷ 12
    "asa_s": 16.5,  # (12 + 25 + 5 + 16 + 30 + 4 + 20 + 20) ÷ 8
    "avg_wait_s": 20.0,  # 240 s over 12 visits that left (8 answered, 3 abandoned, 1 timed out)
    "max_wait_s": 60.0,
    "aht_s": 89.25,  # (654 talk + 30 hold + 30 wrap-up) ÷ 8
    "avg_talk_s": 81.75,
    "avg_hold_s": 3.75,
    "avg_acw_s": 3.75,
    "csat": 50.0,  # c1 (5) and c2 (2); c6's survey goes with its support visit
    "nps": 0.0,  # one promoter, one detractor
    "fcr": None,
    "qa_score": None,
    "adherence": None,
}
SUPPORT = {
    "offered": 1,
    "answered": 1,
    "abandoned": 0,
    "short_abandoned": 0,
    "timed_out": 0,
    "service_level": 100.0,
    "abandon_rate": 0.0,
    "asa_s": 10.0,
    "avg_wait_s": 10.0,
    "max_wait_s": 10.0,
    "aht_s": 150.0,
    "avg_talk_s": 130.0,
    "avg_hold_s": 0.0,
    "avg_acw_s": 20.0,
    "csat": 100.0,
    "nps": 0.0,
}
TOTAL = {
    "offered": 14,
    "answered": 9,
    "abandoned": 3,
    "short_abandoned": 1,
    "timed_out": 1,
    "service_level": 53.85,  # 7 ÷ 13
    "abandon_rate": 15.38,  # 2 ÷ 13
    "asa_s": 15.78,  # 142 ÷ 9
    "avg_wait_s": 19.23,  # 250 ÷ 13
    "max_wait_s": 60.0,
    "aht_s": 96.0,  # (784 + 30 + 50) ÷ 9
    "avg_talk_s": 87.11,
    "avg_hold_s": 3.33,
    "avg_acw_s": 5.56,
    "csat": 66.67,
    "nps": 0.0,
}
ALICE = {
    "offered": 6,
    "answered": 6,
    "service_level": 83.33,  # c1 c6 c7 c10 c13 of 6
    "asa_s": 13.67,  # 82 ÷ 6
    "aht_s": 94.0,  # (504 talk + 30 hold + 30 wrap-up) ÷ 6
    "csat": 50.0,
}
BOB = {
    "offered": 3,
    "answered": 3,
    "service_level": 66.67,  # c6 (support) and c11 of 3
    "asa_s": 20.0,
    "aht_s": 100.0,  # (70 + 80 + 130 talk + 20 wrap-up) ÷ 3
    "csat": 100.0,
}
INTERVALS = {  # local ISO start → offered
    "2026-11-23T09:00:00+00:00": 9,
    "2026-11-23T09:15:00+00:00": 4,
    "2026-11-23T23:45:00+00:00": 1,
}

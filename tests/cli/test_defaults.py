"""Commands with an obvious default do not demand it, and say what they assumed.

``meter gaps`` without ``--month`` shows the current month (Asia/Shanghai); ``bill run``
for a month still in progress says it makes drafts and up to when its usage data goes.
"""

from __future__ import annotations

import json
from datetime import datetime

from controlplane.billing import Month
from controlplane.timeutil import SHANGHAI

from .conftest import Run


def test_meter_gaps_defaults_to_this_month(run: Run) -> None:
    this_month = Month.containing(datetime.now(SHANGHAI))
    gaps = run.json("meter", "gaps")
    named = run.json("meter", "gaps", "--month", str(this_month))
    # an open gap of this month ends now: the second command ran a moment later
    assert [{**g, "end": None} for g in gaps] == [{**g, "end": None} for g in named]
    assert all(a["end"] <= b["end"] for a, b in zip(gaps, named, strict=True))
    # the demo's data ends with its own month: this month is one open gap per cloud
    assert gaps and {g["status"] for g in gaps} == {"open"}
    assert {g["start"] for g in gaps} == {this_month.start.isoformat()}


def test_bill_run_of_a_month_in_progress_says_draft_and_cut_off(run: Run) -> None:
    this_month = Month.containing(datetime.now(SHANGHAI))
    printed = run("bill", "run", "--month", str(this_month))
    assert printed.code == 0, printed.err
    start = this_month.start.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    assert printed.out.splitlines()[0] == (
        f"{this_month} is still in progress: this makes draft statements, with usage data "
        f"up to {start} (Asia/Shanghai)"
    )
    zh = run("bill", "run", "--month", str(this_month), lang="zh").out
    assert "尚未结束" in zh and "草稿" in zh and start in zh
    scripted = json.loads(run("bill", "run", "--month", str(this_month), "-o", "json").out)
    assert scripted["in_progress"] is True
    assert datetime.fromisoformat(scripted["data_until"]) == this_month.start

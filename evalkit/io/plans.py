"""Read a recruitment plan (one row per unit and year) with the same validation as rosters.

>>> import pandas as pd
>>> plan = read_plan(pd.DataFrame({"Đơn vị": ["Sở A"], "Năm": [2026], "Biên chế": [100], "Số tinh giản": [5],
...     "Số nghỉ hưu": [3], "Số thôi việc": [1], "Số tuyển dụng": [5]}))
>>> plan[["unit_id", "payroll_start", "planned_hires"]].to_dict("records")
[{'unit_id': 'Sở A', 'payroll_start': 100, 'planned_hires': 5}]
"""

from __future__ import annotations

import numpy as np

from .columns import Column, alias_map, column_specs
from .problems import Problems
from .tables import convert_columns, extract_table, finish_read, load_raw

PLAN_COLUMNS = column_specs(
    Column("unit_id", "id", ("unit_id", "unit", "don vi", "co quan", "bo nganh dia phuong", "agency"), True),
    Column("year", "year", ("year", "nam", "nam ke hoach"), True),
    Column("payroll_start", "count", ("payroll_start", "payroll", "bien che dau nam", "bien che", "so bien che"), True),
    Column("freed_streamlining", "count", ("freed_streamlining", "streamlined", "so tinh gian", "tinh gian bien che",
                                           "so tinh gian bien che"), True),
    Column("freed_retirement", "count", ("freed_retirement", "retired", "so nghi huu", "nghi huu"), True),
    Column("freed_resignation", "count", ("freed_resignation", "resigned", "so thoi viec", "thoi viec"), True),
    Column("planned_hires", "count", ("planned_hires", "hires", "so tuyen dung", "tuyen dung", "so tuyen moi",
                                      "ke hoach tuyen dung"), True),
    Column("planned_high_quality", "count", ("planned_high_quality", "high_quality", "chat luong cao",
                                             "trong do chat luong cao", "so chat luong cao")),
)
PLAN_ALIASES = alias_map(PLAN_COLUMNS)
PLAN_COUNT_FIELDS = ["payroll_start", "freed_streamlining", "freed_retirement", "freed_resignation", "planned_hires",
                 "planned_high_quality"]


def read_plan(source, sheet=None, *, errors="raise"):
    """Read a recruitment plan (one row per unit and year) with the same validation as rosters."""
    raw = load_raw(source, sheet)
    problems = Problems(file=raw.file, sheet=raw.sheet)
    body, rows, headers = extract_table(raw, PLAN_ALIASES, PLAN_COLUMNS, "plan", problems)
    frame, bad = convert_columns(body, rows, PLAN_COLUMNS, headers, problems)
    for name in PLAN_COUNT_FIELDS:
        if name in frame.columns and PLAN_COLUMNS[name].required:
            missing = frame[name].isna().to_numpy() & ~bad
            if missing.any():
                problems.add_many(rows[missing], headers[name], [""] * int(missing.sum()), "input.required_count_empty")
                bad |= missing
    if "planned_high_quality" in frame.columns:
        over = (frame["planned_high_quality"] > frame["planned_hires"]).fillna(False).to_numpy()
        if over.any():
            problems.add_many(rows[over], headers["planned_high_quality"], frame.loc[over, "planned_high_quality"],
                              "input.high_quality_exceeds")
            bad |= over
    dup = frame.duplicated(["unit_id", "year"], keep="first").to_numpy()
    if dup.any():
        problems.add_many(rows[dup], headers["unit_id"], frame.loc[dup, "unit_id"], "input.unit_twice")
        bad |= dup
    frame.insert(0, "source_row", rows.astype(np.int64))
    return finish_read(frame, bad, problems, errors)

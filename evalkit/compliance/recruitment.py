"""Check a recruitment plan against the quota rules: a typed result like the cap check's.

>>> import pandas as pd
>>> plan = pd.DataFrame({"unit_id": ["A"], "year": [2026], "payroll_start": [100],
...     "freed_streamlining": [5], "freed_retirement": [3], "freed_resignation": [1], "planned_hires": [5]})
>>> report = check_recruitment(plan)
>>> report.compliant, report.table[["limit", "over_by"]].to_dict("records")
(False, [{'limit': 4, 'over_by': 1}])
>>> report.verdict("vi")
'KHÔNG ĐẠT: 1 dòng vượt giới hạn'
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..io import read_plan
from ..io.problems import PROBLEM_COLUMNS, localise_problems
from ..io.writers import file_sha256
from ..messages import label, render
from ..rules.recruitment import RecruitmentPolicy, get_recruitment_policy, recruitment_limits
from .results import Result


@dataclass
class RecruitmentReport(Result):
    """One row per plan row (unit and year) with its limit, whether it holds, and why."""

    policy: RecruitmentPolicy
    table: pd.DataFrame
    problems: pd.DataFrame | None = None
    input_path: str | None = None
    lang: str = "en"
    title_code = "recruitment_title"

    @property
    def compliant(self) -> bool:
        return bool(self.table["holds"].all())

    def verdict(self, lang: str | None = None) -> str:
        lang = lang or self.lang
        if self.compliant:
            return render("verdict.recruitment_ok", lang)
        return render("verdict.recruitment_bad", lang, n=int((~self.table["holds"]).sum()))

    def tables(self, lang: str | None = None) -> dict[str, pd.DataFrame]:
        lang = lang or self.lang
        pol = self.policy
        rows = [(label("verdict", lang), self.verdict(lang)),
                (label("policy", lang), f"{pol.name}: {pol.title_vi if lang == 'vi' else pol.title_en}")]
        rows += [(k, str(getattr(pol, k))) for k in pol.READINGS]
        rows.append((label("references", lang),
                     "; ".join(f"{r.name}: {r.reference} [{r.status}]" for r in pol.references)))
        if self.input_path:
            rows += [(label("input", lang), self.input_path), (label("sha256", lang), file_sha256(self.input_path))]
        problems = self.problems if self.problems is not None else pd.DataFrame(columns=PROBLEM_COLUMNS)
        problems = localise_problems(problems, lang).drop(columns=["code", "params"], errors="ignore")
        table = self.table.assign(why=[w.text(lang) if hasattr(w, "text") else w for w in self.table["why"]])
        return {"summary": pd.DataFrame(rows, columns=["item", "value"]),
                "plan_rows": table.rename(columns={"holds": "compliant"}), "problems": problems}


def check_recruitment(plan, policy: str | RecruitmentPolicy = "resolution-39-2015", *, sheet=None,
                      lang: str = "en", **readings) -> RecruitmentReport:
    """Limits per plan row, whether each holds, by how much not, and why.

    ``plan`` is a canonical DataFrame or a file (read with :func:`evalkit.io.read_plan`). Columns
    added: ``freed_for_retirement``, ``allowance_streamlining``, ``allowance_retirement``, ``limit``,
    ``over_by``, ``holds``; with a high-quality reservation ``reserved_high_quality`` and
    ``non_hq_limit``; and ``why``.
    """
    problems, path = None, None
    if not isinstance(plan, pd.DataFrame) or "planned_hires" not in plan.columns:
        path = None if isinstance(plan, pd.DataFrame) else str(plan)
        plan = read_plan(plan, sheet)
        problems = plan.evalkit.problems
    latest = pd.to_numeric(plan["year"], errors="coerce").max() if "year" in plan.columns and len(plan) else None
    date = int(latest) if latest is not None and pd.notna(latest) else None
    pol = get_recruitment_policy(policy, date, **readings)  # the parameters as in force in the plan's year
    return RecruitmentReport(pol, recruitment_limits(plan, pol), problems, path, lang)

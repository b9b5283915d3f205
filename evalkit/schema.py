"""Input schemas and validation that reports every problem at once.

A problem names the file, the sheet, the row as the user sees it in the spreadsheet, the column as
the user wrote it, the offending value and what was expected. Validation never stops at the first
problem and never drops a row without a problem that names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

PROBLEM_COLUMNS = ["severity", "file", "sheet", "row", "column", "value", "message"]


class InputError(ValueError):
    """Input that cannot be used as it is. ``.problems`` lists every problem found.

    >>> err = InputError(pd.DataFrame([{"severity": "error", "file": "a.csv", "sheet": None,
    ...     "row": 3, "column": "Xếp loại", "value": "giỏi", "message": "unknown rating level"}]))
    >>> print(err)
    1 problem in the input:
      a.csv, row 3, column 'Xếp loại': unknown rating level (value: 'giỏi')
    """

    def __init__(self, problems: pd.DataFrame):
        self.problems = problems.reset_index(drop=True)
        super().__init__(self._describe())

    def _describe(self, limit: int = 20) -> str:
        errors = self.problems[self.problems["severity"] == "error"] if len(self.problems) else self.problems
        n = len(errors)
        lines = [f"{n} problem{'s' if n != 1 else ''} in the input:"]
        for rec in errors.head(limit).to_dict("records"):
            lines.append("  " + describe_problem(rec))
        if n > limit:
            lines.append(f"  … and {n - limit} more (see .problems)")
        return "\n".join(lines)


class InputWarning(UserWarning):
    """Something in the input worth a look that does not stop the check."""


_WORDS = {"en": ("sheet", "row", "column", "value"), "vi": ("trang tính", "dòng", "cột", "giá trị")}


def describe_problem(rec: dict, lang: str = "en") -> str:
    """One line: ``file, sheet 'S', row R, column 'C': message (value: 'V')`` (or in Vietnamese)."""
    sheet, row, column, value = _WORDS.get(lang, _WORDS["en"])
    where = [str(rec.get("file") or "<data>")]
    if _present(rec.get("sheet")):
        where.append(f"{sheet} {rec['sheet']!r}")
    if _present(rec.get("row")):
        where.append(f"{row} {int(rec['row'])}")
    if _present(rec.get("column")):
        where.append(f"{column} {rec['column']!r}")
    text = ", ".join(where) + f": {rec.get('message')}"
    if _present(rec.get("value")):
        text += f" ({value}: {rec['value']!r})"
    return text


def _present(v: object) -> bool:
    return v is not None and not (isinstance(v, float) and pd.isna(v)) and v is not pd.NA and v != ""


@dataclass
class Problems:
    """Collects problems for one source (file and sheet)."""

    file: str | None = None
    sheet: str | None = None
    records: list[dict] = field(default_factory=list)

    def add(self, message: str, *, row=None, column=None, value=None, severity: str = "error") -> None:
        self.records.append(
            {"severity": severity, "file": self.file, "sheet": self.sheet, "row": row,
             "column": column, "value": None if value is None else str(value), "message": message}
        )

    def add_many(self, rows, column, values, message: str, severity: str = "error") -> None:
        """Add one problem per row (vectorised callers pass aligned sequences)."""
        for r, v in zip(rows, values, strict=True):
            self.add(message, row=int(r), column=column, value=v, severity=severity)

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.records, columns=PROBLEM_COLUMNS)
        df["row"] = pd.array(df["row"], dtype="Int64")
        return df.sort_values(["row"], kind="stable", na_position="first").reset_index(drop=True)

    @property
    def has_errors(self) -> bool:
        return any(r["severity"] == "error" for r in self.records)

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise InputError(self.frame())


"""Input schemas and validation that reports every problem at once.

A problem names the file, the sheet, the row as the user sees it in the spreadsheet, the column as
the user wrote it, the offending value and what was expected. Validation never stops at the first
problem and never drops a row without a problem that names it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..messages import render

#: ``code`` and ``params`` name the message in the catalogue; ``message`` is its English text.
PROBLEM_COLUMNS = ["severity", "file", "sheet", "row", "column", "value", "message", "code", "params"]


class InputError(ValueError):
    """Input that cannot be used as it is. ``.problems`` lists every problem found.

    >>> p = Problems(file="a.csv")
    >>> p.add("input.level_unknown", row=3, column="Xếp loại", value="giỏi")
    >>> print(InputError(p.frame()))
    1 problem in the input:
      a.csv, row 3, column 'Xếp loại': unknown rating level; expected HTXSNV, HTTNV, HTNV or KHTNV (any spelling) (value: 'giỏi')
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


def problem_text(rec: dict, lang: str = "en") -> str:
    """The message of one problem record in ``lang`` (from its code and parameters)."""
    code = rec.get("code")
    if isinstance(code, str) and code:
        return render(code, lang, **(rec.get("params") or {}))
    return str(rec.get("message"))


def localise_problems(problems: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The problems table with ``message`` in ``lang``."""
    out = problems.copy()
    if len(out):
        made: dict = {}  # one rendering per distinct code and parameters (a warning on many rows reads the same)

        def text(code, params, message):
            try:
                key = (code, tuple(params.items()) if isinstance(params, dict) else params, message)
                return made[key] if key in made else made.setdefault(key, problem_text(
                    {"code": code, "params": params, "message": message}, lang))
            except TypeError:  # a parameter that is no dict key (a list): rendered as it is
                return problem_text({"code": code, "params": params, "message": message}, lang)

        out["message"] = [text(c, p, m) for c, p, m in zip(out["code"].tolist(), out["params"].tolist(),
                                                            out["message"].tolist(), strict=True)]
    return out


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
    text = ", ".join(where) + f": {problem_text(rec, lang)}"
    if _present(rec.get("value")):
        text += f" ({value}: {rec['value']!r})"
    return text


def _present(v: object) -> bool:
    return v is not None and not (isinstance(v, float) and pd.isna(v)) and v is not pd.NA and v != ""


@dataclass
class Problems:
    """Collects problems for one source (file and sheet).

    ``add`` records one problem; ``add_many`` and ``add_each`` record one per row of aligned arrays
    as a block of columns (a file with a problem on every row costs no Python object per row until
    :meth:`frame` is asked for). The table lists problems by row, and in the order they were added
    within a row.
    """

    file: str | None = None
    sheet: str | None = None
    records: list[dict] = field(default_factory=list)
    #: blocks of many problems, each with the number of ``records`` added before it
    blocks: list[tuple[int, pd.DataFrame]] = field(default_factory=list, compare=False, repr=False)

    def add(self, code: str, *, row=None, column=None, value=None, severity: str = "error", **params) -> None:
        """One problem: a catalogue ``code`` and its ``params`` (see :mod:`evalkit.messages`)."""
        self.records.append(
            {"severity": severity, "file": self.file, "sheet": self.sheet, "row": row,
             "column": column, "value": None if value is None else str(value),
             "message": render(code, "en", **params), "code": code, "params": params}
        )

    def add_many(self, rows, column, values, code: str, severity: str = "error", **params) -> None:
        """Add one problem per row (vectorised callers pass aligned sequences); one message for all."""
        rows = np.asarray(rows, dtype=np.int64)
        self._block(rows, column, values, code, severity, [render(code, "en", **params)] * len(rows),
                    [params] * len(rows))

    def add_each(self, rows, column, values, code: str, severity: str = "error", **params) -> None:
        """Add one problem per row, each with its own parameters (``params``: arrays aligned with ``rows``);
        each distinct message is rendered once.

        >>> p = Problems()
        >>> p.add_each([4, 2, 9], "Điểm", ["x", "y", "x"], "input.score_range", value=["x", "y", "x"])
        >>> p.frame()[["row", "value"]].values.tolist()
        [[2, 'y'], [4, 'x'], [9, 'x']]
        """
        rows = np.asarray(rows, dtype=np.int64)
        names = list(params)
        combos = list(zip(*(np.asarray(params[k], dtype=object).tolist() for k in names))) if names \
            else [()] * len(rows)
        if len(combos) != len(rows):
            raise ValueError("every parameter needs one value per row")
        made: dict[tuple, str] = {}
        for c in dict.fromkeys(combos):
            made[c] = render(code, "en", **dict(zip(names, c)))
        self._block(rows, column, values, code, severity, [made[c] for c in combos],
                    [dict(zip(names, c)) for c in combos])

    def _block(self, rows: np.ndarray, column, values, code: str, severity: str, messages: list, params: list) -> None:
        if not len(rows):
            return
        values = [None if v is None else str(v) for v in (values.tolist() if hasattr(values, "tolist") else values)]
        if len(values) != len(rows):
            raise ValueError("one value per row")
        self.blocks.append((len(self.records), pd.DataFrame(
            {"severity": severity, "file": self.file, "sheet": self.sheet, "row": rows, "column": column,
             "value": values, "message": messages, "code": code, "params": params}, columns=PROBLEM_COLUMNS)))

    def frame(self) -> pd.DataFrame:
        parts, start = [], 0
        for before, block in self.blocks:  # in the order added
            parts += [pd.DataFrame(self.records[start:before], columns=PROBLEM_COLUMNS), block]
            start = before
        parts.append(pd.DataFrame(self.records[start:], columns=PROBLEM_COLUMNS))
        parts = [p for p in parts if len(p)] or parts[-1:]
        df = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        df["row"] = pd.array(df["row"].astype(object).where(df["row"].notna(), None), dtype="Int64")
        return df.sort_values(["row"], kind="stable", na_position="first").reset_index(drop=True)

    @property
    def has_errors(self) -> bool:
        return any(r["severity"] == "error" for r in self.records) or \
            any((block["severity"] == "error").any() for _, block in self.blocks)

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise InputError(self.frame())



class AttachedProblems:
    """The problems table a reader attaches to the frame it returns (``frame.attrs["problems"]``).

    pandas deep-copies ``attrs`` on every operation and compares them on concat; this holder is
    immutable, so copies share it and comparisons are by identity. Read it as
    ``frame.evalkit.problems``.
    """

    __slots__ = ("frame",)

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame

    def __deepcopy__(self, memo):
        return self

    def __repr__(self) -> str:
        return f"<{len(self.frame)} problem(s)>"


@pd.api.extensions.register_dataframe_accessor("evalkit")
class EvalkitAccessor:
    """``frame.evalkit.problems``: the problems found when ``frame`` was read (an empty table if none).

    >>> import evalkit as ek
    >>> roster = ek.read_roster(pd.DataFrame({"Mã CB": ["A1"], "Năm": [2026], "Đơn vị": ["U1"], "Xếp loại": ["HTXSNV"]}))
    >>> len(roster.evalkit.problems), list(roster.evalkit.problems.columns[:3])
    (0, ['severity', 'file', 'sheet'])
    """

    def __init__(self, frame: pd.DataFrame):
        self._frame = frame

    @property
    def problems(self) -> pd.DataFrame:
        held = self._frame.attrs.get("problems")
        return held.frame if isinstance(held, AttachedProblems) else pd.DataFrame(columns=PROBLEM_COLUMNS)

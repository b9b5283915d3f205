"""One protocol for every result a person reads: tables, a workbook, a page, JSON, a notebook view.

A result says what it found as tables (``tables(lang)``: name → DataFrame with canonical
columns) and a verdict; this base class turns them into an Excel workbook, a self-contained HTML
page, a JSON document and the rich display JupyterLab shows — every header, level and verdict
in the result's language, every text escaped (HTML) or neutralised (Excel).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from .. import levels as L
from ..io.writers import html_table, records, write_page, write_workbook
from ..messages import column_labels, label, yes_no

_LEVEL_COLUMNS = ("level", "level_final", "ceiling", "level_by_score")


class Result:
    """Mixin: subclasses define ``tables(lang)``, ``compliant``, ``verdict(lang)``, ``title_code`` and ``lang``."""

    title_code = "title"
    lang = "en"

    def tables(self, lang: str | None = None) -> dict[str, pd.DataFrame]:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def compliant(self) -> bool | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def verdict(self, lang: str | None = None) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- shown to people ------------------------------------------------------------------
    def localised_tables(self, lang: str | None = None) -> dict[str, pd.DataFrame]:
        """``tables(lang)`` with sheet names, column headers and rating levels in ``lang``."""
        lang = lang or self.lang
        names = column_labels(lang)
        out = {}
        for name, df in self.tables(lang).items():
            df = df.copy()
            for col in _LEVEL_COLUMNS:
                if col in df.columns:
                    df[col] = [L.label(v, lang) if isinstance(v, str) and v in L.LABELS[lang] else v
                               for v in df[col].astype(object)]
            out[_sheet_name(name, lang)] = df.rename(columns=names)
        return out

    def to_excel(self, path, lang: str | None = None) -> Path:
        """A workbook: the first sheet the summary, then one sheet per table."""
        lang = lang or self.lang
        return write_workbook(self.localised_tables(lang), path, status_column=column_labels(lang)["compliant"],
                              verdict=self.compliant, empty_text=label("no_rows", lang))

    def to_html(self, path, lang: str | None = None) -> Path:
        """A self-contained page (no scripts, no external files) with the same content as the workbook."""
        lang = lang or self.lang
        return write_page(self.localised_tables(lang), path, title=label(self.title_code, lang),
                          verdict_text=self.verdict(lang), verdict=self.compliant,
                          status_column=column_labels(lang)["compliant"], lang=lang,
                          empty_text=label("no_rows", lang), bool_words=yes_no(lang))

    def to_json(self, lang: str | None = None) -> str:
        """One JSON document: the verdict and every table with canonical column names."""
        lang = lang or self.lang
        doc = {"compliant": self.compliant, "verdict": self.verdict(lang),
               "tables": {name: records(df) for name, df in self.tables(lang).items()}}
        return json.dumps(doc, ensure_ascii=False, indent=1, default=str)

    def _repr_html_(self) -> str:
        parts = [f"<p><b>{html.escape(self.verdict())}</b></p>"]
        for name, df in self.localised_tables().items():
            parts.append(f"<h4>{html.escape(str(name))}</h4>")
            parts.append(html_table(df, column_labels(self.lang)["compliant"], limit=50, bool_words=yes_no(self.lang)))
        return "".join(parts)


def _sheet_name(name: str, lang: str) -> str:
    try:
        return label(name, lang)
    except KeyError:
        return name

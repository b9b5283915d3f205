"""The web pages' words: the ``web.*`` codes of the one message catalogue (evalkit.messages).

Engine messages (verdicts, report headers, input problems) come from the engine in the chosen
language; the pages' own words (buttons, titles, page errors) are catalogue codes ``web.<key>``.
"""

from __future__ import annotations

from ..messages import CATALOGUE, render

LANGS = ("vi", "en")


def has_text(key: str) -> bool:
    """Whether the pages have words for ``key``."""
    return f"web.{key}" in CATALOGUE


def t(lang: str, key: str, **kw) -> str:
    """The page text ``key`` in ``lang`` with ``{placeholders}`` filled (Vietnamese unless ``lang`` is 'en')."""
    code = f"web.{key}"
    if code not in CATALOGUE:
        return key
    if kw:
        return render(code, "en" if lang == "en" else "vi", **kw)
    return CATALOGUE[code]["en" if lang == "en" else "vi"]

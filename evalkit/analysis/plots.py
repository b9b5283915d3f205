"""Figures in one house style (seaborn), labelled in one language (``lang="en"`` or ``"vi"``), and
publication output: :func:`save` writes PNG (300 dpi), SVG and PDF; :func:`export_table` writes a
table as Markdown and LaTeX.

Every plotting function returns the matplotlib ``Figure`` and ``Axes`` so users can restyle them;
titles are left to the caller, who states the finding. Labels may carry Vietnamese diacritics
(DejaVu Sans renders them).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .. import levels as L
from ..messages import CATALOGUE, render

LEVEL_COLOURS = {L.EXCELLENT: "#1b7837", L.GOOD: "#7fbf7b", L.COMPLETED: "#f1b6da", L.NOT_COMPLETED: "#c51b7d"}

def has_text(key: str) -> bool:
    """Whether ``key`` is a figure label of the catalogue (``plot.<key>``)."""
    return f"plot.{key}" in CATALOGUE


def text(key: str, lang: str = "en", **fmt) -> str:
    """A figure label in ``lang``.

    >>> text("year", "vi")
    'năm'
    """
    if lang not in ("en", "vi"):
        raise ValueError(f"lang must be 'en' or 'vi', got {lang!r}")
    return render(f"plot.{key}", lang, **fmt) if fmt else CATALOGUE[f"plot.{key}"][lang]


def title(ax, finding: str, width: int = 72) -> None:
    """Set a finding-stating title, wrapped so it never runs past the figure.

    >>> fig, ax = plt.subplots(); title(ax, "word " * 30); ax.get_title(loc="left").count("\\n") >= 1
    True
    """
    import textwrap

    ax.set_title("\n".join(textwrap.wrap(finding, width)), loc="left")


def style() -> None:
    """Apply the house style."""
    sns.set_theme(style="whitegrid", context="notebook", font="DejaVu Sans")
    plt.rcParams.update({"figure.dpi": 100, "axes.titleweight": "bold", "figure.autolayout": True,
                         "axes.titlesize": 11, "savefig.bbox": "tight"})


def save(fig, path) -> list[Path]:
    """Write ``fig`` as PNG (300 dpi), SVG and PDF beside each other, cropped to the drawing so no
    label is clipped. ``path`` may carry a suffix or not; returns the three paths.

    >>> import tempfile
    >>> fig, ax = plt.subplots(); _ = ax.plot([0, 1])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.suffix for p in save(fig, Path(d) / "figure.png")]
    ['.png', '.svg', '.pdf']
    """
    base = Path(path)
    base = base.with_suffix("") if base.suffix.lower() in (".png", ".svg", ".pdf") else base
    base.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for suffix, kw in ((".png", {"dpi": 300}), (".svg", {}), (".pdf", {})):
        p = base.with_name(base.name + suffix)
        fig.savefig(p, bbox_inches="tight", metadata=None if suffix == ".png" else {"Creator": "evalkit"}, **kw)
        out.append(p)
    return out


def _cell(v, digits: int) -> str:
    if isinstance(v, (float, np.floating)):
        return "" if np.isnan(v) else f"{v:.{digits}f}"
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def table_markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    """A pipe table (GitHub Markdown), numbers right-aligned.

    >>> print(table_markdown(pd.DataFrame({"policy": ["a"], "mean": [0.12345]})))
    | policy | mean |
    |:--|--:|
    | a | 0.123 |
    """
    num = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    head = "| " + " | ".join(str(c).replace("|", "\\|") for c in frame.columns) + " |"
    rule = "|" + "|".join("--:" if n else ":--" for n in num) + "|"
    rows = ["| " + " | ".join(_cell(v, digits).replace("|", "\\|") for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
        "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def table_latex(frame: pd.DataFrame, digits: int = 3, caption: str | None = None) -> str:
    r"""A booktabs ``tabular`` (escaped; needs ``\usepackage{booktabs}``).

    >>> print(table_latex(pd.DataFrame({"a_b": ["x%"], "v": [1.5]}), digits=1))
    \begin{tabular}{lr}
    \toprule
    a\_b & v \\
    \midrule
    x\% & 1.5 \\
    \bottomrule
    \end{tabular}
    """
    def esc(s: str) -> str:
        return "".join(_TEX.get(ch, ch) for ch in s)

    align = "".join("r" if pd.api.types.is_numeric_dtype(frame[c]) else "l" for c in frame.columns)
    lines = [rf"\begin{{tabular}}{{{align}}}", r"\toprule", " & ".join(esc(str(c)) for c in frame.columns) + r" \\",
             r"\midrule"]
    lines += [" & ".join(esc(_cell(v, digits)) for v in row) + r" \\" for row in frame.itertuples(index=False)]
    lines += [r"\bottomrule", r"\end{tabular}"]
    if caption:
        lines = [r"\begin{table}[ht]", r"\centering", *lines, rf"\caption{{{esc(caption)}}}", r"\end{table}"]
    return "\n".join(lines)


def export_table(frame: pd.DataFrame, path, digits: int = 3, caption: str | None = None) -> list[Path]:
    """Write ``frame`` as ``<path>.md`` and ``<path>.tex``; returns both paths."""
    base = Path(path)
    base = base.with_suffix("") if base.suffix.lower() in (".md", ".tex") else base
    base.parent.mkdir(parents=True, exist_ok=True)
    md, tex = base.with_name(base.name + ".md"), base.with_name(base.name + ".tex")
    md.write_text(table_markdown(frame, digits) + "\n", encoding="utf-8")
    tex.write_text(table_latex(frame, digits, caption) + "\n", encoding="utf-8")
    return [md, tex]


def publish(fig, name: str, figure_dir) -> list[Path]:
    """For notebooks: :func:`save` the figure as ``<figure_dir>/<name>`` (nothing when ``figure_dir``
    is empty, so a quick run does not pay for 300-dpi output)."""
    return save(fig, Path(figure_dir) / name) if figure_dir else []


def publish_table(frame: pd.DataFrame, name: str, figure_dir, digits: int = 3, caption: str | None = None) -> list[Path]:
    """For notebooks: :func:`export_table` as ``<figure_dir>/<name>.md`` and ``.tex`` (nothing when empty)."""
    return export_table(frame, Path(figure_dir) / name, digits, caption) if figure_dir else []


def level_bars(dist: pd.DataFrame, by: str, lang: str = "en", ax=None):
    """Stacked shares of each level per group, from :func:`evalkit.analysis.stats.distribution`."""
    style()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(8, 0.45 * dist[by].nunique() + 1.8))
    wide = dist.pivot_table(index=by, columns="level", values="share", observed=False).reindex(columns=list(L.LEVELS))
    left = np.zeros(len(wide))
    for code in L.LEVELS:
        vals = wide[code].fillna(0).to_numpy()
        ax.barh(wide.index.astype(str), vals, left=left, color=LEVEL_COLOURS[code], label=L.label(code, lang))
        left += vals
    ax.set_xlim(0, 1)
    ax.set_xlabel(text("share_rated", lang))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False, fontsize=8)
    return fig, ax


def excellent_vs_cap(groups: pd.DataFrame, label: str = "unit_id", top: int = 30, ax=None, lang: str = "en"):
    """Observed excellent against the cap per group (the groups furthest over first)."""
    style()
    g = groups.sort_values("excess", ascending=False).head(top).iloc[::-1]
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(8, 0.3 * len(g) + 1.5))
    y = np.arange(len(g))
    ax.barh(y, g["n_excellent"].astype(float), color="#d6604d", label=text("excellent_observed", lang))
    ax.scatter(g["cap"].astype(float), y, color="black", marker="|", s=200, label=text("cap", lang), zorder=3)
    ax.set_yticks(y, g[label].astype(str))
    ax.set_xlabel(text("people", lang))
    ax.legend(frameon=False)
    return fig, ax


def funnel_plot(f: pd.DataFrame, ax=None, lang: str = "en"):
    """Excellent share against unit size with exact 95% and 99.8% limits and the 99.8% limits that
    allow for overdispersion (from :func:`evalkit.analysis.stats.funnel`)."""
    style()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 4.5))
    ax.scatter(f["n"], f["share"], s=12, alpha=0.6, color=np.where(f["outside_99.8"], "#c51b7d", "#4d4d4d"))
    from scipy.stats import norm

    from .stats import binomial_limits

    target = f.attrs.get("target", f["excellent"].sum() / f["n"].sum())
    n = np.unique(np.round(np.geomspace(1, max(float(f["n"].max()), 2.0), 200)))  # smooth curves, not the units' sizes
    for i, (lim, style_) in enumerate(((0.95, "--"), (0.998, ":"))):
        lo, hi = binomial_limits(n, target, lim)
        ax.plot(n, hi, "k" + style_, lw=1, label=text("limits_exact", lang) if i == 0 else None)
        ax.plot(n, lo, "k" + style_, lw=1)
    if "tau2" in f.attrs:
        sd = np.sqrt(target * (1 - target) / n + f.attrs["tau2"])
        z = norm.ppf(0.999)
        ax.plot(n, np.clip(target + z * sd, 0, 1), color="#2166ac", lw=1.5, label=text("limits_adjusted", lang))
        ax.plot(n, np.clip(target - z * sd, 0, 1), color="#2166ac", lw=1.5)
    ax.axhline(f.attrs.get("target", f["excellent"].sum() / f["n"].sum()), color="#1b7837", lw=1,
               label=text("target", lang))
    ax.set_xscale("log")
    ax.set_xlabel(text("unit_size_log", lang))
    ax.set_ylabel(text("share_excellent", lang))
    ax.legend(frameon=False, fontsize=8, loc="upper right")
    return fig, ax


def intervals(summary: pd.DataFrame, metric: str, ax=None, label: str | None = None, lang: str = "en"):
    """Means with confidence intervals per policy for one metric (from ``Experiment.summary()``),
    sorted by the mean."""
    style()
    s = summary[summary["metric"] == metric].sort_values("mean").reset_index(drop=True)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 0.4 * len(s) + 1.5))
    y = np.arange(len(s))
    ax.errorbar(s["mean"], y, xerr=[s["mean"] - s["ci_low"], s["ci_high"] - s["mean"]], fmt="o", color="#2166ac")
    if "p2.5" in s.columns:
        ax.hlines(y, s["p2.5"], s["p97.5"], color="#92c5de", lw=4, alpha=0.6, zorder=0)
    ax.set_yticks(y, s["policy"])
    ax.set_xlabel(label or (text(metric, lang) if has_text(metric) else metric))
    return fig, ax


def contrast_by_ratio(contrasts: pd.DataFrame, metric: str, ax=None, lang: str = "en", by: str | None = None):
    """Paired differences from the baseline against the cap ratio, with their intervals
    (from ``Sweep.contrasts()``); one line per value of ``by`` (a behaviour parameter)."""
    style()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 4.2))
    c = contrasts[(contrasts["metric"] == metric) & contrasts["ratio"].notna()].sort_values("ratio")
    groups = c.groupby(by, sort=True) if by else [(None, c)]
    for value, g in groups:
        lab = text("behaviour_share", lang, v=value) if by == "strategic_share" else (None if by is None else f"{by} = {value}")
        ax.errorbar(g["ratio"], g["mean"], yerr=[g["mean"] - g["ci_low"], g["ci_high"] - g["mean"]], fmt="o-",
                    capsize=3, lw=1.2, label=lab)
    ax.axhline(0, color="black", lw=0.8)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel(text("cap_ratio", lang))
    ax.set_ylabel(text("difference", lang), fontsize=9)
    if by:
        ax.legend(frameon=False, fontsize=8)
    return fig, ax


def frontier(table: pd.DataFrame, ax=None, lang: str = "en", by: str | None = None,
             accuracy: str = "accuracy_relative"):
    """The frontier: share excellent against accuracy, points coloured by demotions, one line per
    value of ``by``, each point labelled with its cap ratio (from ``Sweep.frontier()``)."""
    style()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7.5, 4.8))
    t = table.copy()
    groups = t.groupby(by, sort=True) if by else [(None, t)]
    vmax = float(np.nanmax(t["demotions"])) if len(t) else 1.0
    sc = None
    for value, g in groups:
        g = g.sort_values("ratio", na_position="last")
        capped = g[g["ratio"].notna()]
        ax.plot(capped["share_excellent"], capped[accuracy], "-", color="#bbbbbb", lw=1, zorder=1)
        sc = ax.scatter(capped["share_excellent"], capped[accuracy], c=capped["demotions"], cmap="viridis",
                        vmin=0, vmax=vmax, s=36, zorder=2)
        none = g[g["ratio"].isna()]
        ax.scatter(none["share_excellent"], none[accuracy], marker="*", s=120, color="#b2182b", zorder=3)
        for i, (_, r) in enumerate(capped.iloc[::2].iterrows()):  # every other ratio, alternately below and above
            ax.annotate(f"{r['ratio']:.0%}", (r["share_excellent"], r[accuracy]), textcoords="offset points",
                        xytext=(4, -11 if i % 2 == 0 else 5), fontsize=7)
        if by is not None and len(capped):
            first = capped.iloc[0]
            ax.annotate(text("behaviour_share", lang, v=value) if by == "strategic_share" else f"{by}={value}",
                        (first["share_excellent"], first[accuracy]), textcoords="offset points", xytext=(8, 4),
                        fontsize=7, color="#555555")
    if sc is not None:
        fig.colorbar(sc, ax=ax, label=text("demotions", lang))
    ax.set_xlabel(text("share_excellent", lang))
    ax.set_ylabel(text(accuracy, lang) if has_text(accuracy) else accuracy)
    return fig, ax


def fan_chart(quantiles: pd.DataFrame, ax=None, label: str | None = None, colour: str = "#2166ac", lang: str = "en"):
    """Payroll paths: median with 50% and 90% bands (from ``Projection.quantiles``)."""
    style()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 4))
    q = quantiles
    ax.fill_between(q["year"], q["q05"], q["q95"], color=colour, alpha=0.15, lw=0)
    ax.fill_between(q["year"], q["q25"], q["q75"], color=colour, alpha=0.3, lw=0)
    ax.plot(q["year"], q["q50"], color=colour, lw=2, label=label or text("projection", lang))
    ax.set_xlabel(text("year", lang))
    ax.set_ylabel(text("payroll", lang))
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend(frameon=False)
    return fig, ax


def index_trajectory(series: pd.DataFrame, province: str, index: str | None = None, ax=None, lang: str = "en"):
    """A province's index score against the mean of all provinces, by year. Gaps stay gaps, and
    where ``series`` has a ``segment`` column (a methodology change) the lines break between segments."""
    style()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 4))
    segments = series.groupby("segment", sort=False) if "segment" in series.columns else [(None, series)]
    for i, (_, s) in enumerate(segments):
        ax.plot(s["year"], s["mean_all"], "o-", color="#888888", label=text("mean_provinces", lang) if i == 0 else None)
        ax.plot(s["year"], s[province], "o-", color="#b2182b", label=province if i == 0 else None)
    if index:
        ax.set_title(index)
    ax.set_xlabel(text("year", lang))
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend(frameon=False)
    return fig, ax


def excellent_to_good(ix: pd.DataFrame, label: str = "unit_id", cap: float = 0.2, ax=None, lang: str = "en",
                      width: int = 40):
    """Excellent ÷ good by year for rows of :func:`evalkit.analysis.stats.inflation_indices`, with the
    cap line; points are numbered and the names listed beside the plot, so no label overlaps."""
    style()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(9, 4.5))
    ok = ix[ix["basis"] != "insufficient"].reset_index(drop=True)
    derived = ok["derived"].astype(bool) if "derived" in ok.columns else pd.Series(False, index=ok.index)
    ax.scatter(ok.loc[~derived, "year"], ok.loc[~derived, "excellent_to_good"], color="#2166ac")
    ax.scatter(ok.loc[derived, "year"], ok.loc[derived, "excellent_to_good"], facecolors="none", edgecolors="#2166ac")
    names = []
    for i, r in ok.iterrows():
        ax.annotate(str(i + 1), (r["year"], r["excellent_to_good"]), textcoords="offset points", xytext=(4, 3),
                    fontsize=7)
        names.append(f"{i + 1}. {str(r[label])[:width]}{' *' if derived[i] else ''}")
    ax.axhline(cap, color="#b2182b", ls="--", label=text("cap_line", lang, cap=cap))
    ax.set_ylabel(text("excellent_to_good", lang))
    ax.set_xlabel(text("year", lang))
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend(frameon=False, loc="upper left")
    ax.text(1.02, 1.0, "\n".join(names), transform=ax.transAxes, va="top", fontsize=7)
    return fig, ax


def size_penalty(by_size: pd.DataFrame, ax=None, lang: str = "en"):
    """P(true top performer rated excellent) by unit size and policy, with 95% intervals
    (from ``Experiment.by_size``); sizes in numeric order."""
    style()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(9, 4.5))
    order = list(by_size["unit_size"].cat.categories) if hasattr(by_size["unit_size"], "cat") else None
    from scipy.stats import t as t_dist

    n = int(by_size.groupby(["policy", "unit_size"], observed=True)["recall_top20"].count().min())
    sns.pointplot(data=by_size, x="unit_size", y="recall_top20", hue="policy", ax=ax, dodge=0.4, order=order,
                  errorbar=("se", float(t_dist.ppf(0.975, max(n - 1, 1)))))  # mean ± t × SE: the 95 % t interval
    ax.set_ylabel(text("recall_top", lang))
    ax.set_xlabel(text("unit_size", lang))
    ax.legend(fontsize=7, ncol=2, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig, ax


def accuracy_vs_strictness(table: pd.DataFrame, ax=None, lang: str = "en", accuracy: str = "spearman"):
    """Accuracy against the share excellent, one point per policy (``table``: policies × metric
    means, e.g. ``summary.pivot(index="policy", columns="metric", values="mean")``); points are
    numbered and named in a list beside the plot."""
    style()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(9, 4.5))
    ax.scatter(table["share_excellent"], table[accuracy], color="#2166ac")
    names = []
    for i, (name, r) in enumerate(table.iterrows(), start=1):
        ax.annotate(str(i), (r["share_excellent"], r[accuracy]), textcoords="offset points", xytext=(4, 3), fontsize=8)
        names.append(f"{i}. {name}")
    ax.text(1.02, 1.0, "\n".join(names), transform=ax.transAxes, va="top", fontsize=8)
    ax.set_xlabel(text("share_excellent", lang))
    ax.set_ylabel(text(accuracy, lang) if has_text(accuracy) else accuracy)
    return fig, ax


def removal_gain(gain: pd.DataFrame, ax=None, lang: str = "en", label: str | None = None):
    """Paired gain in workforce mean true performance by year, with its interval (``RemovalResult.gain``)."""
    style()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 4))
    ax.fill_between(gain["year"], gain["ci_low"], gain["ci_high"], alpha=0.25, color="#2166ac", lw=0)
    ax.plot(gain["year"], gain["mean"], "o-", color="#2166ac", label=label)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel(text("years", lang))
    ax.set_ylabel(text("performance_gain", lang))
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    if label:
        ax.legend(frameon=False)
    return fig, ax

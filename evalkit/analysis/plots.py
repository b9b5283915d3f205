"""Figures in one house style (seaborn). Every function returns the matplotlib ``Figure`` and ``Axes``
so users can restyle them. Labels may carry Vietnamese diacritics (DejaVu Sans renders them)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .. import levels as L

LEVEL_COLOURS = {L.EXCELLENT: "#1b7837", L.GOOD: "#7fbf7b", L.COMPLETED: "#f1b6da", L.NOT_COMPLETED: "#c51b7d"}


def style() -> None:
    """Apply the house style."""
    sns.set_theme(style="whitegrid", context="notebook", font="DejaVu Sans")
    plt.rcParams.update({"figure.dpi": 100, "axes.titleweight": "bold", "figure.autolayout": True})


def level_bars(dist: pd.DataFrame, by: str, lang: str = "en", ax=None):
    """Stacked shares of each level per group, from :func:`evalkit.stats.distribution`."""
    style()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(8, 0.45 * dist[by].nunique() + 1.5))
    wide = dist.pivot_table(index=by, columns="level", values="share", observed=False).reindex(columns=list(L.LEVELS))
    left = np.zeros(len(wide))
    for code in L.LEVELS:
        vals = wide[code].fillna(0).to_numpy()
        ax.barh(wide.index.astype(str), vals, left=left, color=LEVEL_COLOURS[code], label=L.label(code, lang))
        left += vals
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of rated staff" if lang == "en" else "tỷ lệ")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False, fontsize=8)
    return fig, ax


def excellent_vs_cap(groups: pd.DataFrame, label: str = "unit_id", top: int = 30, ax=None):
    """Observed excellent against the cap per group (the groups furthest over first)."""
    style()
    g = groups.sort_values("excess", ascending=False).head(top).iloc[::-1]
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(8, 0.3 * len(g) + 1.5))
    y = np.arange(len(g))
    ax.barh(y, g["n_excellent"].astype(float), color="#d6604d", label="excellent (observed)")
    ax.scatter(g["cap"].astype(float), y, color="black", marker="|", s=200, label="cap", zorder=3)
    ax.set_yticks(y, g[label].astype(str))
    ax.set_xlabel("people")
    ax.legend(frameon=False)
    return fig, ax


def funnel_plot(f: pd.DataFrame, ax=None):
    """Excellent share against unit size with 95% and 99.8% limits (from :func:`evalkit.stats.funnel`)."""
    style()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 4.5))
    ax.scatter(f["n"], f["share"], s=12, alpha=0.6, color=np.where(f["outside_99.8"], "#c51b7d", "#4d4d4d"))
    order = np.argsort(f["n"].to_numpy())
    for lim, style_ in (("0.95", "--"), ("0.998", ":")):
        ax.plot(f["n"].to_numpy()[order], f[f"upper_{lim}"].to_numpy()[order], "k" + style_, lw=1)
        ax.plot(f["n"].to_numpy()[order], f[f"lower_{lim}"].to_numpy()[order], "k" + style_, lw=1)
    ax.axhline(f.attrs.get("target", f["excellent"].sum() / f["n"].sum()), color="#1b7837", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("rated staff in unit (log scale)")
    ax.set_ylabel("share rated excellent")
    return fig, ax


def intervals(summary: pd.DataFrame, metric: str, ax=None, label: str | None = None):
    """Means with confidence intervals per policy for one metric (from ``Experiment.summary()``)."""
    style()
    s = summary[summary["metric"] == metric].reset_index(drop=True)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 0.4 * len(s) + 1.5))
    y = np.arange(len(s))
    ax.errorbar(s["mean"], y, xerr=[s["mean"] - s["ci_low"], s["ci_high"] - s["mean"]], fmt="o", color="#2166ac")
    ax.hlines(y, s["p2.5"], s["p97.5"], color="#92c5de", lw=4, alpha=0.6, zorder=0)
    ax.set_yticks(y, s["policy"])
    ax.set_xlabel(label or metric)
    return fig, ax


def fan_chart(quantiles: pd.DataFrame, ax=None, label: str = "projection", colour: str = "#2166ac"):
    """Payroll paths: median with 50% and 90% bands (from ``Projection.quantiles``)."""
    style()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 4))
    q = quantiles
    ax.fill_between(q["year"], q["q05"], q["q95"], color=colour, alpha=0.15, lw=0)
    ax.fill_between(q["year"], q["q25"], q["q75"], color=colour, alpha=0.3, lw=0)
    ax.plot(q["year"], q["q50"], color=colour, lw=2, label=label)
    ax.set_xlabel("year")
    ax.set_ylabel("payroll (end of year)")
    ax.legend(frameon=False)
    return fig, ax


def index_trajectory(series: pd.DataFrame, province: str, index: str, ax=None):
    """A province's index score against the mean of all provinces, by year (gaps left as gaps)."""
    style()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 4))
    ax.plot(series["year"], series["mean_all"], "o-", color="#888888", label="mean of provinces")
    ax.plot(series["year"], series[province], "o-", color="#b2182b", label=province)
    ax.set_title(index)
    ax.set_xlabel("year")
    ax.legend(frameon=False)
    return fig, ax


def excellent_to_good(ix: pd.DataFrame, label: str = "unit_id", cap: float = 0.2, ax=None):
    """Excellent ÷ good by year for rows of :func:`evalkit.stats.inflation_indices`, with the cap line."""
    style()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 4))
    ok = ix[ix["basis"] != "insufficient"]
    ax.scatter(ok["year"], ok["excellent_to_good"], color="#2166ac")
    for _, r in ok.iterrows():
        ax.annotate(str(r[label])[:28], (r["year"], r["excellent_to_good"]), fontsize=7)
    ax.axhline(cap, color="#b2182b", ls="--", label=f"{cap:.0%} of good")
    ax.set_ylabel("excellent ÷ good")
    ax.legend(frameon=False)
    return fig, ax


def size_penalty(by_size: pd.DataFrame, ax=None):
    """P(true top performer rated excellent) by unit size and policy, with 95% intervals
    (from ``Experiment.by_size``)."""
    style()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(9, 4.5))
    sns.pointplot(data=by_size, x="unit_size", y="recall_top20", hue="policy", ax=ax, dodge=0.4,
                  errorbar=("ci", 95))
    ax.set_ylabel("P(rated excellent | true top 20%)")
    ax.legend(fontsize=7, ncol=2, frameon=False)
    return fig, ax


def accuracy_vs_strictness(table: pd.DataFrame, ax=None):
    """Spearman ρ with true performance against the share excellent, one point per policy
    (``table``: policies × metrics means, e.g. ``summary.pivot(index="policy", columns="metric", values="mean")``)."""
    style()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 4.5))
    ax.scatter(table["share_excellent"], table["spearman"], color="#2166ac")
    for name, r in table.iterrows():
        ax.annotate(str(name), (r["share_excellent"], r["spearman"]), fontsize=7)
    ax.set_xlabel("share excellent")
    ax.set_ylabel("Spearman ρ with true performance")
    return fig, ax

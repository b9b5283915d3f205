"""Publication output and the research figures."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from evalkit.analysis import plots  # noqa: E402


def test_save_writes_png_300_dpi_svg_and_pdf(tmp_path):
    from PIL import Image

    fig, ax = matplotlib.pyplot.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1])
    ax.set_ylabel("a long label that must not be clipped at the edge of the figure")
    paths = plots.save(fig, tmp_path / "sub" / "fig")
    assert [p.name for p in paths] == ["fig.png", "fig.svg", "fig.pdf"]
    with Image.open(paths[0]) as im:
        assert round(im.info["dpi"][0]) == 300 and im.size[0] > 4 * 300 * 0.8
    assert "<svg" in paths[1].read_text(encoding="utf-8")[:500]
    assert paths[2].read_bytes()[:4] == b"%PDF"
    matplotlib.pyplot.close("all")


def test_tables_to_markdown_and_latex(tmp_path):
    t = pd.DataFrame({"term": ["log_unit_size", "a|b"], "estimate": [-0.0263, np.nan], "n": [100, 100]})
    md = plots.table_markdown(t)
    assert md.splitlines()[1] == "|:--|--:|--:|" and "| a\\|b |  | 100 |" in md
    tex = plots.table_latex(t, caption="Ordinal model, 95% intervals")
    assert r"log\_unit\_size & -0.026 & 100 \\" in tex and r"\caption{Ordinal model, 95\% intervals}" in tex
    md_path, tex_path = plots.export_table(t, tmp_path / "ordinal.md")
    assert md_path.read_text(encoding="utf-8").startswith("| term |") and tex_path.suffix == ".tex"


def test_labels_are_in_one_language():
    assert plots.text("year", "vi") == "năm" and plots.text("cap_line", "en", cap=0.2) == "cap: 20% of good"
    assert plots.has_text("year") and not plots.has_text("no_such_label")  # labels live in the catalogue
    with pytest.raises(ValueError):
        plots.text("year", "fr")


def test_frontier_and_contrast_plots_from_a_sweep():
    from evalkit.simulate import ProvinceSpec, sweep

    sw = sweep(ProvinceSpec(n_staff=1500, n_communes=8, n_districts=1), ratios=["1/10", "1/4", "1/2"],
               behaviour_grid={"strategic_share": [0.0, 0.5]}, replicates=3, seed=1)
    fig, ax = plots.frontier(sw.frontier(), by="strategic_share", lang="vi")
    assert ax.get_xlabel() == "tỷ lệ xuất sắc"
    fig, ax = plots.contrast_by_ratio(sw.contrasts(), "share_excellent", by="strategic_share")
    assert len(ax.get_legend().get_texts()) == 2
    matplotlib.pyplot.close("all")


def test_index_trajectory_breaks_between_segments():
    s = pd.DataFrame({"year": [2015, 2016, 2018, 2019], "mean_all": [35.0, 36, 42, 43], "P": [36.0, 37, 44, 45],
                      "segment": ["a", "a", "b", "b"]})
    fig, ax = plots.index_trajectory(s, "P", "PAPI")
    assert len(ax.lines) == 4  # two lines per segment, nothing drawn across the break
    matplotlib.pyplot.close("all")

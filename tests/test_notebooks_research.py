"""The notebooks conclude: a lang parameter, finding titles, a written conclusion at the end, figures
saved only on request, data through evalkit.resources."""

import nbformat
import pytest

from evalkit.resources import notebooks

BOOKS = {p.stem: nbformat.read(p, as_version=4) for p in notebooks()}


@pytest.mark.parametrize("name", sorted(BOOKS))
def test_each_notebook_has_lang_a_conclusion_and_finding_titles(name):
    nb = BOOKS[name]
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert "lang = " in params.source and "figure_dir = None" in params.source
    heading, last = nb.cells[-2], nb.cells[-1]
    assert heading.cell_type == "markdown" and heading.source.strip() == "## Conclusion"
    assert last.cell_type == "code" and "display(Markdown(text[lang]))" in last.source
    assert '"en":' in last.source and '"vi":' in last.source
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "ax.set_title(" not in code  # titles go through plots.title (wrapped, stating the finding)
    assert "plots.title(ax, f" in code
    assert "read_csv(\"" not in code and "read_roster(\"" not in code  # data via evalkit.resources


def test_notebook_03_sweeps_the_ratio_with_paired_intervals():
    code = "\n".join(c.source for c in BOOKS["03_cap_policy_simulation"].cells if c.cell_type == "code")
    assert "sweep(" in code and 'contrasts("no cap")' in code and "plots.frontier(" in code
    assert "plots.contrast_by_ratio(" in code


def test_figure_dir_writes_publication_files(tmp_path):
    from evalkit.report import run_report

    params = tmp_path / "params.yaml"
    params.write_text(f"05_governance_indices:\n  figure_dir: {tmp_path / 'figures'}\n  lang: vi\n", encoding="utf-8")
    assert run_report(str(params), str(tmp_path / "out"), only=["05_governance_indices"]) == 0
    names = {p.name for p in (tmp_path / "figures").iterdir()}
    assert {"05_pci.png", "05_pci.svg", "05_pci.pdf", "05_papi.png", "05_pci_papi_correlation.md",
            "05_pci_papi_correlation.tex"} <= names
    page = (tmp_path / "out" / "05_governance_indices.html").read_text(encoding="utf-8")
    assert "PCI và PAPI xếp hạng các tỉnh" in page  # the conclusion in the language asked for

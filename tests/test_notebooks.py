"""The notebooks: stored clean, executed by `evalkit report` with small parameters, reproducible."""

import json

import nbformat
import pandas as pd
import pytest

from evalkit.report import run_report
from evalkit.resources import notebooks

from conftest import ROOT

NAMES = ["01_compliance_check", "02_rating_analysis", "03_cap_policy_simulation", "04_recruitment_quota",
         "05_governance_indices"]


def test_notebooks_exist_and_are_stored_clean():
    books = notebooks()
    assert [b.stem for b in books] == NAMES
    for path in books:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name} has stored outputs"
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{path.name} needs one cell tagged 'parameters'"


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    params = out / "params.yaml"
    params.write_text("03_cap_policy_simulation:\n  replicates: 6\n  staff: 8000\n04_recruitment_quota:\n  replicates: 50\n",
                      encoding="utf-8")
    assert run_report(str(params), str(out)) == 0
    return out


def test_report_writes_pages_index_and_run_record(report_dir):
    for name in NAMES:
        page = (report_dir / f"{name}.html").read_text(encoding="utf-8")
        assert "Traceback" not in page and "AssertionError" not in page
    assert "data:image/png" in (report_dir / "03_cap_policy_simulation.html").read_text(encoding="utf-8")
    index = (report_dir / "index.html").read_text(encoding="utf-8")
    assert all(f"{n}.html" in index for n in NAMES) and "data_validation.html" in index
    summary = pd.read_csv(report_dir / "tables" / "00_data_validation.csv")
    assert summary["errors"].sum() == 0 and summary.set_index("file").loc["sample/province_2026_roster.csv", "rows"] == 33373
    record = json.loads((report_dir / "run_record.json").read_text(encoding="utf-8"))
    assert record["notebooks"]["03_cap_policy_simulation"]["parameters"]["replicates"] == 6
    assert record["notebooks"]["03_cap_policy_simulation"]["parameters"]["seed"] == 2026
    assert "sample/province_2026_roster.csv" in record["inputs"]
    assert len(record["parameters_tree"]["digest"]) == 64 and record["versions"]["pandas"]
    assert set(record["tables"]) >= {"01_groups.csv", "03_summary.csv", "04_projection_quantiles.csv"}


def test_same_seed_same_tables(report_dir, tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text((report_dir / "params.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    again = tmp_path / "again"
    assert run_report(str(params), str(again), only=["02_rating_analysis", "03_cap_policy_simulation",
                                                      "04_recruitment_quota"]) == 0
    for csv in (again / "tables").glob("*.csv"):
        assert csv.read_bytes() == (report_dir / "tables" / csv.name).read_bytes(), csv.name


def test_key_numbers_of_the_compliance_notebook(report_dir):
    import evalkit as ek

    groups = pd.read_csv(report_dir / "tables" / "01_groups.csv")
    direct = ek.check_cap(ek.read_roster(ROOT / "data" / "sample" / "so_noi_vu_2026_xep_loai.xlsx")).groups
    assert groups["cap"].tolist() == direct["cap"].tolist()


def test_a_failing_notebook_stops_with_its_name_and_cell(tmp_path, capsys):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("output_dir = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("assert x == 2, 'planted'")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (tmp_path / "nbs").mkdir()
    nbformat.write(nb, tmp_path / "nbs" / "01_broken.ipynb")
    code = run_report(None, str(tmp_path / "out"), notebook_dir=tmp_path / "nbs")
    err = capsys.readouterr().err
    assert code == 1 and "01_broken.ipynb" in err and "cell" in err and "planted" in err


def test_a_missing_notebook_is_an_error_not_a_shorter_report(tmp_path, capsys):
    assert run_report(None, str(tmp_path / "out"), only=["01_compliance_check", "09_missing"]) == 1
    assert "09_missing" in capsys.readouterr().err
    assert run_report(None, str(tmp_path / "out2"), notebook_dir=tmp_path) == 1  # a folder without notebooks

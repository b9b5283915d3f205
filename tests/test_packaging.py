"""The set-up promises: same dependencies for pip and conda; sample data regenerates identically."""

import re
import tomllib

import pandas as pd
import yaml

from conftest import ROOT


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_deps = {_name(d) for d in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        pip_deps |= {_name(d) for d in extra}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_deps = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python"}
    assert conda_deps == pip_deps


def test_ci_calls_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make report" in readme


def test_sample_data_regenerates_identically(tmp_path):
    from evalkit.resources import COUNTS_FILE, HR_FILE, ROSTER_FILE, SAMPLE_DIR
    from evalkit.simulate.sample_data import write_sample_data

    write_sample_data(tmp_path)
    for name in (ROSTER_FILE, COUNTS_FILE):
        assert (tmp_path / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), name
    new = pd.read_excel(tmp_path / HR_FILE, header=None)
    old = pd.read_excel(SAMPLE_DIR / HR_FILE, header=None)
    pd.testing.assert_frame_equal(new, old)


def test_sample_province_shape():
    import evalkit as ek
    from evalkit.resources import ROSTER_FILE, SAMPLE_DIR

    roster = ek.read_roster(SAMPLE_DIR / ROSTER_FILE)
    assert len(roster) == 33373
    shares = roster["level"].value_counts(normalize=True)
    assert 0.25 < shares["EXCELLENT"] < 0.31 and 0.62 < shares["GOOD"] < 0.72  # lenient, like MOHA 2018
    # two-tier local government (from 2025-07-01): no district level; 20 departments × (1 + 8 service
    # units) and 54 commune-level units
    assert set(roster["unit_level"]) == {"province", "commune"}
    assert roster["unit_id"].nunique() == 20 * 9 + 54 and roster["is_leader"].any()


def test_published_figures_keep_their_sources():
    from evalkit.resources import PUBLISHED_DIR

    for name in ("rating_aggregates.csv", "rating_aggregates_collective.csv"):
        df = pd.read_csv(PUBLISHED_DIR / name)
        assert df["source_url"].notna().all()
    assert (PUBLISHED_DIR / "README.md").exists()

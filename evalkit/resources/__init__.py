"""The files that ship inside the package: notebooks, the sample data and the published figures.

They are package resources, so an installed evalkit (no source checkout) finds them:

>>> from evalkit import resources
>>> resources.sample(resources.ROSTER_FILE).name
'province_2026_roster.csv'
>>> sorted(p.name for p in resources.notebooks())[:1]
['01_compliance_check.ipynb']
"""

from __future__ import annotations

from importlib import resources as _resources
from pathlib import Path

PACKAGE_DIR = Path(str(_resources.files(__name__)))
SAMPLE_DIR = PACKAGE_DIR / "sample"
PUBLISHED_DIR = PACKAGE_DIR / "published"
NOTEBOOK_DIR = PACKAGE_DIR / "notebooks"
ROSTER_FILE = "province_2026_roster.csv"
COUNTS_FILE = "province_2026_counts_by_task_group.csv"
HR_FILE = "so_noi_vu_2026_xep_loai.xlsx"
PLAN_FILE = "recruitment_plan_2026.csv"


def sample(name: str) -> Path:
    """A bundled sample file (synthetic data made by evalkit from a fixed seed)."""
    return _existing(SAMPLE_DIR / name)


def published(name: str) -> Path:
    """A bundled file of real published figures (sources in its README)."""
    return _existing(PUBLISHED_DIR / name)


def notebooks() -> list[Path]:
    """The bundled notebooks, in order."""
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def _existing(path: Path) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"{path.name} is not among evalkit's bundled files ({path.parent})")
    return path

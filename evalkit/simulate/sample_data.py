"""The bundled sample data: a synthetic province and an HR office's workbook, made from a fixed seed.

``python -m evalkit.simulate.sample_data DIR`` (or ``scripts/make_sample_data.py``) regenerates the files
identically (the CSVs byte for byte; the workbook cell for cell).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from .. import levels as L

from ..resources import COUNTS_FILE, HR_FILE, ROSTER_FILE, SAMPLE_DIR

SEED = 2026

_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
_MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Hồng", "Quang", "Ngọc", "Thanh", "Hữu"]
_GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hương", "Lan", "Long", "Mai", "Nam", "Phương",
          "Quân", "Sơn", "Thảo", "Trang", "Tuấn", "Việt", "Yến", "Đạt"]


def province_roster(seed: int = SEED) -> pd.DataFrame:
    """The synthetic province's 2026 roster (33,373 staff), without the latent performance."""
    from .population import ProvinceSpec, generate_province

    staff = generate_province(ProvinceSpec(), seed=seed).staff
    return staff.drop(columns=["true_performance"])


def counts_by_task_group(roster: pd.DataFrame) -> pd.DataFrame:
    """Counts per unit and task group, as an aggregate report would give them."""
    counts = (roster.groupby(["year", "unit_id", "unit_level", "task_group", "level"], observed=True, sort=True)
              .size().unstack("level", fill_value=0))
    out = pd.DataFrame(index=counts.index)
    for name, code in (("n_excellent", L.EXCELLENT), ("n_good", L.GOOD), ("n_completed", L.COMPLETED),
                       ("n_not_completed", L.NOT_COMPLETED), ("n_not_rated", L.NOT_RATED)):
        out[name] = counts[code] if code in counts.columns else 0
    return out.reset_index()


def hr_workbook_rows(roster: pd.DataFrame, unit_prefix: str = "P-D05", seed: int = SEED) -> pd.DataFrame:
    """One department's civil servants as an HR office would list them (Vietnamese headers)."""
    rng = np.random.default_rng(seed + 1)
    sub = roster[roster["unit_id"].str.startswith(unit_prefix) & (roster["population"] != "public_employee")]
    sub = sub.reset_index(drop=True)
    n = len(sub)
    names = [f"{_FAMILY[a]} {_MIDDLE[b]} {_GIVEN[c]}" for a, b, c in
             zip(rng.integers(0, len(_FAMILY), n), rng.integers(0, len(_MIDDLE), n), rng.integers(0, len(_GIVEN), n),
                 strict=True)]
    position = np.where(sub["title_group"] == "unit_head", "Giám đốc",
                        np.where(sub["is_leader"], "Trưởng phòng", "Chuyên viên"))
    population = sub["population"].map({"civil_servant": "Công chức", "cadre": "Cán bộ"})
    return pd.DataFrame({
        "STT": np.arange(1, n + 1),
        "Mã CB": sub["person_id"],
        "Họ và tên": names,
        "Chức vụ": position,
        "Lãnh đạo": np.where(sub["is_leader"], "x", ""),
        "Đối tượng": population,
        "Đơn vị": sub["unit_id"],
        "Nhóm nhiệm vụ": sub["task_group"],
        "Điểm": [f"{s:.2f}".rstrip("0").rstrip(".").replace(".", ",") for s in sub["score"]],
        "Xếp loại": [L.label(c, "vi") for c in sub["level"].astype(str)],
    })


def write_hr_workbook(rows: pd.DataFrame, path: Path, year: int = 2026) -> None:
    """Write the rows under a title block, as real government workbooks do."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Xếp loại"
    ws.append(["UBND TỈNH QUẢNG NINH (DỮ LIỆU MẪU, TỔNG HỢP)"])
    ws.append([f"BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CÔNG CHỨC NĂM {year}"])
    ws.append(["(Dữ liệu tổng hợp do evalkit tạo ra, không phải người thật)"])
    ws.append([])
    ws.append(list(rows.columns))
    for rec in rows.itertuples(index=False):
        ws.append(list(rec))
    ws.append([])
    ws.append(["", "", "Người lập biểu", "", "", "", "", "Thủ trưởng đơn vị"])
    wb.properties.created = wb.properties.modified = dt.datetime(2026, 1, 1)
    wb.save(path)


def write_sample_data(directory: Path = SAMPLE_DIR, seed: int = SEED) -> list[Path]:
    """Write the sample files; returns their paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    roster = province_roster(seed)
    out = []
    path = directory / ROSTER_FILE
    roster.to_csv(path, index=False, lineterminator="\n")
    out.append(path)
    path = directory / COUNTS_FILE
    counts_by_task_group(roster).to_csv(path, index=False, lineterminator="\n")
    out.append(path)
    path = directory / HR_FILE
    write_hr_workbook(hr_workbook_rows(roster, seed=seed), path)
    out.append(path)
    return out


if __name__ == "__main__":  # pragma: no cover
    for p in write_sample_data(Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE_DIR):
        print(p)

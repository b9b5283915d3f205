"""Blank input workbooks with the expected headers, a rating dropdown and an instructions sheet."""

from __future__ import annotations

from pathlib import Path

from .. import levels as L

HEADERS = {
    ("roster", "vi"): ["Mã CB", "Họ và tên", "Năm", "Đơn vị", "Nhóm nhiệm vụ", "Nhóm chức danh", "Chức vụ",
                       "Lãnh đạo", "Đối tượng", "Điểm", "Xếp loại"],
    ("roster", "en"): ["person_id", "name", "year", "unit_id", "task_group", "title_group", "position",
                       "is_leader", "population", "score", "level"],
    ("counts", "vi"): ["Năm", "Đơn vị", "Nhóm nhiệm vụ", "Số HTXSNV", "Số HTTNV", "Số HTNV", "Số KHTNV",
                       "Số chưa xếp loại"],
    ("counts", "en"): ["year", "unit_id", "task_group", "n_excellent", "n_good", "n_completed", "n_not_completed",
                       "n_not_rated"],
}

INSTRUCTIONS = {
    "vi": [
        "HƯỚNG DẪN",
        "1. Mỗi dòng là một người (bảng danh sách) hoặc một nhóm (bảng số lượng). Không sửa dòng tiêu đề.",
        "2. Bắt buộc: Mã CB, Năm, Đơn vị, Xếp loại (hoặc các cột số lượng với bảng số lượng).",
        "3. Xếp loại: chọn trong danh sách, hoặc viết tắt HTXSNV, HTTNV, HTNV, KHTNV; có dấu hoặc không dấu đều được.",
        "4. Điểm: từ 0 đến 100, dùng dấu phẩy hoặc dấu chấm thập phân (85,5 hoặc 85.5).",
        "5. Lãnh đạo: ghi x, có, 1 nếu là lãnh đạo, quản lý; để trống nếu không.",
        "6. Đối tượng: cán bộ, công chức hoặc viên chức.",
        "7. Kiểm tra: evalkit check <tệp> --lang vi --out ket_qua.xlsx",
    ],
    "en": [
        "INSTRUCTIONS",
        "1. One row per person (roster) or per group (counts). Keep the header row as it is.",
        "2. Required: person_id, year, unit_id, level (or the count columns in a counts table).",
        "3. level: pick from the list, or write HTXSNV, HTTNV, HTNV, KHTNV, or English words.",
        "4. score: 0 to 100, with a decimal point or comma (85.5 or 85,5).",
        "5. is_leader: x, yes or 1 for leaders and managers; blank otherwise.",
        "6. population: cadre, civil servant or public employee (or cán bộ, công chức, viên chức).",
        "7. Check it: evalkit check <file> --out result.xlsx",
    ],
}


def write_template(path, kind: str = "roster", lang: str = "vi", rows: int = 500) -> Path:
    """Write a blank workbook for ``kind`` ('roster' or 'counts') in ``lang``; returns the path."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    if (kind, lang) not in HEADERS:
        raise ValueError(f"no template for kind={kind!r}, lang={lang!r}")
    headers = HEADERS[(kind, lang)]
    wb = Workbook()
    ws = wb.active
    ws.title = "Dữ liệu" if lang == "vi" else "Data"
    ws.append(headers)
    for j, h in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=j)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFEFEFEF")
        ws.column_dimensions[get_column_letter(j)].width = max(14, len(h) + 4)
    ws.freeze_panes = "A2"
    if kind == "roster":
        col = get_column_letter(len(headers))
        choices = ",".join(L.label(c, lang) for c in L.LEVELS)
        dv = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True,
                            errorTitle="Xếp loại" if lang == "vi" else "Rating",
                            error="Chọn một mức xếp loại" if lang == "vi" else "Pick a rating level")
        ws.add_data_validation(dv)
        dv.add(f"{col}2:{col}{rows + 1}")
        ws.column_dimensions[col].width = 34
    info = wb.create_sheet("Hướng dẫn" if lang == "vi" else "Instructions")
    for line in INSTRUCTIONS[lang]:
        info.append([line])
    info["A1"].font = Font(bold=True)
    info.column_dimensions["A"].width = 110
    path = Path(path)
    wb.save(path)
    return path

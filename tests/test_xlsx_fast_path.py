"""The .xlsx fast path (calamine values + a look at the sheet's XML) against openpyxl's full reader,
which stays as the fallback and is the reference here: the same cells (values and their Python
types), the same sheet chosen, the same hidden rows and the same formula notes."""

import datetime as dt
import random
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import evalkit as ek
from evalkit.io import tables as T

from conftest import FIXTURES


def _trimmed(cells: pd.DataFrame) -> list[list]:
    """Rows as lists without the trailing empty rows and columns openpyxl may add for formatted cells."""
    rows = [list(r) for r in cells.itertuples(index=False)]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    width = max((max((j + 1 for j, v in enumerate(r) if v is not None), default=0) for r in rows), default=0)
    return [r[:width] for r in rows]


def assert_same_as_full_reader(path: Path, sheet=None):
    fast = T._read_xlsx_fast(path, sheet)
    assert fast is not None, f"{path.name}: the fast path gave up"
    full = T._read_xlsx_cells(path, sheet)
    a, b = _trimmed(fast[0]), _trimmed(full[0])
    assert a == b, path.name
    assert [[type(v) for v in r] for r in a] == [[type(v) for v in r] for r in b], path.name
    assert fast[1:] == full[1:], path.name  # sheet, hidden rows, notes


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("**/*.xlsx")), ids=lambda p: p.name)
def test_every_office_fixture_reads_the_same(path):
    try:
        T._read_xlsx_cells(path, None)
    except ek.InputError as exc:  # a file the reader refuses (two rating sheets): refused the same way
        with pytest.raises(ek.InputError) as fast_exc:
            T._read_xlsx_fast(path, None)
        assert str(fast_exc.value) == str(exc)
        return
    assert_same_as_full_reader(path)


def _office_workbook(path: Path, rng: random.Random) -> None:
    """A roster as offices keep them: offsets, a title, merged units, hidden rows and draft sheets,
    zero-padded ids (custom 000000 and the built-in "0"), error values, dates, times, a total formula."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Xếp loại"
    r0, c0 = rng.choice([(1, 1), (3, 1), (1, 3), (5, 2)])
    for j, h in enumerate(["STT", "Mã CB", "Họ và tên", "Năm", "Đơn vị", "Xếp loại", "Điểm"]):
        ws.cell(r0, c0 + j, h)
    n = rng.randint(3, 25)
    for i in range(n):
        r = r0 + 1 + i
        row = [i + 1, rng.choice([i + 1, f"CB{i:04d}", 1000 + i]), rng.choice(["Nguyễn Văn A", "Trần  Thị B", None]),
               rng.choice([2026, "2026", dt.datetime(2026, 12, 31), 2026.0]),
               rng.choice(["Phòng Nội vụ", "PHÒNG NỘI VỤ", None]),
               rng.choice(["HTXSNV", "Hoàn thành tốt nhiệm vụ", "HTNV", "", True, "#N/A"]),
               rng.choice([95, 88.5, "88,5", None, 90.25, dt.time(9, 0)])]
        for j, v in enumerate(row):
            if v is None:
                continue
            cell = ws.cell(r, c0 + j, v)
            if j == 1 and isinstance(v, int) and rng.random() < 0.6:
                cell.number_format = rng.choice(["000000", "0000", "0", "@", "#,##0"])
        if rng.random() < 0.15:
            ws.row_dimensions[r].hidden = True
    if rng.random() < 0.5:
        ws.merge_cells(start_row=r0 + 1, start_column=c0 + 4, end_row=r0 + min(3, n), end_column=c0 + 4)
    if rng.random() < 0.3:
        ws.insert_rows(1)
        ws["A1"] = "BÁO CÁO XẾP LOẠI"
        ws.merge_cells("A1:D1")
    if rng.random() < 0.4:
        draft = wb.create_sheet("Nháp", 0)
        draft["A1"], draft["B1"] = "Mã CB", "Xếp loại"
        draft.sheet_state = rng.choice(["hidden", "visible"])
    if rng.random() < 0.3:
        wb.create_sheet("Ghi chú")["A1"] = "ghi chú"
        if rng.random() < 0.5:
            wb.active = len(wb.sheetnames) - 1
    if rng.random() < 0.3:
        ws.cell(r0 + n + 2, c0, "Tổng cộng")
        ws.cell(r0 + n + 2, c0 + 5, f"=COUNTA(F{r0 + 1}:F{r0 + n})")  # no cached value: a note
    wb.save(path)


@pytest.mark.parametrize("seed", range(24))
def test_generated_office_workbooks_read_the_same(tmp_path, seed):
    path = tmp_path / f"w{seed}.xlsx"
    _office_workbook(path, random.Random(seed))
    try:
        T._read_xlsx_cells(path, None)
    except ek.InputError as exc:
        with pytest.raises(ek.InputError) as fast_exc:
            T._read_xlsx_fast(path, None)
        assert str(fast_exc.value) == str(exc)
        return
    assert_same_as_full_reader(path)


def test_an_ordinary_workbook_never_reaches_the_full_reader(tmp_path, monkeypatch):
    path = tmp_path / "r.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Mã CB", "Năm", "Đơn vị", "Xếp loại"])
    ws.append([1, 2026, "U1", "HTXSNV"])
    ws["A2"].number_format = "000000"
    wb.save(path)

    def refuse(*_):
        raise AssertionError("the full reader was used")

    monkeypatch.setattr(T, "_read_xlsx_cells", refuse)
    assert ek.read_roster(path)["person_id"].tolist() == ["000001"]  # the zeros the officer sees


def test_a_workbook_the_look_cannot_read_goes_to_the_full_reader(tmp_path):
    # elements with a namespace prefix (<x:row>, as some .NET writers produce): openpyxl reads those
    import zipfile

    plain = tmp_path / "plain.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Mã CB", "Năm", "Đơn vị", "Xếp loại"])
    wb.active.append(["A1", 2026, "U1", "HTTNV"])
    wb.save(plain)
    prefixed = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(prefixed, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet ", b'<worksheet xmlns:x="http://schemas.openxmlformats.org/'
                                                    b'spreadsheetml/2006/main" ').replace(b"<row ", b"<x:row ") \
                    .replace(b"</row>", b"</x:row>")
            dst.writestr(item, data)
    assert T._read_xlsx_fast(prefixed, None) is None
    assert ek.read_roster(prefixed)["person_id"].tolist() == ["A1"]

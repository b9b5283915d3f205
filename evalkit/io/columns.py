"""What the readers look for: canonical columns, their kinds and their Vietnamese and English aliases."""

from __future__ import annotations

from dataclasses import dataclass

from .. import levels as L

# --------------------------------------------------------------------------------------------
# Column specifications
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A canonical column: its name, the kind of value it holds, the headers that mean it."""

    name: str
    kind: str  # id | text | year | level | score | bool | months | population | count
    aliases: tuple[str, ...]
    required: bool = False


def column_specs(*specs: Column) -> dict[str, Column]:
    return {c.name: c for c in specs}


#: ``Phòng ban`` beside ``Cơ quan``: the unit is the agency, the department is kept; alone, it is the unit.
DEPARTMENT_ALIASES = ("department", "phong ban", "phong", "bo phan", "phong ban don vi", "khoa phong")
#: One column naming the unit as "Đơn vị / Phòng ban": the unit itself (the slash folds to a space).
UNIT_DEPARTMENT_ALIASES = ("don vi phong ban", "co quan phong ban", "don vi bo phan")
#: The row-number column (``STT``): never a group key; a total label there marks a totals row.
ROW_NO_ALIASES = ("row_no", "stt", "tt", "so tt", "so thu tu", "no")

ROSTER_COLUMNS = column_specs(
    Column("person_id", "id", ("person_id", "person id", "ma cb", "ma can bo", "ma cong chuc", "ma vien chuc",
                               "ma ccvc", "ma cbccvc", "ma nhan vien", "ma so", "ma dinh danh", "staff id",
                               "employee id", "id"), True),
    Column("year", "year", ("year", "nam", "nam danh gia", "nam xep loai", "assessment year"), True),
    Column("unit_id", "id", ("unit_id", "unit id", "unit", "don vi", "ma don vi", "ten don vi", "co quan",
                             "co quan don vi", "co quan to chuc don vi", "don vi cong tac", "co quan don vi cong tac",
                             "agency") + UNIT_DEPARTMENT_ALIASES, True),
    Column("level", "level", ("level", "rating", "xep loai", "muc xep loai", "ket qua xep loai",
                              "xep loai chat luong", "muc do hoan thanh nhiem vu", "danh gia xep loai",
                              "ket qua danh gia xep loai", "ket qua danh gia", "ket qua danh gia xep loai chat luong",
                              "ket qua xep loai chat luong", "muc xep loai chat luong", "xep loai chat luong nam",
                              "danh gia xep loai chat luong", "xep loai danh gia", "ket qua"), True),
    Column("score", "score", ("score", "diem", "tong diem", "diem danh gia", "diem tong hop", "points")),
    Column("task_group", "text", ("task_group", "task group", "nhom nhiem vu", "nhom co nhiem vu tuong dong",
                                  "nhom nhiem vu tuong dong")),
    Column("title_group", "text", ("title_group", "title group", "nhom chuc danh", "chuc danh tuong duong",
                                   "chuc danh")),
    Column("position", "text", ("position", "chuc vu", "chuc vu hien tai")),
    Column("is_leader", "bool", ("is_leader", "leader", "lanh dao", "la lanh dao", "lanh dao quan ly",
                                 "lanh dao, quan ly")),
    Column("population", "population", ("population", "doi tuong", "loai", "loai can bo", "staff type")),
    Column("unit_level", "text", ("unit_level", "unit level", "cap", "cap don vi", "cap hanh chinh")),
    Column("months_worked", "months", ("months_worked", "months worked", "so thang cong tac",
                                       "thang cong tac", "so thang lam viec")),
    Column("leave_months", "months", ("leave_months", "leave months", "so thang nghi", "thang nghi phep",
                                      "so thang nghi phep")),
    Column("disciplined", "bool", ("disciplined", "discipline", "ky luat", "bi ky luat", "hinh thuc ky luat")),
    Column("name", "text", ("name", "full name", "ho va ten", "ho ten", "ten")),
    Column("department", "text", DEPARTMENT_ALIASES),
    Column("row_no", "text", ROW_NO_ALIASES),
)

COUNT_LEVELS = {
    "n_excellent": L.EXCELLENT, "n_good": L.GOOD, "n_completed": L.COMPLETED,
    "n_not_completed": L.NOT_COMPLETED, "n_not_rated": L.NOT_RATED,
}


def _count_aliases(code: str, extra: tuple[str, ...]) -> tuple[str, ...]:
    names = list(extra)
    for spelling in L.SPELLINGS[code]:
        names += [spelling, f"so {spelling}", f"so luong {spelling}", f"n {spelling}", f"number {spelling}"]
    return tuple(names)


COUNT_COLUMNS = column_specs(
    Column("n_excellent", "count", _count_aliases(L.EXCELLENT, ("n_excellent",)), True),
    Column("n_good", "count", _count_aliases(L.GOOD, ("n_good",)), True),
    Column("n_completed", "count", _count_aliases(L.COMPLETED, ("n_completed",))),
    Column("n_not_completed", "count", _count_aliases(L.NOT_COMPLETED, ("n_not_completed",))),
    Column("n_not_rated", "count", _count_aliases(L.NOT_RATED, ("n_not_rated",))),
    Column("n_total", "count", ("n_total", "tong so", "tong so nguoi", "tong so cbccvc", "tong so cong chuc",
                                "tong so nguoi duoc danh gia", "tong so duoc danh gia xep loai", "tong cong", "total")),
    Column("row_no", "text", ROW_NO_ALIASES),
    Column("department", "text", DEPARTMENT_ALIASES),
    # group keys with a canonical name; any other column is kept as a group key under its own name
    Column("unit_id", "id", ROSTER_COLUMNS["unit_id"].aliases + ("org", "to chuc")),
    Column("year", "year", ROSTER_COLUMNS["year"].aliases),
    Column("task_group", "text", ROSTER_COLUMNS["task_group"].aliases),
    Column("title_group", "text", ROSTER_COLUMNS["title_group"].aliases),
    Column("unit_level", "text", ROSTER_COLUMNS["unit_level"].aliases + ("level",)),
    Column("population", "text", ROSTER_COLUMNS["population"].aliases),
)
#: Columns of a counts table kept as information, never as a group key.
COUNT_INFO_PREFIXES = ("pct_", "source", "note", "ghi chu", "nguon", "n_total", "row_no", "department")

#: Roster columns stored as pandas categoricals (group keys).
CATEGORY_COLUMNS = ("unit_id", "task_group", "title_group", "unit_level", "population", "position")
#: The Vietnamese header shown in messages and templates for each canonical column.
DISPLAY = {"person_id": "Mã CB", "year": "Năm", "unit_id": "Đơn vị", "level": "Xếp loại", "score": "Điểm",
           "n_excellent": "Số HTXSNV", "n_good": "Số HTTNV", "payroll_start": "Biên chế đầu năm",
           "freed_streamlining": "Số tinh giản", "freed_retirement": "Số nghỉ hưu", "freed_resignation": "Số thôi việc",
           "planned_hires": "Số tuyển dụng"}
TOTAL_LABELS = {"tong", "tong cong", "cong", "total", "grand total", "tong so", "toan tinh", "tong hop", "toan so",
                "toan nganh", "cong chung", "tong chung", "subtotal"}
TRUE_WORDS = {"1", "true", "yes", "y", "x", "co", "la", "t"}
FALSE_WORDS = {"0", "false", "no", "n", "khong", "f", ""}
POPULATIONS = {
    "cadre": ("cadre", "can bo", "cb"),
    "civil_servant": ("civil_servant", "civil servant", "cong chuc", "cc"),
    "public_employee": ("public_employee", "public employee", "vien chuc", "vc"),
    "party_member": ("party_member", "party member", "dang vien", "dv"),
}
POPULATION_LOOKUP = {L.match_key(a): code for code, names in POPULATIONS.items() for a in names}


def alias_map(columns: dict[str, Column]) -> dict[str, str]:
    return {L.match_key(a): c.name for c in columns.values() for a in c.aliases}


ROSTER_ALIASES = alias_map(ROSTER_COLUMNS)
COUNT_ALIASES = alias_map(COUNT_COLUMNS)


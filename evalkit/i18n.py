"""Vietnamese wording of the input-problem messages, for reports and the command line.

Messages are made in English in the code; :func:`translate` gives the Vietnamese for the known
ones (patterns keep the numbers and values) and leaves any other message as it is.

>>> translate("person listed twice for the same year (first at row 2)", "vi")
'một người có hai dòng trong cùng năm (lần đầu ở dòng 2)'
"""

from __future__ import annotations

import re

_VI: list[tuple[str, str]] = [
    (r"unknown rating level; expected HTXSNV, HTTNV, HTNV or KHTNV \(any spelling\)",
     "mức xếp loại không hợp lệ; cần HTXSNV, HTTNV, HTNV hoặc KHTNV (có dấu, không dấu hay viết tắt đều được)"),
    (r"required value is empty", "thiếu giá trị bắt buộc"),
    (r"required count is empty", "thiếu số lượng bắt buộc"),
    (r"score is not a number \(use 85\.5 or 85,5\)", "điểm không phải là số (ví dụ 85,5 hoặc 85.5)"),
    (r"score outside 0–100", "điểm nằm ngoài khoảng 0–100"),
    (r"months is not a number", "số tháng không phải là số"),
    (r"months outside 0–12", "số tháng nằm ngoài khoảng 0–12"),
    (r"year is not a number", "năm không phải là số"),
    (r"year must be a whole year such as 2026", "năm phải là số năm, ví dụ 2026"),
    (r"count is not a number", "số lượng không phải là số"),
    (r"count must be a whole number ≥ 0", "số lượng phải là số nguyên không âm"),
    (r"count is empty: taken as unknown, not zero", "ô số lượng trống: coi là chưa biết, không coi là 0"),
    (r"expected yes/no \(có/không, 1/0, x or blank\)", "cần có/không (hoặc 1/0, x, để trống)"),
    (r"unknown staff type; expected cán bộ, công chức, viên chức or đảng viên",
     "đối tượng không hợp lệ; cần cán bộ, công chức, viên chức hoặc đảng viên"),
    (r"person listed twice for the same year \(first at row (\d+)\)", r"một người có hai dòng trong cùng năm (lần đầu ở dòng \1)"),
    (r"unit listed twice for the same year", "một đơn vị có hai dòng trong cùng năm"),
    (r"high-quality hires exceed planned hires", "số tuyển chất lượng cao lớn hơn tổng số tuyển dụng"),
    (r"row skipped: it has none of the required values \(a title, note or signature line\?\)",
     "bỏ qua dòng: không có giá trị bắt buộc nào (dòng tiêu đề, ghi chú hay chữ ký?)"),
    (r"row skipped: a totals row, which would count its groups twice",
     "bỏ qua dòng tổng cộng (nếu tính sẽ đếm trùng các nhóm)"),
    (r"no year column: year (\d{4}) taken from the title", r"không có cột năm: lấy năm \1 từ tiêu đề"),
    (r"value in a column without a header", "có giá trị trong cột không có tiêu đề"),
    (r"the (file|sheet) is empty; expected a table of .*", "tệp hoặc trang tính trống; cần một bảng dữ liệu"),
    (r"missing required column '(\w+)' \(a header such as '([^']+)' or '\w+'\)",
     r"thiếu cột bắt buộc '\2' (\1)"),
    (r"rating (\w+) differs from the Decree 335 score band \((\w+) for score ([\d.]+)\) and no recorded override explains it",
     r"xếp loại \1 khác với mức theo điểm của Nghị định 335 (\2 với điểm \3) và không có căn cứ ghi nhận nào giải thích"),
    (r"file not found", "không tìm thấy tệp"),
    (r"the file is neither UTF-8 nor Windows-1258 text; save it as 'CSV UTF-8' and try again",
     "tệp không phải văn bản UTF-8 hay Windows-1258; hãy lưu lại dạng 'CSV UTF-8' rồi thử lại"),
]
_COMPILED = [(re.compile(f"^{p}$"), r) for p, r in _VI]


def translate(message: str, lang: str) -> str:
    """The message in ``lang`` ('vi' or 'en'); unknown messages come back unchanged."""
    if lang != "vi" or not isinstance(message, str):
        return message
    for pattern, repl in _COMPILED:
        if pattern.match(message):
            return pattern.sub(repl, message)
    return message

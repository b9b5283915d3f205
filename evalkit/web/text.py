"""The web pages' words, in Vietnamese (the default) and English.

Engine messages (verdicts, report headers, input problems) come from the engine in the chosen
language; this catalogue holds only what the pages themselves say.
"""

from __future__ import annotations

LANGS = ("vi", "en")

TEXT: dict[str, dict[str, str]] = {
    "vi": {
        "app": "evalkit – kiểm tra xếp loại chất lượng",
        "nav_check": "Kiểm tra tệp", "nav_policies": "Quy định", "nav_rounds": "Đợt xếp loại",
        "nav_api": "API", "nav_login": "Đăng nhập", "nav_logout": "Đăng xuất", "switch_lang": "English",
        "check_title": "Kiểm tra tệp xếp loại",
        "check_intro": "Tải lên danh sách xếp loại (mỗi dòng một người) hoặc bảng số lượng (mỗi dòng một nhóm) "
                       "dạng .xlsx, .xls hoặc .csv. Tệp chỉ được dùng để kiểm tra rồi xoá ngay, không lưu lại.",
        "file": "Tệp", "policy": "Quy định áp dụng", "year": "Năm (để trống: mọi năm)", "year_only": "Năm",
        "sheet": "Trang tính (để trống: trang đầu tiên)", "privacy": "Bảo vệ thông tin cá nhân",
        "pseudonymize": "Thay mã cán bộ bằng mã băm, bỏ họ tên",
        "suppress_below": "Ẩn số liệu của nhóm dưới K người (K)",
        "submit_check": "Kiểm tra", "get_back": "Hoặc kiểm tra và tải ngay",
        "out_xlsx": "Bảng tính kết quả", "out_roster": "Danh sách sau điều chỉnh", "out_html": "Báo cáo HTML",
        "template_title": "Mẫu nhập liệu", "template_roster": "Mẫu danh sách xếp loại (.xlsx)",
        "template_counts": "Mẫu bảng số lượng (.xlsx)",
        "result_title": "Kết quả kiểm tra", "verdict": "Kết luận", "rule": "Quy định áp dụng và căn cứ",
        "facts": "Số liệu chính", "rows": "Số dòng đọc được", "groups_over": "Số nhóm vượt giới hạn",
        "excess": "Số HTXSNV vượt giới hạn", "demotions": "Số người đề xuất hạ mức", "sha256": "Mã băm SHA-256",
        "problems_n": "Số lỗi dữ liệu", "warnings_n": "Số cảnh báo",
        "violations": "Các nhóm vượt giới hạn", "calibration": "Đề xuất điều chỉnh (kèm lý do)",
        "ties": "Người có điểm bằng nhau tại ngưỡng (để Hội đồng quyết định)",
        "ceilings": "Xếp loại cao hơn mức được phép theo NĐ 90", "problems": "Lỗi và cảnh báo về dữ liệu",
        "none": "Không có.", "shown_first": "Chỉ hiện {n} dòng đầu trong {total}; xem đủ trong bảng tính kết quả.",
        "downloads": "Tải kết quả", "notes": "Ghi chú", "check_another": "Kiểm tra tệp khác",
        "unusable_title": "Không dùng được tệp này",
        "unusable_intro": "Tệp có {n} lỗi cần sửa trước khi kiểm tra. Sửa theo dòng và cột dưới đây rồi tải lên lại.",
        "policies_title": "Các quy định", "cap_rules": "Giới hạn tỷ lệ hoàn thành xuất sắc nhiệm vụ",
        "recruitment_rules": "Tuyển dụng và tinh giản biên chế", "explain": "Giải thích",
        "login_title": "Đăng nhập quản trị", "username": "Tên đăng nhập", "password": "Mật khẩu",
        "login": "Đăng nhập", "login_failed": "Sai tên đăng nhập hoặc mật khẩu.",
        "rounds_title": "Các đợt xếp loại", "new_round": "Tạo đợt mới", "round_name": "Tên đợt",
        "create": "Tạo", "open": "Đang mở", "closed": "Đã đóng", "state": "Trạng thái",
        "agencies": "Cơ quan, đơn vị", "add_agency": "Thêm cơ quan, đơn vị", "agency_name": "Tên cơ quan, đơn vị",
        "add": "Thêm", "upload_link": "Đường dẫn nộp tệp", "submitted": "Đã nộp", "not_submitted": "Chưa nộp",
        "versions": "Số lần nộp", "last_upload": "Lần nộp gần nhất", "result": "Kết quả",
        "over_by": "Vượt", "close_round": "Đóng đợt", "reopen_round": "Mở lại đợt",
        "export": "Xuất bảng tổng hợp toàn tỉnh (.xlsx)", "dashboard": "Theo dõi đợt",
        "st_compliant": "Đạt", "st_over": "Không đạt", "st_undecided": "Chưa kết luận", "st_unusable": "Tệp lỗi",
        "agency_title": "Nộp kết quả xếp loại", "agency_intro": "Đợt: {round} – năm {year} – quy định {policy}. "
                        "Có thể nộp lại nhiều lần cho đến khi đợt đóng; mọi lần nộp đều được lưu.",
        "upload": "Nộp tệp", "your_versions": "Các lần đã nộp", "version": "Lần", "time": "Thời gian",
        "round_closed": "Đợt này đã đóng, không nhận thêm tệp.",
        "uploaded_ok": "Đã nhận tệp (lần {v}). Kết quả: {verdict}",
        "error_title": "Có lỗi", "back_home": "Về trang đầu",
        "e400": "Yêu cầu không hợp lệ.", "e401": "Cần đăng nhập quản trị (tên đăng nhập và mật khẩu).", "e403": "Không có quyền truy cập trang này.",
        "e404": "Không tìm thấy trang hoặc đường dẫn không còn hiệu lực.",
        "e405": "Phương thức không được hỗ trợ.",
        "e413": "Tệp quá lớn: tối đa {mb} MB.", "e415": "Tệp không phải là bảng tính .xlsx, .xls hay .csv "
        "(đã kiểm tra theo nội dung tệp, không theo tên).", "e422": "Dữ liệu gửi lên không hợp lệ: {detail}",
        "e500": "Lỗi trong chương trình; việc kiểm tra chưa thực hiện được. Hãy thử lại hoặc báo cho quản trị viên.",
        "csrf": "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Hãy tải lại trang rồi gửi lại.",
        "no_file": "Chưa chọn tệp.", "empty_file": "Tệp rỗng.",
        "bad_year": "Năm phải là số, ví dụ 2026.", "bad_k": "K phải là số nguyên dương.",
        "no_year_column": "Đã chọn năm nhưng tệp không có cột năm.",
        "no_rows_for_year": "Tệp không có dòng nào của năm đã chọn.",
        "unknown_policy": "Không có quy định tên này.", "needs_roster": "Bảng số lượng không có danh sách để điều chỉnh.",
        "round_required": "Cần nhập tên đợt và năm.", "agency_required": "Cần nhập tên cơ quan, đơn vị.",
        "footer": "evalkit – mã nguồn mở. Dữ liệu kiểm tra nhanh không được lưu.",
        "download_upload": "Tệp đã nộp",
    },
    "en": {
        "app": "evalkit – rating checks",
        "nav_check": "Check a file", "nav_policies": "Rules", "nav_rounds": "Rating rounds",
        "nav_api": "API", "nav_login": "Log in", "nav_logout": "Log out", "switch_lang": "Tiếng Việt",
        "check_title": "Check a rating file",
        "check_intro": "Upload a roster (one row per person) or a counts table (one row per group) as .xlsx, .xls "
                       "or .csv. The file is only checked, then deleted; nothing is kept.",
        "file": "File", "policy": "Rule applied", "year": "Year (blank: every year)", "year_only": "Year",
        "sheet": "Worksheet (blank: the first)", "privacy": "Privacy",
        "pseudonymize": "Replace person ids by a keyed hash and drop names",
        "suppress_below": "Blank groups of fewer than K people (K)",
        "submit_check": "Check", "get_back": "Or check and download at once",
        "out_xlsx": "Annotated workbook", "out_roster": "Corrected roster", "out_html": "HTML report",
        "template_title": "Blank templates", "template_roster": "Roster template (.xlsx)",
        "template_counts": "Counts template (.xlsx)",
        "result_title": "Check result", "verdict": "Verdict", "rule": "Rule applied and sources",
        "facts": "Key figures", "rows": "Rows read", "groups_over": "Groups over the cap",
        "excess": "Excellent over the cap", "demotions": "Demotions proposed", "sha256": "SHA-256",
        "problems_n": "Input errors", "warnings_n": "Warnings",
        "violations": "Groups over the cap", "calibration": "Proposed calibration (with reasons)",
        "ties": "Tied candidates at the cut (for the council to decide)",
        "ceilings": "Ratings above the Decree 90 ceiling", "problems": "Input problems",
        "none": "None.", "shown_first": "Showing the first {n} of {total} rows; the workbook has them all.",
        "downloads": "Downloads", "notes": "Notes", "check_another": "Check another file",
        "unusable_title": "This file cannot be used",
        "unusable_intro": "The file has {n} problem(s) to fix before it can be checked. Fix them by row and "
                          "column as listed below, then upload it again.",
        "policies_title": "Rules", "cap_rules": "Excellent-rating caps",
        "recruitment_rules": "Recruitment and streamlining", "explain": "Explanation",
        "login_title": "Administrator log in", "username": "User name", "password": "Password",
        "login": "Log in", "login_failed": "Wrong user name or password.",
        "rounds_title": "Rating rounds", "new_round": "New round", "round_name": "Round name",
        "create": "Create", "open": "Open", "closed": "Closed", "state": "State",
        "agencies": "Agencies", "add_agency": "Add an agency", "agency_name": "Agency name",
        "add": "Add", "upload_link": "Upload link", "submitted": "Submitted", "not_submitted": "Not submitted",
        "versions": "Uploads", "last_upload": "Last upload", "result": "Result",
        "over_by": "Over by", "close_round": "Close the round", "reopen_round": "Reopen the round",
        "export": "Export the provincial summary (.xlsx)", "dashboard": "Round dashboard",
        "st_compliant": "Compliant", "st_over": "Over the cap", "st_undecided": "Undecided",
        "st_unusable": "Unusable file",
        "agency_title": "Submit ratings", "agency_intro": "Round: {round} – year {year} – rule {policy}. "
                        "You may upload again until the round closes; every upload is kept.",
        "upload": "Upload", "your_versions": "Your uploads", "version": "Version", "time": "Time",
        "round_closed": "This round is closed and accepts no more files.",
        "uploaded_ok": "File received (version {v}). Result: {verdict}",
        "error_title": "Something went wrong", "back_home": "Back to the start",
        "e400": "Bad request.", "e401": "Administrator credentials required.", "e403": "You may not open this page.",
        "e404": "Page not found, or the link is no longer valid.", "e405": "Method not allowed.",
        "e413": "File too large: at most {mb} MB.", "e415": "The file is not an .xlsx, .xls or .csv spreadsheet "
        "(judged by its content, not its name).", "e422": "Invalid form data: {detail}",
        "e500": "An internal error stopped the check. Try again or tell the administrator.",
        "csrf": "The session expired or the form is not valid. Reload the page and submit again.",
        "no_file": "No file chosen.", "empty_file": "The file is empty.",
        "bad_year": "The year must be a number such as 2026.", "bad_k": "K must be a positive whole number.",
        "no_year_column": "A year was chosen but the file has no year column.",
        "no_rows_for_year": "The file has no rows for the chosen year.",
        "unknown_policy": "No rule by that name.", "needs_roster": "A counts table has no roster to correct.",
        "round_required": "A round needs a name and a year.", "agency_required": "An agency needs a name.",
        "footer": "evalkit – open source. Files checked here are not kept.",
        "download_upload": "Uploaded file",
    },
}


def t(lang: str, key: str, **kw) -> str:
    """The page text ``key`` in ``lang`` with ``{placeholders}`` filled."""
    text = TEXT.get(lang, TEXT["vi"]).get(key, key)
    return text.format(**kw) if kw else text

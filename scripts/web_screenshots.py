"""Screenshots of each page of `evalkit serve` for the README, taken with Debian's headless Chromium.

Starts the application on a temporary database, fills a round with two agencies, and saves small
PNGs under docs/img/. Needs the web and test extras and `chromium` + `chromium-driver`.

    python scripts/web_screenshots.py
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from evalkit.web import running
from evalkit.web.app import Settings, create_app

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"
SAMPLE = ROOT / "data" / "sample" / "so_noi_vu_2026_xep_loai.xlsx"
GOOD = "Mã CB,Năm,Đơn vị,Đối tượng,Xếp loại\n" + "A1,2026,Sở Y tế,công chức,HTXSNV\n" + "".join(
    f"A{i},2026,Sở Y tế,công chức,HTTNV\n" for i in range(2, 8))
BAD = "Mã CB,Năm,Xếp loại\nA1,2026,giỏi\n"


def shot(driver, name: str, height: int | None = None) -> None:
    """Save the page, cut to its content (at most 1600 px) and reduced to 64 colours."""
    driver.set_window_size(1200, 600)
    h = height or min(1600, driver.execute_script("return document.documentElement.scrollHeight") + 20)
    driver.set_window_size(1200, max(h, 500) + 140)  # the window includes the (hidden) browser frame
    path = OUT / f"web_{name}.png"
    driver.save_screenshot(str(path))
    Image.open(path).convert("RGB").quantize(64).save(path, optimize=True)
    print(path.relative_to(ROOT), path.stat().st_size // 1024, "kB")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ["EVALKIT_ADMIN_PASSWORD"] = "demo-password"
    os.environ.setdefault("SE_OFFLINE", "true")
    with tempfile.TemporaryDirectory() as d:
        app = create_app(Settings(db_url=f"sqlite:///{d}/demo.db", secret_key="demo"))
        server = contextlib.ExitStack()
        base = server.enter_context(running(app))
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--hide-scrollbars",
                    "--window-size=1200,900", "--lang=vi"):
            opts.add_argument(arg)
        drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        drv.implicitly_wait(10)
        try:
            drv.get(base + "/")
            shot(drv, "check")
            drv.find_element(By.ID, "file").send_keys(str(SAMPLE))
            drv.find_element(By.ID, "check").click()
            drv.find_element(By.ID, "verdict")
            shot(drv, "result")
            bad = Path(d) / "loi.csv"
            bad.write_text(BAD, encoding="utf-8")
            drv.get(base + "/")
            drv.find_element(By.ID, "file").send_keys(str(bad))
            drv.find_element(By.ID, "check").click()
            drv.find_element(By.ID, "verdict")
            shot(drv, "unusable")
            drv.get(base + "/policies")
            shot(drv, "policies")
            drv.get(base + "/policies/decree-335-2025")
            shot(drv, "explain")
            drv.get(base + "/login")
            shot(drv, "login")
            drv.find_element(By.ID, "username").send_keys("admin")
            drv.find_element(By.ID, "password").send_keys("demo-password")
            drv.find_element(By.ID, "login").click()
            drv.find_element(By.ID, "round-name").send_keys("Xếp loại năm 2026 – tỉnh Quảng Ninh")
            drv.find_element(By.ID, "round-year").send_keys("2026")
            drv.find_element(By.ID, "create-round").click()
            for name in ("Sở Nội vụ", "Sở Y tế", "UBND huyện Vân Đồn"):
                drv.find_element(By.ID, "agency-name").send_keys(name)
                drv.find_element(By.ID, "add-agency").click()
                drv.find_element(By.ID, "agency-name")
            dashboard = drv.current_url
            links = [e.get_attribute("value") for e in drv.find_elements(By.CLASS_NAME, "link-box")]
            good = Path(d) / "so_y_te.csv"
            good.write_text(GOOD, encoding="utf-8")
            drv.delete_all_cookies()  # agencies have only their link, no login
            for link, f in zip(links[:2], (SAMPLE, good)):
                drv.get(link)
                drv.find_element(By.ID, "file").send_keys(str(f))
                drv.find_element(By.ID, "upload").click()
                drv.find_element(By.ID, "verdict")
            shot(drv, "agency")
            drv.get(base + "/login")
            drv.find_element(By.ID, "username").send_keys("admin")
            drv.find_element(By.ID, "password").send_keys("demo-password")
            drv.find_element(By.ID, "login").click()
            drv.find_element(By.ID, "round-name")
            drv.get(dashboard)
            shot(drv, "dashboard")
            drv.get(base + "/admin")
            shot(drv, "rounds")
            drv.get(base + "/api")
            shot(drv, "api", height=900)
        finally:
            drv.quit()
            server.close()


if __name__ == "__main__":
    main()

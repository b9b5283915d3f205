"""In a real browser: Debian's headless Chromium driven by Selenium against a live `uvicorn` server.

Skipped, with the reason, when chromium or chromium-driver is not installed (`.ci/run` installs them).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import openpyxl
import pytest

from web_helpers import ADMIN, PASSWORD, SAMPLE_XLSX, make_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="real-browser tests need Debian's chromium and chromium-driver "
                                       "(apt-get install chromium chromium-driver)")

A_CSV = ("Mã CB,Năm,Đơn vị,Đối tượng,Xếp loại\nA1,2026,SoA,công chức,HTXSNV\n"
         + "".join(f"A{i},2026,SoA,công chức,HTTNV\n" for i in range(2, 7)))
B_CSV = ("Mã CB,Năm,Đơn vị,Đối tượng,Điểm,Xếp loại\n"
         + "".join(f"B{i},2026,SoB,công chức,{90 + i},HTXSNV\n" for i in range(1, 4))
         + "".join(f"B{i},2026,SoB,công chức,80,HTTNV\n" for i in range(4, 9)))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from evalkit.web import running

    os.environ["EVALKIT_ADMIN_PASSWORD"] = PASSWORD
    try:
        app = make_app(f"sqlite:///{tmp_path_factory.mktemp('db') / 'web.db'}")
    finally:
        del os.environ["EVALKIT_ADMIN_PASSWORD"]
    with running(app) as url:
        yield url
    app.state.engine.dispose()


@pytest.fixture
def chrome(tmp_path):
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download anything
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=vi",
                "--window-size=1280,1000"):
        opts.add_argument(arg)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.implicitly_wait(30)  # pages load after each click (slowly on a busy machine)
    driver.downloads = downloads
    yield driver
    driver.quit()


def _submit(driver, element_id: str) -> None:
    """Click a submit button and wait until the next page replaced this one and has loaded.

    The old page is marked with a property on its ``window``; a navigation gives the next page a
    fresh ``window``, so the mark's absence (and a complete document) means the new page is there.
    Any driver error while the page is being swapped (stale or detached nodes, "Node with given id
    does not belong to the document") just means "not yet".
    """
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("window.__evalkitOldPage = true;")
    driver.find_element("id", element_id).click()

    def replaced(d) -> bool:
        try:
            return bool(d.execute_script(
                "return window.__evalkitOldPage === undefined && document.readyState === 'complete';"))
        except WebDriverException:
            return False

    WebDriverWait(driver, 60).until(replaced)


def _settled(driver) -> None:
    """Wait until the new document has loaded (on a busy machine a read can otherwise hit the old one)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def complete(d) -> bool:
        try:
            return d.execute_script("return document.readyState") == "complete"
        except WebDriverException:
            return False

    WebDriverWait(driver, 60).until(complete)


def _read(driver, read, tries: int = 5):
    """``read(driver)``, again if the page was still being replaced (a stale or detached node)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    for attempt in range(tries):
        try:
            return read(driver)
        except (StaleElementReferenceException, WebDriverException):
            if attempt == tries - 1:
                raise
            time.sleep(0.5)
            _settled(driver)


def _wait_for_file(folder: Path, suffix: str, timeout: float = 60) -> Path:
    end = time.time() + timeout
    while time.time() < end:
        done = [p for p in folder.iterdir() if p.suffix == suffix]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} downloaded into {folder}: {list(folder.iterdir())}")


def test_check_the_sample_workbook_in_chromium(server, chrome):
    from selenium.webdriver.common.by import By

    chrome.get(server + "/")
    assert chrome.find_element(By.TAG_NAME, "h1").text == "Kiểm tra tệp xếp loại"
    chrome.find_element(By.ID, "file").send_keys(str(SAMPLE_XLSX))
    _submit(chrome, "check")
    verdict = _read(chrome, lambda d: d.find_element(By.ID, "verdict").text)
    assert verdict == "KHÔNG ĐẠT: có nhóm vượt giới hạn"
    chrome.find_element(By.ID, "dl-xlsx").click()
    wb = openpyxl.load_workbook(_wait_for_file(chrome.downloads, ".xlsx"))
    assert wb.sheetnames[0] == "Tổng hợp" and str(wb["Tổng hợp"]["B2"].value).startswith("KHÔNG ĐẠT")


def test_round_with_two_agencies_in_chromium(server, chrome, tmp_path):
    from selenium.webdriver.common.by import By

    chrome.get(server + "/admin")  # → log in first
    chrome.find_element(By.ID, "username").send_keys(ADMIN)
    chrome.find_element(By.ID, "password").send_keys(PASSWORD)
    _submit(chrome, "login")
    chrome.find_element(By.ID, "round-name").send_keys("Đợt xếp loại 2026")
    chrome.find_element(By.ID, "round-year").send_keys("2026")
    _submit(chrome, "create-round")
    for name in ("Sở Nội vụ", "Sở Y tế"):
        chrome.find_element(By.ID, "agency-name").send_keys(name)
        _submit(chrome, "add-agency")
    dashboard = chrome.current_url
    links = _read(chrome, lambda d: {
        row.get_attribute("data-agency"): row.find_element(By.CLASS_NAME, "link-box").get_attribute("value")
        for row in d.find_elements(By.CSS_SELECTOR, "tr.agency")})
    assert set(links) == {"Sở Nội vụ", "Sở Y tế"}
    for (_name, link), content in zip(sorted(links.items()), (A_CSV, B_CSV)):
        f = tmp_path / f"{len(content)}.csv"
        f.write_text(content, encoding="utf-8")
        chrome.get(link)
        _settled(chrome)
        chrome.find_element(By.ID, "file").send_keys(str(f))
        _submit(chrome, "upload")
        assert "Đã nhận tệp (lần 1)" in _read(chrome, lambda d: d.find_element(By.ID, "verdict").text)
    chrome.get(dashboard)
    _settled(chrome)
    rows = _read(chrome, lambda d: {row.get_attribute("data-agency"): row.text
                                    for row in d.find_elements(By.CSS_SELECTOR, "tr.agency")})
    assert "Đã nộp" in rows["Sở Nội vụ"] and "Đạt" in rows["Sở Nội vụ"]
    assert "Đã nộp" in rows["Sở Y tế"] and "Không đạt" in rows["Sở Y tế"]

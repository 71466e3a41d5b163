"""A student in a real browser: Debian's Chromium, headless, driven by
Selenium through Debian's chromedriver (test_console.py's journey).

The browser trusts only the console's own key (its certificate's SPKI
hash), as a student's browser trusts the site's certificate; it sends
Japanese as its language; downloads land in a directory of the test's.
Screenshots of the pages go to ``$IE_ARTIFACTS/console`` (by default
``artifacts/console`` in the repository), which CI keeps.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

ROOT = Path(__file__).resolve().parents[3]
SHOTS = Path(os.environ.get("IE_ARTIFACTS", ROOT / "artifacts")) / "console"


def spki_hash(certificate_pem: str) -> str:
    """Chromium's --ignore-certificate-errors-spki-list value for one key."""
    cert = x509.load_pem_x509_certificate(certificate_pem.encode())
    der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def navigating(error: WebDriverException) -> bool:
    """Chromedriver's answer while the page it asks about is being replaced:
    the old page's JavaScript context is gone, the new one not there yet
    ("unhandled inspector error: ... Cannot find context with specified id";
    CI of stop 44, while the registry push's page loaded)."""
    text = str(error)
    return "inspector error" in text or "Cannot find context" in text


class Chrome:
    def __init__(self, url: str, certificate_pem: str, downloads: Path, lang: str = "ja"):
        self.url = url
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for arg in (
            "--headless=new",
            "--no-sandbox",  # as root, in the test's machine
            "--disable-dev-shm-usage",
            f"--ignore-certificate-errors-spki-list={spki_hash(certificate_pem)}",
            "--window-size=1280,900",
            f"--lang={lang}",
        ):
            options.add_argument(arg)
        options.add_experimental_option(
            "prefs",
            {"download.default_directory": str(downloads), "intl.accept_languages": lang},
        )
        self.downloads = downloads
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.set_page_load_timeout(300)

    def open(self, path: str) -> str:
        self.driver.get(self.url + path)
        return self.driver.page_source

    def login(self, user: str, password: str) -> None:
        self.open("/login")
        self.driver.find_element(By.NAME, "user").send_keys(user)
        self.driver.find_element(By.NAME, "password").send_keys(password)
        self.press("/login")

    def form(self, action: str):
        return self.driver.find_element(By.CSS_SELECTOR, f'form[action="{action}"]')

    def fill(self, action: str, **fields) -> None:
        """Type into the form's fields (a select takes its visible text)."""
        form = self.form(action)
        for name, value in fields.items():
            field = form.find_element(By.NAME, name)
            if field.tag_name == "select":
                Select(field).select_by_visible_text(value)
            else:
                field.clear()
                field.send_keys(value)

    def click(self, action: str) -> None:
        """Click the form's button (a download: the page stays)."""
        self.form(action).find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    def press(self, action: str) -> str:
        """Click the form's button and wait for the page it leads to."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        self.click(action)

        def replaced() -> bool:
            try:
                old.is_enabled()  # raises once the new page replaced it
            except StaleElementReferenceException:
                return True
            return False

        self.wait(replaced)
        self.wait(lambda: self.driver.execute_script("return document.readyState") == "complete")
        return self.driver.page_source

    def wait(self, done) -> None:
        """Ask done() every 0.5 s, for up to 5 minutes, through chromedriver's
        errors while a page is being replaced."""
        for _ in range(600):
            try:
                if done():
                    return
            except WebDriverException as error:
                if not navigating(error):
                    raise
            time.sleep(0.5)

    def messages(self) -> list[str]:
        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, "pre.message")]

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(SHOTS / f"{name}.png"))

    def downloaded(self, name: str, wait: float = 120) -> bytes:
        path = self.downloads / name
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if path.exists() and not list(self.downloads.glob("*.crdownload")):
                return path.read_bytes()
            time.sleep(0.5)
        raise AssertionError(f"{name} was not downloaded: {os.listdir(self.downloads)}")

    def quit(self) -> None:
        self.driver.quit()

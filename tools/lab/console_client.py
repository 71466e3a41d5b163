"""A student's browser at the HTTP level, for the web console's tests
(molecule/site/tests/test_console.py) and benchmark
(benchmarks/console_pages.py): cookies, the CSRF token of the page last
read, forms and an upload, the console's CA verified. Python's standard
library only.

The console is reached from the machine that runs the tests, at its host
container's address (console_url), as a student's browser would.
"""

from __future__ import annotations

import html
import http.cookiejar
import json
import re
import secrets
import ssl
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from typing import NamedTuple

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
MESSAGE = re.compile(r'<pre class="message">(.*?)</pre>', re.S)


def console_url(container: str) -> str:
    """https://ADDRESS of the console's host container (the lab's or molecule/site's)."""
    out = subprocess.run(  # noqa: S603 - podman inspect of a named container
        ["podman", "inspect", container, "--format", "json"],  # noqa: S607 - podman on PATH
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    networks = json.loads(out)[0]["NetworkSettings"]["Networks"]
    return "https://" + next(n["IPAddress"] for n in networks.values() if n.get("IPAddress"))


class Page(NamedTuple):
    status: int
    url: str
    text: str
    headers: dict
    body: bytes

    def messages(self) -> list[str]:
        return [html.unescape(m).strip() for m in MESSAGE.findall(self.text)]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One student's browser: its own cookies; follows redirects unless told."""

    def __init__(self, ca_file: str, url: str, lang: str = "en"):
        self.url = url
        self.jar = http.cookiejar.CookieJar()
        context = ssl.create_default_context(cafile=ca_file)
        https = urllib.request.HTTPSHandler(context=context)
        cookies = urllib.request.HTTPCookieProcessor(self.jar)
        self.follow = urllib.request.build_opener(https, cookies)
        self.stay = urllib.request.build_opener(https, cookies, _NoRedirect)
        self.lang = lang
        self.token = ""
        self.at = url + "/login"  # the page a form is sent from (its Referer)

    def request(self, path, data=None, *, headers=None, follow=True) -> Page:
        sent = {"Accept-Language": self.lang, **(headers or {})}
        if data is not None:  # a form, from the page last shown (same origin)
            sent.setdefault("Referer", self.at)
        req = urllib.request.Request(self.url + path, data=data, headers=sent)  # noqa: S310 - https
        try:
            opener = self.follow if follow else self.stay
            with opener.open(req, timeout=300) as resp:
                page = Page(resp.status, resp.url, "", dict(resp.headers), resp.read())
        except urllib.error.HTTPError as err:
            page = Page(err.code, err.url, "", dict(err.headers), err.read())
        text = page.body.decode("utf-8", "replace")
        self.at = page.url
        found = TOKEN.search(text)
        if found:
            self.token = found.group(1)
        return page._replace(text=text)

    def get(self, path, **kwargs) -> Page:
        return self.request(path, **kwargs)

    def post(self, path, fields=None, *, token=True, **kwargs) -> Page:
        fields = dict(fields or {})
        if token:
            fields.setdefault("csrf_token", self.token)
        return self.request(path, urllib.parse.urlencode(fields).encode(), **kwargs)

    def upload(self, path, fields, name, filename, content: bytes) -> Page:
        """A multipart form with one file, as a browser sends it."""
        boundary = "----ie" + secrets.token_hex(12)
        parts = []
        for key, value in {"csrf_token": self.token, **fields}.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/gzip\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            path,
            b"".join(parts),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )

    def login(self, user, password, **kwargs) -> Page:
        self.get("/login")
        return self.post("/login", {"user": user, "password": password}, **kwargs)

    def cookie(self, name="ie_console"):
        return next((c for c in self.jar if c.name == name), None)

"""The Content-Security-Policy: on every response, scripts only from our static files; and every screen
(desk, wallboard, admin, sign-in, error pages, /api/docs) works under it in headless Chromium with not a
single violation."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from hotline.lib.csp import HEADER, REPORT_ONLY_HEADER
from tests import livetest

PASSWORD = "pw-for-tests"  # every factory user's password
WAIT_MS = 20_000
# Listens before any script of the page runs, so that no violation is missed.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


def directives(header: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/login/", "/admin/login/", "/api/docs", "/healthz", "/no-such-page/",
                                  "/api/openapi.json"])
def test_every_response_has_the_policy_and_scripts_are_ours_only(db: Any, path: str) -> None:
    response = Client().get(path)
    policy = directives(response[HEADER])
    assert policy["script-src"] == "'self'"
    assert (policy["object-src"], policy["base-uri"], policy["frame-ancestors"]) == ("'none'", "'self'", "'none'")
    assert policy["connect-src"] == "'self' ws://testserver wss://testserver"


def test_report_only_sends_the_policy_without_enforcing_it(db: Any, settings: Any) -> None:
    settings.CSP_REPORT_ONLY = True
    response = Client().get("/login/")
    assert HEADER not in response
    assert directives(response[REPORT_ONLY_HEADER])["script-src"] == "'self'"


class Visit:
    """A browser page that records CSP violations (events and console messages) and the policy served."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_context(locale="zh-CN").new_page()
        self.console: list[str] = []
        self.page.on("console", self._console)
        self.page.add_init_script(RECORD_VIOLATIONS)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or message.text.startswith("Refused to"):
            self.console.append(message.text)

    def open(self, url: str, ready: str) -> str:
        """Go to `url`, wait until `ready` is true; returns the policy the page came with."""
        response = self.page.goto(url)
        self.open_ready(ready)
        return str(response.headers.get(HEADER.lower(), ""))

    def open_ready(self, ready: str) -> None:
        """Wait until `ready` is true in the page; fail naming it and the violations seen."""
        try:
            self.page.wait_for_function(ready, timeout=WAIT_MS)
        except PlaywrightTimeout:
            pytest.fail(f"{self.page.url}: not true after {WAIT_MS} ms: {ready}; violations: {self.violations()}")

    def violations(self) -> list[str]:
        return [*self.page.evaluate("() => window.__cspViolations"), *self.console]


def browse(users: dict[str, Any]) -> dict[str, Any]:
    """Every screen as the role that uses it; what each one served and reported."""
    seen: dict[str, Any] = {}
    with ExitStack() as stack:
        base = stack.enter_context(livetest.serving())
        browser = stack.enter_context(livetest.chromium())
        anonymous = Visit(browser)
        seen["/login/"] = anonymous.open(f"{base}/login/", "() => !!document.querySelector('input[name=password]')")
        seen["/no-such-page/"] = anonymous.open(f"{base}/no-such-page/", "() => document.readyState === 'complete'")
        seen["/api/docs"] = anonymous.open(f"{base}/api/docs",
                                           "() => !!document.querySelector('.swagger-ui .opblock')")
        # the language switch (once an inline onchange) still submits its form
        anonymous.open(f"{base}/login/", "() => document.readyState === 'complete'")
        with anonymous.page.expect_navigation():
            anonymous.page.select_option("select[name=language]", "en")
        seen["language_after_switch"] = anonymous.page.get_attribute("html", "lang")
        seen["anonymous"] = anonymous.violations()

        agent = Visit(browser)
        livetest.log_in(agent.page, base, users["agent"].username, PASSWORD)
        seen["/desk/"] = agent.open(f"{base}/desk/",
                                    "() => window.hotlineDesk && window.hotlineDesk.received.includes('hello')")
        # the message form (once an inline hx-on handler) is sent and then emptied
        agent.page.fill("#message-form textarea[name=body]", "请问赠品还有吗")
        agent.page.click("#message-form button[value=message]")
        agent.open_ready("() => document.querySelector('#message-form textarea[name=body]').value === ''")
        seen["agent"] = agent.violations()

        supervisor = Visit(browser)
        livetest.log_in(supervisor.page, base, users["supervisor"].username, PASSWORD)
        seen["/wallboard/"] = supervisor.open(f"{base}/wallboard/",
                                              "() => window.hotlineWallboard && window.hotlineWallboard.updates > 0")
        seen["supervisor"] = supervisor.violations()

        admin = Visit(browser)
        livetest.log_in(admin.page, base, users["admin"].username, PASSWORD)
        seen["/admin/"] = admin.open(f"{base}/admin/", "() => !!document.querySelector('#content-main')")
        seen["/admin/orders/order/"] = admin.open(f"{base}/admin/orders/order/",
                                                  "() => !!document.querySelector('#changelist')")
        seen["/admin/crm/customer/add/"] = admin.open(f"{base}/admin/crm/customer/add/",
                                                      "() => !!document.querySelector('#customer_form')")
        seen["admin"] = admin.violations()
    return seen


@pytest.mark.django_db(transaction=True)
def test_every_screen_works_under_the_policy_without_a_violation(users: dict[str, Any]) -> None:
    seen = browse(users)
    for page in ("/login/", "/no-such-page/", "/api/docs", "/desk/", "/wallboard/", "/admin/",
                 "/admin/orders/order/", "/admin/crm/customer/add/"):
        assert directives(seen[page])["script-src"] == "'self'", page
    assert seen["language_after_switch"] == "en"
    assert {role: seen[role] for role in ("anonymous", "agent", "supervisor", "admin")} == {
        "anonymous": [], "agent": [], "supervisor": [], "admin": []}

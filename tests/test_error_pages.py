"""403, 404 and 500 pages in the user's language (Chinese by default), in the screens' look, with the way back;
a refused page logs one line, not a traceback; static files stay out of the access log."""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import path

from hotline.urls import urlpatterns as hotline_urlpatterns
from hotline.views import permission_denied


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


# This module is also the URLconf of the 500 tests: Hotline's URLs and handlers, and one view that fails.
urlpatterns = [path("boom", boom), *hotline_urlpatterns]
handler403 = "hotline.views.permission_denied"
handler404 = "hotline.views.page_not_found"
handler500 = "hotline.views.server_error"


def client_for(user: Any = None, language: str | None = None) -> Client:
    client = Client(raise_request_exception=False, headers={"accept-language": language} if language else None)
    if user is not None:
        client.force_login(user)
    return client


def back_link(html: str) -> str:
    start = html.index('<a class="back"')
    return html[start:html.index("</a>", start) + 4]


def assert_in_the_screens_look(html: str) -> None:
    assert '<link rel="stylesheet" href="/static/desk/screen.css">' in html
    assert '<header class="topbar"><span class="brand">Hotline</span>' in html


# ---------------------------------------------------------------- 404


def test_404_for_anonymous_is_chinese_and_leads_to_sign_in(db: Any) -> None:
    response = client_for().get("/no-such-page")
    html = response.content.decode()
    assert response.status_code == 404
    assert "<title>页面不存在 · Hotline</title>" in html and "<h1>页面不存在</h1>" in html
    assert "网址可能有误，或该内容已被删除。" in html
    assert back_link(html) == '<a class="back" href="/login/">登录</a>'
    assert "Not Found" not in html
    assert_in_the_screens_look(html)


def test_404_for_an_agent_leads_to_the_desk_and_names_them(users: dict[str, Any]) -> None:
    users["agent"].first_name = "王芳"
    users["agent"].save()
    html = client_for(users["agent"]).get("/no-such-page").content.decode()
    assert back_link(html) == '<a class="back" href="/desk/">返回我的首页</a>'
    assert '<span class="who">王芳</span>' in html


def test_404_in_english_for_who_asks_for_english(users: dict[str, Any]) -> None:
    html = client_for(users["supervisor"], "en").get("/no-such-page").content.decode()
    assert "<h1>Page not found</h1>" in html
    assert back_link(html) == '<a class="back" href="/wallboard/">Back to my start page</a>'


# ---------------------------------------------------------------- 403


def test_403_for_an_agent_is_chinese_and_leads_back_to_the_desk(users: dict[str, Any]) -> None:
    response = client_for(users["agent"]).get("/wallboard/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "<h1>没有权限打开此页面</h1>" in html
    assert "您的角色不能使用此页面。如确需使用，请联系管理员。" in html
    assert "您无权执行此操作" not in html  # said once, in the page's words
    assert back_link(html) == '<a class="back" href="/desk/">返回我的首页</a>'
    assert "403 Forbidden" not in html and "Forbidden" not in html
    assert_in_the_screens_look(html)


def test_403_in_the_back_office_leads_to_the_users_start_page(users: dict[str, Any]) -> None:
    # finance may not see call records
    response = client_for(users["finance"]).get("/admin/calls/callrecord/")
    assert response.status_code == 403
    assert back_link(response.content.decode()) == '<a class="back" href="/finance/">返回我的首页</a>'


def test_403_for_anonymous_leads_to_sign_in_and_back(db: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/calls/recordings/1/audio?x=1")
    request.user = AnonymousUser()
    html = permission_denied(request, PermissionDenied()).content.decode()
    assert back_link(html) == '<a class="back" href="/login/?next=%2Fcalls%2Frecordings%2F1%2Faudio%3Fx%3D1">登录</a>'


def test_a_403_logs_one_line_without_a_traceback(users: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client_for(users["agent"]).get("/wallboard/").status_code == 403
    records = [(r.levelname, r.getMessage(), r.exc_info) for r in caplog.records if r.name == "django.request"]
    assert records == [("WARNING", "Forbidden (Permission denied): /wallboard/", None)]
    assert "Traceback" not in caplog.text


def test_an_expired_form_says_so_in_chinese_and_leads_back(db: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "x", "password": "y"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "<h1>页面已过期</h1>" in html and "表单打开时间过长，或来自其他网站。请返回，刷新页面后重试。" in html
    assert back_link(html) == '<a class="back" href="/">返回首页</a>'
    assert "CSRF" not in html and "Forbidden" not in html


def test_a_bad_request_is_chinese(db: Any) -> None:
    response = Client(HTTP_HOST="not-our-host.example").get("/")  # a Host outside ALLOWED_HOSTS
    html = response.content.decode()
    assert response.status_code == 400
    assert "<h1>请求无效</h1>" in html and "Bad Request" not in html


# ---------------------------------------------------------------- 500


@pytest.mark.urls("tests.test_error_pages")
def test_500_is_chinese_and_leads_to_the_start_page(db: Any) -> None:
    response = client_for().get("/boom")
    html = response.content.decode()
    assert response.status_code == 500
    assert "<h1>服务器出错了</h1>" in html
    assert "错误已记录。请稍后重试；如果问题仍然存在，请告知管理员。" in html
    assert back_link(html) == '<a class="back" href="/">返回首页</a>'
    assert "Server Error" not in html
    assert_in_the_screens_look(html)


@pytest.mark.urls("tests.test_error_pages")
def test_a_500_keeps_its_traceback_in_the_log(db: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="django.request"):
        assert client_for().get("/boom").status_code == 500
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError


# ---------------------------------------------------------------- the access log of the real server


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


# WhiteNoise answers static files with a synchronous file response, which Django warns about under ASGI.
@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators")
def test_static_files_stay_out_of_uvicorns_access_log_and_pages_stay_in() -> None:
    import uvicorn

    from hotline.asgi import application

    # uvicorn sets up its loggers when configured, as `hotline serve` does after Django's set-up
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=0, loop="asyncio", lifespan="off",
                                           log_level="info"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    seen = Lines()
    access = logging.getLogger("uvicorn.access")
    access.addHandler(seen)
    try:
        wait_for(lambda: server.started, "the server to start")
        base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        assert [status_of(base + url) for url in ("/static/desk/screen.css", "/static/api/docs.js",
                                                  "/no-such-page")] == [200, 200, 404]
        wait_for(lambda: any("/no-such-page" in line for line in seen.lines), "the access log line")
        assert [line.split(" - ", 1)[1] for line in seen.lines] == ['"GET /no-such-page HTTP/1.1" 404']
    finally:
        access.removeHandler(seen)
        server.should_exit = True
        thread.join(10)


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return refused.code


def wait_for(condition: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.02)

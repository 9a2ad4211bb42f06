"""A local SMS provider speaking the Dysms-shaped HTTP API on 127.0.0.1, in a thread: a real server, not a
mock. It checks every request's signature with the account's secret, rejects unknown keys, invalid numbers
and numbers over its own per-number limit with the provider's result codes, records what it accepted, and
answers QuerySendDetails with a delivery receipt. `mode` makes it slow (the client times out); `stop()`
and `start()` on the same port take it down and bring it back."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from hotline.notify.sms import signature

KEY_ID, SECRET, SIGN_NAME = "LTAI-test-key", "test-secret", "热线优选"
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


@dataclass
class Accepted:
    """A message the provider took: what the carrier would print, and its receipt to report."""

    biz_id: str
    phone: str
    sign_name: str
    template_code: str
    params: dict[str, str]
    out_id: str
    receipt: tuple[int, str] = (3, "DELIVERED")  # SendStatus and ErrCode


@dataclass
class Provider:
    """The server's state, shared with its handler threads."""

    port: int = 0
    mode: str = "ok"  # "ok" or "slow" (answers after `delay` seconds)
    delay: float = 3.0
    per_number_limit: int = 100  # the provider's own flow control (isv.BUSINESS_LIMIT_CONTROL)
    undeliverable: set[str] = field(default_factory=set)  # numbers whose receipt says the carrier failed
    accepted: list[Accepted] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (phone or action, code)
    queries: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> None:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # the name http.server calls
                length = int(self.headers.get("Content-Length", 0))
                params = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                status, answer = provider.answer(params)
                body = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        request_id = uuid.uuid4().hex
        if self.mode == "slow":  # the client has given up by now; the request is lost, nothing is sent
            time.sleep(self.delay)
            return 503, {"RequestId": request_id, "Code": "isp.SYSTEM_ERROR", "Message": "busy"}
        if params.get("AccessKeyId") != KEY_ID:
            return 404, {"RequestId": request_id, "Code": "InvalidAccessKeyId.NotFound",
                         "Message": "Specified access key is not found."}
        given = params.pop("Signature", "")
        if given != signature(SECRET, "POST", params):
            self.refused.append((params.get("Action", ""), "SignatureDoesNotMatch"))
            return 400, {"RequestId": request_id, "Code": "SignatureDoesNotMatch",
                         "Message": "Specified signature is not matched with our calculation."}
        if params.get("Action") == "SendSms":
            return 200, {"RequestId": request_id, **self.send_sms(params)}
        if params.get("Action") == "QuerySendDetails":
            return 200, {"RequestId": request_id, **self.details(params)}
        return 400, {"RequestId": request_id, "Code": "InvalidAction.NotFound", "Message": "No such action."}

    def send_sms(self, params: dict[str, str]) -> dict[str, Any]:
        phone = params.get("PhoneNumbers", "")
        code = ""
        if not _MOBILE.match(phone):
            code, message = "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"
        elif params.get("SignName") != SIGN_NAME:
            code, message = "isv.SMS_SIGNATURE_ILLEGAL", "短信签名不合法"
        elif sum(1 for a in self.accepted if a.phone == phone) >= self.per_number_limit:
            code, message = "isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控Permits:10"
        if code:
            self.refused.append((phone, code))
            return {"Code": code, "Message": message}
        biz_id = f"{len(self.accepted) + 1:06d}^0"
        receipt = (2, "MK:0001") if phone in self.undeliverable else (3, "DELIVERED")
        self.accepted.append(Accepted(biz_id, phone, params["SignName"], params["TemplateCode"],
                                      json.loads(params.get("TemplateParam") or "{}"), params.get("OutId", ""),
                                      receipt))
        return {"Code": "OK", "Message": "OK", "BizId": biz_id}

    def details(self, params: dict[str, str]) -> dict[str, Any]:
        self.queries += 1
        rows = [{"PhoneNum": a.phone, "SendStatus": a.receipt[0], "ErrCode": a.receipt[1],
                 "TemplateCode": a.template_code, "OutId": a.out_id, "ReceiveDate": "2026-12-07 10:00:05",
                 "SendDate": "2026-12-07 10:00:01"}
                for a in self.accepted if a.biz_id == params.get("BizId") and a.phone == params.get("PhoneNumber")]
        return {"Code": "OK", "Message": "OK", "TotalCount": len(rows), "SmsSendDetailDTOs": {"SmsSendDetailDTO": rows}}

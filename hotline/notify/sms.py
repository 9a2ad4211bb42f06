"""A client for SMS gateways shaped like Aliyun's Dysms RPC API (SendSms, QuerySendDetails).

Written from the provider's published request shape, not from its SDK: every request is a form POST of
the API's parameters plus the common ones (AccessKeyId, Timestamp, SignatureNonce, …), signed with
HMAC-SHA1 over the sorted, percent-encoded parameters and the account's AccessKey secret. A message names
an approved template by code and fills its variables from a JSON object; the sign name (签名) is the
company name the carrier prints in 【】 before the text. The answer is JSON with a `Code` that is "OK" or
one of the provider's result codes; `classify` says which of those are worth trying again.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

API_VERSION = "2017-05-25"

# Result codes that mean "this message, as it is, will never go": retrying only costs money.
PERMANENT = frozenset({
    "isv.MOBILE_NUMBER_ILLEGAL", "isv.TEMPLATE_MISSING_PARAMETERS", "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.SMS_SIGNATURE_ILLEGAL", "isv.INVALID_PARAMETERS", "isv.INVALID_JSON_PARAM", "isv.PARAM_LENGTH_LIMIT",
    "isv.PARAM_NOT_SUPPORT_URL", "isv.BLACK_KEY_CONTROL_LIMIT", "isv.MOBILE_COUNT_OVER_LIMIT",
})  # fmt: skip
# Everything else (rate limits, a balance that ran out, a bad key being fixed, system errors) is retried.


class GatewayError(Exception):
    """The gateway answered with a result code other than OK, or could not be reached.

    `permanent` errors are not retried; `unreachable` ones (timeout, refused, a broken answer) mean the
    gateway is down, so a batch of retries stops at the first one instead of waiting on every message."""

    def __init__(self, code: str, message: str, *, permanent: bool = False, unreachable: bool = False) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.permanent = permanent
        self.unreachable = unreachable


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the carrier said about one message: delivered, failed (with its code) or still waiting."""

    state: str  # "delivered", "failed" or "waiting"
    code: str
    at: datetime.datetime | None


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as the signature wants it: spaces as %20, `~` left alone, `*` encoded."""
    return urllib.parse.quote(value, safe="-_.~")


def string_to_sign(method: str, params: dict[str, str]) -> str:
    """METHOD&%2F&encode(sorted, encoded `k=v` pairs joined by &) — the text the HMAC is computed over."""
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def signature(secret: str, method: str, params: dict[str, str]) -> str:
    """Base64 of HMAC-SHA1 keyed with the secret followed by "&"."""
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def classify(code: str, message: str) -> GatewayError:
    """The error for a provider result code other than OK."""
    return GatewayError(code, message, permanent=code in PERMANENT)


class SmsGateway:
    """One account at one endpoint. `now` and `nonce` are injectable so that a request can be rebuilt
    byte for byte in a test."""

    def __init__(self, url: str, key_id: str, secret: str, sign_name: str, *, timeout: float = 5.0) -> None:
        self.url = url
        self.key_id = key_id
        self.secret = secret
        self.sign_name = sign_name
        self.timeout = timeout

    def signed(self, action: str, params: dict[str, str], *, now: datetime.datetime | None = None,
               nonce: str | None = None) -> dict[str, str]:
        """The request's parameters with the common ones and the signature added."""
        moment = (now or datetime.datetime.now(datetime.UTC)).astimezone(datetime.UTC)
        full = {"Action": action, "Version": API_VERSION, "Format": "JSON", "AccessKeyId": self.key_id,
                "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
                "SignatureNonce": nonce or uuid.uuid4().hex, "Timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                **params}
        return {**full, "Signature": signature(self.secret, "POST", full)}

    def call(self, action: str, params: dict[str, str]) -> dict[str, Any]:
        """POST the signed request; the JSON answer when its Code is OK, GatewayError otherwise."""
        body = urllib.parse.urlencode(self.signed(action, params)).encode()
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:  # the provider answers errors with 4xx/5xx and a JSON body
            raw = error.read()
        except TimeoutError as error:
            raise GatewayError("timeout", str(error) or "timed out", unreachable=True) from error
        except (urllib.error.URLError, OSError) as error:
            raise GatewayError("unreachable", str(getattr(error, "reason", error)), unreachable=True) from error
        try:
            answer: dict[str, Any] = json.loads(raw)
        except ValueError as error:
            raise GatewayError("bad-answer", raw[:100].decode(errors="replace"), unreachable=True) from error
        if answer.get("Code") != "OK":
            raise classify(str(answer.get("Code", "")), str(answer.get("Message", "")))
        return answer

    def send(self, phone: str, template_code: str, params: dict[str, str], *, out_id: str = "") -> str:
        """Send one templated message; the provider's message id (BizId) for its receipt."""
        answer = self.call("SendSms", {
            "PhoneNumbers": phone, "SignName": self.sign_name, "TemplateCode": template_code,
            "TemplateParam": json.dumps(params, ensure_ascii=False, sort_keys=True), "OutId": out_id})
        return str(answer.get("BizId", ""))

    def receipt(self, phone: str, biz_id: str, sent_on: datetime.date) -> Receipt:
        """The delivery state of one message (QuerySendDetails, SendStatus 1 waiting, 2 failed, 3 delivered)."""
        answer = self.call("QuerySendDetails", {"PhoneNumber": phone, "BizId": biz_id,
                                                "SendDate": sent_on.strftime("%Y%m%d"), "PageSize": "10",
                                                "CurrentPage": "1"})
        rows = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        if not rows:
            return Receipt("waiting", "", None)
        row = rows[0]
        state = {3: "delivered", 2: "failed"}.get(int(row.get("SendStatus", 1)), "waiting")
        at = None
        if row.get("ReceiveDate"):
            at = datetime.datetime.strptime(row["ReceiveDate"], "%Y-%m-%d %H:%M:%S")
        return Receipt(state, str(row.get("ErrCode", "")), at)

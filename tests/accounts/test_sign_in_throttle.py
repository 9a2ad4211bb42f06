"""Password guessing on the web: failures counted per account and per source address, a growing wait,
then a lock that refuses even the right password; audited; admins see and lift locks. On a fake clock."""

from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from hotline.accounts import throttle
from hotline.accounts.models import AuditEntry, SignInThrottle

RIGHT = "pw-for-tests"
HOME = "203.0.113.9"
STEP = datetime.timedelta(seconds=31)  # longer than the longest wait between attempts (30 s)


class FakeClock:
    """The throttle's clock, moved by hand."""

    def __init__(self) -> None:
        self.at = datetime.datetime(2026, 12, 7, 10, 0, tzinfo=datetime.UTC)

    def __call__(self) -> datetime.datetime:
        return self.at

    def advance(self, delta: datetime.timedelta) -> None:
        self.at += delta


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, settings: Any) -> FakeClock:
    """The default limits, written out so that the numbers below can be read against them."""
    settings.HOTLINE_LOGIN_ACCOUNT_LIMIT = 10
    settings.HOTLINE_LOGIN_ADDRESS_LIMIT = 30
    settings.HOTLINE_LOGIN_LOCK_MINUTES = 15
    settings.HOTLINE_LOGIN_DELAY_AFTER = 3
    settings.HOTLINE_LOGIN_MAX_DELAY = 30
    settings.HOTLINE_CLIENT_ADDRESS_HEADER = ""
    fake = FakeClock()
    monkeypatch.setattr(throttle, "now", fake)
    return fake


def sign_in(client: Client, url: str, username: str, password: str, address: str = HOME, **extra: Any) -> Any:
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def guess(client: Client, clock: FakeClock, url: str, username: str, times: int, address: str = HOME) -> None:
    """`times` wrong passwords, one every 31 s; each is answered with the form again."""
    for _ in range(times):
        assert sign_in(client, url, username, "wrong-guess", address).status_code == 200
        clock.advance(STEP)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# The rules, as plain functions.

def test_the_wait_doubles_after_three_failures_up_to_thirty_seconds(clock: FakeClock) -> None:
    policy = throttle.Policy.from_settings()
    assert [policy.delay(n).total_seconds() for n in range(1, 11)] == [0, 0, 1, 2, 4, 8, 16, 30, 30, 30]


def test_the_tenth_failure_locks_for_fifteen_minutes_and_failures_during_a_lock_change_nothing(
        clock: FakeClock) -> None:
    policy, at = throttle.Policy.from_settings(), clock()
    counter = throttle.Counter()
    for _ in range(9):
        counter = throttle.after_failure(counter, 10, policy, at)
    assert (counter.failures, counter.locked_until) == (9, None)
    locked = throttle.after_failure(counter, 10, policy, at)
    assert locked == throttle.Counter(failures=0, last_failure_at=at, locked_until=at + datetime.timedelta(minutes=15))
    assert throttle.after_failure(locked, 10, policy, at + datetime.timedelta(minutes=1)) == locked


def test_a_lock_ends_on_time_and_old_failures_are_forgotten(clock: FakeClock) -> None:
    policy, at = throttle.Policy.from_settings(), clock()
    until = at + datetime.timedelta(minutes=15)
    locked = throttle.Counter(failures=0, last_failure_at=at, locked_until=until)
    one_second = datetime.timedelta(seconds=1)
    assert throttle.refusal_for(locked, policy, until - one_second) == throttle.Refusal(locked=True, wait=one_second)
    assert throttle.refusal_for(locked, policy, until) is None
    stale = throttle.Counter(failures=9, last_failure_at=at)
    assert throttle.after_failure(stale, 10, policy, until).failures == 1


# /login/ and /admin/login/

def test_thirty_wrong_passwords_on_login_then_the_right_one_is_refused_with_the_lock(
        users: dict[str, Any], clock: FakeClock) -> None:
    client = Client()
    guess(client, clock, "/login/", "t_agent", 30)
    response = sign_in(client, "/login/", "t_agent", RIGHT)
    # Locked by the 10th failure (at 9 × 31 s) for 15 min; now is 30 × 31 s: 249 s left.
    assert response.status_code == 200
    assert response.context["form"].throttle_message == "Too many failed sign-ins. Try again in 5 minutes."
    assert "Too many failed sign-ins. Try again in 5 minutes." in response.content.decode()
    assert not signed_in(client)


def test_the_lock_message_is_in_chinese(users: dict[str, Any], clock: FakeClock) -> None:
    client = Client()
    guess(client, clock, "/login/", "t_agent", 10)
    response = sign_in(client, "/login/", "t_agent", RIGHT, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "登录失败次数过多，请在 15 分钟后再试。" in response.content.decode()
    assert not signed_in(client)


def test_thirty_wrong_passwords_on_admin_login_then_the_right_one_is_refused_with_the_lock(
        users: dict[str, Any], clock: FakeClock) -> None:
    client = Client()
    guess(client, clock, "/admin/login/", "t_admin", 30)
    response = sign_in(client, "/admin/login/", "t_admin", RIGHT, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "登录失败次数过多，请在 5 分钟后再试。" in response.content.decode()
    assert not signed_in(client)


def test_a_quick_retry_after_three_failures_is_told_to_wait_before_its_password_is_checked(
        users: dict[str, Any], clock: FakeClock) -> None:
    client = Client()
    for _ in range(3):
        sign_in(client, "/login/", "t_agent", "wrong-guess")
    response = sign_in(client, "/login/", "t_agent", RIGHT)
    assert response.context["form"].throttle_message == "Too many failed sign-ins. Try again in 1 second."
    assert not signed_in(client)
    assert SignInThrottle.objects.get(kind="account", key="t_agent").failures == 3  # the refusal was not counted
    clock.advance(datetime.timedelta(seconds=1))
    assert sign_in(client, "/login/", "t_agent", RIGHT).status_code == 302
    assert signed_in(client)


def test_the_lock_ends_after_fifteen_minutes(users: dict[str, Any], clock: FakeClock) -> None:
    client = Client()
    guess(client, clock, "/login/", "t_agent", 10)
    ends = SignInThrottle.objects.get(kind="account", key="t_agent").locked_until
    assert ends == clock() - STEP + datetime.timedelta(minutes=15)
    clock.at = ends - datetime.timedelta(seconds=1)
    refused = sign_in(client, "/login/", "t_agent", RIGHT)
    assert refused.context["form"].throttle_message == "Too many failed sign-ins. Try again in 1 minute."
    clock.at = ends
    assert sign_in(client, "/login/", "t_agent", RIGHT).status_code == 302
    assert signed_in(client)


def test_one_address_guessing_at_many_accounts_is_locked_for_all_of_them(
        users: dict[str, Any], clock: FakeClock) -> None:
    client = Client()
    for name in [f"guess{n}" for n in range(15)]:
        guess(client, clock, "/login/", name, 2)
    assert SignInThrottle.objects.get(kind="address", key=HOME).locked_until == clock() - STEP + datetime.timedelta(
        minutes=15)
    refused = sign_in(client, "/login/", "t_supervisor", RIGHT)
    assert refused.context["form"].throttle_message == "Too many failed sign-ins. Try again in 15 minutes."
    assert not signed_in(client)
    elsewhere = Client()
    assert sign_in(elsewhere, "/login/", "t_supervisor", RIGHT, address="198.51.100.4").status_code == 302


def test_a_successful_sign_in_resets_the_account_but_not_the_address(
        users: dict[str, Any], clock: FakeClock) -> None:
    client = Client()
    guess(client, clock, "/login/", "t_agent", 2)
    assert sign_in(client, "/login/", "t_agent", RIGHT).status_code == 302
    assert not SignInThrottle.objects.filter(kind="account", key="t_agent").exists()
    guess(Client(), clock, "/login/", "t_agent", 1)
    failed = AuditEntry.objects.filter(action="sign_in_failed").order_by("id")
    assert [(e.after["account_failures"], e.after["address_failures"]) for e in failed] == [(1, 1), (2, 2), (1, 3)]


def test_the_right_password_in_a_lock_is_refused_to_any_caller_of_authenticate(
        users: dict[str, Any], clock: FakeClock) -> None:
    guess(Client(), clock, "/login/", "t_agent", 10)
    assert authenticate(None, username="t_agent", password=RIGHT) is None
    assert SignInThrottle.objects.get(kind="account", key="t_agent").failures == 0  # still the lock, not counted



def test_forgotten_failures_leave_the_table(users: dict[str, Any], clock: FakeClock) -> None:
    client = Client()
    guess(client, clock, "/login/", "made-up-1", 1, address="192.0.2.1")
    guess(client, clock, "/login/", "t_agent", 10, address="192.0.2.2")
    clock.advance(datetime.timedelta(minutes=15) - 10 * STEP)
    guess(client, clock, "/login/", "made-up-2", 1, address="192.0.2.3")
    assert sorted(SignInThrottle.objects.values_list("kind", "key")) == [
        ("account", "made-up-2"), ("account", "t_agent"), ("address", "192.0.2.2"), ("address", "192.0.2.3")]


# The audit log

def test_failed_sign_ins_are_audited_with_the_user_name_and_the_address(
        users: dict[str, Any], clock: FakeClock) -> None:
    client = Client()
    guess(client, clock, "/login/", "t_agent", 1)
    guess(client, clock, "/admin/login/", "nobody", 1, address="2001:db8::7")
    rows = list(AuditEntry.objects.filter(action="sign_in_failed").order_by("id").values_list(
        "actor", "actor_name", "object_type", "object_id", "object_repr", "after"))
    assert rows == [
        (None, HOME, "accounts.user", str(users["agent"].pk), "t_agent",
         {"username": "t_agent", "address": HOME, "account_failures": 1, "address_failures": 1}),
        (None, "2001:db8::7", "accounts.user", "", "nobody",
         {"username": "nobody", "address": "2001:db8::7", "account_failures": 1, "address_failures": 1}),
    ]


def test_the_lock_is_audited_once_and_refused_attempts_add_no_rows(users: dict[str, Any], clock: FakeClock) -> None:
    client = Client()
    guess(client, clock, "/login/", "t_agent", 30)
    assert AuditEntry.objects.filter(action="sign_in_failed").count() == 10
    locked = AuditEntry.objects.get(action="sign_in_locked")
    ends = clock.at - 21 * STEP + datetime.timedelta(minutes=15)
    assert (locked.object_repr, locked.after) == (
        "t_agent", {"username": "t_agent", "address": HOME, "locked": "account", "locked_until": ends.isoformat()})


# The source address

def test_a_forwarded_for_header_is_ignored_unless_configured(settings: Any, clock: FakeClock) -> None:
    from django.test import RequestFactory

    request = RequestFactory().post("/login/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 192.0.2.8")
    assert throttle.client_address(request) == "10.0.0.5"
    settings.HOTLINE_CLIENT_ADDRESS_HEADER = "X-Forwarded-For"
    assert throttle.client_address(request) == "192.0.2.8"  # the hop our proxy added, not what the client sent
    bad = RequestFactory().post("/login/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="not-an-address")
    assert throttle.client_address(bad) == "10.0.0.5"


# The admin page of locks

def _locked_agent(clock: FakeClock) -> SignInThrottle:
    guess(Client(), clock, "/login/", "t_agent", 10)
    return SignInThrottle.objects.get(kind="account", key="t_agent")


LOCKS = "/admin/accounts/signinthrottle/"


def test_the_locks_page_is_for_admins_only(users: dict[str, Any], clock: FakeClock) -> None:
    _locked_agent(clock)
    anonymous = Client().get(LOCKS)
    assert (anonymous.status_code, anonymous["Location"]) == (302, f"/admin/login/?next={LOCKS}")
    manager = Client()
    manager.force_login(users["manager"])
    assert manager.get(LOCKS).status_code == 403
    admin = Client()
    admin.force_login(users["admin"])
    page = admin.get(LOCKS + "?state=locked")
    assert page.status_code == 200
    assert [row.key for row in page.context["cl"].result_list] == ["t_agent"]


def test_a_manager_cannot_unlock(users: dict[str, Any], clock: FakeClock) -> None:
    lock = _locked_agent(clock)
    manager = Client()
    manager.force_login(users["manager"])
    response = manager.post(LOCKS, {"action": "unlock", "_selected_action": [lock.pk]})
    assert response.status_code == 403
    assert SignInThrottle.objects.get(pk=lock.pk).locked_until == lock.locked_until


def test_an_admin_unlocks_and_the_right_password_works_at_once(users: dict[str, Any], clock: FakeClock) -> None:
    lock = _locked_agent(clock)
    admin = Client()
    admin.force_login(users["admin"])
    response = admin.post(LOCKS, {"action": "unlock", "_selected_action": [lock.pk]})
    assert response.status_code == 302
    unlocked = SignInThrottle.objects.get(pk=lock.pk)
    assert (unlocked.failures, unlocked.locked_until) == (0, None)
    entry = AuditEntry.objects.get(action="unlock_sign_in")
    assert (entry.actor, entry.object_repr, entry.after["locked_until"]) == (users["admin"], "account t_agent", None)
    assert entry.before is not None and entry.before["locked_until"] == lock.locked_until.isoformat()
    client = Client()
    assert sign_in(client, "/login/", "t_agent", RIGHT).status_code == 302
    assert signed_in(client)



# Counting under concurrency

@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_are_all_counted(settings: Any) -> None:
    from django.db import connection

    from hotline.accounts.actions import do_record_failed_sign_in

    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("threads writing to the in-memory SQLite test database fail at once instead of waiting; "
                    "set HOTLINE_TEST_SQLITE to a file path to run this on SQLite. It always runs on PostgreSQL.")
    settings.HOTLINE_LOGIN_ACCOUNT_LIMIT = settings.HOTLINE_LOGIN_ADDRESS_LIMIT = 1000
    threads, each = 8, 5
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def guesser(number: int) -> None:
        try:
            start.wait()
            for _ in range(each):
                do_record_failed_sign_in(f"guess{number}" if number % 2 else "t_agent", HOME, actor=None)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=guesser, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert errors == []
    assert SignInThrottle.objects.get(kind="address", key=HOME).failures == threads * each
    assert SignInThrottle.objects.get(kind="account", key="t_agent").failures == threads // 2 * each
    assert AuditEntry.objects.filter(action="sign_in_failed").count() == threads * each

"""Messages and "ask my supervisor": who may send, answer and mark read; what the bus carries; inbox."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hotline.accounts.models import AuditEntry
from hotline.service.actions import (
    do_answer_question,
    do_ask_supervisor,
    do_mark_read,
    do_send_message,
)
from hotline.service.models import Message
from hotline.service.queries import inbox, open_questions
from tests import factories
from tests.service.conftest import state


def payload(message: Message, **expected: Any) -> dict[str, Any]:
    """The bus payload expected for a message: `expected` fields plus its id and time."""
    base = {"id": message.pk, "kind": "message", "recipient": "", "to_supervisors": False, "call_id": "",
            "reply_to": None, "at": message.created_at.isoformat()}
    return {**base, **expected}


def test_a_message_to_a_colleague_is_saved_audited_and_published_after_commit(  # type: ignore[no-untyped-def]
        users, published, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = do_send_message("  Can you take line 3?  ", actor=users["supervisor"], recipient=users["agent"],
                                  call_id="c-9")
        assert published == []
    stored = Message.objects.get()
    assert (stored.sender, stored.recipient, stored.to_supervisors, stored.kind, stored.body, stored.call_id) == (
        users["supervisor"], users["agent"], False, "message", "Can you take line 3?", "c-9")
    assert published == [payload(message, sender="t_supervisor", recipient="t_agent", body="Can you take line 3?",
                                 call_id="c-9")]
    assert AuditEntry.objects.get(action="send_message").object_id == str(message.pk)


def test_a_message_to_the_supervisors(users, published, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        message = do_send_message("Break at 3?", actor=users["agent"], to_supervisors=True)
    assert published == [payload(message, sender="t_agent", to_supervisors=True, body="Break at 3?")]


@pytest.mark.parametrize(("body", "target", "error"), [
    ("hi", {}, "['Send a message either to one person or to the supervisors.']"),
    ("hi", {"recipient": "agent", "to_supervisors": True},
     "['Send a message either to one person or to the supervisors.']"),
    ("   ", {"to_supervisors": True}, "{'body': ['Write a message.']}"),
    ("x" * 1001, {"to_supervisors": True}, "{'body': ['At most 1000 characters.']}"),
    ("hi", {"recipient": "supervisor"}, "{'recipient': ['Choose another recipient.']}"),
])
def test_invalid_messages_change_and_publish_nothing(  # type: ignore[no-untyped-def]
        users, published, django_capture_on_commit_callbacks, body, target, error) -> None:
    kwargs = {key: users[value] if key == "recipient" else value for key, value in target.items()}
    before = state()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as raised:
        do_send_message(body, actor=users["supervisor"], **kwargs)
    assert str(raised.value) == error
    assert state() == before
    assert published == []


def test_an_inactive_recipient_is_refused(users) -> None:  # type: ignore[no-untyped-def]
    gone = factories.make_user("agent", username="gone")
    gone.is_active = False
    gone.save()
    with pytest.raises(ValidationError):
        do_send_message("hi", actor=users["agent"], recipient=gone)
    assert Message.objects.count() == 0


@pytest.mark.parametrize("role", ["logistics", "finance", "manager"])
def test_roles_off_the_floor_cannot_send_or_ask(users, role) -> None:  # type: ignore[no-untyped-def]
    before = state()
    with pytest.raises(PermissionDenied, match=re.escape("You do not have permission to do this.")):
        do_send_message("hi", actor=users[role], recipient=users["agent"])
    with pytest.raises(PermissionDenied):
        do_ask_supervisor("hi?", actor=users[role])
    assert state() == before


def test_ask_and_answer(users, published, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        question = do_ask_supervisor(" Can I give a 10% discount? ", actor=users["agent"], call_id="c-1")
    assert open_questions() == [question]
    with django_capture_on_commit_callbacks(execute=True):
        answer = do_answer_question(question, "Yes, up to 10%.", actor=users["supervisor"])
    question.refresh_from_db()
    assert (answer.sender, answer.recipient, answer.reply_to, answer.kind, answer.call_id) == (
        users["supervisor"], users["agent"], question, "message", "c-1")
    assert question.answered_at == question.read_at and question.answered_at is not None
    assert open_questions() == []
    assert published == [
        payload(question, kind="question", sender="t_agent", to_supervisors=True,
                body="Can I give a 10% discount?", call_id="c-1"),
        payload(answer, sender="t_supervisor", recipient="t_agent", body="Yes, up to 10%.", call_id="c-1",
                reply_to=question.pk),
    ]
    assert [e.action for e in AuditEntry.objects.order_by("id")] == ["ask_supervisor", "answer_question",
                                                                   "send_message"]


def test_only_a_supervisor_answers_and_only_questions(users, published) -> None:  # type: ignore[no-untyped-def]
    question = do_ask_supervisor("May I?", actor=users["agent"])
    plain = do_send_message("hello", actor=users["agent"], to_supervisors=True)
    before = state()
    with pytest.raises(PermissionDenied):
        do_answer_question(question, "yes", actor=factories.make_user("agent"))
    with pytest.raises(ValidationError) as error:
        do_answer_question(plain, "yes", actor=users["supervisor"])
    assert error.value.messages == ["Only a question can be answered."]
    with pytest.raises(ValidationError) as error:
        do_answer_question(question, " ", actor=users["supervisor"])
    assert error.value.message_dict == {"body": ["Write an answer."]}
    assert state() == before


def test_a_second_answer_keeps_the_first_answer_time(users) -> None:  # type: ignore[no-untyped-def]
    question = do_ask_supervisor("May I?", actor=users["agent"])
    do_answer_question(question, "yes", actor=users["supervisor"])
    first = Message.objects.get(pk=question.pk).answered_at
    do_answer_question(question, "and also this", actor=users["admin"])
    assert Message.objects.get(pk=question.pk).answered_at == first
    assert Message.objects.filter(reply_to=question).count() == 2


def test_the_recipient_marks_a_message_read_once(users, published, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    message = do_send_message("hi", actor=users["supervisor"], recipient=users["agent"])
    with django_capture_on_commit_callbacks(execute=True):
        read = do_mark_read(message, actor=users["agent"])
    assert read.read_at is not None
    assert published == [payload(message, sender="t_supervisor", recipient="t_agent", body="hi")]
    before = state()
    with django_capture_on_commit_callbacks(execute=True):
        assert do_mark_read(message, actor=users["agent"]).read_at == read.read_at
    assert state() == before
    assert len(published) == 1


def test_who_may_mark_read(users) -> None:  # type: ignore[no-untyped-def]
    other = factories.make_user("agent", username="other")
    to_agent = do_send_message("hi", actor=other, recipient=users["agent"])
    to_supervisors = do_send_message("help", actor=users["agent"], to_supervisors=True)
    before = state()
    for message, actor in [(to_agent, other), (to_agent, users["supervisor"]), (to_supervisors, users["agent"]),
                           (to_supervisors, other)]:
        with pytest.raises(PermissionDenied, match=re.escape("This message is not addressed to you.")):
            do_mark_read(message, actor=actor)
    assert state() == before
    assert do_mark_read(to_supervisors, actor=users["supervisor"]).read_at is not None


def test_inbox_and_open_questions(users) -> None:  # type: ignore[no-untyped-def]
    agent, supervisor = users["agent"], users["supervisor"]
    other = factories.make_user("agent", username="other")
    m1 = do_send_message("to agent", actor=supervisor, recipient=agent)
    q1 = do_ask_supervisor("first question", actor=agent)
    m2 = do_send_message("to supervisor", actor=agent, recipient=supervisor)
    do_send_message("to other", actor=supervisor, recipient=other)
    q2 = do_ask_supervisor("second question", actor=other)
    m3 = do_send_message("to agent again", actor=other, recipient=agent)
    answer = do_answer_question(q1, "answer", actor=supervisor)
    assert inbox(agent) == [answer, m3, m1]
    assert inbox(agent, limit=2) == [answer, m3]
    assert inbox(supervisor) == [q2, m2, q1]
    assert open_questions() == [q2]

"""Writing the knowledge base: drafts, review and publishing, history, sanitising, the supervisor's answer
made a draft, the use counters and the weekly ranking, and bad input refused with nothing changed."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from hotline.accounts.models import AuditEntry
from hotline.kb.actions import (
    do_answer_into_draft,
    do_count_use,
    do_draft_from_answer,
    do_publish_article,
    do_save_article,
    sanitize,
)
from hotline.kb.models import Article, ArticleStatus, ArticleUse
from hotline.kb.queries import answered_questions, for_product, product_on_air, report, top_articles, top_this_week
from hotline.service.actions import do_answer_question, do_ask_supervisor
from hotline.service.models import Message
from tests import factories
from tests.kb.kbdata import publish


def test_a_draft_is_published_after_review_and_every_save_is_in_the_history(users, english) -> None:
    sup, agent = users["supervisor"], users["agent"]
    article = do_save_article(None, actor=sup, question=" 可以开发票吗？ ", answer="<p>可以，请提供抬头。</p>",
                              tags="发票，抬头 发票")
    assert (article.status, article.version, article.author, article.tags) == ("draft", 1, sup, "发票, 抬头")
    with pytest.raises(PermissionDenied):
        do_publish_article(article, actor=agent)
    do_save_article(article, actor=sup, question="可以开发票吗？", answer="<p>可以，请提供抬头和税号。</p>")
    published = do_publish_article(article, actor=users["admin"])
    assert (published.status, published.reviewed_by, published.version) == ("published", users["admin"], 3)
    assert [(v.number, v.status, v.note, v.answer) for v in published.versions.all()] == [
        (3, "published", "Published", "<p>可以，请提供抬头和税号。</p>"),
        (2, "draft", "Edited", "<p>可以，请提供抬头和税号。</p>"),
        (1, "draft", "Written", "<p>可以，请提供抬头。</p>")]
    assert list(AuditEntry.objects.filter(object_id=str(article.pk)).order_by("id")
                .values_list("action", flat=True)) == ["save_article", "save_article", "published_article"]
    with pytest.raises(ValidationError) as refused:
        do_publish_article(published, actor=sup)
    assert refused.value.messages == ["This article is already published."]


def test_the_answer_is_sanitised_on_save(users) -> None:
    article = do_save_article(None, actor=users["supervisor"], question="链接？",
                              answer='<p onclick="x()">看<a href="javascript:alert(1)">这里</a>'
                                     '<a href="https://example.com/a">说明</a><script>alert(2)</script>'
                                     '<img src=x onerror=y><b>好</b></p>')
    assert article.answer == ('<p>看<a rel="noopener noreferrer">这里</a>'
                              '<a href="https://example.com/a" rel="noopener noreferrer">说明</a><b>好</b></p>')
    assert sanitize("<table><tr><td colspan=2 style='x'>a</td></tr></table>") == (
        '<table><tbody><tr><td colspan="2">a</td></tr></tbody></table>')


@pytest.mark.parametrize(("fields", "errors"), [
    ({"question": "  ", "answer": "<p> </p>"}, {"question": ["Write the question."], "answer": ["Write the answer."]}),
    ({"question": "问", "answer": "<script>only a script</script>"}, {"answer": ["Write the answer."]}),
    ({"question": "问" * 301, "answer": "答"}, {"question": ["Ensure this value has at most 300 characters "
                                                             "(it has 301)."]}),
    ({"question": "问", "answer": "答", "valid_from": datetime.date(2026, 5, 2),
      "valid_to": datetime.date(2026, 5, 1)}, {"valid_to": ["The end of validity cannot be before its start."]}),
])
def test_bad_input_is_refused_with_field_errors_and_changes_nothing(users, english, fields, errors) -> None:
    with pytest.raises(ValidationError) as refused:
        do_save_article(None, actor=users["supervisor"], **fields)
    assert refused.value.message_dict == errors
    assert Article.objects.count() == 0


def test_errors_are_translated(users) -> None:
    """Chinese first (the translations come from /tmp/helpers/kb.po.txt once merged into the catalogue)."""
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        do_save_article(None, actor=users["supervisor"], question="", answer="x",
                        valid_from=datetime.date(2026, 5, 2), valid_to=datetime.date(2026, 5, 1))
    assert refused.value.message_dict == {"question": ["请填写问题。"],
                                          "valid_to": ["有效期的结束日期不能早于开始日期。"]}


def test_an_agent_may_not_write_articles(users) -> None:
    with pytest.raises(PermissionDenied):
        do_save_article(None, actor=users["agent"], question="问", answer="答")
    assert Article.objects.count() == 0


def test_the_supervisors_answer_becomes_a_draft_then_is_published(users, english) -> None:
    agent, sup = users["agent"], users["supervisor"]
    question = do_ask_supervisor("客户问按摩仪能不能在飞机上用？", actor=agent, call_id="c-1")
    article = do_answer_into_draft(question, "可以随身携带，但飞行中请勿使用。", actor=sup)
    question.refresh_from_db()
    assert question.answered_at is not None
    assert Message.objects.get(reply_to=question).body == "可以随身携带，但飞行中请勿使用。"  # the agent got it
    assert (article.status, article.question, article.answer, article.source_message, article.author) == (
        "draft", "客户问按摩仪能不能在飞机上用？", "<p>可以随身携带，但飞行中请勿使用。</p>", question, sup)
    assert article.versions.get().note == "From a supervisor's answer"
    do_publish_article(article, actor=sup)
    assert Article.objects.get().status == ArticleStatus.PUBLISHED
    with pytest.raises(ValidationError) as again:
        do_draft_from_answer(question, actor=sup)
    assert again.value.messages == [f"This answer is already in the knowledge base (article {article.pk})."]


def test_an_empty_answer_files_nothing_and_answers_nothing(users) -> None:
    question = do_ask_supervisor("这个能退吗？", actor=users["agent"])
    with pytest.raises(ValidationError):
        do_answer_into_draft(question, "  ", actor=users["supervisor"])
    question.refresh_from_db()
    assert (question.answered_at, Article.objects.count(), Message.objects.count()) == (None, 0, 1)


def test_a_question_without_answer_or_a_plain_message_is_not_filed(users, english) -> None:
    question = do_ask_supervisor("还没回答", actor=users["agent"])
    with pytest.raises(ValidationError) as unanswered:
        do_draft_from_answer(question, actor=users["supervisor"])
    assert unanswered.value.messages == ["This question has no answer yet."]
    assert list(answered_questions()) == []
    do_answer_question(question, "好的", actor=users["supervisor"])
    assert list(answered_questions()) == [question]


def test_uses_are_counted_per_day_and_rank_the_week(users) -> None:
    sup, agent = users["supervisor"], users["agent"]
    product = factories.make_product("颈椎按摩仪", "398.00")
    a = publish(sup, "问题A", "<p>答A</p>", products=(product,))
    b = publish(sup, "问题B", "<p>答B</p>")
    c = publish(sup, "问题C", "<p>答C</p>", products=(product,))
    today = timezone.localdate()
    old = today - datetime.timedelta(days=10)
    for _ in range(5):
        do_count_use(b, "answered", actor=agent, day=old)  # before the week: not in this week's ranking
    do_count_use(a, "open", actor=agent)
    do_count_use(a, "open", actor=agent)
    do_count_use(c, "open", actor=agent)
    do_count_use(c, "answered", actor=agent)
    do_count_use(b, "open", actor=agent, day=today - datetime.timedelta(days=6))
    assert [(r.article.question, r.answered, r.opens) for r in top_this_week()] == [
        ("问题C", 1, 1), ("问题A", 0, 2), ("问题B", 0, 1)]
    assert [r.article.question for r in top_this_week(product_id=product.pk)] == ["问题C", "问题A"]
    assert [r.article.question for r in top_articles(old, old)] == ["问题B"]
    assert [a.question for a in for_product(product.pk)] == ["问题C", "问题A"]
    week = report(today - datetime.timedelta(days=6), today)
    assert (week["opens"], week["answered"]) == (4, 1)
    assert ArticleUse.objects.get(article=a, day=today).opens == 2
    b.refresh_from_db()
    assert (b.answered, b.opens) == (5, 1)


def test_only_published_articles_are_counted_and_kinds_are_checked(users, english) -> None:
    draft = do_save_article(None, actor=users["supervisor"], question="草稿", answer="答")
    with pytest.raises(ValidationError) as refused:
        do_count_use(draft, "open", actor=users["agent"])
    assert refused.value.messages == ["Only a published article is counted."]
    article = publish(users["supervisor"], "问", "答")
    with pytest.raises(ValidationError) as wrong:
        do_count_use(article, "liked", actor=users["agent"])
    assert wrong.value.message_dict == {"kind": ["Say whether the article was opened or answered the question."]}
    assert ArticleUse.objects.count() == 0


def test_the_product_on_air(users) -> None:
    station = factories.make_station()
    product = factories.make_product("不粘炒锅", "199.00")
    assert product_on_air() is None
    factories.make_airing(station, starts_at=timezone.now() - datetime.timedelta(seconds=30), product=product)
    assert product_on_air() == product

"""The /kb/ screen and the desk's /desk/kb/ fragments: anonymous, without permission, with permission; the
edit form's field errors; the wallboard's one-click answer into a draft; counting from the desk."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from hotline.calls.models import CallRecord
from hotline.kb.models import Article, ArticleUse
from hotline.service.actions import do_ask_supervisor
from hotline.service.models import Message
from tests import factories
from tests.kb.kbdata import publish

PASSWORD = "pw-for-tests"


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def article(users):  # type: ignore[no-untyped-def]
    return publish(users["supervisor"], "如何办理退货手续？", "<p>签收后七天内可退货。</p>")


@pytest.mark.parametrize(("url", "allowed", "denied"), [
    ("/kb/", ["agent", "logistics", "finance", "manager", "supervisor"], []),
    ("/kb/new", ["supervisor", "admin"], ["agent", "manager"]),
    ("/kb/report", ["supervisor", "manager", "finance"], ["agent", "logistics"]),
    ("/desk/kb/suggest", ["agent", "supervisor", "finance"], []),
    ("/desk/kb/search?q=退货", ["agent", "manager"], []),
])
def test_screens_by_permission(users, url, allowed, denied) -> None:
    assert client_for(None).get(url).status_code == 302  # to the sign-in page
    for role in allowed:
        assert client_for(users[role]).get(url).status_code == 200, role
    for role in denied:
        assert client_for(users[role]).get(url).status_code == 403, role


def test_the_list_shows_drafts_only_to_editors(users, article) -> None:
    client_for(users["supervisor"]).post("/kb/new", {"question": "草稿问题", "answer": "<p>草稿</p>"})
    agent_page = client_for(users["agent"]).get("/kb/").content.decode()
    supervisor_page = client_for(users["supervisor"]).get("/kb/").content.decode()
    assert ("如何办理退货手续？" in agent_page, "草稿问题" in agent_page) == (True, False)
    assert ("如何办理退货手续？" in supervisor_page, "草稿问题" in supervisor_page) == (True, True)
    draft = Article.objects.get(question="草稿问题")
    assert client_for(users["agent"]).get(f"/kb/{draft.pk}").status_code == 403
    assert client_for(users["agent"]).get(f"/kb/{article.pk}").status_code == 200


def test_new_edit_publish_and_history_on_the_screen(users, english) -> None:
    client = client_for(users["supervisor"])
    product = factories.make_product("颈椎按摩仪", "398.00")
    answer = client.post("/kb/new", {"question": "每天用多久？", "answer": "<p>十五分钟</p>", "products": [product.pk],
                                     "tags": "时长", "valid_from": "2026-01-01"})
    article = Article.objects.get()
    assert answer.status_code == 302 and answer.url == f"/kb/{article.pk}"
    assert (article.status, list(article.products.all()), article.valid_from) == (
        "draft", [product], datetime.date(2026, 1, 1))
    client.post(f"/kb/{article.pk}/edit", {"question": "每天用多久？", "answer": "<p>十五分钟，两次</p>"})
    assert client.post(f"/kb/{article.pk}/publish").status_code == 302
    page = client.get(f"/kb/{article.pk}").content.decode()
    assert "Published" in page and "v3" in page and "v2" in page and "v1" in page
    assert Article.objects.get().status == "published"
    assert client_for(users["agent"]).post(f"/kb/{article.pk}/archive").status_code == 403
    assert Article.objects.get().status == "published"


def test_the_edit_form_names_the_fields_and_saves_nothing(users, english) -> None:
    response = client_for(users["supervisor"]).post(
        "/kb/new", {"question": "", "answer": "<script>x</script>", "valid_from": "2026-05-02",
                    "valid_to": "2026-05-01"})
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert errors == {"question": ["Write the question."], "answer": ["Write the answer."],
                      "valid_to": ["The end of validity cannot be before its start."]}
    bad_date = client_for(users["supervisor"]).post("/kb/new", {"question": "问", "answer": "答",
                                                                "valid_from": "2026-13-01"})
    assert bad_date.status_code == 422 and list(bad_date.context["form"].errors) == ["valid_from"]
    assert Article.objects.count() == 0


def test_the_wallboard_answer_becomes_a_draft_with_one_click(users) -> None:
    question = do_ask_supervisor("飞机上能用吗？", actor=users["agent"])
    wallboard = client_for(users["supervisor"]).get("/wallboard/questions").content.decode()
    assert f'hx-post="/kb/questions/{question.pk}/answer"' in wallboard
    response = client_for(users["supervisor"]).post(f"/kb/questions/{question.pk}/answer", {"body": "不能。"})
    assert response.status_code == 200
    article = Article.objects.get()
    assert (article.question, article.answer, article.status) == ("飞机上能用吗？", "<p>不能。</p>", "draft")
    assert Message.objects.get(reply_to=question).body == "不能。"
    assert f"/kb/{article.pk}" in response.content.decode()
    # an agent cannot; an empty answer is refused and changes nothing
    other = do_ask_supervisor("第二个问题", actor=users["agent"])
    assert client_for(users["agent"]).post(f"/kb/questions/{other.pk}/answer", {"body": "x"}).status_code == 403
    refused = client_for(users["supervisor"]).post(f"/kb/questions/{other.pk}/answer", {"body": " "})
    assert refused.status_code == 422
    assert (Article.objects.count(), Message.objects.filter(reply_to=other).count()) == (1, 0)


def test_an_answered_question_is_filed_from_the_kb_list(users) -> None:
    from hotline.service.actions import do_answer_question

    question = do_ask_supervisor("包邮吗？", actor=users["agent"])
    do_answer_question(question, "全国包邮。", actor=users["supervisor"])
    client = client_for(users["supervisor"])
    assert "包邮吗？" in client.get("/kb/").content.decode()
    response = client.post(f"/kb/answers/{question.pk}/draft")
    article = Article.objects.get()
    assert response.url == f"/kb/{article.pk}/edit"
    assert "包邮吗？" not in client.get("/kb/").content.decode().split('id="kb-answers"')[1]


def test_the_desk_opens_counts_and_suggests_the_calls_product(users, article) -> None:
    agent = client_for(users["agent"])
    station = factories.make_station()
    product = factories.make_product("颈椎按摩仪", "398.00")
    airing = factories.make_airing(station, starts_at=timezone.now() - datetime.timedelta(hours=5),
                                   product=product)
    for_product = publish(users["supervisor"], "按摩仪怎么充电？", "<p>USB 充电。</p>", products=(product,))
    CallRecord.objects.create(call_id="call-1", caller="13800138000", airing=airing, arrived_at=timezone.now())
    suggested = agent.get("/desk/kb/suggest?call_id=call-1").content.decode()
    assert "按摩仪怎么充电？" in suggested and f'data-product="{product.pk}"' in suggested
    assert "按摩仪怎么充电？" not in agent.get("/desk/kb/suggest?call_id=unknown").content.decode()
    assert "如何办理退货手续？" in agent.get("/desk/kb/search?q=thsx").content.decode()
    assert agent.get(f"/desk/kb/{for_product.pk}").status_code == 200
    assert agent.post(f"/desk/kb/{for_product.pk}/answered").status_code == 200
    assert agent.get(f"/desk/kb/{for_product.pk}/answered").status_code == 405
    use = ArticleUse.objects.get(article=for_product)
    assert (use.opens, use.answered, use.day) == (1, 1, timezone.localdate())


def test_the_use_report_by_period(users, article, english) -> None:
    client = client_for(users["manager"])
    assert client.get("/kb/report?start=2026-05-02&end=2026-05-01").status_code == 422
    assert client.get("/kb/report?start=2020-01-01&end=2026-05-01").status_code == 422
    client_for(users["agent"]).post(f"/desk/kb/{article.pk}/answered")
    today = timezone.localdate().isoformat()
    page = client.get(f"/kb/report?start={today}&end={today}")
    assert page.status_code == 200
    assert [(r.article.question, r.answered) for r in page.context["report"]["rows"]] == [("如何办理退货手续？", 1)]


def test_the_list_ranks_the_week_and_the_product_on_air(users) -> None:
    station = factories.make_station()
    product = factories.make_product("颈椎按摩仪", "398.00")
    factories.make_airing(station, starts_at=timezone.now() - datetime.timedelta(seconds=30), product=product)
    general = publish(users["supervisor"], "运费谁付？", "<p>包邮。</p>")
    charging = publish(users["supervisor"], "按摩仪怎么充电？", "<p>USB。</p>", products=(product,))
    agent = client_for(users["agent"])
    for _ in range(2):
        agent.post(f"/desk/kb/{general.pk}/answered")
    agent.post(f"/desk/kb/{charging.pk}/answered")
    page = client_for(users["agent"]).get("/kb/")
    assert [row.article.question for row in page.context["top"]] == ["运费谁付？", "按摩仪怎么充电？"]
    assert (page.context["on_air"], [row.article.question for row in page.context["top_on_air"]]) == (
        product, ["按摩仪怎么充电？"])

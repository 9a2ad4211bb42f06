"""Search in Chinese: a substring of the question or the answer, pinyin initials, product and category
filters, use ranking among equal matches. Runs on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from hotline.kb.actions import do_archive_article, do_count_use, do_save_article
from hotline.kb.models import Category
from hotline.kb.search import Search, search, search_columns, terms_of
from tests import factories
from tests.kb.kbdata import publish


@pytest.fixture
def kb(users):  # type: ignore[no-untyped-def]
    sup = users["supervisor"]
    massager = factories.make_product("颈椎按摩仪", "398.00")
    pan = factories.make_product("不粘炒锅", "199.00")
    after_sales = Category.objects.create(name="售后")
    returns = Category.objects.create(name="退换货", parent=after_sales)
    usage = Category.objects.create(name="使用")
    articles = {
        "refund": publish(sup, "如何办理退货手续？", "<p>签收后七天内可<b>无理由退货</b>，请保留包装。</p>",
                          category=returns, tags="退款, 七天"),
        "massage": publish(sup, "颈椎按摩仪每天用多久？", "<p>每次十五分钟，每天两次。</p>", products=(massager,),
                           category=usage),
        "pan_return": publish(sup, "炒锅可以退货吗？", "<p>未使用可退。</p>", products=(pan,), category=returns),
        "shipping": publish(sup, "运费谁付？", "<p>全国包邮，货到付款。</p>", category=after_sales),
    }
    draft = do_save_article(None, actor=sup, question="退货草稿", answer="<p>未发布</p>")
    return {"sup": sup, "massager": massager, "pan": pan, "after_sales": after_sales, "returns": returns,
            "draft": draft, **articles}


def questions(found):  # type: ignore[no-untyped-def]
    return [article.question for article in found]


def test_a_chinese_substring_of_the_question_finds_it_and_question_matches_rank_first(kb) -> None:
    # "退货" is in two published questions (and in the refund answer); the draft has it too but is never found.
    assert questions(search(Search("退货"))) == ["如何办理退货手续？", "炒锅可以退货吗？"]


def test_a_substring_of_the_answer_or_a_tag_finds_it_after_question_matches(kb) -> None:
    assert questions(search(Search("货到付款"))) == ["运费谁付？"]
    assert questions(search(Search("退款"))) == ["如何办理退货手续？"]  # a tag
    assert questions(search(Search("无理由"))) == ["如何办理退货手续？"]  # bold in the answer


def test_every_word_must_match(kb) -> None:
    assert questions(search(Search("退货 炒锅"))) == ["炒锅可以退货吗？"]
    assert questions(search(Search("退货，包邮"))) == []


def test_pinyin_initials_find_the_question(kb) -> None:
    assert questions(search(Search("jzamy"))) == ["颈椎按摩仪每天用多久？"]
    assert questions(search(Search("JCAMY"))) == ["颈椎按摩仪每天用多久？"]  # 椎 read chuí: the other reading
    assert questions(search(Search("thsx"))) == ["如何办理退货手续？"]  # 退货手续 in the middle


def test_the_product_filter_keeps_the_products_articles(kb) -> None:
    assert questions(search(Search("退货", product_id=kb["pan"].pk))) == ["炒锅可以退货吗？"]
    assert questions(search(Search("", product_id=kb["massager"].pk))) == ["颈椎按摩仪每天用多久？"]
    assert questions(search(Search("退货", product_id=kb["massager"].pk))) == []


def test_the_category_filter_takes_the_category_and_everything_under_it(kb) -> None:
    assert questions(search(Search("", category=kb["after_sales"]))) == [
        "如何办理退货手续？", "炒锅可以退货吗？", "运费谁付？"]
    assert questions(search(Search("退", category=kb["returns"]))) == ["如何办理退货手续？", "炒锅可以退货吗？"]


def test_among_equal_matches_the_most_used_comes_first(kb) -> None:
    agent = factories.make_user("agent", username="kb_agent")
    do_count_use(kb["pan_return"], "answered", actor=agent)
    for _ in range(3):
        do_count_use(kb["refund"], "open", actor=agent)
    # answered beats opened: the pan article (1 answer) before the refund article (3 opens)
    assert questions(search(Search("退货"))) == ["炒锅可以退货吗？", "如何办理退货手续？"]
    # a question match still beats a more used answer match
    do_count_use(kb["shipping"], "answered", actor=agent)
    do_count_use(kb["shipping"], "answered", actor=agent)
    assert questions(search(Search("付"))) == ["运费谁付？"]


def test_archived_and_out_of_date_articles_are_not_found(kb) -> None:
    do_archive_article(kb["pan_return"], actor=kb["sup"])
    today = timezone.localdate()
    do_save_article(kb["refund"], actor=kb["sup"], question=kb["refund"].question, answer=kb["refund"].answer,
                    valid_to=today - datetime.timedelta(days=1))
    assert questions(search(Search("退货"))) == []
    do_save_article(kb["refund"], actor=kb["sup"], question=kb["refund"].question, answer=kb["refund"].answer,
                    valid_from=today, valid_to=today)
    assert questions(search(Search("退货"))) == ["如何办理退货手续？"]


def test_search_columns_and_terms() -> None:
    assert search_columns("退货 Q&A", "<p>A&amp;B <i>七天</i></p>", "退款, 七天") == (
        "退货 q&a | thq&a", "a&b 七天 | 退款 七天")
    assert terms_of("  退货，包邮  jzamy ") == ["退货", "包邮", "jzamy"]
    assert terms_of("a b c d e f g") == ["a", "b", "c", "d", "e"]
    assert terms_of("%_") == ["%_"]


def test_like_wildcards_typed_by_the_agent_are_literal(kb) -> None:
    assert questions(search(Search("%"))) == []
    assert questions(search(Search("_"))) == []


def test_an_edit_reindexes_the_article(kb) -> None:
    article = kb["shipping"]
    do_save_article(article, actor=kb["sup"], question="快递几天到？", answer="<p>三到五天。</p>")
    assert questions(search(Search("运费"))) == []
    assert questions(search(Search("几天到"))) == ["快递几天到？"]
    assert questions(search(Search("kdjtd"))) == ["快递几天到？"]
    assert questions(search(Search("三到五天"))) == ["快递几天到？"]

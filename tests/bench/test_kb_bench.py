"""`hotline bench kb`: the generated data set is searchable, the measurement runs, the section is written."""

from __future__ import annotations

from io import StringIO

from hotline.bench.kb import PROBES, generate, measure, prepare, render_section
from hotline.kb.models import Article, ArticleGram
from hotline.kb.search import Search, search

MACHINE = {"cpu": "AMD EPYC", "cores": "2", "ram": "23.4 GiB", "os": "Debian 12, Linux 6.1", "python": "3.11.2",
           "django": "5.2.8", "sqlite": "3.40.1", "date": "2026-12-07"}


def test_the_data_set_is_indexed_and_reused(db) -> None:
    err = StringIO()
    assert prepare(300, 1, False, err)["generated_now"] is True
    assert Article.objects.filter(status="published").count() == 300
    assert ArticleGram.objects.values("article").distinct().count() == 300
    assert prepare(300, 1, False, err) == {"generated_now": False}
    # every article's own question finds it (the bigram index agrees with the text)
    for article in Article.objects.order_by("?")[:20]:
        assert article.pk in [found.pk for found in search(Search(article.question))]


def test_measure_and_render(db) -> None:
    generate(200, 2, StringIO())
    result = measure(70, 2)
    assert set(result["kinds"]) == set(PROBES)
    assert result["all"]["count"] == 70
    assert result["kinds"]["a word nobody wrote"]["mean_found"] == 0
    result.update(engine="sqlite", version="3.40.1", articles=200, trigram=None)
    section = render_section([result], MACHINE, {"articles": 200, "queries": 70})
    assert section.startswith("## Knowledge base search")
    assert "| **SQLite 3.40.1, all** | 70 |" in section
    assert "Goal p99 < 50 ms:" in section

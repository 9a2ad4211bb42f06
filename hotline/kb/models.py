"""The knowledge base (知识库): articles agents find by keyword, product and category, ranked by use.

Written only by `hotline.kb.actions`. An article is a question and its answer (sanitised rich text); it is a
draft until someone with `kb.publish_article` publishes it (the review), and every save keeps a version.
Each open and each "this answered it" is counted per article and day (`ArticleUse`), which ranks the search
and the "top questions this week" list.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.lib.text import check_text_lengths


class Category(models.Model):
    """A node of the company's question tree (售后 › 退换货 …); an article sits in one node."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("parent category"))
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("knowledge base category")
        verbose_name_plural = _("knowledge base categories")
        ordering = ["position", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="kb_category_unique_name")]

    def __str__(self) -> str:
        return self.name


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Article(models.Model):
    """A question and its answer. Agents see it once published and inside its validity dates.

    `search_question` and `search_body` are written by the actions (lower-case text, the question's pinyin
    initials, the tags) so that a search is a substring match on two columns; `opens` and `answered` are
    the all-time counters that order equal matches (the per-day counts are in `ArticleUse`)."""

    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer"), max_length=20_000)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="articles", verbose_name=_("category"))
    products = models.ManyToManyField("catalog.Product", blank=True, related_name="kb_articles",
                                      verbose_name=_("products"))
    tags = models.CharField(_("tags"), max_length=200, blank=True,
                            help_text=_("Words agents may search for, separated by commas or spaces."))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices,
                              default=ArticleStatus.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("author"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    source_message = models.ForeignKey("service.Message", on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="+", verbose_name=_("from the question"))
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    search_question = models.TextField(_("search text (question)"), editable=False, blank=True)
    search_body = models.TextField(_("search text (answer)"), editable=False, blank=True)
    opens = models.PositiveIntegerField(_("opened"), default=0)
    answered = models.PositiveIntegerField(_("answered it"), default=0)

    class Meta:
        verbose_name = _("knowledge base article")
        verbose_name_plural = _("knowledge base articles")
        ordering = ["-answered", "-opens", "id"]
        permissions = [("publish_article", "Can publish knowledge base articles")]
        indexes = [models.Index(fields=["status", "answered", "opens"], name="kb_article_rank")]

    def __str__(self) -> str:
        return self.question

    def clean(self) -> None:
        check_text_lengths(self)


class ArticleVersion(models.Model):
    """The article as it was after one save (history): who saved it, when, and in which status."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions",
                                verbose_name=_("article"))
    number = models.PositiveIntegerField(_("version"))
    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer"))
    tags = models.CharField(_("tags"), max_length=200, blank=True)
    category_name = models.CharField(_("category"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices)
    note = models.CharField(_("what changed"), max_length=100, blank=True)
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("saved by"))
    saved_at = models.DateTimeField(_("saved at"), auto_now_add=True)

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="kb_version_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleUse(models.Model):
    """How often an article was opened and confirmed as the answer ("this answered it") on one day."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="uses", verbose_name=_("article"))
    day = models.DateField(_("day"))
    opens = models.PositiveIntegerField(_("opened"), default=0)
    answered = models.PositiveIntegerField(_("answered it"), default=0)

    class Meta:
        verbose_name = _("article use")
        verbose_name_plural = _("article uses")
        constraints = [models.UniqueConstraint(fields=["article", "day"], name="kb_use_unique_day")]
        indexes = [models.Index(fields=["day", "article"], name="kb_use_day")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.day}"


class ArticleGram(models.Model):
    """One piece of an article's search text (two characters, three inside ASCII runs): the inverted index a
    search narrows its candidates with before it checks them with LIKE (see hotline.kb.search). Written by
    the actions."""

    gram = models.CharField(_("text piece"), max_length=3)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+", verbose_name=_("article"))

    class Meta:
        verbose_name = _("search text piece")
        verbose_name_plural = _("search text pieces")
        indexes = [models.Index(fields=["gram", "article"], name="kb_gram_lookup")]

    def __str__(self) -> str:
        return self.gram

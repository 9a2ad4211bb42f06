"""`hotline bench kb`: knowledge base search latency over 20,000 articles, per database.

Each database gets a data set of its own (`--articles` published articles in Chinese over 60 products and a
category tree, written in bulk with the search columns the actions write; reused while size and seed match).
Then `--queries` searches through `hotline.kb.search.search`, the desk's path, in a mix of what agents type:
a two-character word (退货), a longer phrase, pinyin initials, a word with the product on air, a category,
two words, and a word nobody wrote. On PostgreSQL the same searches run again with a pg_trgm GIN index on
the two search columns when the extension can be created, to show what a trigram index changes.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

from hotline.bench.base import Writer
from hotline.bench.lookup import database_version
from hotline.bench.machine import describe_machine
from hotline.bench.report import add_output_arguments, machine_line, markdown_table, publish
from hotline.bench.stats import summarize
from hotline.bench.targets import BenchError, ensure_database, parse_engines, run_worker, targets
from hotline.catalog.models import Product
from hotline.demo.loader import pending_migrations
from hotline.kb.models import Article, ArticleGram, ArticleStatus, Category
from hotline.kb.search import Search, article_grams, search, search_columns

SECTION = "kb"
GOAL_P99_MS = 50.0
WARMUP = 50
PRODUCTS = 60
BATCH = 2_000
SUBJECTS = ["退货", "换货", "运费", "发票", "保修", "充电", "清洗", "安装", "尺寸", "颜色", "赠品", "积分", "快递",
            "货到付款", "分期", "价格", "材质", "说明书", "售后电话", "使用方法", "电池", "噪音", "漏水", "异味",
            "过敏", "孕妇", "老人", "儿童", "功率", "电压", "耗电", "定时", "遥控", "滤芯", "配件", "包装", "签收",
            "拒收", "地址", "改期", "加急", "退款", "优惠券", "会员", "生日", "礼盒", "刻字", "防伪", "产地",
            "保质期", "储存", "消毒", "折叠", "收纳", "重量", "温度", "档位", "开关", "指示灯", "故障"]
ASKS = ["怎么办理{s}？", "{p}的{s}怎么算？", "{p}可以{s}吗？", "{s}需要多久？", "收到{p}后{s}有什么要求？",
        "{p}{s}的注意事项", "为什么{p}不能{s}？", "{s}流程是什么？"]
# What answers say, one sentence each; an answer is three of them, so that a word is in some answers, not all.
SENTENCES = [
    "请您放心，我们全国包邮。", "签收后七天内无理由退换。", "如需帮助请拨打热线。", "客服会在二十四小时内回电。",
    "产品享受一年保修，人为损坏除外。", "发票随货寄出。", "电子发票发送到您的邮箱。", "请保留原包装和配件。",
    "快递员送货前会电话联系您。", "偏远地区需要多等两天。", "使用前请仔细阅读说明书。", "请勿在潮湿环境中使用。",
    "首次使用请充满电。", "清洗时请拔掉电源。", "儿童请在大人陪同下使用。", "孕妇及心脏病患者请咨询医生。",
    "会员积分可以抵扣现金。", "赠品随主商品一起发货。", "退款三到五个工作日到账。", "拒收的包裹会退回仓库。",
    "地址修改请在发货前告诉我们。", "节假日正常发货。", "滤芯建议三个月更换一次。", "遥控器需要两节七号电池。",
    "指示灯闪烁表示正在充电。", "定时功能最长八小时。", "噪音低于四十分贝。", "额定功率一千瓦。",
    "本品通过国家质量认证。", "防伪码在包装盒背面。"]
PRODUCT_NAMES = ["颈椎按摩仪", "不粘炒锅", "足浴盆", "护膝", "蒸汽拖把", "空气炸锅", "羊毛被", "净水器", "按摩椅",
                 "电动牙刷", "破壁机", "除螨仪"]
# The generator's version is in the products' SKU: a data set made by another version is made again.
SKU = "KB-BENCH3-"
PROBES: dict[str, Callable[[random.Random, dict[str, Any]], Search]] = {
    "two characters (退货)": lambda rng, w: Search(rng.choice(SUBJECTS)[:2]),
    "a phrase (售后电话)": lambda rng, w: Search(rng.choice(SUBJECTS)),
    "pinyin initials (zmbl)": lambda rng, w: Search(rng.choice(["zmbl", "thxy", "yfzms", "fpzm", "bxxy"])),
    "a word, product on air": lambda rng, w: Search(rng.choice(SUBJECTS), product_id=rng.choice(w["products"])),
    "a category": lambda rng, w: Search("", category=rng.choice(w["categories"])),
    "two words": lambda rng, w: Search(f"{rng.choice(SUBJECTS[:6])} {rng.choice(PRODUCT_NAMES)[:2]}"),
    "a word nobody wrote": lambda rng, w: Search(rng.choice(["火箭", "潜水艇", "量子"])),
}


# ---------------------------------------------------------------- the data set (not timed)

def _categories() -> list[Category]:
    roots = [Category.objects.create(name=name, position=i) for i, name in enumerate(["售前", "售后", "物流", "支付"])]
    children = [Category.objects.create(name=f"{root.name}-{n}", parent=root, position=n)
                for root in roots for n in range(6)]
    return roots + children


def _products(rng: random.Random) -> list[Product]:
    made = []
    for index in range(PRODUCTS):
        product = Product(sku=f"{SKU}{index:03d}", short_code=f"9{index:03d}", price=100 + index,
                          name=f"{PRODUCT_NAMES[index % len(PRODUCT_NAMES)]}{index // len(PRODUCT_NAMES) or ''}")
        product.save()  # Product.save computes the pinyin
        made.append(product)
    return made


def generate(count: int, seed: int, err: Writer) -> dict[str, Any]:
    """`count` published articles; their products and categories. Erases earlier bench articles."""
    rng = random.Random(f"kb-{seed}")
    started = time.perf_counter()
    with transaction.atomic():
        Article.objects.all().delete()
        Category.objects.filter(parent__isnull=False).delete()
        Category.objects.all().delete()
        Product.objects.filter(sku__startswith="KB-BENCH").delete()
        categories, products = _categories(), _products(rng)
    through = Article.products.through
    for first in range(0, count, BATCH):
        rows, links = [], []
        for index in range(first, min(count, first + BATCH)):
            product = rng.choice(products)
            subject = rng.choice(SUBJECTS)
            question = rng.choice(ASKS).format(s=subject, p=product.name) + f"（{index}）"
            answer = (f"<p>关于{subject}：{''.join(rng.sample(SENTENCES, 3))}</p>"
                      f"<p>{product.name}的{rng.choice(SUBJECTS)}请咨询热线。</p>")
            tags = f"{subject}, {product.name}"
            search_question, search_body = search_columns(question, answer, tags)
            rows.append(Article(question=question, answer=answer, tags=tags, status=ArticleStatus.PUBLISHED,
                                category=rng.choice(categories), search_question=search_question,
                                search_body=search_body, opens=rng.randrange(200), answered=rng.randrange(50)))
            links.append(product)
        with transaction.atomic():
            made = Article.objects.bulk_create(rows)
            through.objects.bulk_create([through(article_id=a.pk, product_id=p.pk) for a, p in zip(made, links,
                                                                                                    strict=True)])
            ArticleGram.objects.bulk_create([ArticleGram(article_id=a.pk, gram=gram) for a in made
                                             for gram in article_grams(a.search_question, a.search_body)],
                                            batch_size=5_000)
        err.write(f"  {min(count, first + BATCH):,} of {count:,} articles\n")
    return {"generated_now": True, "seconds": round(time.perf_counter() - started, 1)}


def prepare(count: int, seed: int, reload: bool, err: Writer) -> dict[str, Any]:
    if pending_migrations():
        call_command("migrate", verbosity=0, interactive=False)
    bench_products = Product.objects.filter(sku__startswith=SKU).count()
    indexed = ArticleGram.objects.exists()
    if not reload and Article.objects.count() == count and bench_products == PRODUCTS and indexed:
        err.write(f"  reusing the {count:,} articles generated earlier\n")
        return {"generated_now": False}
    if Article.objects.exclude(pk__in=Article.objects.filter(products__sku__startswith="KB-BENCH")).exists():
        raise BenchError(f"{connection.settings_dict['NAME']} holds articles that are not the benchmark's; "
                         "refusing to erase them. Point the benchmark at another database.")
    figures = generate(count, seed, err)
    with connection.cursor() as cursor:
        # VACUUM (PostgreSQL) sets the visibility map the bigram index's index-only scans need; not inside a transaction
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
    return figures


# ---------------------------------------------------------------- measuring

def measure(queries: int, seed: int) -> dict[str, Any]:
    """Each probe kind `queries / kinds` times after a warm-up: latency summary and mean results per search."""
    world = {"products": list(Product.objects.filter(sku__startswith=SKU).values_list("pk", flat=True)),
             "categories": list(Category.objects.all())}
    rng = random.Random(f"kb-probes-{seed}")
    for _ in range(WARMUP):
        search(rng.choice(list(PROBES.values()))(rng, world))
    per_kind = max(1, queries // len(PROBES))
    kinds: dict[str, Any] = {}
    everything: list[float] = []
    cpu_all: list[float] = []
    started = time.perf_counter()
    for name, probe in PROBES.items():
        latencies, cpu, found = [], [], 0
        for _ in range(per_kind):
            query = probe(rng, world)
            before, before_cpu = time.perf_counter(), time.thread_time()
            found += len(search(query))
            latencies.append(time.perf_counter() - before)
            cpu.append(time.thread_time() - before_cpu)
        everything += latencies
        cpu_all += cpu
        kinds[name] = {"summary": summarize(latencies, sum(latencies)).as_dict(), "mean_found": found / per_kind,
                       "cpu_p99_ms": summarize(cpu, sum(cpu)).p99_ms}
    return {"all": summarize(everything, time.perf_counter() - started).as_dict(), "kinds": kinds,
            "cpu_p99_ms": summarize(cpu_all, sum(cpu_all)).p99_ms}


def with_trigram_index(queries: int, seed: int, err: Writer) -> dict[str, Any] | None:
    """PostgreSQL: the same searches with a pg_trgm GIN index on both search columns (dropped afterwards)."""
    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute("CREATE INDEX IF NOT EXISTS kb_bench_trgm ON kb_article USING gin "
                           "(search_question gin_trgm_ops, search_body gin_trgm_ops)")
            cursor.execute("ANALYZE kb_article")
    except Exception as exc:  # no extension on this server: say so in the section
        err.write(f"  pg_trgm not measured: {exc}\n")
        return {"unavailable": str(exc).splitlines()[0]}
    try:
        err.write("  measuring again with a pg_trgm GIN index\n")
        return measure(queries, seed)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS kb_bench_trgm")


def run_here(options: dict[str, Any], out: Writer, err: Writer) -> None:
    dataset = prepare(options["articles"], options["seed"], options["reload"], err)
    err.write(f"  measuring {options['queries']:,} searches\n")
    result = measure(options["queries"], options["seed"])
    result.update(dataset, engine=connection.vendor, version=database_version(), articles=Article.objects.count(),
                  trigram=with_trigram_index(options["queries"], options["seed"], err))
    out.write(json.dumps(result) + "\n")


# ---------------------------------------------------------------- in the command's own process

def _ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def _row(label: str, data: dict[str, Any], found: str = "") -> list[str]:
    summary = data["summary"] if "summary" in data else data["all"]
    return [label, f"{summary['count']:,}", *(_ms(summary[key]) for key in ("p50_ms", "p90_ms", "p99_ms", "max_ms")),
            _ms(data["cpu_p99_ms"]), found]


def render_section(results: list[dict[str, Any]], machine: dict[str, str], options: dict[str, Any]) -> str:
    rows = []
    for result in results:
        label = f"{'PostgreSQL' if result['engine'] == 'postgresql' else 'SQLite'} {result['version']}"
        rows.append(_row(f"**{label}, all**", result))
        rows += [_row(f"{label}: {kind}", data, f"{data['mean_found']:.1f}")
                 for kind, data in result["kinds"].items()]
        trigram = result.get("trigram")
        if trigram and "all" in trigram:
            rows.append(_row(f"**{label} with a pg_trgm GIN index, all**", trigram))
            rows += [_row(f"{label} + pg_trgm: {kind}", data, f"{data['mean_found']:.1f}")
                     for kind, data in trigram["kinds"].items()]
    worst = max(result["all"]["p99_ms"] for result in results)
    verdict = (f"Goal p99 < {GOAL_P99_MS:.0f} ms: {'met' if worst < GOAL_P99_MS else 'NOT met'} "
               f"(worst p99 {_ms(worst)}).")
    return "\n".join([
        "## Knowledge base search", "",
        f"`hotline bench kb --articles {options['articles']} --queries {options['queries']}`: each search is "
        "`hotline.kb.search.search()`, the desk panel's path: published articles inside their validity dates, "
        "every word of two characters or more narrowed to the articles holding all its bigrams (`kb_articlegram`, "
        "an inverted index), then checked with `LIKE '%word%'` on the normalised columns `search_question` "
        "(lower-cased question and its pinyin initials) and `search_body` (answer text and tags); question "
        f"matches first, then by use, 20 rows. One client, after {WARMUP} warm-up searches; \"found\" is the "
        "mean number of rows returned; \"p99 CPU\" is the measuring thread's own CPU time (on SQLite the whole "
        "search; on PostgreSQL the client's part only), which other work on the machine does not inflate.", "",
        markdown_table(["database: search", "searches", "p50", "p90", "p99", "max", "p99 CPU", "found"], rows), "",
        verdict, "", machine_line(machine), "",
        "Why a bigram index of our own: most Chinese search words are two characters, below the three a "
        "trigram index (SQLite FTS5 trigram, pg_trgm) needs to use its index, and a word tokenizer (jieba) "
        "misses substrings across its word boundaries. `LIKE` alone scans every article: measured first on "
        "this machine, 120 ms at p50 and 243 ms at p99 on SQLite over 20,000 articles. The bigram table is the "
        "same on both databases and needs no extension; the pg_trgm rows show what PostgreSQL's trigram index "
        "adds on top.",
    ])


class KbBenchmark:
    """`hotline bench kb`."""

    name = SECTION
    help = "Knowledge base search latency (Chinese substring, pinyin, product, category) per database."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--articles", type=int, default=20_000, help="Published articles (default 20,000).")
        parser.add_argument("--queries", type=int, default=2_100, help="Searches to time (default 2,100).")
        parser.add_argument("--databases", default="sqlite,postgres", help="sqlite, postgres or both (default).")
        parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/hotline_bench_kb",
                            help="PostgreSQL database (created when missing).")
        parser.add_argument("--sqlite-path", type=Path, default=None,
                            help="SQLite file (default: bench-kb.sqlite3 in the data folder).")
        parser.add_argument("--seed", type=int, default=1, help="Data set and probe seed (default 1).")
        parser.add_argument("--reload", action="store_true", help="Regenerate the articles even if they match.")
        parser.add_argument("--timeout", type=float, default=3600, help="Seconds allowed per database.")
        add_output_arguments(parser, SECTION, settings.BASE_DIR / "docs" / "benchmarks.md")
        parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)

    def handle(self, options: dict[str, Any], out: Writer, err: Writer) -> None:
        if options["articles"] < 1 or options["queries"] < 1:
            raise BenchError("--articles and --queries must be at least 1.")
        if options["worker"]:
            run_here(options, out, err)
            return
        sqlite_path = options["sqlite_path"] or settings.DATA_DIR / "bench-kb.sqlite3"
        results = []
        for target in targets(parse_engines(options["databases"]), sqlite_path, options["postgres_url"]):
            ensure_database(target)
            err.write(f"{target.label} ({target.url}):\n")
            argv = ["bench", SECTION, "--articles", str(options["articles"]), "--queries", str(options["queries"]),
                    "--seed", str(options["seed"]), *(["--reload"] if options["reload"] else [])]
            results.append(run_worker(target, argv, options["timeout"]))
        postgresql = next((r["version"] for r in results if r["engine"] == "postgresql"), "")
        section = render_section(results, describe_machine(postgresql), options)
        publish(SECTION, section, {"machine": describe_machine(postgresql), "results": results}, options, out, err)

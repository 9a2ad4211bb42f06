"""Chinese personal names: common surnames by frequency, and given-name characters by gender."""

from __future__ import annotations

import itertools
import random

# The hundred commonest surnames, most frequent first; the weight falls off with rank, as in real life.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官")
MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林洋国建志文海东峰成亮坤德福春生"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀玲桂英红梅兰琳燕婷雪慧倩颖洁萍丹玉凤晶琴云莉佳欣怡月萱雯淑珍华秋"

_SURNAME_WEIGHTS = [1.0 / (rank + 8) for rank in range(len(SURNAMES))]
_CUMULATIVE = list(itertools.accumulate(_SURNAME_WEIGHTS))


def surname(rng: random.Random) -> str:
    """A surname drawn by frequency; about one in two hundred is a compound one."""
    if rng.random() < 0.005:
        return rng.choice(COMPOUND_SURNAMES)
    return rng.choices(SURNAMES, cum_weights=_CUMULATIVE)[0]


def full_name(rng: random.Random, gender: str) -> str:
    """Surname plus one or two given-name characters that suit the gender (`m`, `f` or `u`)."""
    pool = MALE_CHARS if gender == "m" else FEMALE_CHARS if gender == "f" else MALE_CHARS + FEMALE_CHARS
    given = rng.choice(pool) if rng.random() < 0.3 else rng.choice(pool) + rng.choice(pool)
    return surname(rng) + given

"""Free-text Chinese addresses parsed offline into province / city / district and the rest."""

from __future__ import annotations

import pytest

from hotline.lib.addresses import ParsedAddress, parse_address


@pytest.mark.parametrize(("text", "parsed"), [
    ("广东省深圳市南山区科技园南路18号", ParsedAddress("广东", "深圳", "南山区", "科技园南路18号", "440305")),
    ("浙江杭州西湖区文三路1号", ParsedAddress("浙江", "杭州", "西湖区", "文三路1号", "330106")),
    # a city without its province: the province is inferred
    ("深圳市南山区科技园", ParsedAddress("广东", "深圳", "南山区", "科技园", "440305")),
    # municipalities: the city is the municipality itself
    ("北京市朝阳区建国路88号", ParsedAddress("北京", "北京", "朝阳区", "建国路88号", "110105")),
    ("上海浦东新区世纪大道100号", ParsedAddress("上海", "上海", "浦东新区", "世纪大道100号", "310115")),
    ("新疆乌鲁木齐市天山区解放北路1号", ParsedAddress("新疆", "乌鲁木齐", "天山区", "解放北路1号", "650102")),
    # extra spaces are folded
    ("  广州市  天河区 体育西路  ", ParsedAddress("广东", "广州", "天河区", "体育西路", "440106")),
    # nothing recognisable: the text is kept as the detail
    ("随便写的地址", ParsedAddress("", "", "", "随便写的地址", "")),
])
def test_parse_address(text: str, parsed: ParsedAddress) -> None:
    assert parse_address(text) == parsed

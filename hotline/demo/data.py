"""The fixed part of the demo data set: logins, stations, suppliers, products, gifts, cross-sells, reasons.

Everything random (customers, airings, orders) is generated from these tables with a seeded RNG.
"""

from __future__ import annotations

from decimal import Decimal

# One password for every demo login: printed by `hotline demo`, so it must be easy to type.
DEMO_PASSWORD = "hotline-demo"
# A known customer's second number: `hotline simulate call --from 13800138000` pops their history.
SHOWCASE_NUMBER = "13800138000"

# (username, role, display name). At least one user per role; agents agent1..agent10 staff the desk.
DEMO_USERS: list[tuple[str, str, str]] = [
    ("admin", "admin", "系统管理员"),
    ("super1", "supervisor", "刘芳"),
    ("logis1", "logistics", "赵建国"),
    ("finance1", "finance", "钱晓红"),
    ("manager1", "manager", "孙伟"),
    ("agent1", "agent", "王丽"),
    ("agent2", "agent", "李娜"),
    ("agent3", "agent", "张敏"),
    ("agent4", "agent", "陈静"),
    ("agent5", "agent", "杨洋"),
    ("agent6", "agent", "黄磊"),
    ("agent7", "agent", "周婷"),
    ("agent8", "agent", "吴倩"),
    ("agent9", "agent", "徐鹏"),
    ("agent10", "agent", "孙悦"),
]

# (code, name, channel, hotline number, spot cost per minute in yuan). The first station's number is the
# one the telephony demo answers, so it must stay 4008001000.
STATIONS: list[tuple[str, str, str, str, int]] = [
    ("hunan", "湖南卫视", "快乐购物时段", "4008001000", 12000),
    ("jiangsu", "江苏卫视", "好享购物时段", "4008002000", 10000),
    ("zhejiang", "浙江卫视", "家有购物时段", "4008003000", 10000),
    ("dragon", "东方卫视", "东方购物时段", "4008004000", 9000),
    ("cctv", "中央电视台", "CCTV-2 财经频道", "4008005000", 20000),
]
SHARED_NUMBER = ("4006008000", "全国统一订购热线（各台共用）")

# (name, contact, phone, e-mail, address)
SUPPLIERS: list[tuple[str, str, str, str, str]] = [
    ("深圳康泰健康科技有限公司", "陈志强", "075586351200", "sales@kangtai.example.cn",
     "广东省深圳市南山区科技园北区12栋"),
    ("浙江金厨炊具有限公司", "俞建华", "057987653210", "order@jinchu.example.cn",
     "浙江省金华市永康市五金城3号"),
    ("广州百草堂生物科技有限公司", "何丽君", "02038765432", "bcz@baicao.example.cn",
     "广东省广州市白云区太和镇工业园8号"),
    ("东莞华信通讯设备有限公司", "黄伟东", "076922881234", "hx@huaxin.example.cn",
     "广东省东莞市长安镇振安路66号"),
    ("深圳周福珠宝首饰有限公司", "周雪梅", "075525678899", "vip@zhoufu.example.cn",
     "广东省深圳市罗湖区水贝珠宝大厦18楼"),
    ("宁波美佳电器有限公司", "林海", "057486543210", "mj@meijia.example.cn",
     "浙江省宁波市慈溪市家电城路9号"),
    ("江苏恒暖服饰有限公司", "钱国平", "051383456789", "hn@hengnuan.example.cn",
     "江苏省南通市海门区叠石桥路1号"),
    ("上海雅诗美容用品有限公司", "沈佳怡", "02154321098", "ys@yashi.example.cn",
     "上海市闵行区莘庄工业区春东路500号"),
    ("南通锦绣家纺有限公司", "顾建新", "051385432109", "jx@jinxiu.example.cn",
     "江苏省南通市通州区川姜镇家纺城A区"),
    ("义乌优品日用品有限公司", "楼晓燕", "057985123456", "yp@youpin.example.cn",
     "浙江省义乌市国际商贸城二区"),
]

# (short code, SKU, name, price, cost, supplier index, points, sale status, stock or None)
PRODUCTS: list[tuple[str, str, str, str, str, int, int, str, int | None]] = [
    ("101", "AM-001", "颈椎按摩仪", "398.00", "120.00", 0, 40, "on_sale", None),
    ("102", "AM-002", "智能眼部按摩仪", "299.00", "90.00", 0, 30, "on_sale", None),
    ("103", "AM-003", "足底按摩器", "598.00", "180.00", 0, 60, "on_sale", None),
    ("104", "AM-004", "肩颈按摩披肩", "458.00", "140.00", 0, 45, "on_sale", None),
    ("105", "AM-005", "全身按摩椅", "6980.00", "2800.00", 0, 700, "on_sale", 120),
    ("106", "GJ-001", "不粘炒锅三件套", "399.00", "110.00", 1, 40, "on_sale", None),
    ("107", "GJ-002", "铸铁珐琅锅", "499.00", "150.00", 1, 50, "on_sale", None),
    ("108", "GJ-003", "多功能电压力锅", "369.00", "120.00", 1, 35, "on_sale", None),
    ("109", "GJ-004", "空气炸锅", "299.00", "95.00", 1, 30, "on_sale", None),
    ("110", "GJ-005", "不锈钢锅具七件套", "899.00", "260.00", 1, 90, "on_sale", None),
    ("111", "BJ-001", "深海鱼油软胶囊", "198.00", "45.00", 2, 20, "on_sale", None),
    ("112", "BJ-002", "氨基葡萄糖钙片", "268.00", "60.00", 2, 25, "on_sale", None),
    ("113", "BJ-003", "乳清蛋白粉", "328.00", "80.00", 2, 30, "on_sale", None),
    ("114", "BJ-004", "蜂胶软胶囊", "238.00", "55.00", 2, 20, "on_sale", None),
    ("115", "BJ-005", "破壁灵芝孢子粉", "1280.00", "300.00", 2, 120, "on_sale", None),
    ("116", "BJ-006", "阿胶固元膏", "368.00", "100.00", 2, 35, "on_sale", None),
    ("117", "SJ-001", "老人智能手机", "899.00", "520.00", 3, 80, "on_sale", 600),
    ("118", "SJ-002", "5G全网通手机", "1999.00", "1300.00", 3, 150, "on_sale", 300),
    ("119", "SJ-003", "大字大声老人机", "299.00", "150.00", 3, 25, "withdrawn", None),
    ("120", "SS-001", "足金吊坠", "1680.00", "1200.00", 4, 160, "on_sale", 200),
    ("121", "SS-002", "925银手镯", "399.00", "90.00", 4, 40, "on_sale", None),
    ("122", "SS-003", "和田玉手镯", "2980.00", "800.00", 4, 300, "on_sale", 150),
    ("123", "SS-004", "淡水珍珠项链", "599.00", "150.00", 4, 60, "on_sale", None),
    ("124", "SS-005", "黄金转运珠手链", "1280.00", "900.00", 4, 120, "on_sale", 200),
    ("125", "JD-001", "扫地机器人", "1599.00", "700.00", 5, 150, "on_sale", None),
    ("126", "JD-002", "破壁料理机", "699.00", "260.00", 5, 70, "on_sale", None),
    ("127", "JD-003", "除螨仪", "399.00", "130.00", 5, 40, "on_sale", None),
    ("128", "JD-004", "挂烫机", "459.00", "150.00", 5, 45, "on_sale", None),
    ("129", "JD-005", "净水器", "1880.00", "650.00", 5, 180, "on_sale", None),
    ("130", "FS-001", "羊绒大衣", "1280.00", "420.00", 6, 120, "on_sale", None),
    ("131", "FS-002", "保暖内衣套装", "199.00", "55.00", 6, 20, "on_sale", None),
    ("132", "FS-003", "真丝围巾", "259.00", "70.00", 6, 25, "on_sale", None),
    ("133", "FS-004", "轻薄羽绒服", "599.00", "200.00", 6, 60, "on_sale", None),
    ("134", "MR-001", "玻尿酸补水面膜", "129.00", "30.00", 7, 12, "on_sale", None),
    ("135", "MR-002", "射频美容仪", "1499.00", "450.00", 7, 150, "on_sale", None),
    ("136", "MR-003", "抗皱精华套装", "699.00", "150.00", 7, 70, "on_sale", None),
    ("137", "JF-001", "蚕丝被", "899.00", "300.00", 8, 90, "on_sale", None),
    ("138", "JF-002", "乳胶枕（一对）", "399.00", "120.00", 8, 40, "on_sale", None),
    ("139", "JF-003", "全棉四件套", "459.00", "140.00", 8, 45, "on_sale", None),
    ("140", "JK-001", "电子血压计", "259.00", "80.00", 0, 25, "on_sale", None),
    ("141", "JK-002", "足浴盆", "499.00", "160.00", 0, 50, "on_sale", None),
    ("142", "JK-003", "助听器", "1980.00", "600.00", 0, 200, "on_sale", None),
    ("143", "JK-004", "老花镜", "99.00", "15.00", 9, 10, "on_sale", None),
    ("144", "RY-001", "按摩靠枕", "59.00", "15.00", 9, 0, "on_sale", None),
    ("145", "RY-002", "保鲜盒十件套", "69.00", "18.00", 9, 0, "on_sale", None),
    ("146", "RY-003", "不锈钢保温杯", "89.00", "22.00", 9, 0, "on_sale", None),
    ("147", "RY-004", "护膝（一对）", "99.00", "25.00", 9, 5, "on_sale", None),
    ("148", "RY-005", "菜刀三件套", "129.00", "35.00", 9, 10, "on_sale", None),
    ("149", "RY-006", "真空收纳袋", "49.00", "10.00", 9, 0, "on_sale", None),
    ("150", "RY-007", "计步手环", "159.00", "45.00", 9, 15, "paused", None),
]

# Products that are mostly given away: agents rarely sell them on their own, and airings never feature them.
GIFT_ITEMS = frozenset({"144", "145", "146", "149"})

# (product, gift, buy, get, per multiple) by short code. A gift may be the product itself: 买二送一.
GIFT_RULES: list[tuple[str, str, int, int, bool]] = [
    ("101", "144", 1, 1, True), ("103", "147", 1, 1, True), ("104", "144", 1, 1, True),
    ("106", "148", 1, 1, True), ("107", "145", 1, 1, True), ("110", "148", 1, 1, False),
    ("109", "145", 1, 1, True), ("111", "111", 2, 1, True), ("112", "112", 2, 1, True),
    ("113", "146", 1, 1, True), ("116", "116", 3, 1, True), ("117", "146", 1, 1, False),
    ("134", "134", 2, 1, True), ("137", "149", 1, 2, True), ("138", "149", 1, 1, True),
    ("130", "132", 1, 1, False), ("131", "131", 2, 1, True), ("141", "147", 1, 1, True),
    ("140", "143", 1, 1, False), ("126", "145", 1, 1, True),
]  # fmt: skip

# (product, suggestion, offer price) by short code: what the agent offers alongside (搭销).
CROSS_SELLS: list[tuple[str, str, str]] = [
    ("101", "104", "368.00"), ("101", "147", "69.00"), ("102", "134", "99.00"), ("103", "141", "399.00"),
    ("106", "107", "399.00"), ("106", "148", "99.00"), ("109", "126", "599.00"), ("108", "106", "329.00"),
    ("111", "112", "218.00"), ("112", "111", "168.00"), ("112", "147", "79.00"), ("113", "111", "168.00"),
    ("117", "143", "69.00"), ("117", "150", "129.00"), ("118", "150", "129.00"), ("120", "124", "1180.00"),
    ("121", "123", "499.00"), ("122", "123", "499.00"), ("125", "127", "329.00"), ("127", "138", "339.00"),
    ("137", "139", "399.00"), ("137", "138", "339.00"), ("130", "132", "199.00"), ("135", "136", "599.00"),
    ("136", "134", "99.00"), ("140", "141", "429.00"), ("142", "140", "219.00"),
]  # fmt: skip

CANCEL_REASONS = ("客户改变主意", "重复下单", "客户家人反对", "地址无法送达", "客户联系不上，无法确认")
REFUSE_REASONS = ("客户拒收：不想要了", "客户拒收：家人不同意", "客户拒收：与电视介绍不符", "多次投递失败，客户不在家",
                  "客户拒收：现金不足")  # fmt: skip
RETURN_REASONS = ("七天无理由退货", "商品有质量问题", "尺码不合适", "效果与宣传不符")
REFUSED_RETURN_REASONS = ("拒收包裹已退回仓库", "快递退回，已验货入库")
EXCHANGE_REASONS = ("商品有破损，换新", "颜色不喜欢，换一个颜色", "尺码不合适，换大一号", "功能故障，换新机")
ORDER_NOTES = ("送货前请先电话联系", "请周末送货", "老人独居，请耐心敲门", "放门卫室即可", "下午三点后送货",
               "礼物，包裹内请勿放价格单")  # fmt: skip
CUSTOMER_NOTES = ("耳背，请大声说话", "只在晚上七点后联系", "老顾客，喜欢保健品", "曾投诉物流慢", "子女代为下单")
WATCH_REASONS = ("拒收两次", "多次更改收货地址")
BAD_REASONS = ("恶意下单，拒收三次以上", "货到付款拒付")
INVOICE_TITLES = ("长沙市芙蓉区百姓大药房", "杭州明达贸易有限公司", "成都天府科技有限公司", "青岛海润商贸有限公司",
                  "武汉江城物业管理有限公司")  # fmt: skip


def money(text: str) -> Decimal:
    """Table prices are written as strings so that they are exact."""
    return Decimal(text)

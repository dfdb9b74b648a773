"""The demo store's orders: several currencies, languages and scripts, dated relative to today."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any


def _moment(today: date, days_ago: int, hour: int) -> str:
    """An ISO-8601 UTC timestamp `days_ago` days before `today`, at `hour` o'clock."""
    moment = datetime.combine(today - timedelta(days=days_ago), time(hour), tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _line(
    line_id: str, sku: str, title: str, *, quantity: int, unit_price: int, tax: int,
    discount: int = 0, product_type: str, tags: list[str] | None = None, final_sale: bool = False,
) -> dict[str, Any]:
    """One order line; tax and discount are totals for the whole line, in minor units."""
    return {
        "id": line_id, "sku": sku, "title": title, "quantity": quantity,
        "unit_price": unit_price, "tax": tax, "discount": discount,
        "product_type": product_type, "tags": tags or [], "final_sale": final_sale,
    }


def demo_orders(today: date) -> list[dict[str, Any]]:
    """Admin API order bodies for the demo store, without their PaymentIntent (the seed pays)."""
    return [
        {
            # Delivered days ago: everything inside the window, in yen (no minor unit).
            "number": "1001", "email": "aiko.yamada@example.jp", "customer_name": "山田 愛子",
            "locale": "ja", "currency": "JPY",
            "placed_at": _moment(today, 7, 1), "delivered_at": _moment(today, 5, 3),
            "shipping_address": {
                "name": "山田 愛子", "line1": "神宮前1-2-3", "line2": "ハイツ原宿 201",
                "city": "渋谷区", "region": "東京都", "postal_code": "150-0001", "country": "JP",
            },
            "payment": {"provider": "stripe"},
            "shipping_total": 600,
            "lines": [
                _line("L1", "TEE-NAVY-M", "オーガニックTシャツ ネイビー M", quantity=2,
                      unit_price=3300, tax=660, product_type="apparel", tags=["organic"]),
                _line("L2", "TOTE-LINEN-NAT", "リネン トートバッグ ナチュラル", quantity=1,
                      unit_price=4800, tax=480, discount=480, product_type="bags"),
            ],
        },
        {
            # A discounted sweater and a gift card, which the default policy never takes back.
            "number": "1002", "email": "emily.carter@example.com", "customer_name": "Emily Carter",
            "locale": "en", "currency": "USD",
            "placed_at": _moment(today, 15, 18), "delivered_at": _moment(today, 12, 20),
            "shipping_address": {
                "name": "Emily Carter", "line1": "1421 SE Hawthorne Blvd", "line2": "Apt 3B",
                "city": "Portland", "region": "OR", "postal_code": "97214", "country": "US",
            },
            "payment": {"provider": "stripe"},
            "shipping_total": 595,
            "lines": [
                _line("L1", "SWTR-MERINO-OAT-S", "Merino crew sweater — oatmeal, S", quantity=1,
                      unit_price=8900, tax=641, discount=890, product_type="apparel",
                      tags=["knitwear"]),
                _line("L2", "GIFT-50-USD", "Gift card — $50", quantity=1, unit_price=5000,
                      tax=0, product_type="gift_card"),
            ],
        },
        {
            # Delivered ~45 days ago: past the 30-day window, inside the 30-day grace.
            "number": "1003", "email": "lukas.schneider@example.com",
            "customer_name": "Lukas Schneider", "locale": "en", "currency": "EUR",
            "placed_at": _moment(today, 48, 9), "delivered_at": _moment(today, 45, 11),
            "shipping_address": {
                "name": "Lukas Schneider", "line1": "Kastanienallee 27", "line2": "Hinterhaus, 3. OG",
                "city": "Berlin", "region": "", "postal_code": "10435", "country": "DE",
            },
            "payment": {"provider": "stripe"},
            "shipping_total": 490,
            "lines": [
                _line("L1", "BEANIE-WOOL-CHAR", "Ribbed wool beanie — charcoal", quantity=2,
                      unit_price=2900, tax=1102, product_type="accessories"),
                _line("L2", "BOOT-CHELSEA-43", "Leather Chelsea boots — brown, EU 43", quantity=1,
                      unit_price=18900, tax=3591, product_type="footwear"),
            ],
        },
        {
            # A final-sale line beside a returnable one, in yuan with fen.
            "number": "1004", "email": "wang.fang@example.cn", "customer_name": "王芳",
            "locale": "zh-Hans", "currency": "CNY",
            "placed_at": _moment(today, 10, 2), "delivered_at": _moment(today, 8, 6),
            "shipping_address": {
                "name": "王芳", "line1": "南京西路1266号", "line2": "恒隆广场 2208室",
                "city": "静安区", "region": "上海市", "postal_code": "200040", "country": "CN",
            },
            "payment": {"provider": "stripe"},
            "shipping_total": 1500,
            "lines": [
                _line("L1", "SCARF-SILK-JADE", "真丝围巾 — 翡翠绿", quantity=1,
                      unit_price=39900, tax=5187, product_type="accessories"),
                _line("L2", "SNKR-CANVAS-38-CLR", "帆布运动鞋 38码（清仓特价）", quantity=1,
                      unit_price=19900, tax=2587, discount=9950, product_type="footwear",
                      tags=["clearance"], final_sale=True),
            ],
        },
        {
            # Won (no minor unit), a discount on one line and two of another.
            "number": "1005", "email": "minji.kim@example.kr", "customer_name": "김민지",
            "locale": "ko", "currency": "KRW",
            "placed_at": _moment(today, 5, 4), "delivered_at": _moment(today, 3, 7),
            "shipping_address": {
                "name": "김민지", "line1": "테헤란로 152", "line2": "강남파이낸스센터 12층",
                "city": "강남구", "region": "서울특별시", "postal_code": "06236", "country": "KR",
            },
            "payment": {"provider": "stripe"},
            "shipping_total": 3000,
            "lines": [
                _line("L1", "JKT-DENIM-IND-M", "데님 재킷 — 인디고, M", quantity=1,
                      unit_price=129000, tax=11900, discount=10000, product_type="apparel"),
                _line("L2", "SOCK-3PK-GRY", "코튼 양말 3켤레 — 그레이", quantity=2,
                      unit_price=15000, tax=3000, product_type="accessories"),
            ],
        },
        {
            "number": "1006", "email": "camille.dubois@example.com", "customer_name": "Camille Dubois",
            "locale": "en", "currency": "EUR",
            "placed_at": _moment(today, 23, 13), "delivered_at": _moment(today, 20, 15),
            "shipping_address": {
                "name": "Camille Dubois", "line1": "12 rue de la République", "line2": "",
                "city": "Lyon", "region": "Auvergne-Rhône-Alpes", "postal_code": "69002",
                "country": "FR",
            },
            "payment": {"provider": "stripe"},
            "shipping_total": 0,
            "lines": [
                _line("L1", "COAT-RAIN-OLV-38", "Waxed cotton raincoat — olive, 38", quantity=1,
                      unit_price=11900, tax=2142, discount=1190, product_type="apparel"),
                _line("L2", "CAP-LINEN-NAVY", "Linen cap — navy", quantity=1,
                      unit_price=3500, tax=700, product_type="accessories"),
            ],
        },
        {
            # shipping: an EU order delivered two days ago, within the 14-day right of withdrawal;
            # returned whole under `original_shipping_refund: ["eu_withdrawal"]` its 5.95 shipping
            # comes back too (tests/e2e/test_shopper_shipping.py).
            "number": "1007", "email": "sofie.devries@example.nl", "customer_name": "Sofie de Vries",
            "locale": "en", "currency": "EUR",
            "placed_at": _moment(today, 4, 8), "delivered_at": _moment(today, 2, 10),
            "shipping_address": {
                "name": "Sofie de Vries", "line1": "Prinsengracht 263", "line2": "",
                "city": "Amsterdam", "region": "", "postal_code": "1016 GV", "country": "NL",
            },
            "payment": {"provider": "stripe"},
            "shipping_total": 595,
            "lines": [
                _line("L1", "THROW-WOOL-SAND", "Wool throw — sand", quantity=1,
                      unit_price=7900, tax=1659, product_type="home"),
            ],
        },
        {
            # photos: delivered ~40 days ago (past the window, inside the grace), so a return waits
            # for the store, which sees the shopper's photos of the damaged item before deciding.
            "number": "1077", "email": "seoyeon.park@example.kr", "customer_name": "박서연",
            "locale": "ko", "currency": "KRW",
            "placed_at": _moment(today, 43, 3), "delivered_at": _moment(today, 40, 6),
            "shipping_address": {
                "name": "박서연", "line1": "해운대해변로 264", "line2": "1203호",
                "city": "해운대구", "region": "부산광역시", "postal_code": "48099", "country": "KR",
            },
            "payment": {"provider": "stripe"},
            "shipping_total": 3000,
            "lines": [
                _line("L1", "MUG-CERAMIC-WHT", "세라믹 머그컵 — 화이트", quantity=1,
                      unit_price=18000, tax=1800, product_type="kitchen"),
                _line("L2", "PLATE-STONE-GRY", "스톤웨어 접시 — 그레이", quantity=1,
                      unit_price=24000, tax=2400, product_type="kitchen"),
            ],
        },
        {
            # photos: the same in English (the merchant hears of one exception per order and day
            # at once, so a second walk needs an order of its own).
            "number": "1078", "email": "oliver.bennett@example.com", "customer_name": "Oliver Bennett",
            "locale": "en", "currency": "USD",
            "placed_at": _moment(today, 43, 15), "delivered_at": _moment(today, 40, 18),
            "shipping_address": {
                "name": "Oliver Bennett", "line1": "48 Harbor Street", "line2": "Apt 5C",
                "city": "Portland", "region": "ME", "postal_code": "04101", "country": "US",
            },
            "payment": {"provider": "stripe"},
            "shipping_total": 800,
            "lines": [
                _line("L1", "VASE-GLASS-AMB", "Hand-blown glass vase — amber", quantity=1,
                      unit_price=6400, tax=512, product_type="home"),
            ],
        },
        {
            # catalog: a tee in size M whose product (devstack/demo_products.py) has every kind of
            # sibling an exchange can offer: S at the same price, XS cheaper, L dearer, XL the last
            # unit, XXL sold out; and socks in grey with a navy pair at the same price.
            "number": "1090", "email": "niamh.byrne@example.ie", "customer_name": "Niamh Byrne",
            "locale": "en", "currency": "EUR",
            "placed_at": _moment(today, 6, 10), "delivered_at": _moment(today, 3, 14),
            "shipping_address": {
                "name": "Niamh Byrne", "line1": "14 Harcourt Terrace", "line2": "Flat 2",
                "city": "Dublin", "region": "", "postal_code": "D02 XY47", "country": "IE",
            },
            "payment": {"provider": "stripe"},
            "shipping_total": 495,
            "lines": [
                {**_line("L1", "TEE-CLASSIC-M", "Classic organic tee — M", quantity=1,
                         unit_price=2900, tax=667, product_type="apparel"),
                 "product_id": "tee-classic", "options": {"size": "M"}},
                {**_line("L2", "SOCKS-MERINO-GRY", "Merino socks — grey", quantity=2,
                         unit_price=1200, tax=552, product_type="apparel"),
                 "product_id": "socks-merino", "options": {"colour": "grey"}},
            ],
        },
        {
            # A Japanese shopper in Paris whose tee M was exchanged for an S
            # (devstack/demo_returns.py `seed_exchanged_return`): its replacement order is made.
            "number": "1091", "email": "hanako.sato@example.jp", "customer_name": "佐藤 花子",
            "locale": "ja", "currency": "EUR",
            "placed_at": _moment(today, 9, 8), "delivered_at": _moment(today, 6, 12),
            "shipping_address": {
                "name": "佐藤 花子", "line1": "12 rue de Bretagne", "line2": "",
                "city": "Paris", "region": "", "postal_code": "75003", "country": "FR",
            },
            "payment": {"provider": "stripe"},
            "shipping_total": 495,
            "lines": [
                {**_line("L1", "TEE-CLASSIC-M", "Classic organic tee — M", quantity=1,
                         unit_price=2900, tax=580, product_type="apparel"),
                 "product_id": "tee-classic", "options": {"size": "M"}},
            ],
        },
    ]


def order_total(body: dict[str, Any]) -> int:
    """What the shopper paid for `body`, in minor units: lines net of discount, plus tax and shipping."""
    lines = sum(
        line["unit_price"] * line["quantity"] - line["discount"] + line["tax"] for line in body["lines"]
    )
    total: int = lines + body["shipping_total"]
    return total

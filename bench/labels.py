"""Return label render time and PDF size per size: what a shopper waits for on a first download."""

from __future__ import annotations

import statistics
import time
from dataclasses import replace
from datetime import date

from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]

from chalicelib.adapters.reportlab_labels import FONT_FILE, JA_FONT_FILE, render_label
from chalicelib.domain.order import Address
from chalicelib.locales.names import reason_name
from chalicelib.services.label_document import LABEL_SIZES, LabelDocument, LabelLine

# A Japanese shopper returning three lines: CJK text on both pages, both codes on the label.
DOCUMENT = LabelDocument(
    rma="R-20261123-7K3M9Q", order_number="1001", store_name="Retour Demo Store",
    return_to=Address("Retour Demo Returns", "100 Warehouse Way", "Reno", "89501", "US",
                      line2="Dock 4", region="NV"),
    ship_from=Address("山田 愛子", "神宮前1-2-3 グリーンハイツ201", "渋谷区", "150-0001", "JP",
                      region="東京都"),
    customer_name="山田 愛子",
    status_url="https://returns.example.com/returns/R-20261123-7K3M9Q?order=1001",
    locale="ja",
    lines=(
        LabelLine("Organic tee — navy, M", "TEE-NAVY-M", 2, reason_name("too_small", "ja")),
        LabelLine("リネンシャツ 白 L", "SHIRT-WHITE-L", 1, reason_name("damaged", "ja")),
        LabelLine("ウールソックス 3足セット", "SOCKS-WOOL-3", 1, reason_name("changed_mind", "ja")),
    ),
    generated_on=date(2026, 11, 23),
)
# A kanji-heavy Japanese label: some 160 different kanji and kana, each a glyph of the subset.
HEAVY = replace(
    DOCUMENT, store_name="和装雑貨 結び屋 本店",
    return_to=Address("株式会社レトゥール 物流センター 返品受付係", "大阪府堺市南区竹城台三丁目十番地", "堺市南区",
                      "590-0115", "JP", line2="第二倉庫 北棟 搬入口", region="大阪府"),
    ship_from=Address("髙橋 龍之介", "北海道札幌市中央区北一条西二丁目", "札幌市中央区", "060-0001", "JP",
                      line2="藻岩山麓マンション 紫陽花館 八〇四号室", region="北海道"),
    customer_name="髙橋 龍之介",
    lines=tuple(LabelLine(title, f"SKU-{i}", 1, reason) for i, (title, reason) in enumerate([
        ("麻混紡ワイドパンツ 墨黒 Ｍサイズ", "寸法が合わない"), ("撥水加工ナイロン製旅行鞄 深緑", "色味が写真と違う"),
        ("手織り綿麻ストール 藍染め 限定品", "縫製に綻びがある"), ("革製長財布 焦茶 刻印入り", "注文と異なる商品が届いた"),
        ("絹製風呂敷 桜柄 贈答用", "贈り物で重複した"),
    ])),
)
RUNS = 100
# Five rounds of RUNS renders, spread over a second or two; the best round's median is reported.
# A shared machine's neighbours stall whole rounds (the same render measured 4.3 and 7.5 ms a
# minute apart here); the best round is what the code costs, the spread is what the host adds.
ROUNDS = 5


def measure() -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    # The embedded font's file is parsed once per container (SnapStart's priming does it at init):
    # what that once costs, measured apart from the renders that reuse it.
    for font_file in (FONT_FILE, JA_FONT_FILE):
        parses = []
        for _ in range(3):
            started = time.perf_counter()
            TTFont("BenchFont", str(font_file), subfontIndex=0, asciiReadable=False)
            parses.append(time.perf_counter() - started)
        rows.append((f"label font: parse {font_file.name} ({font_file.stat().st_size / 1e6:.1f} MB), "
                     "once per container, best of 3", f"{min(parses) * 1000:.0f} ms", "at init"))
    for size in LABEL_SIZES:
        pdf = render_label(DOCUMENT, size)  # warm: fonts registered, modules imported
        medians, cpu_medians = [], []
        for _ in range(ROUNDS):
            times, cpu_times = [], []
            for _ in range(RUNS):
                started, cpu_started = time.perf_counter(), time.process_time()
                render_label(DOCUMENT, size)
                times.append(time.perf_counter() - started)
                cpu_times.append(time.process_time() - cpu_started)
            medians.append(statistics.median(times))
            cpu_medians.append(statistics.median(cpu_times))
        # A label is drawn once per return and size, then served from S3: reportlab's own QR
        # encoder (all 8 masks scored) is worth its ~20 ms there.
        goal_ms, goal_kb = ("< 50 ms", "< 60 KB") if size == "4x6" else ("-", "-")
        rows.append((f"label {size} (both codes, CJK), median of {RUNS}, best of {ROUNDS} rounds (worst round)",
                     f"{min(medians) * 1000:.2f} ms ({max(medians) * 1000:.2f} ms)", goal_ms))
        # CPU time is what the render costs whoever else shares the host's cores.
        rows.append((f"label {size} CPU time per render, median of {RUNS}, best of {ROUNDS} rounds",
                     f"{min(cpu_medians) * 1000:.2f} ms", goal_ms))
        rows.append((f"label {size} PDF size", f"{len(pdf) / 1024:.1f} KB", goal_kb))
    # The embedded subset grows with the glyphs a label uses: every language's 4x6 under the goal.
    sizes = {locale: len(render_label(replace(DOCUMENT, locale=locale))) for locale in ("ja", "zh-Hans", "ko", "en")}
    rows.append(("label 4x6 PDF size by language (" + " / ".join(sizes) + "), font subset embedded",
                 " / ".join(f"{n / 1024:.1f} KB" for n in sizes.values()), "< 60 KB each"))
    rows.append(("label 4x6, kanji-heavy Japanese (~160 distinct kanji and kana): PDF size",
                 f"{len(render_label(HEAVY)) / 1024:.1f} KB", "< 60 KB"))
    return rows

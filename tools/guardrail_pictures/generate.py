"""Generate the pictures the OCR path of the class-channel checker is tested on (issue 18).

    .venv/bin/python tools/guardrail_pictures/generate.py OUT_DIR

writes 24 PNG files to OUT_DIR and a ``labels.json`` naming, for each, whether the checker must
warn (``"scores"``) or stay quiet (``[]``):

* score sheets rendered like a spreadsheet or a phone screenshot at phone resolution (1080 px wide),
  by name, by student number, with a rank column, with subjects and a total;
* the same sheets "photographed": rotated a few degrees, blurred, dimmer and noisy;
* ordinary pictures that must not warn: event posters, a timetable, a class photo with a caption, a
  lunch menu with prices, a schedule with times, a class average chart (class figures only).

Deterministic (a fixed random seed) and made only with Pillow and the Noto CJK font that
fonts-noto-cjk installs (CI installs it), so the test (guardrails/tests/test_pictures.py) can
generate them in a temporary folder instead of keeping binaries in the repository.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_PATHS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
]
SC_INDEX = 2  # Noto Sans CJK SC inside the collection
WIDTH = 1080

NAMES = [
    "王梓涵", "李一诺", "张浩然", "刘子轩", "陈思彤", "杨雨萱", "黄俊杰", "赵欣怡", "吴宇航", "周佳怡",
    "徐子墨", "孙浩宇", "马晨曦", "朱梓萱", "胡博文", "郭子豪", "何雨桐", "高子涵", "林诗涵", "罗俊熙",
]  # fmt: skip


def font_path() -> str | None:
    return next((p for p in FONT_PATHS if Path(p).exists()), None)


def font(size: int) -> ImageFont.FreeTypeFont:
    path = font_path()
    if path is None:
        raise SystemExit("no CJK font: apt-get install fonts-noto-cjk")
    try:
        return ImageFont.truetype(path, size, index=SC_INDEX if path.endswith(".ttc") else 0)
    except OSError:
        return ImageFont.truetype(path, size)


def table(title: str, header: list[str], rows: list[list[str]], *, size: int = 40, grid: bool = True) -> Image.Image:
    """A spreadsheet-like table at phone width: a title, a header row, rows, grid lines."""
    f, bold = font(size), font(size + 4)
    row_h = int(size * 1.9)
    height = 200 + row_h * (len(rows) + 1) + 80
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((60, 60), title, fill="black", font=bold)
    col_w = (WIDTH - 120) // len(header)
    top = 160
    for r, cells in enumerate([header, *rows]):
        y = top + r * row_h
        if r == 0:
            draw.rectangle([60, y, WIDTH - 60, y + row_h], fill=(221, 235, 247))
        for c, cell in enumerate(cells):
            draw.text((60 + c * col_w + 20, y + (row_h - size) // 2 - 4), cell, fill="black", font=f)
        if grid:
            draw.line([60, y, WIDTH - 60, y], fill=(150, 150, 150), width=2)
    if grid:
        bottom = top + row_h * (len(rows) + 1)
        draw.line([60, bottom, WIDTH - 60, bottom], fill=(150, 150, 150), width=2)
        for c in range(len(header) + 1):
            draw.line([60 + c * col_w, top, 60 + c * col_w, bottom], fill=(150, 150, 150), width=2)
    return image


def poster(lines: list[str], *, size: int = 56, background=(255, 244, 214)) -> Image.Image:
    image = Image.new("RGB", (WIDTH, 1500), background)
    draw = ImageDraw.Draw(image)
    y = 120
    for i, line in enumerate(lines):
        f = font(size + 24 if i == 0 else size)
        draw.text((80, y), line, fill=(90, 30, 20) if i == 0 else "black", font=f)
        y += int((size + (24 if i == 0 else 0)) * 1.8)
    return image


def class_photo(caption: str, rng: random.Random) -> Image.Image:
    """Rows of simple figures (heads and bodies) on a playground, with a caption: a class photo."""
    image = Image.new("RGB", (WIDTH, 810), (120, 170, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 480, WIDTH, 810], fill=(180, 140, 100))
    for row in range(3):
        for i in range(10):
            x, y = 70 + i * 98 + row * 20, 250 + row * 110
            color = tuple(rng.randrange(60, 230) for _ in range(3))
            draw.ellipse([x, y, x + 50, y + 50], fill=(240, 200, 170))
            draw.rectangle([x - 5, y + 50, x + 55, y + 140], fill=color)
    draw.text((80, 700), caption, fill="white", font=font(48))
    return image


def photographed(image: Image.Image, rng: random.Random, *, angle: float, blur: float) -> Image.Image:
    """As if taken with a phone: a little rotated, blurred, dimmer, with sensor noise."""
    out = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(200, 200, 195))
    out = out.filter(ImageFilter.GaussianBlur(blur))
    out = out.point(lambda v: int(v * 0.88) + 10)
    # Noise from the seeded generator, not Image.effect_noise: that draws from C's rand(), whose
    # state depends on whatever else the process did before, so the same script made different
    # pictures in a test run and alone (and Tesseract read them differently). Uniform noise
    # narrowed to the spread of a Gaussian of sigma 18 around mid-grey.
    grain = Image.frombytes("L", out.size, rng.randbytes(out.width * out.height))
    noise = grain.point(lambda v: 128 + (v - 128) * 18 // 74).convert("RGB")
    return Image.blend(out, noise, 0.06)


def screenshot(title: str, lines: list[str]) -> Image.Image:
    """A phone screenshot of a chat-style list: a status bar, a dark title bar, one line each."""
    f = font(44)
    image = Image.new("RGB", (WIDTH, 300 + 90 * len(lines)), (237, 237, 237))
    draw = ImageDraw.Draw(image)
    draw.text((40, 15), "9:41", fill="black", font=font(34))
    draw.rectangle([0, 70, WIDTH, 190], fill=(46, 46, 46))
    draw.text((60, 100), title, fill="white", font=font(46))
    for i, line in enumerate(lines):
        draw.text((80, 240 + 90 * i), line, fill="black", font=f)
    return image


def score_rows(rng: random.Random, count: int, *, by_number: bool = False, subjects: int = 1) -> list[list[str]]:
    rows = []
    for i in range(count):
        who = f"{i + 1}号" if by_number else NAMES[i]
        marks = [str(rng.randrange(55, 101)) for _ in range(subjects)]
        rows.append([who, *marks])
    return rows


def pictures() -> list[tuple[str, Image.Image, list[str]]]:
    rng = random.Random(18)
    made: list[tuple[str, Image.Image, list[str]]] = []
    sheets = [
        ("sheet_names", table("期中考试成绩", ["姓名", "成绩"], score_rows(rng, 10))),
        (
            "sheet_subjects",
            table("三年级1班 期中成绩", ["姓名", "语文", "数学", "英语"], score_rows(rng, 8, subjects=3)),
        ),
        ("sheet_numbers", table("单元测试成绩（按学号）", ["学号", "分数"], score_rows(rng, 10, by_number=True))),
        (
            "sheet_rank",
            table(
                "数学测验排名",
                ["名次", "姓名", "分数"],
                [[str(i + 1), NAMES[i], str(100 - 3 * i)] for i in range(8)],
            ),
        ),
        ("sheet_no_grid", table("英语听写", ["姓名", "得分"], score_rows(rng, 9), grid=False, size=44)),
        (
            "sheet_total",
            table(
                "期末总分",
                ["姓名", "总分"],
                [[NAMES[i + 5], str(rng.randrange(180, 300))] for i in range(9)],
                size=42,
            ),
        ),
    ]
    sheets.append(
        ("screenshot_scores", screenshot("成绩通报", [f"{n}：{rng.randrange(60, 100)}分" for n in NAMES[10:17]]))
    )
    for name, image in sheets:
        made.append((f"{name}.png", image, ["scores"]))
    for (name, image), (angle, blur) in zip(
        sheets, [(3, 0.8), (-4, 1.0), (2, 1.2), (-2.5, 0.7), (5, 0.9)], strict=False
    ):
        made.append((f"{name}_photo.png", photographed(image, rng, angle=angle, blur=blur), ["scores"]))
    quiet = [
        (
            "poster_sports",
            poster(["秋季运动会", "时间：10月18日 上午8:00", "地点：学校操场", "请穿运动服和运动鞋", "欢迎家长观看"]),
        ),
        (
            "poster_reading",
            poster(["读书节活动", "11月1日至11月30日", "每天阅读20分钟", "好书推荐会 11月28日", "三年级1班"]),
        ),
        (
            "timetable",
            table(
                "三年级1班 课程表",
                ["节次", "周一", "周二", "周三"],
                [
                    [str(i + 1), s1, s2, s3]
                    for i, (s1, s2, s3) in enumerate(
                        [
                            ("语文", "数学", "英语"),
                            ("数学", "语文", "科学"),
                            ("体育", "美术", "语文"),
                            ("音乐", "英语", "数学"),
                        ]
                    )
                ],
            ),
        ),
        ("class_photo", class_photo("三年级1班 2026年秋季合影", rng)),
        (
            "menu",
            table(
                "本周午餐菜单",
                ["日期", "主菜", "价格"],
                [["周一", "番茄炒蛋", "12元"], ["周二", "红烧鸡块", "12元"], ["周三", "清蒸鱼", "12元"]],
            ),
        ),
        (
            "schedule",
            table(
                "家长会安排", ["时间", "内容"], [["15:00", "校长讲话"], ["15:30", "班主任介绍"], ["16:10", "自由交流"]]
            ),
        ),
        (
            "class_average",
            table(
                "各班数学平均分",
                ["班级", "平均分"],
                [["三年级1班", "88.5"], ["三年级2班", "87.2"], ["三年级3班", "89.1"]],
            ),
        ),
    ]
    for name, image in quiet:
        made.append((f"{name}.png", image, []))
    made.append(("poster_sports_photo.png", photographed(quiet[0][1], rng, angle=-3, blur=0.8), []))
    certificate = poster(
        ["荣誉证书", "王梓涵 同学：", "在2026年区小学生书法比赛中", "荣获一等奖。", "特发此证，以资鼓励。"],
        background=(250, 235, 235),
    )
    made.append(("certificate.png", certificate, []))
    made.append(
        ("poster_office_phone.png", poster(["寒假安全提示", "注意交通安全", "学校办公室电话", "0371-12345678"]), [])
    )
    made.append(("timetable_photo.png", photographed(quiet[2][1], rng, angle=2, blur=0.8), []))
    made.append(("class_photo_phone.png", photographed(quiet[3][1], rng, angle=1.5, blur=1.0), []))
    return made


def main(out: str) -> int:
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    labels = {}
    for name, image, expect in pictures():
        image.save(folder / name, format="PNG")
        labels[name] = expect
    (folder / "labels.json").write_text(json.dumps(labels, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(labels)} pictures in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "guardrail_pictures"))

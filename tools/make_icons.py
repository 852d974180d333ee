"""Draw the installable app's icons (static/img/icon-192.png, icon-512.png, icon-maskable-512.png)
with Pillow: the character 心 in white on the theme colour (#b03a2e, --red in tongxin.css). The
maskable icon keeps the mark inside the central 80 % safe zone. Run once: python tools/make_icons.py"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

RED = (0xB0, 0x3A, 0x2E, 255)
OUT = Path(__file__).resolve().parent.parent / "static" / "img"
FONTS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
]


def font(size: int):
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return None


def draw(size: int, *, maskable: bool) -> Image.Image:
    image = Image.new("RGBA", (size, size), RED if maskable else (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if not maskable:
        pen.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 5, fill=RED)
    mark = int(size * (0.5 if maskable else 0.62))
    face = font(mark)
    centre = (size / 2, size / 2)
    if face is not None:
        pen.text(centre, "心", font=face, fill="white", anchor="mm")
    else:  # no CJK font: a heart-like mark of two circles and a triangle
        r = mark // 4
        cx, cy = centre
        pen.ellipse((cx - 2 * r, cy - 1.5 * r, cx, cy + 0.5 * r), fill="white")
        pen.ellipse((cx, cy - 1.5 * r, cx + 2 * r, cy + 0.5 * r), fill="white")
        pen.polygon([(cx - 1.9 * r, cy), (cx + 1.9 * r, cy), (cx, cy + 2 * r)], fill="white")
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192, maskable=False).save(OUT / "icon-192.png", optimize=True)
    draw(512, maskable=False).save(OUT / "icon-512.png", optimize=True)
    draw(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()

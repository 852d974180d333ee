"""Reading the text of a picture with Tesseract (Debian's ``tesseract-ocr`` and
``tesseract-ocr-chi-sim``: the engine and its simplified-Chinese model ship in packages, nothing is
downloaded at run time), for the class-channel checker: a photo or screenshot of a score sheet is
the commonest way scores leak into class groups.

``engine_status()`` says whether the engine and its Chinese model are installed (the admin page
shows it; without them the text checks still run). ``read_image_text(data)`` checks the bytes are an
image Pillow can open (at most ``MAX_PIXELS``; anything else raises ``OcrRefused``), scales it to at
most ``MAX_SIDE`` pixels a side, straightens it, turns it black and white without the table's
rules, and runs the ``tesseract`` binary (one thread) with a time limit (``OcrFailed`` when it runs
over or fails). Tesseract puts spaces between Chinese characters; they
are removed so the checker reads "王小明 98" as written.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from functools import lru_cache

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 48-megapixel phone photo is refused as too big; 12 MP ones are read
MAX_SIDE = 2000
TIMEOUT_SECONDS = 30
LANGUAGES = "chi_sim+eng"
PAGE_MODES = ("4", "6")


class OcrUnavailable(Exception):
    """The engine or its Chinese model is not installed."""


class OcrRefused(Exception):
    """The file is not an image that can be read, or is too big."""


class OcrFailed(Exception):
    """The engine ran over its time or failed."""


@dataclass(frozen=True)
class EngineStatus:
    available: bool
    version: str = ""
    languages: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def engine_status() -> EngineStatus:
    """Whether ``tesseract`` with the simplified-Chinese model is installed (asked once a process)."""
    binary = shutil.which("tesseract")
    if binary is None:
        return EngineStatus(False)
    try:
        # The arguments are fixed and the binary is the one on PATH: no input reaches the command line.
        version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)  # noqa: S603
        langs = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=10)  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        return EngineStatus(False)
    first = (version.stdout or version.stderr).splitlines()[:1]
    languages = tuple(line.strip() for line in langs.stdout.splitlines()[1:] if line.strip())
    return EngineStatus("chi_sim" in languages, first[0] if first else "", languages)


_HAN_GAP = re.compile(r"(?<=[\u3400-\u9fff])[ \t]+(?=[\u3400-\u9fff])")


def _prepared_png(data: bytes) -> bytes:
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_BYTES:
        raise OcrRefused("too big")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise OcrRefused("too many pixels")
            image = probe.convert("L")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise OcrRefused("not an image") from exc
    scale = MAX_SIDE / max(image.size)
    if scale < 1:
        image = image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))))
    image = _without_rules(_binary(_straightened(image)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _row_darkness(image, *, columns: bool = False) -> list[float]:
    """The share of dark pixels in each row (or column) of a black-and-white picture."""
    from PIL import Image

    size = (image.width, 1) if columns else (1, image.height)
    return [1 - v / 255 for v in image.resize(size, Image.Resampling.BOX).tobytes()]


def _straightened(image):
    """A photo taken a little askew is turned straight: the angle (within 8°) whose rows are most
    unequal (lines of text and table rules lie along the rows) wins. Measured on a small copy."""
    from PIL import Image

    small = image.resize((400, max(1, int(image.height * 400 / image.width))))
    small = small.point(lambda v: 0 if v < 128 else 255)

    def spread(angle: float) -> float:
        rows = _row_darkness(small.rotate(angle, fillcolor=255))
        mean = sum(rows) / len(rows)
        return sum((r - mean) ** 2 for r in rows)

    best = max((a / 2 for a in range(-16, 17)), key=spread)
    if abs(best) < 0.5:
        return image
    return image.rotate(best, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def _binary(image):
    """Black text on white: a threshold below the picture's mean brightness (dim photos too)."""
    from PIL import ImageStat

    threshold = ImageStat.Stat(image).mean[0] * 0.75
    return image.point(lambda v: 0 if v < threshold else 255)


def _without_rules(image):
    """The lines of a table (a row or a column mostly dark) are painted white: Tesseract reads the
    cells of a score sheet far better without them."""
    from PIL import ImageDraw

    draw = ImageDraw.Draw(image)
    for y, dark in enumerate(_row_darkness(image)):
        if dark > 0.5:
            draw.line([(0, y - 1), (image.width, y - 1)], fill=255, width=4)
    for x, dark in enumerate(_row_darkness(image, columns=True)):
        if dark > 0.4:
            draw.line([(x - 1, 0), (x - 1, image.height)], fill=255, width=4)
    return image


def read_image_text(data: bytes, *, timeout: float = TIMEOUT_SECONDS) -> str:
    """The text of the picture, lines kept, spaces between Chinese characters removed. Read twice,
    as columns of text (page mode 4: a table's cells) and as one block (mode 6: its rows), within
    ``timeout`` seconds in all; one thread, the same result every time."""
    if not engine_status().available:
        raise OcrUnavailable("tesseract with chi_sim is not installed")
    png = _prepared_png(data)
    binary = shutil.which("tesseract") or "tesseract"
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    deadline = time.monotonic() + timeout
    texts = []
    for mode in PAGE_MODES:
        left = deadline - time.monotonic()
        if left <= 0:
            raise OcrFailed("timed out")
        try:
            done = subprocess.run(  # noqa: S603  (fixed arguments; the picture goes in on stdin)
                [binary, "stdin", "stdout", "-l", LANGUAGES, "--psm", mode],
                input=png,
                capture_output=True,
                timeout=left,
                env=env,
            )
        except subprocess.TimeoutExpired as exc:
            raise OcrFailed("timed out") from exc
        except OSError as exc:
            raise OcrFailed(str(exc)) from exc
        if done.returncode != 0:
            raise OcrFailed(done.stderr.decode("utf-8", "replace")[:200])
        texts.append(done.stdout.decode("utf-8", "replace"))
    lines = (_HAN_GAP.sub("", line).strip() for text in texts for line in text.splitlines())
    return "\n".join(line for line in lines if line)

"""Reading the text of a picture with Tesseract (Debian's ``tesseract-ocr`` and
``tesseract-ocr-chi-sim``: the engine and its simplified-Chinese model ship in packages, nothing is
downloaded at run time), for the class-channel checker: a photo or screenshot of a score sheet is
the commonest way scores leak into class groups.

``engine_status()`` says whether the engine and its Chinese model are installed (the admin page
shows it; without them the text checks still run). ``read_image_text(data)`` checks the bytes are an
image Pillow can open (at most ``MAX_PIXELS``; anything else raises ``OcrRefused``), scales it to at
most ``MAX_SIDE`` pixels a side, greys it, and runs the ``tesseract`` binary with a time limit
(``OcrFailed`` when it runs over or fails). Tesseract puts spaces between Chinese characters; they
are removed so the checker reads "王小明 98" as written.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 48-megapixel phone photo is refused as too big; 12 MP ones are read
MAX_SIDE = 2000
TIMEOUT_SECONDS = 30
LANGUAGES = "chi_sim+eng"


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
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def read_image_text(data: bytes, *, timeout: float = TIMEOUT_SECONDS) -> str:
    """The text of the picture, lines kept, spaces between Chinese characters removed."""
    if not engine_status().available:
        raise OcrUnavailable("tesseract with chi_sim is not installed")
    png = _prepared_png(data)
    binary = shutil.which("tesseract") or "tesseract"
    try:
        done = subprocess.run(  # noqa: S603  (fixed arguments; the picture goes in on stdin)
            [binary, "stdin", "stdout", "-l", LANGUAGES, "--psm", "6"],
            input=png,
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise OcrFailed("timed out") from exc
    except OSError as exc:
        raise OcrFailed(str(exc)) from exc
    if done.returncode != 0:
        raise OcrFailed(done.stderr.decode("utf-8", "replace")[:200])
    text = done.stdout.decode("utf-8", "replace")
    return "\n".join(_HAN_GAP.sub("", line).strip() for line in text.splitlines() if line.strip())

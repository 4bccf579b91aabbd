"""What a file is, from its bytes (never the client's word), and image resizing with Pillow."""

from __future__ import annotations

import io

import filetype  # type: ignore[import-untyped]
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_DIMENSION = 4000
# Pillow's default guard against decompression bombs is ~89 megapixels with a warning; refuse outright
# at that size instead (a 4000 px thumbnail of anything bigger is not what this route is for).
Image.MAX_IMAGE_PIXELS = 90_000_000
# Formats whose output keeps an alpha channel; others get a white background where `contain` pads.
_ALPHA = {"PNG", "WEBP", "GIF"}
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}


def sniff(data: bytes) -> str:
    """The MIME type the bytes say they are: magic numbers, else UTF-8 text, else opaque bytes."""
    kind = filetype.guess(data[:8192])
    if kind is not None:
        return str(kind.mime)
    try:
        data[:65536].decode("utf-8")
    except UnicodeDecodeError:
        # A cut in the middle of a multi-byte character at the sample's end is still text.
        try:
            data[:65533].decode("utf-8")
        except UnicodeDecodeError:
            return "application/octet-stream"
    return "text/plain"


def is_image(mime: str | None) -> bool:
    return bool(mime) and str(mime).lower().startswith("image/")


class NotAnImage(Exception):
    """The bytes are not an image Pillow can read (or are too large to decode safely)."""


def output_mime(mime: str) -> str:
    """Thumbnails keep the original's format when browsers show it natively, else become PNG."""
    return mime if mime in _FORMATS else "image/png"


def _target(size: tuple[int, int], width: int | None, height: int | None) -> tuple[int, int]:
    w, h = size
    if width and height:
        return width, height
    if width:
        return width, max(1, round(h * width / w))
    assert height
    return max(1, round(w * height / h)), height


def render(data: bytes, width: int | None, height: int | None, crop: str, out_mime: str) -> bytes:
    """The image resized to `width`×`height` (one of them may be left out: the other follows the
    aspect ratio). `cover` fills the box and crops the overflow around the centre; `contain` fits the
    whole image inside and pads the rest (transparent where the format allows, else white). EXIF
    orientation is applied, so photos come out upright."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or "PNG"
            box = _target(img.size, width, height)
            if fmt == "JPEG":
                # DCT scaling while decoding: a 12-megapixel photo is read at 1/2..1/8 of its size when
                # the thumbnail is small, several times faster than decoding it whole.
                img.draft("RGB", box if crop == "contain" else _cover_source(img.size, box))
            img.seek(0)
            frame = ImageOps.exif_transpose(img)
            out_fmt = _FORMATS.get(out_mime, "PNG")
            if out_fmt == "JPEG" and frame.mode not in ("RGB", "L"):
                frame = frame.convert("RGB")
            elif out_fmt in _ALPHA and frame.mode not in ("RGB", "RGBA", "L", "LA"):
                frame = frame.convert("RGBA")
            if crop == "contain" and width and height:
                fitted = ImageOps.contain(frame, box, Image.Resampling.LANCZOS)
                if out_fmt in _ALPHA:
                    canvas = Image.new("RGBA", box, (0, 0, 0, 0))
                    fitted = fitted.convert("RGBA")
                else:
                    canvas = Image.new(fitted.mode, box, "white")
                canvas.paste(fitted, ((box[0] - fitted.width) // 2, (box[1] - fitted.height) // 2))
                result = canvas
            else:
                result = ImageOps.fit(frame, box, Image.Resampling.LANCZOS)
            out = io.BytesIO()
            options = {"quality": 85, "optimize": True} if out_fmt == "JPEG" else {}
            result.save(out, format=out_fmt, **options)
            return out.getvalue()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError) as exc:
        raise NotAnImage(str(exc)) from exc


def _cover_source(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The smallest decoded size from which a `cover` crop of `box` keeps full resolution."""
    w, h = size
    scale = max(box[0] / w, box[1] / h)
    return max(1, round(w * scale)), max(1, round(h * scale))

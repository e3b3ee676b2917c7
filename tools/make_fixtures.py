#!/usr/bin/python3
"""Make Kodiak's golden test fixtures with PIL and PyTorch, into testdata/.

    /usr/bin/python3 tools/make_fixtures.py      # needs python3-torch, -torchvision, -skimage,
                                                 # libjpeg-turbo-progs (jpegtran, cjpeg),
                                                 # dataset-fashion-mnist and models/fashion-mnist

What it writes (all small, committed):
  testdata/images/            real photos from scikit-image's bundled data, re-encoded into every
                              format users upload, plus hostile files that must be rejected
  testdata/images.json        per file: format, size, what PIL decodes it to (golden pixels), or
                              the error Kodiak must raise
  testdata/golden/pixels/     PIL's decoded pixels (EXIF orientation applied, convert("RGB"/"L")),
                              raw interleaved uint8, gzip
  testdata/golden/preprocess.json + preprocess/
                              for input-spec cases: PIL/torchvision's resized 8-bit pixels and
                              the final float32 tensor
  testdata/golden/models.json + logits/
                              logits of the default model and of a tiny RGB test model, computed
                              by PyTorch on PIL's tensors
  testdata/golden/fashion-mnist-*
                              PyTorch's top-1 for all 10,000 Fashion-MNIST test images and the
                              logits of the first 1,000
  testdata/bundles/tiny-rgb/  a tiny random-weight RGB bundle (crop + bicubic + probabilities)
  testdata/bundles/tiny-nan/  a model whose scores are NaN for dark images
  testdata/bundles/tiny-*/    tiny random-weight bundles for the other input-spec forms
                              (squish, crop, pad x RGB, L), so every form is checked against
                              PyTorch under every engine

Every random choice is seeded, so a rerun reproduces the same files (given the same libraries).
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import torch
from PIL import Image, ImageOps
from skimage import data as skdata

TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)
import export_bundle as eb  # noqa: E402
from fixture_models import NanNet, TinyNet, TinyRgbNet  # noqa: E402
import train_default  # noqa: E402

OUT = os.path.join(ROOT, "testdata")
IMAGES = os.path.join(OUT, "images")
GOLDEN = os.path.join(OUT, "golden")
RNG = np.random.default_rng(1234)


def gz(path, payload):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # mtime=0 keeps the bytes reproducible
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(payload)


def rel(path):
    return os.path.relpath(path, OUT).replace(os.sep, "/")


def store_pixels(image):
    """Store PIL image pixels once, named by content; returns the record for images.json."""
    raw = np.asarray(image, dtype=np.uint8).tobytes()
    name = hashlib.sha256(raw).hexdigest()[:16] + "." + image.mode + ".gz"
    path = os.path.join(GOLDEN, "pixels", name)
    if not os.path.exists(path):
        gz(path, raw)
    return {"width": image.size[0], "height": image.size[1], "file": rel(path)}


# ---------------------------------------------------------------- sources: real photos

def source(name, long_side=None):
    array = getattr(skdata, name)()
    image = Image.fromarray(array)
    if long_side:
        w, h = image.size
        scale = long_side / max(w, h)
        image = image.resize((round(w * scale), round(h * scale)), Image.LANCZOS)
    return image


CAT = source("chelsea", 240)          # 240x160 RGB
ASTRONAUT = source("astronaut", 200)  # 200x200 RGB
COFFEE = source("coffee")             # 600x400 RGB, full size
CAMERA = source("camera", 192)        # 192x192 L
ROCKET = source("rocket", 180)        # 180x120 RGB, for EXIF orientations
LOGO = source("logo", 160)            # 160x160 RGBA with real transparency


# ---------------------------------------------------------------- encoders PIL lacks

def png_chunk(kind, payload):
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def png_bytes(width, height, bit_depth, color_type, rows, declared=None):
    """A PNG from raw scanlines (filter 0); `declared` overrides the IHDR size."""
    w, h = declared or (width, height)
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2))  # (x0, y0, dx, dy) of each pass


def png_adam7(pixels, bit_depth, color_type):
    """An Adam7-interlaced PNG (PIL reads these but cannot write them) from an HxWxC array."""
    height, width = pixels.shape[:2]
    raw = b""
    for x0, y0, dx, dy in ADAM7:
        sub = pixels[y0::dy, x0::dx]
        if sub.shape[0] and sub.shape[1]:
            raw += b"".join(b"\x00" + sub[y].tobytes() for y in range(sub.shape[0]))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 1)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def png_chunks(png):
    """A PNG's chunks as (type, payload) pairs, signature dropped."""
    chunks, i = [], 8
    while i < len(png):
        length = struct.unpack(">I", png[i:i + 4])[0]
        chunks.append((png[i + 4:i + 8], png[i + 8:i + 8 + length]))
        i += 12 + length
    return chunks


def png_with(png, before=(), after=()):
    """A PNG with chunks added just before its first IDAT and just after its last one."""
    chunks = png_chunks(png)
    first = next(i for i, (kind, _) in enumerate(chunks) if kind == b"IDAT")
    last = max(i for i, (kind, _) in enumerate(chunks) if kind == b"IDAT")
    chunks = chunks[:first] + list(before) + chunks[first:last + 1] + list(after) \
        + chunks[last + 1:]
    return b"\x89PNG\r\n\x1a\n" + b"".join(png_chunk(kind, data) for kind, data in chunks)


def text_chunk(key, value, kind=b"tEXt"):
    """tEXt, zTXt or iTXt (uncompressed, or compressed with kind b"iTXz"), as PIL reads them."""
    key = key.encode("latin-1")
    if kind == b"tEXt":
        return b"tEXt", key + b"\0" + value
    if kind == b"zTXt":
        return b"zTXt", key + b"\0\0" + zlib.compress(value)
    flag, text = (1, zlib.compress(value)) if kind == b"iTXz" else (0, value)
    return b"iTXt", key + b"\0" + bytes([flag, 0]) + b"\0\0" + text


def raw_profile(exif):
    """ImageMagick's "Raw profile type exif" text: name, length, then hex in lines of 72."""
    digits = exif.hex()
    lines = [digits[i:i + 72] for i in range(0, len(digits), 72)]
    return ("\nexif\n%8d\n" % len(exif) + "\n".join(lines) + "\n").encode("ascii")


def xmp_packet(orientation, element=False):
    """An XMP packet whose tiff:Orientation is an attribute, or an element as Adobe writes it."""
    value = (f"<tiff:Orientation>{orientation}</tiff:Orientation>" if element
             else f'tiff:Orientation="{orientation}"')
    inner = (f'<rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/">'
             f"{value}</rdf:Description>" if element
             else f'<rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
                  f"{value}/>")
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
            'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' + inner
            + '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode("utf-8")


def magick(args, payload, coder):
    """Run ImageMagick's convert (Debian's imagemagick) on bytes into the format `coder` (PNG,
    BMP, BMP2 for OS/2 1.x, BMP3 for Windows 3, GIF); returns the output file's bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        source, target = os.path.join(tmp, "in"), os.path.join(tmp, "out")
        with open(source, "wb") as f:
            f.write(payload)
        try:
            subprocess.run(["convert", source] + args + [coder + ":" + target], check=True)
        except FileNotFoundError:
            sys.exit("convert is missing; install Debian's imagemagick "
                     "(tools/install-debian-packages.sh --with-python-tools)")
        with open(target, "rb") as f:
            return f.read()


def png_metadata_images():
    """PNGs whose orientation PIL 9.4's exif_transpose finds somewhere other than a leading eXIf.

    (name, bytes): ImageMagick writes eXIf after the image data; the raw EXIF profile and XMP are
    written as ImageMagick and Adobe lay them out (no tool here writes them into a PNG).
    """
    def stored(n):
        return save(stored_for(ROCKET, n), "PNG")

    no_tag = Image.Exif()
    no_tag[0x0131] = "Kodiak"  # Software: an EXIF block without an orientation
    no_tag = no_tag.tobytes()[6:]  # an eXIf chunk holds the TIFF structure, without "Exif\0\0"
    yield "png-exif-after-idat.png", magick(
        ["-define", "png:exclude-chunk=date,time"],
        save(stored_for(ROCKET, 6), "JPEG", quality=95, exif=exif_orientation(6)), "PNG")
    yield "png-raw-exif-3.png", png_with(stored(3), before=[
        text_chunk("Raw profile type exif", raw_profile(exif_orientation(3)), b"zTXt")])
    yield "png-xmp-8.png", png_with(stored(8), before=[
        text_chunk("XML:com.adobe.xmp", xmp_packet(8), b"iTXt")])
    yield "png-xmp-element-5.png", png_with(stored(5), after=[
        text_chunk("XML:com.adobe.xmp", xmp_packet(5, element=True), b"iTXz")])
    # an EXIF block without the tag: PIL looks at the XMP too
    yield "png-exif-untagged-xmp-7.png", png_with(stored(7), before=[
        (b"eXIf", no_tag), text_chunk("XML:com.adobe.xmp", xmp_packet(7), b"tEXt")])
    # orientation 1 in EXIF: PIL does not look at the XMP
    yield "png-exif-1-xmp-6.png", png_with(stored(1), before=[
        (b"eXIf", exif_orientation(1)[6:]), text_chunk("XML:com.adobe.xmp", xmp_packet(6))])
    # an EXIF block before the image data: PIL answers before reading the XMP after it
    yield "png-xmp-after-untagged-exif.png", png_with(stored(1), before=[
        (b"eXIf", no_tag)], after=[text_chunk("XML:com.adobe.xmp", xmp_packet(6))])


def png_gray16_trns(image):
    """16-bit gray with a tRNS chunk: PIL's mode "I" all the same, clipped at 255."""
    gray = (np.asarray(image, dtype=np.uint16) * 257 // 64).astype(">u2")
    png = png_bytes(image.size[0], image.size[1], 16, 0, [row.tobytes() for row in gray])
    return png_with(png, before=[(b"tRNS", struct.pack(">H", 300))])


def png_short_palette(image):
    """8-bit palette indexes past the end of a 16-entry PLTE: PIL's gray ramp shows there."""
    indexes = np.asarray(image, dtype=np.uint8)
    # a generator of its own, so that RNG's later draws (and their fixtures) stay as they were
    palette = bytes(np.random.default_rng(16).integers(0, 256, 16 * 3, dtype=np.uint8))
    ihdr = struct.pack(">IIBBBBB", image.size[0], image.size[1], 8, 3, 0, 0, 0)
    raw = b"".join(b"\x00" + row.tobytes() for row in indexes)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"PLTE", palette)
            + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def bmp_file(width, height, bits, compression, palette, pixels, header_size=40, colors=0):
    """A BMP from parts: 40-byte (Windows 3), 64-byte (OS/2 2.x: the same fields, then zeros)
    or 12-byte (OS/2 1.x) header; palette entries as given (4 or 3 bytes each)."""
    if header_size == 12:
        header = struct.pack("<IHHHH", 12, width, height, 1, bits)
    else:
        header = struct.pack("<IiiHHIIiiII", header_size, width, height, 1, bits, compression,
                             len(pixels), 2835, 2835, colors, 0) + bytes(header_size - 40)
    offset = 14 + len(header) + len(palette)
    return (b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + header
            + palette + pixels)


def bmp_palette(image):
    """A P image's palette as BMP entries (B, G, R, 0)."""
    rgb = image.getpalette()[:3 * 256]
    return b"".join(bytes([rgb[i + 2], rgb[i + 1], rgb[i], 0]) for i in range(0, len(rgb), 3))


def rle8_rows(indexes):
    """RLE8 the way a careful encoder writes it: runs, absolute runs, end of line, end of bitmap;
    rows bottom-up."""
    out = bytearray()
    for row in indexes[::-1]:
        row, x = list(row), 0
        while x < len(row):
            run = 1
            while x + run < len(row) and run < 255 and row[x + run] == row[x]:
                run += 1
            if run >= 3 or len(row) - x < 3:
                out += bytes([run, row[x]])
                x += run
                continue
            end = x  # an absolute run up to the next repeat of 3
            while end < len(row) and end - x < 255 and not (
                    end + 2 < len(row) and row[end] == row[end + 1] == row[end + 2]):
                end += 1
            if end - x < 3:  # escapes 0 to 2 are not absolute runs: encode the short run
                out += bytes([run, row[x]])
                x += run
                continue
            literal = row[x:end]
            out += bytes([0, len(literal)]) + bytes(literal) + bytes(len(literal) % 2)
            x = end
        out += b"\0\0"
    return bytes(out[:-2]) + b"\0\1"


def bmp_rle8_delta(image):
    """RLE8 with delta escapes, which PIL 9.4 misreads: it skips the two bytes after the escape
    and takes the offsets from the next two. Made so that PIL still fills the image (else it
    refuses): each delta's own two bytes are followed by a run PIL takes as the offsets."""
    pal = palette_image(image, colors=32)
    indexes = np.asarray(pal)
    height, width = indexes.shape
    out = bytearray()
    for y, row in enumerate(indexes[::-1]):
        if y % 5 == 2:
            # spec: move 4 right, 0 up; PIL: skip (4, 0), then offsets (3, 0) from the run
            out += bytes([0, 2, 4, 0, 3, 0])
            out += bytes([width - 7 - 3, row[-1]]) + bytes([3, row[0]]) + b"\0\0"
            continue
        out += rle8_rows(row[None, :])[:-2] + b"\0\0"
    out += b"\0\1"
    return bmp_file(width, height, 8, 1, bmp_palette(pal), bytes(out))


def bmp_rle4(image):
    """RLE4 (no tool here writes it): two-colour runs, absolute runs of odd and even length
    (PIL drops an odd run's last nibble), end of line."""
    pal = palette_image(image, colors=16)
    indexes = np.asarray(pal)
    height, width = indexes.shape
    out = bytearray()
    for y, row in enumerate(indexes[::-1]):
        x = 0
        while x < width:
            n = min(width - x, 7 if (x // 7 + y) % 2 else 12)
            if (x // 7 + y) % 3 == 0:
                chunk = list(row[x:x + n]) + [0]
                packed = bytes(chunk[i] << 4 | chunk[i + 1] for i in range(0, n - n % 2 + (n % 2) * 2, 2))
                out += bytes([0, n]) + packed + bytes(len(packed) % 2)
            else:
                out += bytes([n, row[x] << 4 | row[min(x + 1, width - 1)]])
            x += n
        out += b"\0\0"
    out += b"\0\1"
    return bmp_file(width, height, 4, 2, bmp_palette(pal)[:16 * 4], bytes(out))


def bmp_os2_v2(image):
    """An 8-bit palette BMP with OS/2 2.x's 64-byte header."""
    pal = palette_image(image)
    indexes = np.asarray(pal)[::-1]
    height, width = indexes.shape
    stride = (width + 3) & ~3
    rows = b"".join(row.tobytes() + bytes(stride - width) for row in indexes)
    return bmp_file(width, height, 8, 0, bmp_palette(pal), rows, header_size=64)


def bmp_short_palette(image):
    """8-bit indexes past a 16-colour palette: PIL's gray ramp shows there."""
    indexes = np.asarray(image.convert("L"))[::-1]
    height, width = indexes.shape
    stride = (width + 3) & ~3
    rows = b"".join(row.tobytes() + bytes(stride - width) for row in indexes)
    palette = bytes(np.random.default_rng(17).integers(0, 256, 16 * 4, dtype=np.uint8))
    return bmp_file(width, height, 8, 0, palette, rows, colors=16)


def bmp_top_down(image):
    """24-bit rows stored top row first: a negative height."""
    rgb = np.asarray(image.convert("RGB"))[:, :, ::-1]
    height, width = rgb.shape[:2]
    stride = (width * 3 + 3) & ~3
    rows = b"".join(row.tobytes() + bytes(stride - width * 3) for row in rgb)
    return bmp_file(width, -height, 24, 0, b"", rows)


def gif_blocks(gif):
    """Where a GIF's parts are: (global palette end, first image descriptor's index)."""
    flags = gif[10]
    at = 13 + ((3 << ((flags & 7) + 1)) if flags & 0x80 else 0)
    palette_end = at
    while gif[at] != 0x2C:
        if gif[at] == 0x21:
            at += 2
            while gif[at]:
                at += 1 + gif[at]
        at += 1
    return palette_end, at


def gif_short_palette(image):
    """A global palette of 4 entries over 8-bit LZW codes: PIL's gray ramp shows past it."""
    gif = bytearray(save(palette_image(image), "GIF"))
    palette_end, _ = gif_blocks(gif)
    gif[10] = (gif[10] & ~7) | 1  # 3 << 2 = 12 bytes of palette
    return bytes(gif[:13 + 12] + gif[palette_end:])


def gif_local_palette(image):
    """The first frame's palette as a local colour table, no global one."""
    gif = bytearray(save(palette_image(image), "GIF"))
    palette_end, descriptor = gif_blocks(gif)
    flags = gif[10]
    palette = gif[13:palette_end]
    gif[10] = flags & 0x70  # no global table
    local = gif[descriptor + 9] | 0x80 | (flags & 7)
    return bytes(gif[:13] + gif[palette_end:descriptor + 9] + bytes([local]) + palette
                 + gif[descriptor + 10:])


def gif_frame_past_screen(image):
    """A logical screen smaller than the first frame: PIL makes the image the frame's size."""
    gif = bytearray(save(palette_image(image), "GIF"))
    gif[6:10] = struct.pack("<HH", image.size[0] - 40, image.size[1] - 30)
    return bytes(gif)


def gif_offset_frame(transparent):
    """ImageMagick's animation whose first frame covers part of the screen (with a transparent
    index or without), disposed to the background: PIL fills the rest with that index or 0."""
    first = CAT.crop((40, 30, 200, 130))
    if transparent:
        first = Image.fromarray(half_transparent(first), "RGBA")
    with tempfile.TemporaryDirectory() as tmp:
        a, b, out = (os.path.join(tmp, n) for n in ("a.png", "b.png", "out.gif"))
        first.save(a)
        ImageOps.mirror(CAT).save(b)
        subprocess.run(["convert", "-dispose", "Background", "-delay", "10",
                        "-page", "240x160+40+30", a, "-page", "+0+0", b, "-loop", "0", out],
                       check=True)
        with open(out, "rb") as f:
            return f.read()


def webp_tool(tool, args, inputs):
    """Run cwebp, img2webp or gif2webp (Debian's webp, libwebp 1.2.4 as PIL's) on files made
    from `inputs` (name: bytes); an argument that is such a name stands for its file. Returns
    the WebP's bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, payload in inputs.items():
            paths[name] = os.path.join(tmp, name)
            with open(paths[name], "wb") as f:
                f.write(payload)
        out = os.path.join(tmp, "out.webp")
        try:
            subprocess.run([tool] + [paths.get(a, a) for a in args] + ["-o", out], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except FileNotFoundError:
            sys.exit(f"{tool} is missing; install Debian's webp "
                     "(tools/install-debian-packages.sh --with-python-tools)")
        with open(out, "rb") as f:
            return f.read()


def webp_without_exif_flag(webp):
    """A WebP whose VP8X header does not announce its EXIF chunk: libwebp's demuxer, and so
    PIL, then ignore the chunk and its orientation."""
    out = bytearray(webp)
    assert out[12:16] == b"VP8X"
    out[20] &= ~0x08
    return bytes(out)


def arithmetic_jpeg(image):
    """Arithmetic coding (cjpeg -arithmetic), which PIL's libjpeg-turbo reads and ImageIO not."""
    return jpeg_tool(["cjpeg", "-quality", "90", "-arithmetic"], save(image, "PPM"))


def bmp_packed(image, bits):
    """A Windows 3 bitmap PIL cannot write: 4-bit palette indexes, or 32-bit BI_RGB pixels
    (blue, green, red and a fourth byte PIL ignores)."""
    if bits == 4:
        pal = palette_image(image, colors=16)
        indexes = np.asarray(pal)[::-1]
        height, width = indexes.shape
        stride = ((width * 4 + 31) >> 3) & ~3
        padded = np.zeros((height, (width + 1) // 2 * 2), dtype=np.uint8)
        padded[:, :width] = indexes
        rows = b"".join((row[0::2] << 4 | row[1::2]).astype(np.uint8).tobytes()
                        + bytes(stride - len(row) // 2) for row in padded)
        return bmp_file(width, height, 4, 0, bmp_palette(pal)[:16 * 4], rows, colors=16)
    rgb = np.asarray(image.convert("RGB"))[::-1, :, ::-1]
    height, width = rgb.shape[:2]
    fourth = (np.arange(width * height, dtype=np.uint32) * 37 % 251).astype(np.uint8)
    bgrx = np.dstack([rgb, fourth.reshape(height, width)])
    return bmp_file(width, height, 32, 0, b"", bgrx.tobytes())


def apng(image):
    """An animated PNG (PIL writes the first frame as the image data PIL reads first)."""
    return save(image, "PNG", save_all=True, append_images=[ImageOps.mirror(image)],
                duration=100, loop=0)


def half_transparent(image):
    """RGBA whose left half is fully transparent but keeps the photo's colours underneath:
    PIL's convert("RGB") keeps them, a browser canvas (premultiplied) loses them."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    alpha = np.full(rgb.shape[:2], 255, dtype=np.uint8)
    alpha[:, :rgb.shape[1] // 2] = 0
    return np.dstack([rgb, alpha])


def png16_rgba_adam7(image):
    """16-bit RGBA, interlaced, left half transparent: high byte = the photo, low byte a pattern."""
    rgba = half_transparent(image).astype(np.uint16)
    h, w = rgba.shape[:2]
    lo = ((np.arange(w)[None, :, None] * 7 + np.arange(h)[:, None, None] * 13
           + np.arange(4)[None, None, :] * 29) & 0xFF).astype(np.uint16)
    return png_adam7((rgba << 8 | lo).astype(">u2"), 16, 6)


def png16_rgb(image):
    """16-bit RGB PNG: high byte = the 8-bit photo, low byte = seeded noise."""
    hi = np.asarray(image, dtype=np.uint16)
    lo = RNG.integers(0, 256, size=hi.shape, dtype=np.uint16)
    big = (hi << 8 | lo).astype(">u2")
    rows = [big[y].tobytes() for y in range(big.shape[0])]
    return png_bytes(image.size[0], image.size[1], 16, 2, rows)


def display_p3_profile():
    """A minimal ICC v2 RGB profile with Display P3 primaries (what iPhone photos embed).

    Kodiak, like PIL, ignores embedded profiles and uses the stored values; a fixture carrying
    one proves that the decoder does not colour-manage behind our back.
    """
    def s15(v):
        return struct.pack(">i", round(v * 65536))

    def xyz(x, y, z):
        return b"XYZ " + bytes(4) + s15(x) + s15(y) + s15(z)

    def curve(gamma):
        return b"curv" + bytes(4) + struct.pack(">IH", 1, round(gamma * 256)) + bytes(2)

    def desc(text):
        ascii_text = text.encode("ascii") + b"\0"
        body = (b"desc" + bytes(4) + struct.pack(">I", len(ascii_text)) + ascii_text
                + bytes(8) + bytes(3) + bytes(67))
        return body + bytes(-len(body) % 4)

    tags = [(b"desc", desc("Display P3 (Kodiak test)")),
            (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
            (b"rXYZ", xyz(0.5151, 0.2412, -0.0011)),
            (b"gXYZ", xyz(0.2920, 0.6922, 0.0419)),
            (b"bXYZ", xyz(0.1571, 0.0666, 0.7841)),
            (b"rTRC", curve(2.2)), (b"gTRC", curve(2.2)), (b"bTRC", curve(2.2)),
            (b"cprt", b"text" + bytes(4) + b"public domain\0\0\0")]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (struct.pack(">I", size) + bytes(4) + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ "
              + struct.pack(">6H", 2026, 1, 1, 0, 0, 0) + b"acsp" + bytes(24) + bytes(4)
              + s15(0.9642) + s15(1.0) + s15(0.8249) + bytes(4) + bytes(44))
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


def ycck_jpeg(image):
    """An Adobe YCCK JPEG, written by tools/MakeYcckJpeg.java (PIL cannot write YCCK)."""
    java = os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"),
                        "bin", "java")
    with tempfile.TemporaryDirectory() as tmp:
        source, target = os.path.join(tmp, "in.png"), os.path.join(tmp, "out.jpg")
        image.save(source)
        subprocess.run([java, os.path.join(TOOLS, "MakeYcckJpeg.java"), source, target],
                       check=True)
        with open(target, "rb") as f:
            return f.read()


def jpeg_tool(command, payload):
    """Run one of libjpeg-turbo's command line tools (Debian's libjpeg-turbo-progs) on bytes.

    They write JPEGs PIL cannot: restart markers (cjpeg) and 4:4:0 chroma subsampling, which is
    what a lossless 90-degree rotation (jpegtran) makes of a 4:2:2 photo.
    """
    try:
        return subprocess.run(command, input=payload, stdout=subprocess.PIPE,
                              check=True).stdout
    except FileNotFoundError:
        sys.exit(f"{command[0]} is missing; install Debian's libjpeg-turbo-progs "
                 "(tools/install-debian-packages.sh --with-python-tools)")


def rotated_440(jpeg_422):
    """A 4:2:2 JPEG turned by 90 degrees without re-encoding: 4:4:0, as phones' editors do."""
    return jpeg_tool(["jpegtran", "-rotate", "90", "-perfect", "-copy", "none"], jpeg_422)


def restart_jpeg(image):
    """A JPEG with a restart marker after every row of MCUs (cjpeg -restart 1)."""
    return jpeg_tool(["cjpeg", "-quality", "90", "-restart", "1"], save(image, "PPM"))


def jpeg_410(image):
    """4:1:0 chroma (luma sampled 4x2), rare: TurboJPEG's API has no name for it."""
    return jpeg_tool(["cjpeg", "-quality", "90", "-sample", "4x2"], save(image, "PPM"))


# ---------------------------------------------------------------- the formats

def save(image, fmt, **params):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def exif_orientation(n):
    exif = Image.Exif()
    exif[0x0112] = n
    return exif.tobytes()


# The inverse of what exif_transpose does, so that every orientation shows the same upright photo.
UNDO = {1: None, 2: Image.FLIP_LEFT_RIGHT, 3: Image.ROTATE_180, 4: Image.FLIP_TOP_BOTTOM,
        5: Image.TRANSPOSE, 6: Image.ROTATE_90, 7: Image.TRANSVERSE, 8: Image.ROTATE_270}


def stored_for(image, n):
    return image if UNDO[n] is None else image.transpose(UNDO[n])


def palette_image(image, colors=64):
    return image.convert("RGB").quantize(colors=colors, method=Image.MEDIANCUT, dither=Image.NONE)


def la_image():
    gray = np.asarray(CAMERA)
    alpha = np.tile(np.linspace(0, 255, gray.shape[1]).astype(np.uint8), (gray.shape[0], 1))
    return Image.fromarray(np.dstack([gray, alpha]), "LA")


def animated_gif():
    first = palette_image(CAT)
    second = palette_image(ImageOps.mirror(CAT))
    return save(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)


P3 = display_p3_profile()


def valid_images():
    """(file name, format, bytes, which colours to keep goldens for, lossy)."""
    pal = palette_image(CAT)
    pal.info["transparency"] = 0
    yield "jpeg-baseline.jpg", "jpeg", save(COFFEE, "JPEG", quality=90), ("RGB", "L"), True
    yield "jpeg-progressive.jpg", "jpeg", save(CAT, "JPEG", quality=85, progressive=True,
                                               optimize=True), ("RGB",), True
    yield "jpeg-444.jpg", "jpeg", save(ASTRONAUT, "JPEG", quality=92, subsampling=0), ("RGB",), True
    # 240x160 is a whole number of MCUs either way round, so the rotation is lossless
    jpeg_422 = save(CAT, "JPEG", quality=90, subsampling=1)
    yield "jpeg-422.jpg", "jpeg", jpeg_422, ("RGB", "L"), True
    yield "jpeg-440.jpg", "jpeg", rotated_440(jpeg_422), ("RGB", "L"), True
    # 200x200 ends in partial MCUs, so the last interval of each row is a short one
    yield "jpeg-restart.jpg", "jpeg", restart_jpeg(ASTRONAUT), ("RGB", "L"), True
    yield "jpeg-410.jpg", "jpeg", jpeg_410(CAT), ("RGB",), True
    yield "jpeg-gray.jpg", "jpeg", save(CAMERA, "JPEG", quality=90), ("RGB", "L"), True
    yield "jpeg-cmyk.jpg", "jpeg", save(ASTRONAUT.convert("CMYK"), "JPEG", quality=95), \
        ("RGB", "L"), True
    yield "jpeg-ycck.jpg", "jpeg", ycck_jpeg(CAT), ("RGB", "L"), True
    yield "jpeg-arithmetic.jpg", "jpeg", arithmetic_jpeg(CAT), ("RGB", "L"), True
    yield "jpeg-icc-p3.jpg", "jpeg", save(CAT, "JPEG", quality=90, icc_profile=P3), ("RGB",), True
    for n in range(1, 9):
        yield f"jpeg-exif-{n}.jpg", "jpeg", save(stored_for(ROCKET, n), "JPEG", quality=95,
                                                 exif=exif_orientation(n)), ("RGB",), True
    yield "png-rgb8.png", "png", save(CAT, "PNG"), ("RGB", "L"), False
    yield "png-rgba8.png", "png", save(LOGO, "PNG"), ("RGB", "L"), False
    yield "png-rgba-half.png", "png", save(Image.fromarray(half_transparent(CAT), "RGBA"), "PNG"), \
        ("RGB", "L"), False
    yield "png-rgba16-adam7.png", "png", png16_rgba_adam7(ROCKET), ("RGB", "L"), False
    yield "png-small.png", "png", save(CAT.resize((40, 27), Image.LANCZOS), "PNG"), ("RGB", "L"), \
        False
    yield "png-gray8.png", "png", save(CAMERA, "PNG"), ("RGB", "L"), False
    yield "png-la8.png", "png", save(la_image(), "PNG"), ("RGB", "L"), False
    yield "png-palette.png", "png", save(pal, "PNG", transparency=0), ("RGB", "L"), False
    gray16 = Image.fromarray((np.asarray(CAMERA, dtype=np.uint16) * 257 // 64), "I;16")
    yield "png-gray16.png", "png", save(gray16, "PNG"), ("RGB", "L"), False
    yield "png-rgb16.png", "png", png16_rgb(CAT), ("RGB",), False
    yield "png-gray1.png", "png", save(CAMERA.point(lambda v: 255 if v > 110 else 0).convert("1"),
                                       "PNG"), ("RGB", "L"), False
    yield "png-icc-p3.png", "png", save(CAT, "PNG", icc_profile=P3), ("RGB",), False
    yield "png-exif-6.png", "png", save(stored_for(ROCKET, 6), "PNG", exif=exif_orientation(6)), \
        ("RGB",), False
    yield "png-apng.png", "png", apng(CAT), ("RGB",), False
    yield "png-gray16-trns.png", "png", png_gray16_trns(CAMERA), ("RGB", "L"), False
    yield "png-palette-short.png", "png", png_short_palette(CAMERA), ("RGB", "L"), False
    for name, payload in png_metadata_images():
        yield name, "png", payload, ("RGB",), False
    yield "gif-palette.gif", "gif", save(palette_image(CAT), "GIF"), ("RGB", "L"), False
    yield "gif-animated.gif", "gif", animated_gif(), ("RGB",), False
    transparent = palette_image(CAT)
    yield "gif-transparent.gif", "gif", save(transparent, "GIF", transparency=int(
        np.asarray(transparent)[80, 120])), ("RGB", "L"), False
    yield "gif-offset-transparent.gif", "gif", gif_offset_frame(True), ("RGB",), False
    yield "gif-offset-opaque.gif", "gif", gif_offset_frame(False), ("RGB",), False
    # the last data sub-block is followed by nothing: no block terminator, no trailer
    yield "gif-no-trailer.gif", "gif", magick([], save(ROCKET, "PNG"), "GIF")[:-2], \
        ("RGB",), False
    yield "gif-interlaced.gif", "gif", magick(["-interlace", "GIF"], save(ASTRONAUT, "PNG"),
                                              "GIF"), ("RGB",), False
    yield "gif-gray.gif", "gif", save(CAMERA, "GIF"), ("RGB", "L"), False
    yield "gif-short-palette.gif", "gif", gif_short_palette(CAT), ("RGB", "L"), False
    yield "gif-local-palette.gif", "gif", gif_local_palette(ROCKET), ("RGB",), False
    yield "gif-frame-past-screen.gif", "gif", gif_frame_past_screen(ROCKET), ("RGB",), False
    yield "bmp-rgb24.bmp", "bmp", save(CAT, "BMP"), ("RGB",), False
    yield "bmp-palette8.bmp", "bmp", save(palette_image(ASTRONAUT), "BMP"), ("RGB",), False
    yield "bmp-1bit.bmp", "bmp", save(CAMERA.point(lambda v: 255 if v > 110 else 0).convert("1"),
                                       "BMP"), ("RGB", "L"), False
    yield "bmp-4bit.bmp", "bmp", bmp_packed(ASTRONAUT, 4), ("RGB",), False
    yield "bmp-rgb32.bmp", "bmp", bmp_packed(CAT, 32), ("RGB",), False
    yield "bmp-rle8.bmp", "bmp", magick(["-compress", "RLE"], save(
        palette_image(CAT, colors=200), "PNG"), "BMP3"), ("RGB", "L"), False
    yield "bmp-rle8-delta.bmp", "bmp", bmp_rle8_delta(CAT), ("RGB",), False
    yield "bmp-rle4.bmp", "bmp", bmp_rle4(ASTRONAUT), ("RGB", "L"), False
    yield "bmp-os2-v1.bmp", "bmp", magick([], save(palette_image(CAT, colors=16), "PNG"),
                                          "BMP2"), ("RGB",), False
    yield "bmp-os2-v1-rgb.bmp", "bmp", magick([], save(ROCKET, "PNG"), "BMP2"), ("RGB",), False
    yield "bmp-os2-v2.bmp", "bmp", bmp_os2_v2(ROCKET), ("RGB",), False
    yield "bmp-palette-short.bmp", "bmp", bmp_short_palette(CAMERA), ("RGB", "L"), False
    yield "bmp-top-down.bmp", "bmp", bmp_top_down(ROCKET), ("RGB",), False
    yield "bmp-rgb565.bmp", "bmp", magick(["-define", "bmp:subtype=RGB565"], save(CAT, "PNG"),
                                          "BMP"), ("RGB",), False
    yield "bmp-rgb555.bmp", "bmp", magick(["-define", "bmp:subtype=RGB555"], save(CAT, "PNG"),
                                          "BMP"), ("RGB",), False
    yield "bmp-argb32.bmp", "bmp", magick(["-define", "bmp:subtype=ARGB8888"], save(
        Image.fromarray(half_transparent(CAT), "RGBA"), "PNG"), "BMP"), ("RGB",), False
    yield "webp-lossy.webp", "webp", save(CAT, "WEBP", quality=80), ("RGB",), True
    yield "webp-lossless.webp", "webp", save(ASTRONAUT, "WEBP", lossless=True), ("RGB",), False
    yield "webp-alpha.webp", "webp", save(LOGO, "WEBP", lossless=True), ("RGB",), False
    half = save(Image.fromarray(half_transparent(CAT), "RGBA"), "PNG")
    # -exact keeps the colour under transparent pixels, which PIL's convert("RGB") shows
    yield "webp-lossy-alpha.webp", "webp", webp_tool(
        "cwebp", ["-quiet", "-q", "80", "-exact", "in.png"], {"in.png": half}), ("RGB",), True
    yield "webp-animated.webp", "webp", webp_tool(
        "img2webp", ["-lossy", "-q", "75", "a.png", "-d", "100", "b.png"],
        {"a.png": save(CAT, "PNG"), "b.png": save(ImageOps.mirror(CAT), "PNG")}), \
        ("RGB", "L"), True
    # a first frame covering part of the canvas: libwebp leaves the rest transparent black
    yield "webp-animated-offset.webp", "webp", webp_tool(
        "gif2webp", ["-quiet", "-lossy", "in.gif"], {"in.gif": gif_offset_frame(True)}), \
        ("RGB",), True
    exif_6 = webp_tool("cwebp", ["-quiet", "-q", "85", "-metadata", "exif", "in.jpg"], {
        "in.jpg": save(stored_for(ROCKET, 6), "JPEG", quality=95, exif=exif_orientation(6))})
    yield "webp-exif-6.webp", "webp", exif_6, ("RGB",), True
    yield "webp-exif-unannounced.webp", "webp", webp_without_exif_flag(exif_6), ("RGB",), True


def patch_jpeg_size(jpeg, width, height):
    """Rewrite the frame header (SOF0/SOF2) of a real JPEG to claim another size."""
    out = bytearray(jpeg)
    i = 2
    while i < len(out):
        marker = out[i + 1]
        length = struct.unpack(">H", out[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            out[i + 5:i + 9] = struct.pack(">HH", height, width)
            return bytes(out)
        i += 2 + length
    raise ValueError("no SOF marker")


def hostile_images():
    """(file name, bytes, error code Kodiak must raise)."""
    photo = save(CAT, "JPEG", quality=90)
    png = save(CAT, "PNG")
    yield "empty.jpg", b"", "EMPTY"
    yield "html-renamed.jpg", (b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
                               b"<body><h1>Not Found</h1></body></html>\n"), "NOT_AN_IMAGE"
    yield "text-renamed.png", b"This is not an image, just some text someone renamed.\n" * 4, \
        "NOT_AN_IMAGE"
    yield "random.bin", RNG.integers(0, 256, 4096, dtype=np.uint8).tobytes(), "NOT_AN_IMAGE"
    yield "drawing.svg", (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
                          b'width="100" height="100"><circle cx="50" cy="50" r="40"/></svg>\n'), \
        "UNSUPPORTED_FORMAT"
    yield "truncated.jpg", photo[:len(photo) * 6 // 10], "CORRUPT"
    yield "truncated.png", png[:len(png) * 6 // 10], "CORRUPT"
    yield "header-only.gif", save(palette_image(CAT), "GIF")[:40], "CORRUPT"
    rows = [bytes(65000 * 3)] * 2  # two real rows; the header claims 65000 x 65000
    yield "bomb-65000.png", png_bytes(65000, 2, 8, 2, rows, declared=(65000, 65000)), "TOO_LARGE"
    yield "bomb-30000.jpg", patch_jpeg_size(photo, 30000, 30000), "TOO_LARGE"
    gif = bytearray(save(palette_image(CAT), "GIF"))
    gif[6:10] = struct.pack("<HH", 65000, 65000)           # logical screen
    idx = gif.index(b"\x2c")                                # image descriptor
    gif[idx + 5:idx + 9] = struct.pack("<HH", 65000, 65000)
    yield "bomb-65000.gif", bytes(gif), "TOO_LARGE"
    bmp = bytearray(save(CAT, "BMP"))
    bmp[18:26] = struct.pack("<ii", 30000, 30000)
    yield "bomb-30000.bmp", bytes(bmp), "TOO_LARGE"
    bmp[18:22] = struct.pack("<i", -240)  # a negative width: no bitmap is that
    yield "bmp-impossible-size.bmp", bytes(bmp), "CORRUPT"
    # 5 MP, under the pixel limit, but a shape no model's resize can take (1:5000000)
    yield "strip-1x5000000.png", png_bytes(1, 5_000_000, 8, 0, [b"\x80"] * 5_000_000), \
        "TOO_LARGE"


def make_images():
    shutil.rmtree(IMAGES, ignore_errors=True)
    shutil.rmtree(os.path.join(GOLDEN, "pixels"), ignore_errors=True)
    os.makedirs(IMAGES)
    records = []
    for name, fmt, payload, colors, lossy in valid_images():
        path = os.path.join(IMAGES, name)
        with open(path, "wb") as f:
            f.write(payload)
        record = {"file": "images/" + name, "format": fmt, "lossy": lossy, "pixels": {}}
        for color in colors:
            record["pixels"][color] = store_pixels(eb.pil_load(path, color))
        records.append(record)
    for name, payload, error in hostile_images():
        with open(os.path.join(IMAGES, name), "wb") as f:
            f.write(payload)
        records.append({"file": "images/" + name, "error": error})
    return records


# ---------------------------------------------------------------- preprocessing cases

def spec(w, h, **kw):
    return eb.input_spec(w, h, **kw)


def preprocess_cases():
    """(case id, source image file, spec)."""
    for interp in eb.INTERPOLATIONS:
        yield f"squish-down-{interp}", "png-rgb8.png", spec(61, 47, interpolation=interp,
                                                            mean="imagenet")
        yield f"squish-up-{interp}", "png-small.png", spec(97, 73, interpolation=interp)
        yield f"squish-gray-{interp}", "png-gray8.png", spec(150, 41, color="L",
                                                             interpolation=interp)
    yield "squish-mixed-bicubic", "png-rgb8.png", spec(300, 90, interpolation="bicubic")
    yield "crop-bilinear", "png-rgb8.png", spec(56, 56, resize="crop", resize_shorter=64,
                                                mean="imagenet")
    yield "crop-bicubic-nonsquare", "png-rgb8.png", spec(48, 40, resize="crop",
                                                         resize_shorter=52,
                                                         interpolation="bicubic")
    yield "crop-nearest-portrait", "png-exif-6.png", spec(33, 33, resize="crop",
                                                          interpolation="nearest")
    yield "crop-typical-imagenet", "jpeg-baseline.jpg", spec(96, 96, resize="crop",
                                                             resize_shorter=110,
                                                             mean="imagenet")
    yield "pad-bilinear", "png-rgb8.png", spec(64, 64, resize="pad", mean="imagenet")
    yield "pad-bicubic-gray-fill", "png-gray8.png", spec(50, 30, color="L", resize="pad",
                                                         interpolation="bicubic", pad_fill=255)
    yield "pad-portrait-lanczos", "png-exif-6.png", spec(40, 40, resize="pad",
                                                         interpolation="lanczos", pad_fill=114)
    yield "gray-invert-fashion", "png-gray8.png", spec(28, 28, color="L", invert=True,
                                                       mean=[0.286], std=[0.353])
    yield "rgb-to-l", "png-rgba8.png", spec(28, 28, color="L", mean=[0.5], std=[0.25])
    yield "no-rescale", "png-palette.png", spec(20, 16, rescale=False,
                                                mean=[120.0, 110.0, 100.0],
                                                std=[60.0, 55.0, 50.0])
    yield "identity-size", "png-rgb8.png", spec(240, 160)


def make_preprocess():
    out_dir = os.path.join(GOLDEN, "preprocess")
    shutil.rmtree(out_dir, ignore_errors=True)
    cases = []
    for case_id, image_name, case_spec in preprocess_cases():
        path = os.path.join(IMAGES, image_name)
        resized = eb.pil_resize(eb.pil_load(path, case_spec["color"]), case_spec)
        tensor = eb.pil_to_tensor(resized, case_spec)
        resized_file = os.path.join(out_dir, case_id + ".u8.gz")
        tensor_file = os.path.join(out_dir, case_id + ".f32.gz")
        gz(resized_file, np.asarray(resized, dtype=np.uint8).tobytes())
        gz(tensor_file, tensor.numpy().astype("<f4").tobytes())
        cases.append({"id": case_id, "image": "images/" + image_name, "spec": case_spec,
                      "resized": rel(resized_file), "tensor": rel(tensor_file),
                      "shape": list(tensor.shape)})
    return cases


# ---------------------------------------------------------------- models

def make_tiny_bundle():
    torch.manual_seed(7)
    model = TinyRgbNet()
    with torch.no_grad():  # scale so the outputs are not all near 1/3
        model.fc.weight.mul_(20)
    bundle_spec = spec(32, 32, resize="crop", resize_shorter=36, interpolation="bicubic",
                       mean="imagenet")
    path = os.path.join(OUT, "bundles", "tiny-rgb")
    eb.export_bundle(model, ["red-ish", "green-ish", "blue-ish"], bundle_spec, path,
                     "tiny-rgb", "0.1.0", output="probabilities",
                     provenance={"dataset": "none: random weights, for tests only"},
                     description="Tiny random-weight RGB model for Kodiak's tests.")
    return path


# name: (color, width, height, input_spec arguments), one per spec form not covered above
TINY_FORMS = {
    "tiny-rgb-squish": ("RGB", 40, 30, {"resize": "squish", "interpolation": "bilinear",
                                         "mean": "imagenet"}),
    "tiny-rgb-pad": ("RGB", 32, 32, {"resize": "pad", "interpolation": "lanczos",
                                      "pad_fill": [114, 114, 114], "mean": "imagenet"}),
    "tiny-gray-crop": ("L", 24, 24, {"resize": "crop", "resize_shorter": 28,
                                      "interpolation": "bilinear", "invert": True,
                                      "mean": [0.5], "std": [0.25]}),
    "tiny-gray-pad": ("L", 30, 20, {"resize": "pad", "interpolation": "box",
                                     "mean": [0.45], "std": [0.3]}),
}


def make_tiny_form_bundles():
    paths = {}
    for i, (name, (color, width, height, kwargs)) in enumerate(TINY_FORMS.items()):
        torch.manual_seed(100 + i)
        model = TinyNet(3 if color == "RGB" else 1, width, height)
        with torch.no_grad():  # running statistics that are not the identity
            model.norm.running_mean.uniform_(-0.2, 0.2)
            model.norm.running_var.uniform_(0.5, 2.0)
            model.fc.weight.mul_(10)
        path = os.path.join(OUT, "bundles", name)
        eb.export_bundle(model, ["north", "east", "south", "west"],
                         spec(width, height, color=color, **kwargs), path, name, "0.1.0",
                         provenance={"dataset": "none: random weights, for tests only"},
                         description=f"Tiny random-weight {color} model ({kwargs['resize']}) "
                                     "for Kodiak's tests.")
        paths[name] = path
    return paths


def make_nan_bundle():
    path = os.path.join(OUT, "bundles", "tiny-nan")
    eb.export_bundle(NanNet(), ["bright", "dark"],
                     spec(8, 8, color="L", resize="squish", interpolation="box"), path,
                     "tiny-nan", "0.1.0", output="logits",
                     provenance={"dataset": "none: a formula, for tests only"},
                     description="Gives NaN scores for dark images, for Kodiak's tests.")


def make_model_goldens(records):
    make_nan_bundle()
    bundles = {"fashion-mnist": os.path.join(ROOT, "models", "fashion-mnist"),
               "tiny-rgb": make_tiny_bundle(), **make_tiny_form_bundles()}
    out_dir = os.path.join(GOLDEN, "logits")
    shutil.rmtree(out_dir, ignore_errors=True)
    results = []
    for bundle_name, bundle_dir in bundles.items():
        with open(os.path.join(bundle_dir, "kodiak.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        model = torch.jit.load(os.path.join(bundle_dir, "model.pt"))
        for record in records:
            if "error" in record:
                continue
            tensor = eb.preprocess(os.path.join(OUT, record["file"]), manifest["input"])
            with torch.no_grad():
                output = model(tensor)[0]
            results.append({"bundle": bundle_name, "image": record["file"],
                            "lossy": record["lossy"], "output": [float(v) for v in output]})
    return results


def make_fashion_goldens():
    """PyTorch's answers on the Fashion-MNIST test set through the PIL pipeline."""
    bundle_dir = os.path.join(ROOT, "models", "fashion-mnist")
    with open(os.path.join(bundle_dir, "kodiak.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    model = torch.jit.load(os.path.join(bundle_dir, "model.pt"))
    images, labels = train_default.load("test")
    tensors = torch.cat([eb.pil_to_tensor(eb.pil_resize(Image.fromarray(img, "L"),
                                                        manifest["input"]), manifest["input"])
                         for img in images])
    with torch.no_grad():
        logits = torch.cat([model(tensors[i:i + 500]) for i in range(0, len(tensors), 500)])
    top1 = logits.argmax(1).numpy().astype(np.uint8)
    correct = int((top1 == labels).sum())
    recorded = manifest["provenance"]["accuracy"]["correct"]
    if correct != recorded:
        sys.exit(f"PIL pipeline gives {correct} correct but the manifest records {recorded}")
    gz(os.path.join(GOLDEN, "fashion-mnist-top1.u8.gz"), top1.tobytes())
    gz(os.path.join(GOLDEN, "fashion-mnist-logits-1000.f32.gz"),
       logits[:1000].numpy().astype("<f4").tobytes())
    return {"images": "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
            "labels": "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz",
            "top1": "golden/fashion-mnist-top1.u8.gz",
            "logits": "golden/fashion-mnist-logits-1000.f32.gz", "logits_count": 1000,
            "correct": correct, "total": len(labels)}


def keep_committed_outputs(results):
    """Model outputs as committed where the new ones differ only by float noise (1e-5).

    PyTorch's last bits vary from one run to the next, so without this every run would rewrite
    every output in golden.json; with it a run changes only the outputs of new or changed images.
    """
    path = os.path.join(OUT, "golden.json")
    if not os.path.exists(path):
        return results
    with open(path, encoding="utf-8") as f:
        committed = {(o["bundle"], o["image"]): o["output"]
                     for o in json.load(f).get("models", [])}
    kept = []
    for result in results:
        old = committed.get((result["bundle"], result["image"]))
        if old is not None and len(old) == len(result["output"]) and all(
                abs(a - b) <= 1e-5 * max(1.0, abs(a)) for a, b in zip(old, result["output"])):
            result = dict(result, output=old)
        kept.append(result)
    return kept


def main():
    torch.set_num_threads(2)
    records = make_images()
    index = {
        "generator": "tools/make_fixtures.py",
        "torch": torch.__version__,
        "pillow": Image.__version__,
        "images": records,
        "preprocess": make_preprocess(),
        "models": keep_committed_outputs(make_model_goldens(records)),
        "fashion_mnist": make_fashion_goldens(),
    }
    with open(os.path.join(OUT, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    print(f"wrote {len(records)} images, {len(index['preprocess'])} preprocessing cases, "
          f"{len(index['models'])} model outputs to {OUT}")


if __name__ == "__main__":
    main()

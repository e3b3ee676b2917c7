#!/usr/bin/python3
"""Make the labeled benchmark that kodiak dedupe's duplicate finding is measured on.

    /usr/bin/python3 tools/make_dedupe_benchmark.py [--out target/dedupe-benchmark]

Writes two folders of images and, beside each, the truth about them:

  small/  + small.json   the Fashion-MNIST test images (Debian's dataset-fashion-mnist), 28x28
                         grayscale, but for the later of two that are the same picture (test
                         images 2115 and 4926, 1.5 gray levels apart), so 9,999 distinct ones,
                         plus planted copies of 1,000 of them
  photos/ + photos.json  tiles of scikit-image's data photos (one grid per photo, tiles of 48 to
                         160 pixels a side, so no two tiles share a pixel; near-uniform tiles are
                         left out), plus planted copies of half of them

Originals are stored half as PNG, half as JPEG (quality 90). Each copied original gets two
copies of two different kinds, so each kind has the same number of copies:

  same-bytes    the file copied
  jpeg-95, jpeg-75, jpeg-50
                the decoded original saved as JPEG at that quality
  resize-50, resize-150
                resized to 50% / 150% with PIL's LANCZOS, BICUBIC, BILINEAR or (down only)
                BOX filter, chosen at random, in the original's format (PIL's BOX enlarges
                by repeating pixels, unevenly at 150%: no one enlarges pictures so)
  format        PNG saved as JPEG (quality 90), JPEG saved as PNG
  crop          1% to 5% of the width or height (at least 1 pixel) taken off each side, each
                side its own amount
  border        a black or white frame on each side, 1% to 5% of the longer side (at least
                1 pixel) wide
  exif          the pixels rotated and an EXIF orientation (6, 8 or 3) set, so that it shows
                the same; JPEG (quality 95) for a JPEG original, PNG with eXIf for a PNG

The truth file lists every file (relative to its folder) with the original it belongs to, its
kind ("original" or one of the above) and, for a copy, what was done (the filter, the pixels cut
off, the frame, the orientation). File names are random (seeded), so neither names nor
order tell which file is which. Every random choice is seeded: a rerun with the same libraries
writes the same files. Needs Debian's python3-pil, python3-numpy, python3-skimage and
dataset-fashion-mnist; nothing is downloaded.
"""
import argparse
import gzip
import io
import json
import os
import random
import shutil
import sys

import numpy as np
from PIL import Image, ImageOps

TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TOOLS)
FASHION = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
FASHION_LABELS = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"
LABELS = ["t-shirt-top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
          "bag", "ankle-boot"]
KINDS = ["same-bytes", "jpeg-95", "jpeg-75", "jpeg-50", "resize-50", "resize-150", "format",
         "crop", "border", "exif"]
# real photos of scikit-image's data (not the synthetic charts, logos and silhouettes; not
# motorcycle_right, the other eye of motorcycle_left's stereo pair)
PHOTOS = ["astronaut.png", "camera.png", "chelsea.png", "coffee.png", "coins.png",
          "hubble_deep_field.jpg", "ihc.png", "moon.png", "motorcycle_left.png", "retina.jpg",
          "rocket.jpg", "cell.png", "clock_motion.png", "brick.png", "grass.png", "gravel.png",
          "page.png", "text.png", "microaneurysms.png"]
ASPECTS = [1, 1.25, 0.8, 1.5, 0.67]
FILTERS = [("LANCZOS", Image.LANCZOS), ("BICUBIC", Image.BICUBIC), ("BILINEAR", Image.BILINEAR),
           ("BOX", Image.BOX)]
MIN_STD = 10  # a tile flatter than this (gray levels) shows nothing to tell it by


def encode(image, fmt, **params):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def stored(image, fmt):
    """An original as a dataset holds it."""
    return encode(image, "PNG") if fmt == "png" else encode(image, "JPEG", quality=90)


def decoded(data):
    return ImageOps.exif_transpose(Image.open(io.BytesIO(data)))


def exif_orientation(n):
    exif = Image.Exif()
    exif[0x0112] = n
    return exif.tobytes()


# what to do to the shown pixels so that exif_transpose shows them again
UNDO = {3: Image.ROTATE_180, 6: Image.ROTATE_90, 8: Image.ROTATE_270}


def copy_of(kind, data, fmt, rng):
    """A copy of an original (its bytes and format): (bytes, extension, what was done)."""
    image = decoded(data)
    w, h = image.size
    if kind == "same-bytes":
        return data, fmt, "copied"
    if kind.startswith("jpeg-"):
        return encode(image, "JPEG", quality=int(kind[5:])), "jpg", f"from {fmt}"
    if kind.startswith("resize-"):
        scale = int(kind[7:]) / 100
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        name, resample = rng.choice(FILTERS if scale < 1 else FILTERS[:3])
        return stored(image.resize(size, resample), fmt), fmt, name
    if kind == "format":
        return (encode(image, "JPEG", quality=90), "jpg", "png to jpg") if fmt == "png" \
            else (encode(image, "PNG"), "png", "jpg to png")
    if kind == "crop":
        left, right = (max(1, round(rng.uniform(0.01, 0.05) * w)) for _ in range(2))
        top, bottom = (max(1, round(rng.uniform(0.01, 0.05) * h)) for _ in range(2))
        return stored(image.crop((left, top, w - right, h - bottom)), fmt), fmt, \
            f"left {left}, top {top}, right {right}, bottom {bottom}"
    if kind == "border":
        b = max(1, round(rng.uniform(0.01, 0.05) * max(w, h)))
        color = rng.choice(["black", "white"])
        return stored(ImageOps.expand(image, border=b, fill=color), fmt), fmt, f"{b} {color}"
    if kind == "exif":
        n = rng.choice(sorted(UNDO))
        turned = image.transpose(UNDO[n])
        if fmt == "jpg":
            return encode(turned, "JPEG", quality=95, exif=exif_orientation(n)), "jpg", \
                f"orientation {n}"
        return encode(turned, "PNG", exif=exif_orientation(n)), "png", f"orientation {n}"
    raise ValueError(kind)


def fashion_images():
    """The test images as (label folder, PIL image), and the indexes of those left out."""
    if not os.path.exists(FASHION):
        sys.exit(f"{FASHION} is missing: apt-get install dataset-fashion-mnist")
    with gzip.open(FASHION) as f:
        pixels = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(FASHION_LABELS) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    left_out = near_identical(pixels)
    kept = [i for i in range(len(pixels)) if i not in left_out]
    return [(LABELS[labels[i]], Image.fromarray(pixels[i], "L")) for i in kept], sorted(left_out)


def near_identical(pixels, rms=4.0):
    """The later of each two test images whose pixels are within `rms` gray levels (RMS) of
    each other: the same picture twice, not two distinct ones. (2115 and 4926 are 1.5 apart;
    the next closest two are 8.7.)"""
    flat = pixels.reshape(len(pixels), -1).astype(np.float64)
    squares = (flat ** 2).sum(1)
    later = set()
    for start in range(0, len(flat), 2000):
        block = flat[start:start + 2000]
        d2 = squares[start:start + 2000, None] + squares[None, :] - 2 * block @ flat.T
        for r, c in zip(*np.nonzero(d2 < rms * rms * flat.shape[1])):
            if start + r < c:
                later.add(int(c))
    return later


def photo_tiles():
    """Non-overlapping tiles of each photo, one grid per photo, as (source name, image)."""
    from skimage import data_dir
    tiles = []
    for i, name in enumerate(PHOTOS):
        photo = Image.open(os.path.join(data_dir, name))
        photo = photo.convert("RGB" if photo.mode in ("RGB", "RGBA") else "L")
        # about a 10x10 grid, the aspect varied from photo to photo
        aspect = ASPECTS[i % len(ASPECTS)]
        tw = min(160, max(40, round(photo.width / 10 * aspect)))
        th = min(160, max(40, round(photo.height / 10 / aspect)))
        for y in range(0, photo.height - th + 1, th):
            for x in range(0, photo.width - tw + 1, tw):
                tile = photo.crop((x, y, x + tw, y + th))
                if np.asarray(tile.convert("L"), np.float32).std() >= MIN_STD:
                    tiles.append((name.split(".")[0], tile))
    return tiles


def write_set(out, name, originals, copied, rng, left_out=()):
    """Writes one set: every original, and two copies of `copied` of them."""
    folder = os.path.join(out, name)
    if os.path.exists(folder):
        shutil.rmtree(folder)
    names = set()

    def file_name(sub, ext):
        while True:
            n = f"{rng.getrandbits(40):010x}"
            if n not in names:
                names.add(n)
                return f"{sub}/{n}.{ext}"

    truth = []
    order = list(range(len(originals)))
    rng.shuffle(order)
    with_copies = set(order[:copied])
    done = 0
    for i, (sub, image) in enumerate(originals):
        fmt = "png" if i % 2 == 0 else "jpg"
        data = stored(image, fmt)
        path = file_name(sub, fmt)
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
        with open(os.path.join(folder, path), "wb") as f:
            f.write(data)
        truth.append({"file": path, "original": i, "kind": "original",
                      "width": image.width, "height": image.height})
        if i not in with_copies:
            continue
        # two different kinds; over each run of ten copied originals, every kind is first
        # once and second once, and the pairs of kinds vary from run to run
        k = done
        done += 1
        second = k + 1 + (k // len(KINDS)) % (len(KINDS) - 1)
        for kind in (KINDS[k % len(KINDS)], KINDS[second % len(KINDS)]):
            copy, ext, detail = copy_of(kind, data, fmt, rng)
            path = file_name(sub, ext)
            with open(os.path.join(folder, path), "wb") as f:
                f.write(copy)
            shown = decoded(copy)
            truth.append({"file": path, "original": i, "kind": kind, "detail": detail,
                          "width": shown.width, "height": shown.height})
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump({"set": name, "originals": len(originals), "left_out": list(left_out),
                   "files": truth}, f, indent=0)
    counts = {k: sum(1 for t in truth if t["kind"] == k) for k in KINDS}
    print(f"{name}: {len(originals)} distinct originals, {copied} copied, copies per kind {counts}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "target", "dedupe-benchmark"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    fashion, left_out = fashion_images()
    write_set(args.out, "small", fashion, 1000, random.Random(20), left_out)
    tiles = photo_tiles()
    write_set(args.out, "photos", tiles, len(tiles) // 2, random.Random(21))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

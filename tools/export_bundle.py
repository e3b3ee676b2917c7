#!/usr/bin/python3
"""Export a PyTorch model to a Kodiak model bundle: TorchScript + ONNX + kodiak.json, no pickles.

A bundle is a directory (or the same files in a .zip) that the JVM and the browser read without
Python:

    model.pt     the model as TorchScript (traced or scripted), run by libtorch (engine "pytorch")
    model.onnx   the same eval() module as ONNX (opset 17, dynamic batch axis), run by ONNX
                 Runtime on the JVM ("onnxruntime") and by onnxruntime-web in a reader's browser
                 ("onnxruntime-web")
    kodiak.json  format version, name, version, labels in output order, the input spec,
                 whether the model outputs logits or probabilities, the runtimes the bundle
                 serves, provenance, the probe (below) and the sha256 of every other file

The probe makes a bundle check itself wherever it runs. The exporter feeds the eval() module two
noise images made by a tiny, exactly reproducible generator (see probe_pixels) and taken through
the whole input spec, and stores what torch computes. Opening the bundle runs the runtime it will
use on the same images and refuses the bundle, naming the runtime and the largest difference,
when the answers disagree beyond the tolerance: a broken export, or an input spec edited after
export, is caught on the JVM and in the browser alike. The exporter proves that: it edits each
field of the spec (mean, std, size, resize, interpolation, ...) and checks that the runtime's
rule would notice. Where the model's scores barely move (tiny scores of random weights), it tries
more images, then a lower tolerance that the scores' float32 rounding allows; a field it still
cannot protect is listed in the manifest (probe.misses) and warned of, here and at every open.

Run it with Debian's python3 and python3-torch (torch 1.13 files load in libtorch 2.x):

    /usr/bin/python3 tools/export_bundle.py --torchvision resnet18 --labels labels.txt \
        --size 224 --resize crop --resize-shorter 256 --mean imagenet --out models/resnet18

It prints what it wrote: labels, input spec, files and sizes, runtimes, what the probe notices,
and with --validate FOLDER (one sub-folder of images per label, as `kodiak evaluate` reads it) the
top-1 accuracy, which it records in the provenance.

Add model.onnx and the probe to a bundle made by an older exporter (the TorchScript file, the
labels and the input spec stay as they are):

    /usr/bin/python3 tools/export_bundle.py --upgrade models/my-model

From Python, any torch.nn.Module:

    import sys; sys.path.insert(0, "tools")
    from export_bundle import export_bundle, input_spec
    export_bundle(model, labels=["cat", "dog"], spec=input_spec(224, 224, mean="imagenet"),
                  out_dir="models/pets", name="pets", version="1.0.0")

From a fastai Learner (fastai is not needed by this script; run this where fastai is):

    learn = load_learner("export.pkl")
    model = learn.model.eval().cpu()          # a plain torch.nn.Module, outputs logits
    labels = list(learn.dls.vocab)            # output order of the last layer
    # Map the item transform by hand (learn.dls.after_item shows it):
    #   Resize(224, method="squish")        -> input_spec(224, 224, resize="squish")
    #   Resize(224) (ResizeMethod.Crop)     -> input_spec(224, 224, resize="crop")
    #   Resize(224, method="pad", pad_mode="zeros") -> input_spec(224, 224, resize="pad")
    #   Normalize.from_stats(*imagenet_stats) (added for pretrained models) -> mean="imagenet"
    # then copy the resulting bundle directory next to your JVM application.
    export_bundle(model, labels, input_spec(224, 224, resize="squish", mean="imagenet"),
                  out_dir="bears", name="bears", version="1")

fastai's Crop at validation crops to the aspect ratio first and then resizes; Kodiak's "crop"
resizes the shorter side first and then centre-crops (torchvision's Resize + CenterCrop). The two
differ by at most a pixel of rounding at the border. fastai's "pad" pads with reflection by default;
Kodiak's "pad" letterboxes with a constant fill, as fastai's pad_mode="zeros" does.
"""
import argparse
import datetime
import hashlib
import json
import os
import shutil
import sys
import tempfile

import torch

FORMAT_VERSION = 1
MANIFEST = "kodiak.json"
MODEL_FILE = "model.pt"
ONNX_FILE = "model.onnx"
ONNX_OPSET = 17  # the newest torch 1.13 exports; ONNX Runtime 1.2x and onnxruntime-web run it
FORMATS = ("torchscript", "onnx")
EXPORTER = "kodiak tools/export_bundle.py"
# The probe (see make_probe): noise images made by a tiny integer generator at a "source" size
# and taken through the whole input spec, so that an edit of any field changes what the model
# sees. A runtime may differ from torch by `tolerance` times the largest expected magnitude (at
# least 1): 1e-3 (broken exports differ by whole units; float summation order across CPUs and
# runtimes by about 1e-6) unless the model's scores call for another.
PROBE_GENERATOR = "lcg32-resize"
PROBE_SEEDS = (1, 2)
PROBE_TOLERANCE = 1e-3
# More images, from these seeds, when seeds 1 and 2 fall short of the tolerance by less than
# SEED_REACH times on every edit they miss; at most MAX_IMAGES, as every open runs them all.
PROBE_CANDIDATE_SEEDS = tuple(range(1, 9))
PROBE_SEED_REACH = 10
PROBE_MAX_IMAGES = 4
# How far runtimes may be apart, at least: NOISE_MARGIN times what float32 rounding moves the
# scores by (the model run in float64 says), PARITY of the largest score (the golden tests'
# cross-runtime tolerance; measured worst 1.4e-6), and MIN_TOLERANCE of max(1, largest), far
# above the denormal floats (below 1.2e-38) that some runtimes flush to zero.
PROBE_NOISE_MARGIN = 100
PROBE_PARITY = 1e-5
PROBE_MIN_TOLERANCE = 1e-20

# int8: post-training static quantization (torch.ao FX graph mode, per-channel weights) exported
# as ONNX Quantize/Dequantize pairs, which ONNX Runtime fuses into QLinearConv, QGemm, ... The
# int8 model is an addition to the bundle: model.onnx and model.pt stay, and `precision` chooses.
INT8_FILE = "model.int8.onnx"
INT8_OPSET = 13  # torch 1.13 exports quantized operators at opset 13
INT8_ENGINES = ("onednn", "qnnpack")  # Debian's torch 1.13 has no fbgemm
INT8_THRESHOLD = 0.99  # the least top-1 agreement with fp32 an int8 model is written with
INT8_CALIBRATION = 256  # the most calibration images used (evenly spread over the folder)
# The int8 probe's rule: top-1 equal and every score within INT8_STEPS output steps of PyTorch's
# int8 scores. ONNX Runtime rounds requantization differently from torch's onednn kernels: an
# int8 output differs by up to 2 steps (measured in the spike of issue 22), so 3 leave a margin.
# A float32 last layer's scores are not rounded to steps; they differ by the rounding of its
# int8 input, less than one step (0.42 measured on the default model), so they get 1. A broken
# model or an edited input spec moves the scores by more (the exporter lists edits it misses).
INT8_STEPS = 3
INT8_STEPS_FP32_LAST = 1

STATS = {
    # torchvision / fastai imagenet_stats
    "imagenet": ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    "none": None,
}
INTERPOLATIONS = ("nearest", "box", "bilinear", "hamming", "bicubic", "lanczos")
RESIZES = ("squish", "crop", "pad")


class ExportError(ValueError):
    """A model, labels or spec that cannot make a bundle; the command line prints the message
    alone, as one line, without a traceback."""


class LabelCountError(ExportError):
    """The model outputs another number of scores than there are labels."""

    def __init__(self, labels, outputs):
        super().__init__(f"there are {labels} labels; the model outputs {outputs}")
        self.labels, self.outputs = labels, outputs


def input_spec(width, height, color="RGB", resize="squish", interpolation="bilinear",
               resize_shorter=None, pad_fill=0, invert=False, rescale=True, mean="none", std=None):
    """Build the input spec of a bundle: how an image becomes the model's CHW float32 tensor.

    The steps, in order, match what PIL + torchvision do in training code:
      1. decode, apply EXIF orientation, convert to `color` ("RGB" or "L") as PIL's convert();
      2. resize to width x height with PIL's `interpolation`:
         "squish" resizes to exactly width x height (fastai ResizeMethod.Squish);
         "crop" resizes the shorter side to `resize_shorter` (default: max(width, height)) and
         centre-crops (torchvision Resize(shorter) + CenterCrop((height, width)));
         "pad" scales to fit inside width x height and centres it on a `pad_fill` background;
      3. optionally invert (255 - v), then divide by 255 when `rescale`;
      4. subtract `mean` and divide by `std` per channel ("imagenet" names the usual stats).
    """
    if color not in ("RGB", "L"):
        raise ExportError(f"color must be RGB or L, not {color!r}")
    if resize not in RESIZES:
        raise ExportError(f"resize must be one of {RESIZES}, not {resize!r}")
    if interpolation not in INTERPOLATIONS:
        raise ExportError(f"interpolation must be one of {INTERPOLATIONS}, not {interpolation!r}")
    channels = 3 if color == "RGB" else 1
    if isinstance(mean, str):
        stats = STATS[mean]
        if stats is None:
            mean, std = [0.0] * channels, [1.0] * channels
        else:
            mean, std = stats
    if std is None:
        raise ExportError("std is required when mean is given as numbers")
    mean, std = [float(m) for m in mean], [float(s) for s in std]
    if len(mean) != channels or len(std) != channels:
        raise ExportError(f"mean and std need {channels} values for color {color}")
    spec = {
        "color": color,
        "width": int(width),
        "height": int(height),
        "resize": resize,
        "interpolation": interpolation,
        "invert": bool(invert),
        "rescale": bool(rescale),
        "mean": mean,
        "std": std,
    }
    if resize == "crop":
        spec["resize_shorter"] = int(resize_shorter or max(width, height))
        if spec["resize_shorter"] < max(width, height):
            raise ExportError("resize_shorter must be at least max(width, height) so the "
                              "centre crop fits inside the resized image")
    if resize == "pad":
        fill = pad_fill if isinstance(pad_fill, (list, tuple)) else [pad_fill] * channels
        spec["pad_fill"] = [int(v) for v in fill]
    return spec


PIL_FILTERS = {"nearest": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3, "box": 4, "hamming": 5}


def pil_load(path_or_file, color):
    """Open an image the way Kodiak decodes it: EXIF orientation applied, then PIL convert()."""
    from PIL import Image, ImageOps
    with Image.open(path_or_file) as image:
        image.seek(0)  # first frame of an animation
        return ImageOps.exif_transpose(image).convert(color)


def pil_resize(image, spec):
    """Step 2 of the input spec on a PIL image already in spec["color"]: the 8-bit model pixels."""
    from PIL import Image
    resample = PIL_FILTERS[spec["interpolation"]]
    width, height = spec["width"], spec["height"]
    if spec["resize"] == "squish":
        return image.resize((width, height), resample)
    if spec["resize"] == "crop":
        from torchvision import transforms
        shorter = spec.get("resize_shorter", max(width, height))
        image = transforms.Resize(shorter, interpolation=transforms.InterpolationMode(
            {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box",
             5: "hamming"}[resample]))(image)
        return transforms.CenterCrop((height, width))(image)
    # pad: scale to fit (round half up), centre on the fill colour
    w, h = image.size
    if width * h <= height * w:  # width is the binding side
        nw, nh = width, max(1, min(height, int(h * width / w + 0.5)))
    else:
        nw, nh = max(1, min(width, int(w * height / h + 0.5))), height
    fill = spec.get("pad_fill", [0] * len(image.getbands()))
    canvas = Image.new(image.mode, (width, height), tuple(fill) if len(fill) > 1 else fill[0])
    canvas.paste(image.resize((nw, nh), resample), ((width - nw) // 2, (height - nh) // 2))
    return canvas


def pil_to_tensor(image, spec):
    """Steps 3 and 4 of the input spec: 8-bit model pixels -> CHW float32 tensor (batch of one)."""
    import numpy as np
    x = torch.from_numpy(np.asarray(image, dtype=np.uint8).copy())
    x = x.reshape(image.size[1], image.size[0], -1).permute(2, 0, 1)
    if spec["invert"]:
        x = 255 - x
    x = x.float()
    if spec["rescale"]:
        x = x.div(255.0)
    mean = torch.tensor(spec["mean"], dtype=torch.float32)[:, None, None]
    std = torch.tensor(spec["std"], dtype=torch.float32)[:, None, None]
    return x.sub(mean).div(std).unsqueeze(0)


def preprocess(path_or_file, spec):
    """The whole input spec in Python (PIL + torchvision), the reference Kodiak's Java matches."""
    image = pil_resize(pil_load(path_or_file, spec["color"]), spec)
    return pil_to_tensor(image, spec)


def probe_pixels(seed, width, height, channels):
    """A probe's noise image: width x height x channels bytes, interleaved (HWC), from a 32-bit
    linear congruential generator (Numerical Recipes' constants) taking the top byte of each
    state. Integer arithmetic only, so Java, and Java compiled to JavaScript, make the same bytes:
    dev.kodiak.core.bundle.Probe is the other implementation. Computed a block at a time (the
    state `block` steps on is A * state + C, mod 2**32), the same states as one step at a time."""
    import numpy as np
    mask, a, c, block = 0xFFFFFFFF, 1664525, 1013904223, 4096
    count = width * height * channels
    states = np.empty(count, dtype=np.uint64)
    state = seed & mask
    for i in range(min(count, block)):
        state = (state * a + c) & mask
        states[i] = state
    jump_a, jump_c = 1, 0
    for _ in range(block):
        jump_a, jump_c = (jump_a * a) & mask, (jump_c * a + c) & mask
    for start in range(block, count, block):
        end = min(count, start + block)
        # products of two values below 2**32 fit in 64 bits: no wrap-around before the mask
        states[start:end] = (states[start - block:end - block] * np.uint64(jump_a)
                             + np.uint64(jump_c)) & np.uint64(mask)
    return (states >> np.uint64(24)).astype(np.uint8).reshape(height, width, channels)


def probe_source(spec):
    """The size the probe's noise images are made at: 1.6 times the model's width and 1.2 times
    its height, a shape 4:3 wider than the model's, larger on both sides (but never the crop's
    shorter side). Squish, crop and pad then give other pixels, and so do every filter, the crop's
    shorter side and the pad fill."""
    width, height = spec["width"] * 8 // 5 + 1, spec["height"] * 6 // 5 + 1
    if spec.get("resize_shorter") in (width, height):
        width, height = width + 1, height + 1
    return width, height


def probe_tensor(spec, seeds=PROBE_SEEDS, source=None):
    """The probe's batch. With a source size (width, height), generator lcg32-resize: each seed's
    noise image is made at that size and goes through the whole input spec, resize included, as
    a photo would. Without one, generator lcg32-pixels (bundles exported before it): the image is
    made at the model's size and goes through the tensor step only."""
    from PIL import Image
    channels = 3 if spec["color"] == "RGB" else 1
    tensors = []
    for seed in seeds:
        width, height = source or (spec["width"], spec["height"])
        pixels = probe_pixels(seed, width, height, channels)
        image = Image.fromarray(pixels if channels == 3 else pixels[:, :, 0], spec["color"])
        if source:
            image = pil_resize(image, spec)
        tensors.append(pil_to_tensor(image, spec))
    return torch.cat(tensors)


def spec_edits(spec):
    """Edits of an input spec that the probe must notice, each about as small as a real mistake:
    (field, what the edit is, the edited spec). Edits the manifest reader would refuse are left
    out; they never reach a runtime."""
    width, height, channels = spec["width"], spec["height"], len(spec["mean"])
    unit = 1.0 if spec["rescale"] else 255.0
    for c in range(channels):  # one channel at a time: ImageNet's and 0.5 differ by 0.015 in one
        at = "" if channels == 1 else "[%d]" % c
        yield "mean", "mean%s +%g" % (at, 0.02 * unit), dict(
            spec, mean=[m + 0.02 * unit * (i == c) for i, m in enumerate(spec["mean"])])
        yield "std", "std%s x1.05" % at, dict(
            spec, std=[s * (1.05 if i == c else 1) for i, s in enumerate(spec["std"])])
    yield "invert", "invert %s" % str(not spec["invert"]).lower(), dict(
        spec, invert=not spec["invert"])
    yield "rescale", "rescale %s" % str(not spec["rescale"]).lower(), dict(
        spec, rescale=not spec["rescale"])
    if width > 1 and height > 1:
        size = width - max(1, width // 8), height - max(1, height // 8)
        yield "size", "size %dx%d" % size, dict(spec, width=size[0], height=size[1])
    other = "L" if spec["color"] == "RGB" else "RGB"
    pick = (lambda v: v[:1]) if other == "L" else (lambda v: v * 3)
    recolored = dict(spec, color=other, mean=pick(spec["mean"]), std=pick(spec["std"]))
    if "pad_fill" in spec:
        recolored["pad_fill"] = pick(spec["pad_fill"])
    yield "color", "color " + other, recolored
    for resize in RESIZES:
        if resize != spec["resize"]:
            edited = {k: v for k, v in spec.items() if k not in ("resize_shorter", "pad_fill")}
            edited["resize"] = resize
            if resize == "crop":
                edited["resize_shorter"] = max(width, height)
            if resize == "pad":
                edited["pad_fill"] = [0] * channels
            yield "resize", "resize " + resize, edited
    for interpolation in INTERPOLATIONS:
        if interpolation != spec["interpolation"]:
            yield "interpolation", "interpolation " + interpolation, dict(
                spec, interpolation=interpolation)
    if spec["resize"] == "crop":
        shorter = spec.get("resize_shorter", max(width, height))
        edited = max(width, height) if shorter != max(width, height) else shorter + shorter // 8
        yield "resize_shorter", "resize_shorter %d" % edited, dict(spec, resize_shorter=edited)
    if spec["resize"] == "pad":
        fill = [255 if v < 128 else 0 for v in spec.get("pad_fill", [0] * channels)]
        yield "pad_fill", "pad_fill %s" % fill, dict(spec, pad_fill=fill)


class ProbeCheck:
    """What the probe would tell a runtime, per candidate image: torch's scores, how far float32
    rounding moves them (from the model run in float64), and how far each edit of the input spec
    moves them (None: the model refuses the edited input, which opening a bundle reports too)."""

    def __init__(self, model, spec, seeds, source):
        import copy
        import warnings
        self.spec, self.seeds, self.source = spec, list(seeds), source
        x = probe_tensor(spec, seeds, source)
        with torch.no_grad():
            self.expected = model(x).float()
        if not torch.isfinite(self.expected).all():
            raise ExportError("the model's scores on the probe's noise images are not all "
                              "finite (NaN or infinite); a runtime could never match them")
        try:
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wide = copy.deepcopy(model).double()(x.double())
            self.noise = (wide - self.expected.double()).abs().amax(dim=1).tolist()
        except Exception:  # a model that only runs in float32: no estimate, no lowering
            self.noise = None
        self.edits = []
        for field, edit, edited in spec_edits(spec):
            try:
                with torch.no_grad():
                    out = model(probe_tensor(edited, seeds, source)).float()
            except Exception:
                out = None
            if out is None or out.shape != self.expected.shape:
                moved = None
            else:
                moved = torch.nan_to_num((out - self.expected).abs(), nan=float("inf"))
                moved = moved.amax(dim=1).tolist()
            self.edits.append((field, edit, moved))

    def judge(self, images):
        """The probe made of the images at these positions: its tolerance, the edits it catches
        and those it misses, as the runtime's rule (|difference| <= tolerance * max(1, largest
        expected magnitude)) would judge each edited spec. The tolerance is 1e-3 when that
        catches every edit with a margin of 2; else as low as the scores allow (the smallest
        movement of an edit, halved, but not below what runtimes may differ by)."""
        largest = float(self.expected[images].abs().max())
        scale = max(1.0, largest)
        default = PROBE_TOLERANCE * scale
        if self.noise is None:
            floor = default
        else:
            floor = max(PROBE_NOISE_MARGIN * max(self.noise[i] for i in images),
                        PROBE_PARITY * largest, PROBE_MIN_TOLERANCE * scale)
        moved = [(field, edit, None if m is None else max(m[i] for i in images))
                 for field, edit, m in self.edits]
        caught = [d for _, _, d in moved if d is not None and d >= 2 * floor]
        allowed = min([max(default, floor)] + [d / 2 for d in caught])
        tolerance = round_down(allowed / scale)
        allowed = tolerance * scale
        verdicts = [(field, edit, d, d is None or d > allowed) for field, edit, d in moved]
        return {"tolerance": tolerance, "allowed": allowed, "largest": largest,
                "floor": floor, "edits": verdicts,
                "misses": sorted({f for f, _, _, ok in verdicts if not ok},
                                 key=[f for f, _, _ in self.edits].index)}


def round_down(value):
    """Two significant digits, rounded towards zero: 0.00123456 -> 0.0012."""
    import math
    exponent = math.floor(math.log10(value)) - 1
    return float("%de%d" % (math.floor(value / 10 ** exponent), exponent))


def choose_probe(model, spec):
    """Choose the probe's images and tolerance so that every edit of the input spec that
    spec_edits makes is caught, preferring, in order: seeds 1 and 2 at tolerance 1e-3; more
    images (up to PROBE_MAX_IMAGES, from PROBE_CANDIDATE_SEEDS) when the edits that fall short
    nearly make it; a lower tolerance the scores can support. Returns (seeds, source, judgement,
    check) for the best found."""
    source = probe_source(spec)
    check = ProbeCheck(model, spec, PROBE_SEEDS, source)
    best = list(range(len(PROBE_SEEDS)))
    verdict = check.judge(best)

    def rank(v, images):
        return len(v["misses"]), v["tolerance"] < PROBE_TOLERANCE, len(images)

    # Noise images of other seeds move the scores about as much as these (within a few times):
    # more of them can save the default tolerance for edits that nearly reach it, never for
    # scores a thousand times too small, so the search runs only when every short edit is near.
    default = PROBE_TOLERANCE * max(1.0, verdict["largest"])
    short = [d for _, _, d, _ in verdict["edits"] if d is not None and d < 2 * default]
    near = short and min(short) >= 2 * default / PROBE_SEED_REACH
    if rank(verdict, best)[:2] != (0, False) and near:
        extra = [s for s in PROBE_CANDIDATE_SEEDS if s not in PROBE_SEEDS]
        check = ProbeCheck(model, spec, list(PROBE_SEEDS) + extra, source)
        verdict = check.judge(best)
        while len(best) < PROBE_MAX_IMAGES:
            options = [(rank(v, best + [i]), i, v) for i in range(len(best), len(check.seeds))
                       if i not in best for v in [check.judge(best + [i])]]
            if not options or min(options)[0] >= rank(verdict, best):
                break
            _, add, verdict = min(options)
            best.append(add)
    return [check.seeds[i] for i in best], source, verdict, check


def make_probe(model, spec):
    """Run the eval() module on the probe: what every runtime must reproduce. The entry lists the
    input spec fields whose edit the probe cannot detect ("misses"; opening the bundle warns of
    them), and says so on stderr."""
    seeds, source, verdict, check = choose_probe(model, spec)
    with torch.no_grad():
        outputs = model(probe_tensor(spec, seeds, source))
    if verdict["misses"]:
        moved = max(d or 0.0 for f, _, d, ok in verdict["edits"] if not ok)
        print("WARNING: the bundle's probe cannot detect an edit of %s in %s: the model's scores "
              "move by at most %.2g when %s, within what runtimes may differ by (%.2g). Opening "
              "the bundle will not notice such an edit; Kodiak warns of this whenever it opens "
              "it." % (", ".join(verdict["misses"]), MANIFEST, moved,
                       "it changes" if len(verdict["misses"]) == 1 else "they change",
                       verdict["floor"]), file=sys.stderr)
    return {
        "generator": PROBE_GENERATOR,
        "source": {"width": source[0], "height": source[1]},
        "seeds": seeds,
        "tolerance": verdict["tolerance"],
        "misses": verdict["misses"],
        "outputs": [[float(v) for v in row] for row in outputs],
    }


def save_torchscript(module, path):
    """torch.jit.save without the debug records (*.debug_pkl), which hold the exporting script's
    absolute paths and line numbers: the file is then the same for the same weights wherever and
    from whatever script it is exported, and leaks nothing about the machine. libtorch does not
    need them."""
    import zipfile
    torch.jit.save(module, path)
    tmp = path + ".tmp"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            if info.filename.endswith(".debug_pkl"):
                continue
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zout.writestr(entry, zin.read(info.filename))
    os.replace(tmp, path)


def export_onnx(model, example, path, opset=ONNX_OPSET):
    """torch.onnx.export of the eval() module with a dynamic batch axis (no onnx package needed)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch 1.13 warns about ScriptModules' signatures
        torch.onnx.export(model, example, path, opset_version=opset, input_names=["input"],
                          output_names=["scores"], do_constant_folding=True,
                          dynamic_axes={"input": {0: "batch"}, "scores": {0: "batch"}})


def runtimes_of(formats):
    """Which runtimes a bundle with these model files serves."""
    runtimes = []
    if "torchscript" in formats:
        runtimes.append("pytorch")
    if "onnx" in formats:
        runtimes += ["onnxruntime", "onnxruntime-web"]
    return runtimes


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def blank_input(spec):
    """One black-ish image of the spec's shape: (1, C, H, W) zeros."""
    return torch.zeros(1, 3 if spec["color"] == "RGB" else 1, spec["height"], spec["width"])


def check_outputs(out, labels):
    """The model's output for one image must hold one score per label."""
    if out.dim() == 2 and out.shape[0] == 1 and out.shape[1] != len(labels):
        raise LabelCountError(len(labels), out.shape[1])
    if tuple(out.shape) != (1, len(labels)):
        raise ExportError(f"the model outputs shape {tuple(out.shape)} for one image; Kodiak "
                          f"needs (1, {len(labels)}): one score per label")


def export_bundle(model, labels, spec, out_dir, name, version, output="logits", provenance=None,
                  script=False, description="", formats=FORMATS, opset=ONNX_OPSET,
                  quantize=None, calibration=None, int8_validate=None, int8_engine="onednn",
                  threshold=INT8_THRESHOLD, force=False, int8_last_layer="auto"):
    """Write `model` as a Kodiak bundle into `out_dir` (replaced whole, never half-written).

    model      a torch.nn.Module taking one (N, C, H, W) float32 tensor, returning (N, len(labels))
    labels     class names in the order of the model's outputs
    spec       from input_spec()
    output     "logits" (Kodiak applies softmax) or "probabilities"
    provenance extra facts (dataset, accuracy, ...) merged into the manifest's provenance
    script     torch.jit.script instead of torch.jit.trace (for models with control flow)
    formats    which model files to write: "torchscript" (model.pt), "onnx" (model.onnx), or both
    opset      the ONNX opset (14 or later)
    quantize   "int8" to add model.int8.onnx (see quantize_int8): needs `calibration`, a folder
               of images; `int8_validate` (a labelled folder) measures fp32 and int8 accuracy
               and agreement on it; below `threshold` agreement nothing is written unless `force`
    Returns the manifest as a dict.
    """
    formats = tuple(formats)
    if not formats or any(f not in FORMATS for f in formats):
        raise ExportError(f"formats must be a non-empty subset of {FORMATS}, not {formats!r}")
    if opset < 14:
        raise ExportError("opset must be 14 or later")
    if output not in ("logits", "probabilities"):
        raise ExportError(f"output must be logits or probabilities, not {output!r}")
    if quantize not in (None, "int8"):
        raise ExportError(f"quantize must be int8 (or None), not {quantize!r}")
    if quantize and "onnx" not in formats:
        raise ExportError("int8 is an ONNX model: formats must include onnx")
    if quantize and not calibration:
        raise ExportError("int8 needs calibration images: give --calibration FOLDER")
    labels = [str(label) for label in labels]
    if len(set(labels)) != len(labels) or not labels:
        raise ExportError("labels must be non-empty and unique")
    model = model.eval().cpu()
    channels = 3 if spec["color"] == "RGB" else 1
    example = torch.zeros(1, channels, spec["height"], spec["width"])
    with torch.no_grad():
        scripted = torch.jit.script(model) if script else torch.jit.trace(model, example)
        out = scripted(example)
    check_outputs(out, labels)

    out_dir = os.path.abspath(out_dir)
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".kodiak-export-", dir=parent)
    try:
        model_entry = {}
        if "torchscript" in formats:
            save_torchscript(scripted, os.path.join(staging, MODEL_FILE))
            model_entry.update({"file": MODEL_FILE, "format": "torchscript"})
        if "onnx" in formats:
            export_onnx(model, example, os.path.join(staging, ONNX_FILE), opset)
            model_entry["onnx"] = {"file": ONNX_FILE, "opset": opset}
        model_entry["output"] = output
        manifest = {
            "kodiak_bundle": FORMAT_VERSION,
            "name": name,
            "version": str(version),
            "description": description,
            "model": model_entry,
            "runtimes": runtimes_of(formats),
            "labels": labels,
            "input": spec,
            "provenance": {
                "exporter": EXPORTER,
                "torch": torch.__version__,
                "python": sys.version.split()[0],
                "created": datetime.date.today().isoformat(),
                **(provenance or {}),
            },
            "probe": make_probe(model, spec),
        }
        write_manifest(staging, manifest)
        if quantize:
            quantized, model_entry, provenance_entry = quantize_int8(
                model, labels, spec, calibration, manifest["probe"], int8_validate, int8_engine,
                threshold, force, last_layer_precision=int8_last_layer)
            manifest = write_int8(staging, quantized, model_entry, provenance_entry)
        os.chmod(staging, 0o755)
        if os.path.exists(out_dir):
            shutil.rmtree(out_dir)
        os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def write_manifest(directory, manifest):
    """Checksum every model file listed in the manifest and write kodiak.json atomically."""
    files = [m for m in (manifest["model"].get("file"),
                         manifest["model"].get("onnx", {}).get("file"),
                         manifest["model"].get("int8", {}).get("file")) if m]
    manifest.pop("files", None)  # last, after everything it checksums
    manifest["files"] = {f: sha256_of(os.path.join(directory, f)) for f in files}
    tmp = os.path.join(directory, MANIFEST + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, os.path.join(directory, MANIFEST))


def upgrade_bundle(bundle_dir, opset=ONNX_OPSET):
    """Add model.onnx (exported from the bundle's TorchScript module) and the probe to a bundle
    made by an older exporter, in place; the TorchScript file, labels and input spec stay. The
    ONNX file is written first and the manifest replaced last, so a failure leaves the bundle as
    it was. Returns the new manifest."""
    with open(os.path.join(bundle_dir, MANIFEST), encoding="utf-8") as f:
        manifest = json.load(f)
    ts = manifest["model"].get("file")
    if not ts:
        raise ExportError(f"{bundle_dir} has no TorchScript file to export ONNX from")
    if "int8" in manifest["model"]:
        raise ExportError(f"{bundle_dir} already has {manifest['model']['int8']['file']}, made "
                          "by this exporter; there is nothing to upgrade")
    expected = manifest.get("files", {}).get(ts)
    if expected and sha256_of(os.path.join(bundle_dir, ts)) != expected:
        raise ExportError(f"{ts} does not match its sha256 in {MANIFEST}; refusing to upgrade "
                          "a damaged bundle")
    model = torch.jit.load(os.path.join(bundle_dir, ts), map_location="cpu").eval()
    spec = manifest["input"]
    channels = 3 if spec["color"] == "RGB" else 1
    example = torch.zeros(1, channels, spec["height"], spec["width"])
    tmp = os.path.join(bundle_dir, ONNX_FILE + ".tmp")
    try:
        export_onnx(model, example, tmp, opset)
        os.replace(tmp, os.path.join(bundle_dir, ONNX_FILE))
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    output = manifest["model"].pop("output")
    manifest["model"]["onnx"] = {"file": ONNX_FILE, "opset": opset}
    manifest["model"]["output"] = output
    ordered = {}
    for key, value in manifest.items():
        if key not in ("runtimes", "probe"):
            ordered[key] = value
        if key == "model":
            ordered["runtimes"] = runtimes_of(FORMATS)
    ordered["probe"] = make_probe(model, spec)
    write_manifest(bundle_dir, ordered)
    return ordered


WIDGET_AUTO_LIMIT = 20_000_000  # bytes: the blog widget's runtime "auto" limit (WidgetSettings)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff")


def load_torchvision(arch, labels, state_dict=None):
    """A torchvision.models constructor with one output per label, and its weights; a label
    count that does not match the weights' last layer is a LabelCountError, not torch's
    "size mismatch" traceback."""
    import torchvision
    factory = getattr(torchvision.models, arch, None)
    if not callable(factory):
        raise ExportError(f"torchvision {torchvision.__version__} has no model {arch!r}")
    model = factory(num_classes=len(labels))
    if not state_dict:
        return model
    weights = torch.load(state_dict, map_location="cpu")
    own = model.state_dict()
    for key, value in weights.items():
        mine = own.get(key)
        # the layer made with one row per label, whose rows in the weights differ
        if (mine is not None and getattr(value, "dim", lambda: 0)() >= 1
                and mine.shape[0] == len(labels) and value.shape[0] != len(labels)
                and value.shape[1:] == mine.shape[1:]):
            raise LabelCountError(len(labels), value.shape[0])
    try:
        model.load_state_dict(weights)
    except RuntimeError as e:
        detail = [line.strip() for line in str(e).splitlines() if line.strip()]
        raise ExportError(f"{os.path.basename(state_dict)} does not hold weights of torchvision "
                          f"{arch}: {detail[1] if len(detail) > 1 else detail[0]}") from None
    return model


def slug(label):
    """A label's folder name as `kodiak evaluate` matches it: lower case, runs of anything but
    letters and digits as one dash."""
    import re
    return re.sub(r"[\W_]+", "-", label.lower()).strip("-")


def labelled_items(labels, folder, option="--validate"):
    """The images of a labelled folder as (path, label index): one sub-folder per label, named
    after it exactly or as its slug, as `kodiak evaluate` reads it."""
    if not os.path.isdir(folder):
        raise ExportError(f"{option} {folder} is not a folder")
    by_name = {label: i for i, label in enumerate(labels)}
    by_slug = {}
    for i, label in enumerate(labels):
        by_slug.setdefault(slug(label), i)
    items, unknown = [], []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.startswith(".") or not os.path.isdir(path):
            continue
        index = by_name.get(name, by_slug.get(slug(name)))
        if index is None:
            unknown.append(name)
            continue
        items += [(f, index) for f in image_files(path)]
    if unknown:
        raise ExportError(f"{option} {folder} has folders that are no label: {unknown}; the "
                          f"labels are {labels[:5]}{' ...' if len(labels) > 5 else ''} "
                          f"(a folder is named after its label, or e.g. {slug(labels[0])!r} "
                          f"for {labels[0]!r})")
    return items


def image_files(folder):
    """Every image file under a folder, in a stable order (hidden folders left out)."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [os.path.join(root, f) for f in sorted(files)
                  if f.lower().endswith(IMAGE_SUFFIXES)]
    return found


def tensor_batches(items, spec, batch=32):
    """(tensor batch, the items it holds) through preprocess(), and the number of files PIL
    could not read (left out), counted in the list `unreadable` holds at index 0."""
    unreadable = [0]

    def batches():
        for start in range(0, len(items), batch):
            tensors, kept = [], []
            for item in items[start:start + batch]:
                try:
                    tensors.append(preprocess(item[0] if isinstance(item, tuple) else item, spec))
                    kept.append(item)
                except Exception:  # noqa: BLE001 - PIL raises many kinds for a file it cannot read
                    unreadable[0] += 1
            if tensors:
                yield torch.cat(tensors), kept
    return batches(), unreadable


def validate(model, labels, spec, folder, batch=32):
    """Top-1 accuracy of the eval() module on a labelled folder, each image through preprocess()
    (the Python reference of the input spec): one sub-folder per label, named after it exactly or
    as its slug, as `kodiak evaluate` reads it. Returns the provenance's accuracy entry and the
    number of files PIL could not read (left out of the count)."""
    items = labelled_items(labels, folder)
    model = model.eval()
    correct = total = 0
    batches, unreadable = tensor_batches(items, spec, batch)
    for x, kept in batches:
        with torch.no_grad():
            top = model(x).argmax(dim=1)
        truth = torch.tensor([index for _, index in kept])
        correct += int((top == truth).sum())
        total += len(kept)
    if total == 0:
        raise ExportError(f"--validate {folder} has no readable images in its label folders")
    split = f"folder {os.path.basename(os.path.abspath(folder))}"
    return {"metric": "top-1", "split": split, "correct": correct, "total": total}, unreadable[0]




def onnx_backend_config():
    """The native backend config without the fused Linear+ReLU pattern, which torch 1.13 cannot
    export to ONNX (quantized::linear_relu): Linear and ReLU are quantized one after the other."""
    from torch.ao.quantization.backend_config import BackendConfig, get_native_backend_config
    config = BackendConfig("kodiak-onnx")
    for pattern_config in get_native_backend_config().configs.values():
        pattern = str(pattern_config.pattern) + str(getattr(pattern_config, "fused_module", ""))
        if "inear" in pattern and "relu" in pattern.lower():
            continue
        config.set_backend_pattern_config(pattern_config)
    return config


def last_layer(model):
    """The name of the model's last Linear or Conv layer: the one that makes the scores."""
    name = None
    for n, module in model.named_modules():
        if isinstance(module, (torch.nn.Linear, torch.nn.Conv2d, torch.nn.Conv1d)):
            name = n
    return name


def quantize_module(model, calibration, engine="onednn", keep_fp32=None):
    """Post-training static quantization of an eval() module through torch.fx: per-channel
    weights and per-tensor activations as the engine's default qconfig says, observers fed the
    calibration batches, `keep_fp32` (a module name) left in float32. Returns the converted
    module, whose torch.onnx.export gives QuantizeLinear/DequantizeLinear pairs."""
    import copy
    import warnings
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    if engine not in INT8_ENGINES:
        raise ExportError(f"the int8 engine must be one of {INT8_ENGINES} (Debian's torch has "
                          f"no fbgemm), not {engine!r}")
    if engine not in torch.backends.quantized.supported_engines:
        raise ExportError(f"this torch ({torch.__version__}) has no quantized engine {engine!r}; "
                          f"it has {torch.backends.quantized.supported_engines}")
    torch.backends.quantized.engine = engine
    mapping = get_default_qconfig_mapping(engine)
    if keep_fp32:
        mapping.set_module_name(keep_fp32, None)
    backend = onnx_backend_config()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            prepared = prepare_fx(copy.deepcopy(model).eval(), mapping,
                                  (calibration[0][:1],), backend_config=backend)
        except Exception as e:  # torch.fx tracing errors come in many kinds
            raise ExportError(f"int8 needs a module torch.fx can trace (no data-dependent "
                              f"control flow in forward()); tracing failed: "
                              f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
        with torch.no_grad():
            for x in calibration:
                prepared(x)
        return convert_fx(prepared, backend_config=backend)


def output_step(quantized, name, calibration_scores):
    """One output step of the int8 model: the scale of the last layer's int8 output when it is
    quantized, else the scale an int8 output of the calibration scores' range would have (the
    same rule as torch's MinMax observer: the range, zero included, over 255)."""
    if name:
        try:
            scale = getattr(quantized.get_submodule(name), "scale", None)
        except AttributeError:
            scale = None
        if scale is not None:
            return float(scale)
    low = min(0.0, float(calibration_scores.min()))
    high = max(0.0, float(calibration_scores.max()))
    return max(high - low, 1e-8) / 255.0


def agreement(model, candidates, batches):
    """Top-1 of the fp32 model against each candidate's on the same batches: per candidate
    (agreeing images, summed |score difference|), the truth indices if labelled, the fp32
    top-1 and each candidate's top-1."""
    fp32_top, tops, errors, truth = [], [[] for _ in candidates], [0.0] * len(candidates), []
    with torch.no_grad():
        for x, kept in batches:
            expected = model(x)
            fp32_top.append(expected.argmax(dim=1))
            for i, candidate in enumerate(candidates):
                scores = candidate(x)
                tops[i].append(scores.argmax(dim=1))
                errors[i] += float((scores - expected).abs().mean(dim=1).sum())
            truth += [item[1] if isinstance(item, tuple) and item[1] is not None else -1
                      for item in kept]
    fp32_top = torch.cat(fp32_top) if fp32_top else torch.zeros(0, dtype=torch.long)
    tops = [torch.cat(t) if t else torch.zeros(0, dtype=torch.long) for t in tops]
    return fp32_top, tops, errors, torch.tensor(truth, dtype=torch.long)


def int8_probe(quantized, spec, probe, step, steps=INT8_STEPS):
    """The int8 model's probe: PyTorch's int8 scores on the fp32 probe's noise images, the output
    step and the tolerance in steps, and the spec fields whose edit the int8 rule (top-1 equal,
    every score within steps x step) would not notice."""
    source = probe.get("source")
    source = (source["width"], source["height"]) if source else None
    with torch.no_grad():
        expected = quantized(probe_tensor(spec, probe["seeds"], source))
    misses = []
    for field, _, edited in spec_edits(spec):
        if source is None and field in ("resize", "interpolation", "resize_shorter", "pad_fill"):
            continue  # generator lcg32-pixels: the images are of the model's size, not resized
        try:
            with torch.no_grad():
                out = quantized(probe_tensor(edited, probe["seeds"], source))
        except Exception:  # noqa: BLE001 - the model refuses the edited input: noticed
            continue
        if out.shape != expected.shape:
            continue
        same_top = bool((out.argmax(dim=1) == expected.argmax(dim=1)).all())
        if same_top and float((out - expected).abs().max()) <= steps * step:
            misses.append(field)
    return {"step": step, "steps": steps,
            "outputs": [[float(v) for v in row] for row in expected],
            "misses": list(dict.fromkeys(misses))}


def quantize_int8(model, labels, spec, calibration, probe, validate_folder=None,
                  engine="onednn", threshold=INT8_THRESHOLD, force=False,
                  max_calibration=INT8_CALIBRATION, last_layer_precision="auto"):
    """Quantize an eval() module to int8 and measure it against itself in fp32.

    calibration      a folder of images (any layout; sub-folders are read too), each through the
                     input spec as preprocess() takes it; at most `max_calibration`, evenly
                     spread. Or (batches, description): tensors already through the input spec
    probe            the fp32 bundle's probe entry: the int8 probe uses the same noise images
    validate_folder  a labelled folder (as --validate reads it): fp32 and int8 accuracy and their
                     top-1 agreement are measured on it; without one, the agreement is measured
                     on the calibration images. Or (batches, truth, description): tensors
                     through the input spec and a tensor of label indices
    The last layer stays in float32 when that agrees better with the fp32 model (ties: the mean
    score difference); `last_layer_precision` "int8" or "fp32" decides instead of measuring. Refuses (ExportError) when the agreement is below `threshold`, unless
    `force`. Returns (quantized module, manifest model.int8 entry, provenance int8 entry)."""
    if not 0 < threshold <= 1:
        raise ExportError(f"the agreement threshold must be above 0 and at most 1, not {threshold}")
    if isinstance(calibration, tuple):
        calibration_batches, calibration_name = list(calibration[0]), calibration[1]
        files = [(x, None) for x in calibration_batches]
    else:
        if not calibration or not os.path.isdir(calibration):
            raise ExportError(f"--calibration {calibration} is not a folder of images")
        files = image_files(calibration)
        if len(files) > max_calibration:
            files = [files[i * len(files) // max_calibration] for i in range(max_calibration)]
        batches, unreadable = tensor_batches(files, spec, batch=16)
        calibration_batches = [x for x, _ in batches]
        calibration_name = f"folder {os.path.basename(os.path.abspath(calibration))}"
        if not calibration_batches:
            raise ExportError(f"--calibration {calibration} has no images PIL can read")
    calibrated = sum(len(x) for x in calibration_batches)
    model = model.eval()
    with torch.no_grad():
        calibration_scores = torch.cat([model(x) for x in calibration_batches])
    if last_layer_precision not in ("auto", "int8", "fp32"):
        raise ExportError(f"the last layer's precision must be auto, int8 or fp32, not "
                          f"{last_layer_precision!r}")
    last = last_layer(model)
    candidates = []
    if last_layer_precision != "fp32" or not last:
        candidates.append(("int8", quantize_module(model, calibration_batches, engine)))
    if last and last_layer_precision != "int8":
        candidates.append(("fp32", quantize_module(model, calibration_batches, engine, last)))
    if isinstance(validate_folder, tuple):
        x, truth, split = validate_folder
        batches = [(x[i:i + 256], [(None, int(t)) for t in truth[i:i + 256]])
                   for i in range(0, len(x), 256)]
    elif validate_folder:
        items = labelled_items(labels, validate_folder)
        split = f"folder {os.path.basename(os.path.abspath(validate_folder))}"
        batches, _ = tensor_batches(items, spec)
    elif isinstance(calibration, tuple):
        batches = [(x, [None] * len(x)) for x in calibration_batches]
        split = f"the {calibrated} calibration images ({calibration_name}; no validation set)"
    else:
        split = (f"the {calibrated} calibration images ({calibration_name}; no --validate "
                 f"folder)")
        batches, _ = tensor_batches(files, spec)
    fp32_top, tops, errors, truth = agreement(model, [q for _, q in candidates], batches)
    total = len(fp32_top)
    if total == 0:
        raise ExportError(f"{validate_folder or calibration} has no readable images to measure "
                          "the int8 model on")
    ranked = sorted(range(len(candidates)),
                    key=lambda i: (-int((tops[i] == fp32_top).sum()), errors[i]))
    best = ranked[0]
    last_kind, quantized = candidates[best]
    agree = int((tops[best] == fp32_top).sum())
    entry = {"split": split, "total": total, "agree": agree,
             "agreement": round(agree / total, 6)}
    if validate_folder:
        entry["fp32_correct"] = int((fp32_top == truth).sum())
        entry["int8_correct"] = int((tops[best] == truth).sum())
    entry.update({"engine": engine, "calibration": f"{calibrated} images of {calibration_name}",
                  "last_layer": last_kind if last else "int8"})
    if len(candidates) > 1:
        other = 1 - best
        entry["other_last_layer_agree"] = int((tops[other] == fp32_top).sum())
    if agree / total < threshold and not force:
        raise ExportError(f"the int8 model agrees with fp32 on {agree} of {total} images "
                          f"({100 * agree / total:.2f}%), below the threshold "
                          f"{100 * threshold:g}%; not writing {INT8_FILE} (calibrate with more "
                          f"or more typical images, or pass --force to write it anyway)")
    step = output_step(quantized, last if last_kind == "int8" else None, calibration_scores)
    model_entry = {"file": INT8_FILE, "opset": INT8_OPSET, "threshold": threshold,
                   "probe": int8_probe(quantized, spec, probe, step,
                                       INT8_STEPS if last_kind == "int8" else INT8_STEPS_FP32_LAST)}
    return quantized, model_entry, entry


def write_int8(bundle_dir, quantized, model_entry, provenance_entry):
    """Add model.int8.onnx and its manifest entries to a written bundle, in place: the file first,
    the manifest last, so a failure leaves the bundle as it was."""
    with open(os.path.join(bundle_dir, MANIFEST), encoding="utf-8") as f:
        manifest = json.load(f)
    spec = manifest["input"]
    tmp = os.path.join(bundle_dir, INT8_FILE + ".tmp")
    try:
        export_onnx(quantized, blank_input(spec), tmp, INT8_OPSET)
        os.replace(tmp, os.path.join(bundle_dir, INT8_FILE))
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    output = manifest["model"].pop("output")
    manifest["model"]["int8"] = model_entry
    manifest["model"]["output"] = output
    manifest["provenance"]["int8"] = provenance_entry
    write_manifest(bundle_dir, manifest)
    return manifest


def quantize_bundle(model, bundle_dir, calibration, validate_folder=None, engine="onednn",
                    threshold=INT8_THRESHOLD, force=False, last_layer_precision="auto"):
    """Add model.int8.onnx to an existing bundle made from `model` (an eval() torch.nn.Module:
    int8 needs the Python module, which the bundle's TorchScript file is not). The module must
    reproduce the bundle's probe, so that the int8 model is of the same weights. Returns the new
    manifest."""
    with open(os.path.join(bundle_dir, MANIFEST), encoding="utf-8") as f:
        manifest = json.load(f)
    if "onnx" not in manifest["model"]:
        raise ExportError(f"{bundle_dir} has no model.onnx; run --upgrade {bundle_dir} first")
    probe = manifest.get("probe")
    if not probe:
        raise ExportError(f"{bundle_dir} has no probe; run --upgrade {bundle_dir} first")
    if "int8" in manifest["model"]:
        raise ExportError(f"{bundle_dir} already has {manifest['model']['int8']['file']}")
    spec = manifest["input"]
    model = model.eval()
    source = (probe["source"]["width"], probe["source"]["height"]) if "source" in probe else None
    with torch.no_grad():
        out = model(probe_tensor(spec, probe["seeds"], source))
    expected = torch.tensor(probe["outputs"])
    allowed = probe["tolerance"] * max(1.0, float(expected.abs().max()))
    if out.shape != expected.shape or float((out - expected).abs().max()) > allowed:
        raise ExportError(f"the module given does not reproduce the probe of {bundle_dir}: it is "
                          "not the model the bundle was exported from (give the same weights)")
    quantized, model_entry, provenance_entry = quantize_int8(
        model, manifest["labels"], spec, calibration, probe, validate_folder, engine, threshold,
        force, last_layer_precision=last_layer_precision)
    return write_int8(bundle_dir, quantized, model_entry, provenance_entry)


def human_size(size):
    """Bytes in decimal units, as the widget's 20 MB limit counts them."""
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def describe_spec(spec):
    """The input spec in one line, in the order it is applied."""
    resize, longer = spec["resize"], max(spec["width"], spec["height"])
    if resize == "crop":
        resize += f" (shorter side {spec.get('resize_shorter', longer)})"
    if resize == "pad":
        resize += f" (fill {', '.join(str(v) for v in spec.get('pad_fill', [0]))})"
    steps = (["invert"] if spec["invert"] else []) + (["/255"] if spec["rescale"] else [])
    numbers = lambda values: ", ".join(f"{v:g}" for v in values)  # noqa: E731
    steps += [f"mean {numbers(spec['mean'])}", f"std {numbers(spec['std'])}"]
    return (f"{spec['color']} {spec['width']}x{spec['height']}: {resize}, "
            f"{spec['interpolation']}; {', '.join(steps)}")


def describe_probe(probe, spec):
    """What the probe checks at every open, in one line."""
    checked = list(dict.fromkeys(field for field, _, _ in spec_edits(spec)))
    caught = [f for f in checked if f not in probe.get("misses", [])]
    source = probe.get("source")
    line = (f"{len(probe['seeds'])} noise images"
            + (f" ({source['width']}x{source['height']}, resized)" if source else "")
            + f", tolerance {probe['tolerance']:.2g}")
    if probe["tolerance"] < PROBE_TOLERANCE:
        largest = max(abs(v) for row in probe["outputs"] for v in row)
        line += f" (not {PROBE_TOLERANCE:g}: the scores are at most {largest:.2g})"
    line += f"; notices an edit of {', '.join(caught) if caught else 'nothing'}"
    if probe.get("misses"):
        line += f"; MISSES an edit of {', '.join(probe['misses'])} (see the warning above)"
    return line


def summary(manifest, out_dir, verb="wrote", labels_file=None, unreadable=0):
    """What the command line says after writing a bundle: (lines for stdout, warnings)."""
    labels, spec = manifest["labels"], manifest["input"]
    shown = ", ".join(labels[:5]) + (", ..." if len(labels) > 5 else "")
    files = [MANIFEST] + list(manifest["files"])
    sizes = {f: os.path.getsize(os.path.join(out_dir, f)) for f in files}
    lines = [f"{verb} bundle {manifest['name']} {manifest['version']} in {out_dir}",
             f"  labels    {len(labels)}"
             + (f" (the lines of {os.path.basename(labels_file)})" if labels_file else "")
             + f": {shown}",
             f"  input     {describe_spec(spec)}",
             f"  files     {', '.join(f'{f} {human_size(sizes[f])}' for f in files)}",
             f"  runtimes  {', '.join(manifest['runtimes'])}"]
    if "probe" in manifest:
        lines.append(f"  probe     {describe_probe(manifest['probe'], spec)}")
    accuracy = manifest["provenance"].get("accuracy")
    if accuracy:
        lines.append(f"  accuracy  {100 * accuracy['correct'] / accuracy['total']:.1f}% "
                     f"{accuracy.get('metric', 'top-1')} on {accuracy.get('split', '')}: "
                     f"{accuracy['correct']} of {accuracy['total']} images"
                     + (f"; {unreadable} file{'s' * (unreadable > 1)} PIL cannot read left out"
                        if unreadable else ""))
    warnings = []
    int8 = manifest["model"].get("int8")
    if int8:
        measured = manifest["provenance"].get("int8", {})
        fp32_file = manifest["model"]["onnx"]["file"]
        line = (f"  int8      {int8['file']} {human_size(sizes[int8['file']])} "
                f"({sizes[int8['file']] / sizes[fp32_file]:.2f}x {fp32_file}), last layer "
                f"{measured.get('last_layer', 'int8')}: agrees with fp32 on "
                f"{measured.get('agree')} of {measured.get('total')} images "
                f"({100 * measured.get('agreement', 0):.2f}%) of {measured.get('split')}")
        if "int8_correct" in measured:
            line += (f"; accuracy fp32 {100 * measured['fp32_correct'] / measured['total']:.2f}%"
                     f", int8 {100 * measured['int8_correct'] / measured['total']:.2f}%")
        probe = int8["probe"]
        line += (f"; probe: top-1 equal and within {probe['steps']} steps of "
                 f"{probe['step']:.3g}")
        if probe.get("misses"):
            line += f"; MISSES an edit of {', '.join(probe['misses'])}"
        lines.append(line)
        if measured.get("agreement", 1) < int8.get("threshold", INT8_THRESHOLD):
            warnings.append(f"WARNING: {int8['file']} agrees with fp32 on only "
                            f"{100 * measured['agreement']:.2f}% of the images, below the "
                            f"threshold {100 * int8.get('threshold', INT8_THRESHOLD):g}% "
                            "(written with --force); precision auto will not choose it")
    onnx = manifest["model"].get("onnx", {}).get("file")
    if onnx and sizes[onnx] > WIDGET_AUTO_LIMIT:
        warnings.append(f"WARNING: {onnx} is {human_size(sizes[onnx])}, over the blog widget's "
                        f"{WIDGET_AUTO_LIMIT // 1_000_000} MB limit for runtime \"auto\": a page "
                        f"that also names a server model asks the server rather than download "
                        f"it into readers' browsers; runtime=\"browser\" (or "
                        f"data-max-download-mb) runs it in the page anyway")
    return lines, warnings


def main(argv=None):
    parser = argparse.ArgumentParser(description="Export a torchvision model or a saved "
                                     "torch.nn.Module to a Kodiak bundle.")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--torchvision", metavar="ARCH",
                        help="a torchvision.models constructor, e.g. resnet18, efficientnet_b2")
    source.add_argument("--module", metavar="FILE",
                        help="a whole module saved with torch.save(model, FILE)")
    parser.add_argument("--upgrade", metavar="BUNDLE",
                        help="add model.onnx and the probe to an existing bundle, in place; "
                        "with --quantize int8, add model.int8.onnx (then give the bundle's "
                        "model as --module or --torchvision with --state-dict)")
    parser.add_argument("--state-dict", help="weights for --torchvision (default: random weights)")
    parser.add_argument("--labels", help="text file, one label per line, in output order")
    parser.add_argument("--out", help="bundle directory to write")
    parser.add_argument("--name", help="bundle name (default: the output folder's name)")
    parser.add_argument("--version", default="1.0.0")
    parser.add_argument("--size", type=int, nargs="+", default=[224],
                        help="input size: one number, or width height")
    parser.add_argument("--color", default="RGB", choices=("RGB", "L"))
    parser.add_argument("--resize", default="squish", choices=RESIZES)
    parser.add_argument("--resize-shorter", type=int)
    parser.add_argument("--interpolation", default="bilinear", choices=INTERPOLATIONS)
    parser.add_argument("--mean", default="imagenet",
                        help="'imagenet', 'none', or comma-separated numbers (then also --std)")
    parser.add_argument("--std")
    parser.add_argument("--output", default="logits", choices=("logits", "probabilities"))
    parser.add_argument("--script", action="store_true", help="torch.jit.script, not trace")
    parser.add_argument("--dataset", help="provenance: the data the model was trained on")
    parser.add_argument("--validate", metavar="FOLDER",
                        help="measure top-1 accuracy on a labelled folder (one sub-folder per "
                        "label, as kodiak evaluate reads it) and record it in the provenance")
    parser.add_argument("--formats", default=",".join(FORMATS),
                        help="model files to write: torchscript, onnx or both (default)")
    parser.add_argument("--opset", type=int, default=ONNX_OPSET, help="ONNX opset (14 or later)")
    parser.add_argument("--quantize", choices=("int8",),
                        help="also write model.int8.onnx: post-training static quantization, "
                        "measured against the fp32 model (needs --calibration)")
    parser.add_argument("--calibration", metavar="FOLDER",
                        help="images that calibrate the int8 model's activation ranges (at most "
                        f"{INT8_CALIBRATION}, evenly spread; sub-folders are read too)")
    parser.add_argument("--int8-engine", default="onednn", choices=INT8_ENGINES,
                        help="torch's quantized engine (default onednn)")
    parser.add_argument("--agreement", type=float, default=INT8_THRESHOLD,
                        help="the least top-1 agreement of int8 with fp32 to write it "
                        f"(default {INT8_THRESHOLD})")
    parser.add_argument("--int8-last-layer", default="auto", choices=("auto", "int8", "fp32"),
                        help="auto: the last layer stays fp32 when that agrees better with fp32 "
                        "(both are measured); int8 or fp32 decide without measuring")
    parser.add_argument("--force", action="store_true",
                        help="write model.int8.onnx even below the agreement threshold")
    args = parser.parse_args(argv)
    try:
        lines, warnings = run(parser, args)
    except LabelCountError as e:
        sys.exit(f"export_bundle.py: {os.path.basename(args.labels)} has {e.labels} lines; the "
                 f"model outputs {e.outputs}. Give one label per output, one per line, in the "
                 f"model's output order")
    except ExportError as e:
        sys.exit(f"export_bundle.py: {e}")
    print("\n".join(lines))
    for warning in warnings:
        print(warning, file=sys.stderr)


def load_model(args, labels):
    """The module --torchvision (with --state-dict) or --module names."""
    if args.torchvision:
        return load_torchvision(args.torchvision, labels, args.state_dict)
    model = torch.load(args.module, map_location="cpu")
    if not isinstance(model, torch.nn.Module):
        raise ExportError(f"{args.module} holds {type(model).__name__!r}, not a module saved "
                          "with torch.save(model, FILE); for a state dict give "
                          "--torchvision ARCH --state-dict FILE")
    return model


def run(parser, args):
    """The command line's work: (summary lines, warnings)."""
    if args.quantize and not args.calibration:
        parser.error("--quantize int8 needs --calibration FOLDER (images like those the model "
                     "will see)")
    if args.upgrade and args.quantize:
        if not (args.module or args.torchvision):
            parser.error("--upgrade --quantize int8 needs the bundle's model as --module FILE "
                         "or --torchvision ARCH --state-dict FILE: torch quantizes the Python "
                         "module, not the TorchScript file")
        with open(os.path.join(args.upgrade, MANIFEST), encoding="utf-8") as f:
            labels = json.load(f)["labels"]
        manifest = quantize_bundle(load_model(args, labels), args.upgrade, args.calibration,
                                   args.validate, args.int8_engine, args.agreement, args.force,
                                   args.int8_last_layer)
        return summary(manifest, args.upgrade, verb="upgraded")
    if args.upgrade:
        manifest = upgrade_bundle(args.upgrade, args.opset)
        return summary(manifest, args.upgrade, verb="upgraded")
    if not (args.module or args.torchvision):
        parser.error("one of --torchvision, --module or --upgrade is required")
    if not args.labels or not args.out:
        parser.error("--labels and --out are required unless --upgrade")

    with open(args.labels, encoding="utf-8") as f:
        labels = [line.strip() for line in f if line.strip()]
    model = load_model(args, labels)
    width, height = (args.size * 2)[:2]
    mean, std = args.mean, None
    if mean not in STATS:
        mean = [float(v) for v in args.mean.split(",")]
        std = [float(v) for v in (args.std or "").split(",") if v]
    spec = input_spec(width, height, color=args.color, resize=args.resize,
                      interpolation=args.interpolation, resize_shorter=args.resize_shorter,
                      mean=mean, std=std)
    provenance = {"architecture": args.torchvision or type(model).__name__,
                  "weights": "state dict " + os.path.basename(args.state_dict)
                  if args.state_dict else ("random (benchmarking only)" if args.torchvision
                                           else "saved module")}
    if args.dataset:
        provenance["dataset"] = args.dataset
    unreadable = 0
    if args.validate:
        with torch.no_grad():
            check_outputs(model.eval()(blank_input(spec)), labels)
        provenance["accuracy"], unreadable = validate(model, labels, spec, args.validate)
    name = args.name or os.path.basename(os.path.abspath(args.out))
    manifest = export_bundle(model, labels, spec, args.out, name, args.version,
                             output=args.output, provenance=provenance, script=args.script,
                             formats=[f.strip() for f in args.formats.split(",") if f.strip()],
                             opset=args.opset, quantize=args.quantize,
                             calibration=args.calibration, int8_validate=args.validate,
                             int8_engine=args.int8_engine, threshold=args.agreement,
                             force=args.force, int8_last_layer=args.int8_last_layer)
    return summary(manifest, args.out, labels_file=args.labels, unreadable=unreadable)


if __name__ == "__main__":
    main()

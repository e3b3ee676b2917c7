#!/usr/bin/python3
"""Export a PyTorch model to a Kodiak model bundle: TorchScript + kodiak.json, no pickles.

A bundle is a directory (or the same files in a .zip) that the JVM reads without Python:

    model.pt     the model as TorchScript (traced or scripted), loadable by libtorch
    kodiak.json  format version, name, version, labels in output order, the input spec,
                 whether the model outputs logits or probabilities, provenance, and the
                 sha256 of every other file in the bundle

Run it with Debian's python3 and python3-torch (torch 1.13 files load in libtorch 2.x):

    /usr/bin/python3 tools/export_bundle.py --torchvision resnet18 --labels labels.txt \
        --size 224 --resize crop --resize-shorter 256 --mean imagenet --out models/resnet18

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
EXPORTER = "kodiak tools/export_bundle.py"

STATS = {
    # torchvision / fastai imagenet_stats
    "imagenet": ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    "none": None,
}
INTERPOLATIONS = ("nearest", "box", "bilinear", "hamming", "bicubic", "lanczos")
RESIZES = ("squish", "crop", "pad")


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
        raise ValueError(f"color must be RGB or L, not {color!r}")
    if resize not in RESIZES:
        raise ValueError(f"resize must be one of {RESIZES}, not {resize!r}")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, not {interpolation!r}")
    channels = 3 if color == "RGB" else 1
    if isinstance(mean, str):
        stats = STATS[mean]
        if stats is None:
            mean, std = [0.0] * channels, [1.0] * channels
        else:
            mean, std = stats
    if std is None:
        raise ValueError("std is required when mean is given as numbers")
    mean, std = [float(m) for m in mean], [float(s) for s in std]
    if len(mean) != channels or len(std) != channels:
        raise ValueError(f"mean and std need {channels} values for color {color}")
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
            raise ValueError("resize_shorter must be at least max(width, height) so the centre "
                             "crop fits inside the resized image")
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


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_bundle(model, labels, spec, out_dir, name, version, output="logits", provenance=None,
                  script=False, description=""):
    """Write `model` as a Kodiak bundle into `out_dir` (replaced whole, never half-written).

    model      a torch.nn.Module taking one (N, C, H, W) float32 tensor, returning (N, len(labels))
    labels     class names in the order of the model's outputs
    spec       from input_spec()
    output     "logits" (Kodiak applies softmax) or "probabilities"
    provenance extra facts (dataset, accuracy, ...) merged into the manifest's provenance
    script     torch.jit.script instead of torch.jit.trace (for models with control flow)
    Returns the manifest as a dict.
    """
    if output not in ("logits", "probabilities"):
        raise ValueError(f"output must be logits or probabilities, not {output!r}")
    labels = [str(label) for label in labels]
    if len(set(labels)) != len(labels) or not labels:
        raise ValueError("labels must be non-empty and unique")
    model = model.eval().cpu()
    channels = 3 if spec["color"] == "RGB" else 1
    example = torch.zeros(1, channels, spec["height"], spec["width"])
    with torch.no_grad():
        scripted = torch.jit.script(model) if script else torch.jit.trace(model, example)
        out = scripted(example)
    if tuple(out.shape) != (1, len(labels)):
        raise ValueError(f"model outputs shape {tuple(out.shape)} for one image but there are "
                         f"{len(labels)} labels; pass the labels in output order")

    out_dir = os.path.abspath(out_dir)
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".kodiak-export-", dir=parent)
    try:
        model_path = os.path.join(staging, MODEL_FILE)
        torch.jit.save(scripted, model_path)
        manifest = {
            "kodiak_bundle": FORMAT_VERSION,
            "name": name,
            "version": str(version),
            "description": description,
            "model": {"file": MODEL_FILE, "format": "torchscript", "output": output},
            "labels": labels,
            "input": spec,
            "provenance": {
                "exporter": EXPORTER,
                "torch": torch.__version__,
                "python": sys.version.split()[0],
                "created": datetime.date.today().isoformat(),
                **(provenance or {}),
            },
            "files": {MODEL_FILE: sha256_of(model_path)},
        }
        with open(os.path.join(staging, MANIFEST), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2, ensure_ascii=False)
            f.write("\n")
        os.chmod(staging, 0o755)
        if os.path.exists(out_dir):
            shutil.rmtree(out_dir)
        os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def main(argv=None):
    parser = argparse.ArgumentParser(description="Export a torchvision model or a saved "
                                     "torch.nn.Module to a Kodiak bundle.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--torchvision", metavar="ARCH",
                        help="a torchvision.models constructor, e.g. resnet18, efficientnet_b2")
    source.add_argument("--module", metavar="FILE",
                        help="a whole module saved with torch.save(model, FILE)")
    parser.add_argument("--state-dict", help="weights for --torchvision (default: random weights)")
    parser.add_argument("--labels", required=True,
                        help="text file, one label per line, in output order")
    parser.add_argument("--out", required=True, help="bundle directory to write")
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
    args = parser.parse_args(argv)

    with open(args.labels, encoding="utf-8") as f:
        labels = [line.strip() for line in f if line.strip()]
    if args.torchvision:
        import torchvision
        model = getattr(torchvision.models, args.torchvision)(num_classes=len(labels))
        if args.state_dict:
            model.load_state_dict(torch.load(args.state_dict, map_location="cpu"))
    else:
        model = torch.load(args.module, map_location="cpu")
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
    name = args.name or os.path.basename(os.path.abspath(args.out))
    export_bundle(model, labels, spec, args.out, name, args.version, output=args.output,
                  provenance=provenance, script=args.script)
    print(f"wrote bundle {name} to {args.out}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Make what the benchmarks measure: ImageNet-size bundles and test photos of known sizes.

    /usr/bin/python3 tools/make_benchmark_models.py [--out benchmarks/models]

Writes benchmarks/models/{resnet18,efficientnet_b2}/ and benchmarks/images/ (a real photo from
scikit-image's data at 224x224, 640x480 and 4000x3000 as JPEG, plus PNG and WebP at 640x480, and
the 4000x3000 JPEG again with EXIF orientation 6, as a phone held upright stores it).
--images-only writes the photos and skips the models.

Weights are random (seeded), the models are in eval mode and traced; only their speed matters.
Each bundle also gets model.int8.onnx (tools/export_bundle.py's post-training static
quantization, calibrated on the 224x224 and 640x480 photos, every layer int8 as in issue 22's
spike, written with force: random weights agree with nothing), so that Int8ForwardBench measures
int8 against fp32. A bundle made before int8 gets it
added in place (the seeded weights are made again; quantize_bundle checks they are the same).
They are too large for git (45 MB and 36 MB), so the benchmarks call this script when the
bundles are missing. Needs Debian's python3-torch and python3-torchvision.

  resnet18         224x224 RGB, Resize(256) + CenterCrop(224), bilinear, ImageNet stats
  efficientnet_b2  288x288 RGB, Resize(288) + CenterCrop(288), bicubic, ImageNet stats
                   (torchvision's EfficientNet_B2_Weights transforms, the FoodVision model)
"""
import argparse
import os
import sys

import torch
import torchvision

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TOOLS)
from export_bundle import export_bundle, input_spec, quantize_bundle  # noqa: E402

LABELS = [f"class-{i:03d}" for i in range(1000)]
MODELS = {
    "resnet18": (torchvision.models.resnet18,
                 input_spec(224, 224, resize="crop", resize_shorter=256,
                            interpolation="bilinear", mean="imagenet")),
    "efficientnet_b2": (torchvision.models.efficientnet_b2,
                        input_spec(288, 288, resize="crop", resize_shorter=288,
                                   interpolation="bicubic", mean="imagenet")),
}


def make_images(out_dir):
    """A real photo (scikit-image's coffee) at the sizes the benchmarks name."""
    from PIL import Image
    from skimage import data
    os.makedirs(out_dir, exist_ok=True)
    photo = Image.fromarray(data.coffee())  # 600x400
    sizes = {"224x224": (224, 224), "640x480": (640, 480), "4000x3000": (4000, 3000)}
    for name, size in sizes.items():
        image = photo.resize(size, Image.LANCZOS)
        image.save(os.path.join(out_dir, f"photo-{name}.jpg"), quality=90)
        if name == "640x480":
            image.save(os.path.join(out_dir, f"photo-{name}.png"))
            image.save(os.path.join(out_dir, f"photo-{name}.webp"), quality=85)
        if name == "4000x3000":
            # the sensor's landscape pixels, shown portrait: decoders must rotate 12 MP
            exif = Image.Exif()
            exif[0x0112] = 6
            image.save(os.path.join(out_dir, f"photo-{name}-exif6.jpg"), quality=90,
                       exif=exif.tobytes())
    print(f"wrote {out_dir}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(TOOLS), "benchmarks",
                                                      "models"))
    parser.add_argument("models", nargs="*", default=list(MODELS))
    parser.add_argument("--images-only", action="store_true", help="write the photos only")
    args = parser.parse_args()
    torch.set_num_threads(2)
    make_images(os.path.join(os.path.dirname(os.path.abspath(args.out)), "images"))
    if args.images_only:
        return
    images = os.path.join(os.path.dirname(os.path.abspath(args.out)), "images")
    for name in args.models:
        factory, spec = MODELS[name]
        torch.manual_seed(0)
        model = factory(num_classes=len(LABELS)).eval()
        out = os.path.join(args.out, name)
        if not os.path.exists(os.path.join(out, "model.onnx")):
            export_bundle(model, LABELS, spec, out, name.replace("_", "-"), "0.0.0-random",
                          provenance={"dataset": "none: random weights, for benchmarks only",
                                      "architecture": f"torchvision.models.{name}"},
                          description=f"torchvision {name} with random weights (benchmarks "
                                      "only)")
        if not os.path.exists(os.path.join(out, "model.int8.onnx")):
            from export_bundle import preprocess
            photos = [os.path.join(images, f) for f in ("photo-224x224.jpg", "photo-640x480.jpg",
                                                        "photo-640x480.png", "photo-640x480.webp")]
            batch = torch.cat([preprocess(p, spec) for p in photos])
            quantize_bundle(model, out, ([batch], "4 benchmark photos"), force=True,
                            last_layer_precision="int8")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Pick the example gallery for the blog's live post from Fashion-MNIST's test set.

    /usr/bin/python3 tools/make_site_examples.py

Writes site/assets/kodiak/examples/fashion-mnist/*.png (28x28 grayscale, a few hundred bytes
each) and site/_data/kodiak_examples.yml. For each class it takes the first test image that the
default model gets right and the first one it gets wrong, so readers see both. Reads the data
from Debian's dataset-fashion-mnist and the model from models/fashion-mnist; deterministic.
"""
import json
import os
import sys

import torch
from PIL import Image

TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)
import export_bundle as eb  # noqa: E402
import train_default  # noqa: E402

OUT = os.path.join(ROOT, "site", "assets", "kodiak", "examples", "fashion-mnist")
DATA = os.path.join(ROOT, "site", "_data", "kodiak_examples.yml")


def main():
    bundle = os.path.join(ROOT, "models", "fashion-mnist")
    with open(os.path.join(bundle, "kodiak.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    labels = manifest["labels"]
    model = torch.jit.load(os.path.join(bundle, "model.pt"))
    images, truth = train_default.load("test")
    picked = {}
    for i, (pixels, label) in enumerate(zip(images, truth)):
        image = Image.fromarray(pixels, "L")
        with torch.no_grad():
            guess = int(model(eb.pil_to_tensor(image, manifest["input"])).argmax())
        key = (int(label), guess == label)
        if key not in picked:
            picked[key] = (i, image, guess)
        if len(picked) == 2 * len(labels):
            break
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))
    lines = ["# Made by tools/make_site_examples.py from the Fashion-MNIST test set.",
             "# url: the image; label: the true class; index: its position in t10k.",
             "fashion-mnist:"]
    for (label, right), (index, image, guess) in sorted(picked.items(),
                                                        key=lambda kv: (not kv[0][1], kv[0][0])):
        slug = labels[label].lower().replace("/", "-").replace(" ", "-")
        file_name = f"{index:05d}-{slug}.png"
        image.save(os.path.join(OUT, file_name), optimize=True)
        lines.append(f"  - url: /assets/kodiak/examples/fashion-mnist/{file_name}")
        lines.append(f"    label: \"{labels[label]}\"")
        lines.append(f"    index: {index}")
    os.makedirs(os.path.dirname(DATA), exist_ok=True)
    with open(DATA, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(picked)} examples to {OUT}")


if __name__ == "__main__":
    main()

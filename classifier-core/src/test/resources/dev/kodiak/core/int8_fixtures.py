"""What Int8Test feeds tools/export_bundle.py --quantize int8, made with Debian's torch:

    /usr/bin/python3 int8_fixtures.py OUT_DIR

  fashion.pt     the default model (FashionNet, weights read back from models/fashion-mnist's
                 model.pt) as a whole module, for --module
  louder.pt      the same with its last layer scaled by 1.25: another model, whose int8 file
                 must fail the default model's int8 probe
  calibration/   64 Fashion-MNIST training images (PNG), every 937th
  blank/         2 black images: a calibration that ruins the int8 model
  valid/LABEL/   the first 500 Fashion-MNIST test images (PNG), one folder per label
"""
import os
import sys

import numpy as np
import torch
from PIL import Image

root = os.environ.get("KODIAK_ROOT", ".")
sys.path.insert(0, os.path.join(root, "tools"))
import export_bundle as eb  # noqa: E402
import train_default as td  # noqa: E402


def main(out):
    model = td.FashionNet()
    model.load_state_dict(torch.jit.load(os.path.join(root, "models", "fashion-mnist",
                                                      "model.pt")).state_dict())
    model.eval()
    torch.save(model, os.path.join(out, "fashion.pt"))
    louder = td.FashionNet()
    louder.load_state_dict(model.state_dict())
    with torch.no_grad():
        louder.head[5].weight.mul_(1.25)
        louder.head[5].bias.mul_(1.25)
    torch.save(louder.eval(), os.path.join(out, "louder.pt"))
    train_x, _ = td.load("train")
    test_x, test_y = td.load("test")
    os.makedirs(os.path.join(out, "calibration"))
    for n, i in enumerate(range(0, len(train_x), 937)):
        if n == 64:
            break
        Image.fromarray(train_x[i], "L").save(os.path.join(out, "calibration", f"{i:05d}.png"))
    os.makedirs(os.path.join(out, "blank"))
    for i in range(2):
        Image.fromarray(np.zeros((28, 28), np.uint8), "L").save(
            os.path.join(out, "blank", f"{i}.png"))
    for i in range(500):
        folder = os.path.join(out, "valid", eb.slug(td.LABELS[test_y[i]]))
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(test_x[i], "L").save(os.path.join(folder, f"{i:05d}.png"))


if __name__ == "__main__":
    main(sys.argv[1])

#!/usr/bin/python3
"""Train Kodiak's default model: a small CNN on Fashion-MNIST, exported to models/fashion-mnist/.

Needs only Debian packages: python3-torch and dataset-fashion-mnist (the data is read from
/usr/share/datasets/fashion-mnist; nothing is downloaded). On 2 CPU cores it takes a few minutes.

    /usr/bin/python3 tools/train_default.py            # writes models/fashion-mnist/

The run is reproducible: seeds are fixed, data order is fixed, and torch runs with a fixed
number of threads, so the same torch build gives the same weights and the same accuracy.
The test accuracy is measured on all 10,000 test images through the exported TorchScript file
with exactly the bundle's preprocessing, and recorded in the manifest.

    /usr/bin/python3 tools/train_default.py --int8     # adds models/fashion-mnist/model.int8.onnx

quantizes the bundle's weights (read back from model.pt) to int8: calibrated on 64 training
images (every 937th), measured against fp32 on all 10,000 test images (both accuracies and the
top-1 agreement go into the provenance). It refuses when they agree on less than 99%.
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_bundle import export_bundle, input_spec, quantize_bundle  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
# Per-pixel mean and std of the 60,000 training images, scaled to [0, 1] (computed by this
# script with --stats; fixed here so the spec does not depend on float summation order).
MEAN, STD = 0.2860, 0.3530
SEED = 20261125
THREADS = 2


def read_idx(name):
    path = os.path.join(DATA, name)
    if not os.path.exists(path):
        sys.exit(f"{path} is missing: install Debian's dataset-fashion-mnist package "
                 "(apt-get install dataset-fashion-mnist)")
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(magic & 0xFF)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def load(split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(f"{prefix}-images-idx3-ubyte.gz")
    labels = read_idx(f"{prefix}-labels-idx1-ubyte.gz")
    return images, labels


def to_tensor(images):
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28), exactly the bundle's input spec."""
    x = torch.from_numpy(images.copy()).float().div(255.0).unsqueeze(1)
    return (x - MEAN) / STD


class FashionNet(nn.Module):
    """Two conv blocks and a small classifier head; outputs logits for 10 classes."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
            nn.Dropout(0.25), nn.Linear(128, 10),
        )

    def forward(self, x):
        return self.head(self.features(x))


def evaluate(model, images, labels, batch=500):
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            logits = model(to_tensor(images[i:i + batch]))
            correct += int((logits.argmax(1).numpy() == labels[i:i + batch]).sum())
    return correct


def quantize_default(out, engine="onednn"):
    """Add model.int8.onnx to the trained bundle: the weights from its model.pt, calibration on
    64 training images (as many as calibrate best: 1024 measured no better), fp32 against int8
    on the whole test set."""
    model = FashionNet()
    model.load_state_dict(torch.jit.load(os.path.join(out, "model.pt")).state_dict())
    train_x, _ = load("train")
    test_x, test_y = load("test")
    picked = train_x[::len(train_x) // 64][:64]
    calibration = ([to_tensor(picked[i:i + 32]) for i in range(0, len(picked), 32)],
                   "the Fashion-MNIST training set (every 937th)")
    validation = (to_tensor(test_x), torch.from_numpy(test_y.astype(np.int64)),
                  "Fashion-MNIST test set (t10k, all 10,000 images)")
    manifest = quantize_bundle(model.eval(), out, calibration, validation, engine=engine)
    m = manifest["provenance"]["int8"]
    print(f"int8: agreement {m['agreement']:.4f}, accuracy fp32 {m['fp32_correct'] / m['total']:.4f}"
          f", int8 {m['int8_correct'] / m['total']:.4f}, last layer {m['last_layer']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..",
                                                      "models", "fashion-mnist"))
    parser.add_argument("--stats", action="store_true", help="print the training mean/std")
    parser.add_argument("--int8", action="store_true",
                        help="add model.int8.onnx to the bundle at --out (no training)")
    args = parser.parse_args()
    if args.int8:
        torch.set_num_threads(THREADS)
        quantize_default(args.out)
        return

    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)

    train_x, train_y = load("train")
    test_x, test_y = load("test")
    if args.stats:
        v = train_x.astype(np.float64) / 255
        print(f"mean {v.mean():.4f} std {v.std():.4f}")
        return

    x_all = to_tensor(train_x)
    y_all = torch.from_numpy(train_y.astype(np.int64))
    model = FashionNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=3e-3, epochs=args.epochs, steps_per_epoch=(len(x_all) + 127) // 128)
    generator = torch.Generator().manual_seed(SEED)
    for epoch in range(args.epochs):
        started = time.time()
        model.train()
        order = torch.randperm(len(x_all), generator=generator)
        total = 0.0
        for i in range(0, len(order), 128):
            idx = order[i:i + 128]
            xb, yb = x_all[idx], y_all[idx]
            flip = torch.rand(len(idx), generator=generator) < 0.5  # horizontal flip
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += float(loss) * len(idx)
        model.eval()
        correct = evaluate(model, test_x, test_y)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / len(x_all):.4f}, "
              f"test accuracy {correct / len(test_x):.4f} ({time.time() - started:.0f} s)",
              flush=True)

    spec = input_spec(28, 28, color="L", resize="squish", interpolation="bilinear",
                      mean=[MEAN], std=[STD])
    provenance = {
        "architecture": "FashionNet (tools/train_default.py)",
        "dataset": "Fashion-MNIST (Debian dataset-fashion-mnist): 60,000 train images",
        "training": f"{args.epochs} epochs, Adam + one-cycle, batch 128, horizontal flips, "
                    f"seed {SEED}, {THREADS} threads",
    }
    export_bundle(model, LABELS, spec, args.out, "fashion-mnist", "1.0.0",
                  provenance=provenance,
                  description="Small CNN for 28x28 Fashion-MNIST clothing images "
                              "(light garment on a black background).")
    # Measure accuracy through the exported TorchScript file, then record it.
    scripted = torch.jit.load(os.path.join(args.out, "model.pt"))
    correct = evaluate(scripted, test_x, test_y)
    import json
    manifest_path = os.path.join(args.out, "kodiak.json")
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    manifest["provenance"]["accuracy"] = {
        "metric": "top-1",
        "split": "Fashion-MNIST test set (t10k, all 10,000 images)",
        "correct": correct,
        "total": len(test_x),
        "value": round(correct / len(test_x), 4),
    }
    tmp = manifest_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, manifest_path)
    print(f"exported to {os.path.abspath(args.out)}: test accuracy {correct / len(test_x):.4f}")


if __name__ == "__main__":
    main()

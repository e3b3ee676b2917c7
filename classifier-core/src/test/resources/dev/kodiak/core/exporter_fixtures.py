"""What ExporterTest feeds tools/export_bundle.py, made with Debian's torch in one process:

    /usr/bin/python3 exporter_fixtures.py OUT_DIR

  near.pt            a small CNN whose last layer is scaled by 1e-9: scores of about 1e-10, the
                     shape of a random-weight mobilenet_v3_small's (issue 24, item 6)
  constant.pt        a CNN whose scores do not depend on the image at all (zero convolution)
  big.pt             a model whose ONNX file is over the widget's 20 MB "auto" limit
  resnet18-5.pt      the state dict of a 5-class torchvision resnet18
  probe-tensors.json the probe's tensors (generator lcg32-resize) for every input spec form, as
                     the exporter computes them, for Java's Probe to reproduce
"""
import json
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.environ.get("KODIAK_ROOT", "."), "tools"))
import export_bundle as eb  # noqa: E402


def sequential(*layers):
    return torch.nn.Sequential(*layers).eval()


def main(out):
    torch.manual_seed(24)
    near = sequential(torch.nn.Conv2d(3, 8, 3, stride=2), torch.nn.ReLU(),
                      torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 3))
    constant = sequential(torch.nn.Conv2d(3, 4, 1), torch.nn.AdaptiveAvgPool2d(1),
                          torch.nn.Flatten(), torch.nn.Linear(4, 2))
    big = sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 32 * 32, 1700), torch.nn.ReLU(),
                     torch.nn.Linear(1700, 6))  # 5.2 million weights: 20.9 MB
    with torch.no_grad():
        near[4].weight.mul_(1e-9)
        near[4].bias.mul_(1e-9)
        constant[0].weight.zero_()
    torch.save(near, os.path.join(out, "near.pt"))
    torch.save(constant, os.path.join(out, "constant.pt"))
    torch.save(big, os.path.join(out, "big.pt"))
    torch.save(torchvision.models.resnet18(num_classes=5).state_dict(),
               os.path.join(out, "resnet18-5.pt"))

    specs = [
        eb.input_spec(12, 10, resize="squish", interpolation="bilinear", mean="imagenet"),
        eb.input_spec(12, 10, resize="crop", resize_shorter=14, interpolation="bicubic",
                      mean="imagenet"),
        eb.input_spec(10, 12, resize="pad", interpolation="lanczos", pad_fill=114,
                      mean="imagenet"),
        eb.input_spec(9, 9, color="L", resize="crop", resize_shorter=11, interpolation="box",
                      invert=True, mean=[0.5], std=[0.25]),
        eb.input_spec(11, 7, color="L", resize="pad", interpolation="hamming", pad_fill=30,
                      mean=[0.45], std=[0.3]),
        eb.input_spec(8, 8, resize="squish", interpolation="nearest", rescale=False),
        # the crop's shorter side is the source's height: the source grows by a pixel
        eb.input_spec(10, 10, resize="crop", resize_shorter=13, interpolation="bilinear",
                      mean="imagenet"),
    ]
    cases = []
    for spec in specs:
        source = eb.probe_source(spec)
        tensor = eb.probe_tensor(spec, [1, 2], source)
        cases.append({"spec": spec, "source": list(source),
                      "tensor": [float(v) for v in tensor.flatten()]})
    with open(os.path.join(out, "probe-tensors.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f)


if __name__ == "__main__":
    main(sys.argv[1])

"""Makes testdata/forward/fashion-mnist-qdq.onnx: the default model (models/fashion-mnist) quantized
to int8 by PyTorch's eager post-training quantization (qnnpack: per-tensor), exported as ONNX
opset 13 in QDQ form (QuantizeLinear/DequantizeLinear around float Conv and Gemm), the form int8
bundles take. A fixture for Kodiak's own forward pass (ForwardPassTest), not a model to serve:
it is calibrated on noise, so its accuracy is not measured.

Run with Debian's torch: /usr/bin/python3 tools/make_qdq_fixture.py
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_default import FashionNet  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "testdata", "forward", "fashion-mnist-qdq.onnx")


class Quantized(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.quant = torch.quantization.QuantStub()
        self.model = model
        self.dequant = torch.quantization.DeQuantStub()

    def forward(self, x):
        return self.dequant(self.model(self.quant(x)))


def main():
    scripted = torch.jit.load(os.path.join(ROOT, "models", "fashion-mnist", "model.pt"))
    model = FashionNet()
    model.load_state_dict(scripted.state_dict())
    model.eval()
    torch.quantization.fuse_modules(model, [["features.0", "features.1", "features.2"],
                                            ["features.4", "features.5", "features.6"]],
                                    inplace=True)
    wrapped = Quantized(model).eval()
    torch.backends.quantized.engine = "qnnpack"
    wrapped.qconfig = torch.quantization.get_default_qconfig("qnnpack")
    torch.quantization.prepare(wrapped, inplace=True)
    torch.manual_seed(20261203)
    with torch.no_grad():
        for _ in range(20):
            wrapped(torch.randn(16, 1, 28, 28))
    torch.quantization.convert(wrapped, inplace=True)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    torch.onnx.export(wrapped, torch.randn(2, 1, 28, 28), OUT, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()

"""Makes the fixtures of Kodiak's own forward pass (ForwardPassTest) in testdata/forward/:

- fashion-mnist-qdq.onnx: the default model (models/fashion-mnist) quantized to int8 by
  PyTorch's eager post-training quantization (qnnpack: per-tensor), exported as ONNX opset 13 in
  QDQ form (QuantizeLinear/DequantizeLinear around float Conv and Gemm), the form int8 bundles
  take. Not a model to serve: it is calibrated on noise, so its accuracy is not measured.
- operators.onnx: a small random network (3x16x16 input, 5 outputs) that uses the operators
  and attributes the golden bundles do not: BatchNormalization left unfused, grouped and dilated
  and strided Conv, LeakyRelu, Sigmoid, Tanh, Clip, AveragePool (ceil_mode, pads, without the
  pads in the count), MaxPool (pads, ceil_mode), Concat, Sub, Div, Mul, MatMul, Transpose, the
  Shape/Gather/Unsqueeze/Concat/Reshape of x.view(x.size(0), -1), Softmax and LogSoftmax.

Run with Debian's torch: /usr/bin/python3 tools/make_forward_fixtures.py
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_default import FashionNet  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "testdata", "forward", "fashion-mnist-qdq.onnx")
OPERATORS = os.path.join(ROOT, "testdata", "forward", "operators.onnx")


class Quantized(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.quant = torch.quantization.QuantStub()
        self.model = model
        self.dequant = torch.quantization.DeQuantStub()

    def forward(self, x):
        return self.dequant(self.model(self.quant(x)))


class Operators(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.norm = nn.BatchNorm2d(8)
        self.grouped = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=4)
        self.side = nn.Conv2d(8, 4, 1)
        self.avg = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        self.max = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)
        self.mix = nn.Parameter(torch.randn(12, 12))
        self.fc = nn.Linear(12 * 5 * 5, 5)

    def forward(self, x):
        x = nn.functional.leaky_relu(self.norm(self.stem(x)), 0.1)
        a = torch.sigmoid(self.grouped(x))
        b = torch.tanh(self.side(x))
        x = torch.cat([a, b], dim=1)
        x = torch.clamp(self.avg(x) - 0.25, -0.5, 0.75) / 0.5 + self.max(x) * 2
        x = torch.matmul(x.permute(0, 2, 3, 1), self.mix).permute(0, 3, 1, 2)
        x = self.fc(x.reshape(x.size(0), -1))
        return torch.softmax(x, dim=1) + torch.log_softmax(x, dim=1)


def operators():
    torch.manual_seed(20261203)
    model = Operators()
    with torch.no_grad():  # statistics a trained network would have, not the defaults
        model.norm.running_mean.uniform_(-0.5, 0.5)
        model.norm.running_var.uniform_(0.5, 2.0)
        model.norm.weight.uniform_(0.5, 1.5)
        model.norm.bias.uniform_(-0.2, 0.2)
    model.eval()
    torch.onnx.export(model, torch.randn(2, 3, 16, 16), OPERATORS, opset_version=13,
                      do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE,
                      input_names=["input"], output_names=["scores"],
                      dynamic_axes={"input": {0: "batch"}, "scores": {0: "batch"}})
    print("wrote", OPERATORS, os.path.getsize(OPERATORS), "bytes")


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
    operators()


if __name__ == "__main__":
    main()

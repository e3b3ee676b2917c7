"""The small models of Kodiak's test bundles, kept apart from tools/make_fixtures.py on purpose.

TorchScript files record the source lines of the modules they were traced from, so editing the
script that makes the fixtures would otherwise change every test bundle's model.pt (and its
checksum) without changing a weight.
"""
import torch


class TinyRgbNet(torch.nn.Module):
    """Random-weight 3-class CNN that ends in softmax (bundle output: probabilities)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.fc = torch.nn.Linear(8 * 16 * 16, 3)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        return torch.softmax(self.fc(x.flatten(1)), dim=1)


class TinyNet(torch.nn.Module):
    """Random-weight 4-class CNN with batch norm, any input size and channel count (logits)."""

    def __init__(self, channels, width, height):
        super().__init__()
        self.conv = torch.nn.Conv2d(channels, 8, 3, stride=2, padding=1)
        self.norm = torch.nn.BatchNorm2d(8)
        self.pool = torch.nn.AdaptiveAvgPool2d(1)  # global: exports for any input size
        self.fc = torch.nn.Linear(8, 4)

    def forward(self, x):
        x = torch.relu(self.norm(self.conv(x)))
        return self.fc(self.pool(x).flatten(1))


class NanNet(torch.nn.Module):
    """Scores a model cannot give for dark images: sqrt(mean brightness - 0.25) is NaN below a
    quarter of full brightness. For the tests of one image failing alone in a batch."""

    def forward(self, x):
        m = x.mean(dim=(1, 2, 3))
        return torch.stack([torch.sqrt(m - 0.25), 1 - m], dim=1)

#!/usr/bin/python3
"""Time PIL + torchvision's preprocessing of image files: what Kodiak's decoding is compared with.

    /usr/bin/python3 tools/time_pil_preprocess.py FILE...              # median ms of 10 per file
    /usr/bin/python3 tools/time_pil_preprocess.py --repeat 20 --spec '{"color": "RGB", ...}' FILE
    /usr/bin/python3 tools/time_pil_preprocess.py --serve [--spec JSON]

The work timed is export_bundle.preprocess(path, spec): Image.open, ImageOps.exif_transpose,
convert, the spec's resize (torchvision Resize + CenterCrop for "crop") and the tensor, exactly
the reference Kodiak's Java matches bit for bit. The default spec is ResNet-18's (224x224 crop
of the 256-pixel shorter side, bilinear, ImageNet mean and std), as in the benchmarks.

--serve is for benchmarks that time both sides in one run (benchmarks' PilParityBench): it reads
one file path per line on stdin, preprocesses it, and answers one line with the nanoseconds
preprocess took (perf_counter_ns), or "error: ..." for a file it cannot read. Debian's python3,
python3-torch, python3-torchvision; nothing else.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TOOLS)
import export_bundle as eb  # noqa: E402

RESNET18 = eb.input_spec(224, 224, resize="crop", resize_shorter=256, interpolation="bilinear",
                         mean="imagenet")


def timed(path, spec):
    """Nanoseconds of one preprocess of path."""
    start = time.perf_counter_ns()
    eb.preprocess(path, spec)
    return time.perf_counter_ns() - start


def serve(spec):
    for line in sys.stdin:
        path = line.rstrip("\n")
        if not path:
            continue
        try:
            answer = str(timed(path, spec))
        except Exception as e:  # noqa: BLE001 - report any failure to the caller, keep serving
            answer = "error: " + repr(e).replace("\n", " ")
        sys.stdout.write(answer + "\n")
        sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--spec", help="input spec as JSON (default: ResNet-18's)")
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per file (10)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first (2)")
    parser.add_argument("--serve", action="store_true", help="answer paths on stdin")
    args = parser.parse_args()
    spec = json.loads(args.spec) if args.spec else RESNET18
    # PIL decodes and resizes on one thread; so does torch here, as in a DataLoader worker. Two
    # OpenMP threads gained nothing on a 3x224x224 tensor and, on a busy machine, waited for
    # each other.
    torch.set_num_threads(1)
    if args.serve:
        serve(spec)
        return
    if not args.files:
        parser.error("give image files, or --serve")
    for path in args.files:
        for _ in range(args.warmup):
            timed(path, spec)
        runs = [timed(path, spec) / 1e6 for _ in range(args.repeat)]
        print(f"{path}: median {statistics.median(runs):.1f} ms of {args.repeat} "
              f"(min {min(runs):.1f}, max {max(runs):.1f})")


if __name__ == "__main__":
    main()

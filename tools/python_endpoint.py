#!/usr/bin/python3
"""The endpoint people write today, for Kodiak's side-by-side benchmark.

A small JSON endpoint in the style of seed story 002's Django view: a base64 image in
({"image": "..."}), {"predictions": {label: probability}} out, PIL preprocessing, the bundle's
TorchScript model, Python's standard-library threading HTTP server. Loopback only.

    /usr/bin/python3 tools/python_endpoint.py --bundle benchmarks/models/resnet18 --port 8501

Prints "ready <port>" once it listens. Uses Debian's python3-torch and PIL.
"""
import argparse
import base64
import io
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_bundle as eb  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.bundle, "kodiak.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    model = torch.jit.load(os.path.join(args.bundle, manifest["model"]["file"])).eval()
    labels, spec = manifest["labels"], manifest["input"]
    logits = manifest["model"]["output"] == "logits"

    class Predict(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # as Kodiak: answers are not held for delayed ACKs

        def do_POST(self):  # noqa: N802 (http.server's naming)
            try:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                data = body["image"]
                if data.startswith("data:"):
                    data = data.split(",", 1)[1]
                tensor = eb.preprocess(io.BytesIO(base64.b64decode(data)), spec)
                with torch.no_grad():
                    out = model(tensor)[0]
                probabilities = torch.softmax(out, 0) if logits else out
                answer = {"predictions": dict(zip(labels, map(float, probabilities)))}
                self.reply(200, answer)
            except Exception as e:  # a benchmark helper: report, do not crash
                self.reply(400, {"error": str(e)})

        def reply(self, status, payload):
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *unused):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Predict)
    print(f"ready {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

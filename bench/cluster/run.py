#!/usr/bin/python3
"""Cross-node vs same-node delivery through a 2-node chatd cluster.

Starts a nats-server (-js) and two chatd nodes joined to it on 127.0.0.1,
then runs three chat-load processes at the same time (every message acked,
so each one goes through JetStream and is deleted there):
  cross   PAIRS pairs, a on node A, b on node B;
  same-A  PAIRS/2 pairs, both on node A;
  same-B  PAIRS/2 pairs, both on node B;
and prints each one's msgs/s and latency percentiles, then one JSON line.

Usage: bench/cluster/run.py [--build build/bench] [--pairs 50]
       [--duration 10] [--window 4]
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "process"))
from cluster import Chatd, NatsServer, tempdir  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/bench")
    ap.add_argument("--pairs", type=int, default=50)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--window", type=int, default=4)
    a = ap.parse_args()
    chatd = os.path.join(a.build, "server", "chatd")
    load = os.path.join(a.build, "bench", "chat-load")
    if not os.path.exists(load):
        load = os.path.join(a.build, "bench", "load", "chat-load")
    d = tempdir()
    nats = NatsServer(d)
    nodes = [Chatd(chatd, [nats.url], f"b{i}", "--log-level", "warn",
                   "--threads", "1") for i in range(2)]
    try:
        def run(prefix, pairs, peer):
            args = [load, "--url", f"ws://127.0.0.1:{nodes[0].port}/ws",
                    "--pairs", str(pairs), "--window", str(a.window),
                    "--duration", str(a.duration), "--warmup", "2",
                    "--ack", "--prefix", prefix]
            if peer is not None:
                args[2] = f"ws://127.0.0.1:{nodes[peer[0]].port}/ws"
                args += ["--peer-port", str(nodes[peer[1]].port)]
            return subprocess.Popen(args, stdout=subprocess.PIPE, text=True)

        runs = {"cross": run("x", a.pairs, (0, 1)),
                "same-A": run("sa", a.pairs // 2, (0, 0)),
                "same-B": run("sb", a.pairs // 2, (1, 1))}
        out = {}
        for name, p in runs.items():
            text, _ = p.communicate(timeout=a.duration + 120)
            line = [x for x in text.splitlines() if x.startswith("{")][-1]
            out[name] = json.loads(line)
        for name, r in out.items():
            print(f"{name:7s} msgs/s {r.get('msgs_per_s', 0):>9.0f}  "
                  f"p50 {r.get('p50_us', 0):>7} us  "
                  f"p99 {r.get('p99_us', 0):>7} us  "
                  f"lost {r.get('lost', 0)}  out_of_order {r.get('out_of_order', 0)}  "
                  f"other_errors {r.get('other_errors', 0)}")
        print(json.dumps(out))
    finally:
        for n in nodes:
            n.stop()
        nats.stop()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""pychat throughput, verified before it is reported.

1. Messages/s between two Python clients through an embedded server
   (WebSocket, JSON): pipelined sends (every answer still checked), and one
   send at a time (waiting for each answer).
2. Routing throughput of an embedded server with no hooks vs with an
   on_message hook, in the same run. The load comes from client processes
   (raw TCP, protobuf), so the server process's GIL is taken only by the
   hook.

Usage: PYTHONPATH=build/bench/bindings/python python3 bench/python/bench_pychat.py
       [--messages N] [--pairs P]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import threading
import time
from typing import List, Optional

import pychat

WINDOW = 500  # sends in flight per sender before it collects their answers


def pump(sender: pychat.Client, to: str, n: int, tag: str) -> None:
    """Sends n messages pipelined; every answer must be a Sent."""
    for start in range(0, n, WINDOW):
        ids = [sender.send(to, f"{tag}{i}", wait=False)
               for i in range(start, min(n, start + WINDOW))]
        for cid in ids:
            sender.result(str(cid))


def drain(receiver: pychat.Client, n: int, tag: str) -> None:
    """Receives n messages and checks they are the expected ones, in order."""
    for i in range(n):
        m = receiver.recv(timeout=30)
        assert m is not None, f"message {i} of {n} lost"
        assert m.text == f"{tag}{i}", (m.text, i)


def two_clients(n: int) -> None:
    with pychat.Server(threads=2) as server, \
            pychat.Client(server.url, user="alice") as alice, \
            pychat.Client(server.url, user="bob") as bob:
        t0 = time.perf_counter()
        rx = threading.Thread(target=drain, args=(bob, n, "p"))
        rx.start()
        pump(alice, "bob", n, "p")
        rx.join()
        dt = time.perf_counter() - t0
        print(f"two Python clients, pipelined:      {n / dt:10.0f} msgs/s ({n} in {dt:.2f} s)")

        m = max(1, n // 10)
        t0 = time.perf_counter()
        for i in range(m):
            alice.send("bob", f"r{i}")
            got = bob.recv(timeout=30)
            assert got is not None and got.text == f"r{i}"
        dt = time.perf_counter() - t0
        print(f"two Python clients, one at a time:  {m / dt:10.0f} msgs/s ({m} in {dt:.2f} s)")


def sender_proc(url: str, user: str, to: str, n: int, ready: "mp.Barrier") -> None:
    with pychat.Client(url, user=user) as c:
        ready.wait()
        pump(c, to, n, "x")


def receiver_proc(url: str, user: str, n: int, ready: "mp.Barrier") -> None:
    with pychat.Client(url, user=user) as c:
        ready.wait()
        drain(c, n, "x")


def routing(n: int, pairs: int, hook: bool) -> float:
    seen: List[int] = [0]

    def on_message(m: pychat.Message) -> bool:
        seen[0] += 1  # under the GIL, so no lock needed
        return True

    with pychat.Server("", tcp_listen="127.0.0.1:0", threads=2,
                       on_message=on_message if hook else None) as server:
        ctx = mp.get_context("spawn")
        ready = ctx.Barrier(2 * pairs + 1)
        procs = [ctx.Process(target=receiver_proc, args=(server.tcp_url, f"r{p}", n, ready))
                 for p in range(pairs)]
        procs += [ctx.Process(target=sender_proc, args=(server.tcp_url, f"s{p}", f"r{p}", n, ready))
                  for p in range(pairs)]
        for p in procs:
            p.start()
        ready.wait()
        t0 = time.perf_counter()
        for p in procs:
            p.join()
        dt = time.perf_counter() - t0
        assert all(p.exitcode == 0 for p in procs), "a client process failed"
        total = n * pairs
        assert server.stats().messages_routed == total
        if hook:
            assert seen[0] == total
        label = "with on_message hook" if hook else "no hooks            "
        print(f"embedded routing, {label}: {total / dt:10.0f} msgs/s "
              f"({pairs} sender/receiver process pairs, {total} in {dt:.2f} s)")
        return total / dt


def main(argv: Optional[List[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=20000, help="per sender")
    ap.add_argument("--pairs", type=int, default=2, help="sender/receiver pairs")
    args = ap.parse_args(argv)
    two_clients(args.messages)
    plain = routing(args.messages, args.pairs, hook=False)
    hooked = routing(args.messages, args.pairs, hook=True)
    print(f"on_message hook costs {100 * (1 - hooked / plain):.0f}% of routing throughput")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""chatd in cluster mode (--nats): several nodes, real nats-server
processes (one, or a 3-server cluster with routes), all on 127.0.0.1.

Usage: /usr/bin/python3 tests/process/cluster_test.py PATH/TO/chatd

The traffic tests go through the message-accounting checker in
cluster.py (Ledger): lost, duplicated after dedup, misrouted and out of
order must all be 0.
"""

import asyncio
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import (Chatd, Client, Ledger, NatsServer, Traffic,  # noqa: E402
                     explain, nats_cluster, tempdir)

CHATD = None
USERS = 300
PEERS = 10       # each user sends to the next PEERS users (see test)
PER_PAIR = 2     # messages per sender->recipient pair


def run(coro, limit=240):
    return asyncio.run(asyncio.wait_for(coro, limit))


class OneNats(unittest.TestCase):
    """Three chatd nodes on one nats-server."""

    def setUp(self):
        self.dir = tempdir()
        self.nats = NatsServer(self.dir)
        self.nodes = [Chatd(CHATD, [self.nats.url], f"n{i}") for i in range(3)]

    def tearDown(self):
        for n in self.nodes:
            n.kill()
        self.nats.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def ports(self):
        return [n.port for n in self.nodes]

    def test_300_users_over_3_nodes(self):
        # User i is on node i % 3 and sends PER_PAIR messages to each of
        # users i+1 .. i+PEERS (mod USERS): the offsets 1..10 cover every
        # ordered node pair, same node included (offset 3, 6, 9), 3000
        # pairs and 6000 messages in all.
        async def go():
            ledger = Ledger()
            t = Traffic(ledger, self.ports(), window=4)
            users = [f"u.{i}" for i in range(USERS)]  # '.' must be escaped
            recv = [asyncio.create_task(t.receiver(u, i % 3))
                    for i, u in enumerate(users)]
            await asyncio.sleep(2)
            plans = []
            for i, u in enumerate(users):
                plan = []
                for k in range(PER_PAIR):
                    for d in range(1, PEERS + 1):
                        to = users[(i + d) % USERS]
                        plan.append((to, len(plan)))
                plans.append(plan)
            ok = await asyncio.gather(*[t.sender(u, plans[i], i % 3, 150)
                                        for i, u in enumerate(users)])
            await self.wait_arrivals(ledger, len(ledger.confirmed))
            t.stop.set()
            await asyncio.gather(*recv)
            return ledger, ok, t

        ledger, ok, t = run(go())
        self.assertTrue(all(ok), "some sends were never answered")
        self.assertEqual(len(ledger.confirmed), USERS * PEERS * PER_PAIR)
        self.assertEqual(t.unavailable, 0)
        self.assertEqual(ledger.check(), {"lost": 0, "duplicated": 0,
                                          "misrouted": 0, "out_of_order": 0})

    async def wait_arrivals(self, ledger, want, limit=60):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            got = {(s, n) for _, s, n, _ in ledger.arrivals}
            if len(got) >= want:
                return
            await asyncio.sleep(0.2)

    def test_two_devices_on_two_nodes_get_everything(self):
        async def go():
            a = await Client.open(self.nodes[0].port, "dana")
            b = await Client.open(self.nodes[1].port, "dana")
            s = await Client.open(self.nodes[2].port, "sam")
            s2 = await Client.open(self.nodes[0].port, "sam")
            await asyncio.sleep(0.5)
            for n in range(20):
                await s.send({"send": {"id": f"m{n}", "to": "dana",
                                       "text": str(n)}})
            answers = [await s.recv() for _ in range(20)]
            got = []
            for c in (a, b):
                frames = [await c.recv() for _ in range(20)]
                got.append([int(f["message"]["text"]) for f in frames])
            copies = [await s2.recv() for _ in range(20)]
            for c in (a, b, s, s2):
                await c.close()
            return answers, got, copies

        answers, got, copies = run(go(), 60)
        self.assertEqual([f["sent"]["status"] for f in answers],
                         ["DELIVERED"] * 20)
        self.assertEqual(got, [list(range(20)), list(range(20))])
        # The sender's other device, on another node, sees what it sent.
        self.assertTrue(all(f["message"]["copy"] for f in copies))
        self.assertEqual([f["message"]["id"] for f in copies],
                         [f"m{n}" for n in range(20)])

    def test_offline_on_a_sent_from_b_back_on_c(self):
        async def go():
            x = await Client.open(self.nodes[0].port, "xena")
            await x.close()
            await asyncio.sleep(0.5)
            s = await Client.open(self.nodes[1].port, "sid")
            for n in range(10):
                await s.send({"send": {"id": f"q{n}", "to": "xena",
                                       "text": str(n)}})
            answers = [await s.recv() for _ in range(10)]
            # A resend of the same client id is dropped by JetStream dedup.
            await s.send({"send": {"id": "q3", "to": "xena", "text": "3"}})
            again = await s.recv()
            x = await Client.open(self.nodes[2].port, "xena")
            frames = [await x.recv() for _ in range(10)]
            for f in frames:
                await x.send({"ack": {"messageId": f["message"]["messageId"]}})
            receipts = [await s.recv() for _ in range(10)]
            extra = None
            try:
                extra = await x.recv(1.5)
            except asyncio.TimeoutError:
                pass
            await x.close()
            await asyncio.sleep(0.5)
            # Back on A: everything was acked, nothing comes again.
            x = await Client.open(self.nodes[0].port, "xena")
            later = None
            try:
                later = await x.recv(1.5)
            except asyncio.TimeoutError:
                pass
            await x.close()
            await s.close()
            return answers, again, frames, receipts, extra, later

        answers, again, frames, receipts, extra, later = run(go(), 60)
        self.assertEqual([f["sent"]["status"] for f in answers],
                         ["QUEUED"] * 10)
        self.assertEqual(again["sent"]["messageId"],
                         answers[3]["sent"]["messageId"])
        self.assertEqual([int(f["message"]["text"]) for f in frames],
                         list(range(10)))
        self.assertEqual([f["message"]["messageId"] for f in frames],
                         [f["sent"]["messageId"] for f in answers])
        self.assertEqual(sorted(r["receipt"]["id"] for r in receipts),
                         sorted(f"q{n}" for n in range(10)))
        self.assertTrue(all(r["receipt"]["status"] == "DELIVERED"
                            for r in receipts))
        self.assertIsNone(extra)
        self.assertIsNone(later)

    def test_to_connection_across_nodes(self):
        async def go():
            a = await Client.open(self.nodes[0].port, "ann")
            b = await Client.open(self.nodes[1].port, "ben")
            o = await Client.open(self.nodes[1].port, "otto")
            await b.send({"send": {"id": "t1", "toConnection": a.id,
                                   "text": "direct"}})
            answer = await b.recv()
            got = await a.recv()
            await b.send({"send": {"id": "t2",
                                   "toConnection": "n0-0000000000000000",
                                   "text": "nobody"}})
            missing = await b.recv()
            await b.send({"send": {"id": "t3",
                                   "toConnection": "gone-0000000000000000",
                                   "text": "no node"}})
            no_node = await b.recv()
            quiet = None
            try:
                quiet = await o.recv(1)
            except asyncio.TimeoutError:
                pass
            for c in (a, b, o):
                await c.close()
            return answer, got, missing, no_node, quiet

        answer, got, missing, no_node, quiet = run(go(), 60)
        self.assertEqual(answer["sent"]["status"], "DELIVERED")
        self.assertEqual(got["message"]["text"], "direct")
        self.assertEqual(got["message"]["to"], "ann")
        self.assertEqual(got["message"]["from"], "ben")
        self.assertEqual(missing["error"]["code"], "RECIPIENT_OFFLINE")
        self.assertEqual(missing["error"]["id"], "t2")
        self.assertEqual(no_node["error"]["code"], "RECIPIENT_OFFLINE")
        self.assertIsNone(quiet)  # other users unaffected

    def test_readyz_and_nats_restart(self):
        # The only nats-server is killed -9 and restarted on its port with
        # its files: /readyz says why while it is away, a send to a user on
        # another node is UNAVAILABLE, one to a user on the same node is
        # still delivered, and acked traffic resumes with nothing lost.
        async def go():
            ledger = Ledger()
            t = Traffic(ledger, [self.nodes[1].port], window=1)
            r = asyncio.create_task(t.receiver("rita", 0))
            await asyncio.sleep(0.5)
            plan = [("rita", n) for n in range(60)]
            s = asyncio.create_task(t.sender("sven", plan, 0, 150))
            while len(ledger.confirmed) < 20:
                await asyncio.sleep(0.05)
            self.nats.kill()
            self.assertTrue(self.nodes[0].wait_ready(20, want=503))
            status, text = self.nodes[0].get("/readyz")
            local_a = await Client.open(self.nodes[0].port, "lou")
            local_b = await Client.open(self.nodes[0].port, "liv")
            far = await Client.open(self.nodes[2].port, "fay")
            await local_a.send({"send": {"id": "l1", "to": "liv",
                                         "text": "same node"}})
            local = await local_a.recv()
            got_local = await local_b.recv()
            await local_a.send({"send": {"id": "l2", "to": "fay",
                                         "text": "far"}})
            refused = await local_a.recv()
            await asyncio.sleep(1)
            self.nats.start()
            for n in self.nodes:
                self.assertTrue(n.wait_ready(30))
            ok = await s
            await self.wait_arrivals(ledger, len(ledger.confirmed))
            t.stop.set()
            await r
            for c in (local_a, local_b, far):
                await c.close()
            return (ledger, ok, status, text, local, got_local, refused)

        ledger, ok, status, text, local, got_local, refused = run(go())
        self.assertEqual(status, 503)
        self.assertIn("cluster bus down: NATS unreachable", text)
        self.assertEqual(local["sent"]["status"], "DELIVERED")
        self.assertEqual(got_local["message"]["text"], "same node")
        self.assertEqual(refused["error"]["code"], "UNAVAILABLE")
        self.assertEqual(refused["error"]["id"], "l2")
        self.assertTrue(ok)
        self.assertEqual(len(ledger.confirmed), 60)
        self.assertEqual(ledger.check(), {"lost": 0, "duplicated": 0,
                                          "misrouted": 0, "out_of_order": 0})
        for n in self.nodes:
            self.assertTrue(n.alive())

    def test_jetstream_back_without_a_reconnect_resumes_the_inbox(self):
        # NATS comes back without JetStream for a while, so the inbox
        # consumer cannot be recreated on reconnect. JetStream is then
        # turned on without a disconnect: the node must read the inbox
        # again, from where it was, while the recipient stays connected.
        async def go():
            rx = await Client.open(self.nodes[1].port, "rue")
            sx = await Client.open(self.nodes[2].port, "sol")

            async def exchange(first, count):
                for n in range(first, first + count):
                    await sx.send({"send": {"id": f"s{n}", "to": "rue",
                                            "text": str(n)}})
                sent = [(await sx.recv(20))["sent"]["status"]
                        for _ in range(count)]
                got = []
                deadline = time.monotonic() + 30
                while len(got) < count and time.monotonic() < deadline:
                    try:
                        f = await rx.recv(1)
                    except asyncio.TimeoutError:
                        continue
                    if "message" in f:
                        m = f["message"]
                        got.append(int(m["text"]))
                        await rx.send({"ack": {"messageId": m["messageId"]}})
                return sent, got

            before = await exchange(0, 3)
            self.nats.kill()
            self.nats.start(jetstream=False)
            # Reconnected, and told JetStream is missing.
            deadline = time.monotonic() + 20
            text = ""
            while time.monotonic() < deadline:
                _, text = self.nodes[1].get("/readyz")
                if "stream CHAT not ready" in text:
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(2)
            self.nats.reload(jetstream=True)
            for n in self.nodes:
                self.assertTrue(n.wait_ready(30), n.output())
            after = await exchange(3, 10)
            for c in (rx, sx):
                await c.close()
            return before, text, after

        before, text, after = run(go(), 120)
        self.assertEqual(before, (["DELIVERED"] * 3, [0, 1, 2]))
        self.assertIn("JetStream stream CHAT not ready", text)
        self.assertEqual(after[0], ["DELIVERED"] * 10)
        self.assertEqual(after[1], list(range(3, 13)))

    def test_kill_9_of_a_chatd_node_loses_nothing_acked(self):
        async def go():
            ledger = Ledger()
            t = Traffic(ledger, self.ports(), window=1)
            pairs = 12
            recv = [asyncio.create_task(t.receiver(f"kr{p}", p % 3))
                    for p in range(pairs)]
            await asyncio.sleep(1)
            send = [asyncio.create_task(t.sender(
                f"ks{p}", [(f"kr{p}", n) for n in range(80)], (p + 1) % 3,
                150)) for p in range(pairs)]
            while len(ledger.confirmed) < 200:
                await asyncio.sleep(0.05)
            self.nodes[0].kill()
            t.ports[:] = [self.nodes[1].port, self.nodes[2].port]
            ok = await asyncio.gather(*send)
            await self.wait_arrivals(ledger, len(ledger.confirmed))
            t.stop.set()
            await asyncio.gather(*recv)
            return ledger, ok, t

        ledger, ok, t = run(go())
        self.assertTrue(all(ok))
        self.assertGreater(t.reconnects, 0)
        self.assertEqual(len(ledger.confirmed), 12 * 80)
        self.assertEqual(ledger.check(), {"lost": 0, "duplicated": 0,
                                          "misrouted": 0, "out_of_order": 0})


class InboxBound(unittest.TestCase):
    """--inbox-max-messages is the stream's per-user bound."""

    def test_a_full_inbox_refuses_new_messages(self):
        d = tempdir()
        nats = NatsServer(d)
        node = Chatd(CHATD, [nats.url], "f0", "--inbox-max-messages", "5")
        try:
            async def go():
                s = await Client.open(node.port, "filler")
                for n in range(7):
                    await s.send({"send": {"id": f"f{n}", "to": "away",
                                           "text": str(n)}})
                answers = [await s.recv() for _ in range(7)]
                other = await Client.open(node.port, "other")
                await s.send({"send": {"id": "o1", "to": "other",
                                       "text": "still fine"}})
                ok = await s.recv()
                got = await other.recv()
                x = await Client.open(node.port, "away")
                frames = [await x.recv() for _ in range(5)]
                for c in (s, other, x):
                    await c.close()
                return answers, ok, got, frames

            answers, ok, got, frames = run(go(), 60)
            # Answers may come in any order: a refusal needs no probe.
            by_id = {(a.get("sent") or a.get("error"))["id"]: a
                     for a in answers}
            self.assertEqual([by_id[f"f{n}"]["sent"]["status"]
                              for n in range(5)], ["QUEUED"] * 5)
            self.assertEqual([by_id[f"f{n}"]["error"]["code"]
                              for n in (5, 6)], ["INBOX_FULL"] * 2)
            self.assertEqual(ok["sent"]["status"], "DELIVERED")
            self.assertEqual(got["message"]["text"], "still fine")
            self.assertEqual([int(f["message"]["text"]) for f in frames],
                             list(range(5)))
        finally:
            node.kill()
            nats.kill()
            shutil.rmtree(d, ignore_errors=True)


class Flags(unittest.TestCase):
    """--nats and its friends, as flags and CHAT_* variables."""

    def chatd(self, *args, env=None):
        return subprocess.run([CHATD, *args], capture_output=True, text=True,
                              timeout=30, env=env)

    def test_nats_repeats_and_joins(self):
        r = self.chatd("--nats", "nats://127.0.0.1:1", "--nats",
                       "nats://127.0.0.1:2", "--nats-replicas", "3",
                       "--print-config")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('nats = "nats://127.0.0.1:1,nats://127.0.0.1:2"\n',
                      r.stdout)
        self.assertIn("nats_replicas = 3\n", r.stdout)

    def test_environment(self):
        env = dict(os.environ, CHAT_NATS="nats://127.0.0.1:9",
                   CHAT_NATS_CREDS="/x.creds")
        r = self.chatd("--print-config", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('nats = "nats://127.0.0.1:9"\n', r.stdout)
        self.assertIn('nats_creds = "/x.creds"\n', r.stdout)

    def test_bad_values_stop_chatd(self):
        r = self.chatd("--nats", "127.0.0.1:4222")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--nats: expected nats://HOST:PORT", r.stderr)
        r = self.chatd("--nats-replicas", "9")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--nats-replicas", r.stderr)

    def test_help_names_the_flags(self):
        r = self.chatd("--help")
        for flag in ("--nats ", "--nats-creds", "--nats-tls-ca",
                     "--nats-tls-cert", "--nats-tls-key", "--nats-replicas"):
            self.assertIn(flag, r.stdout + r.stderr)


class NatsCluster(unittest.TestCase):
    """Three chatd nodes on a 3-server NATS cluster, stream replicas 3."""

    def setUp(self):
        self.root = tempdir()
        self.servers = []
        self.nodes = []
        self.addCleanup(self.clean)  # also when setUp fails
        self.servers = nats_cluster(self.root)
        urls = [s.url for s in self.servers]
        # Node i prefers server i; each knows all three.
        for i in range(3):
            self.nodes.append(Chatd(CHATD, urls[i:] + urls[:i], f"c{i}",
                                    replicas=3, ready=False))
        for n in self.nodes:
            self.assertTrue(n.wait_ready(60), n.output())

    def clean(self):
        for n in self.nodes:
            n.kill()
        for s in self.servers:
            s.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def test_kill_9_of_one_nats_server(self):
        nodes, servers = self.nodes, self.servers

        async def go():
            ledger = Ledger()
            t = Traffic(ledger, [n.port for n in nodes], window=1)
            pairs = 9
            recv = [asyncio.create_task(t.receiver(f"cr{p}", p % 3))
                    for p in range(pairs)]
            await asyncio.sleep(1)
            send = [asyncio.create_task(t.sender(
                f"cs{p}", [(f"cr{p}", n) for n in range(60)],
                (p + 1) % 3, 170)) for p in range(pairs)]
            while len(ledger.confirmed) < 150:
                await asyncio.sleep(0.05)
            servers[0].kill()
            ok = await asyncio.gather(*send)
            await OneNats.wait_arrivals(self, ledger, len(ledger.confirmed))
            t.stop.set()
            await asyncio.gather(*recv)
            return ledger, ok

        ledger, ok = run(go(), 280)
        why = explain(nodes, servers)
        self.assertTrue(all(ok), why)
        self.assertEqual(len(ledger.confirmed), 9 * 60, why)
        self.assertEqual(ledger.check(), {
            "lost": 0, "duplicated": 0, "misrouted": 0,
            "out_of_order": 0}, f"lost: {ledger.lost()}\n{why}")
        for n in nodes:
            self.assertTrue(n.alive(), n.output())

    def test_an_inbox_whose_nats_server_dies_is_read_again(self):
        # The recipient's node reads its inbox through a JetStream consumer
        # hosted by one nats-server. That server is killed -9: the node
        # must notice (a reconnect, or missed heartbeats when its own
        # connection is to another server) and read the inbox again from
        # where it was, without the recipient reconnecting.
        nodes, servers = self.nodes, self.servers

        def host_of(subject):
            for s in servers:
                if s.proc.poll() is None and subject in s.consumer_subjects():
                    return s
            return None

        async def go():
            rx = await Client.open(nodes[1].port, "rho")
            ledger = Ledger()
            t = Traffic(ledger, [nodes[2].port, nodes[0].port], window=1)
            first = await t.sender("sig", [("rho", n) for n in range(5)],
                                   0, 60)
            got = []
            for _ in range(5):
                m = (await rx.recv(20))["message"]
                got.append(Ledger.parse(m["text"])[1])
                await rx.send({"ack": {"messageId": m["messageId"]}})
            host = None
            for _ in range(50):
                host = host_of("chat.inbox.rho")
                if host:
                    break
                await asyncio.sleep(0.1)
            self.assertIsNotNone(host, "no server hosts rho's consumer")
            host.kill()
            later = await t.sender(
                "sig", [("rho", n) for n in range(5, 25)], 0, 90)
            deadline = time.monotonic() + 60
            while len(got) < 25 and time.monotonic() < deadline:
                try:
                    f = await rx.recv(1)
                except asyncio.TimeoutError:
                    continue
                m = f.get("message")
                if m:
                    got.append(Ledger.parse(m["text"])[1])
                    await rx.send({"ack": {"messageId": m["messageId"]}})
            await rx.close()
            return first, later, got, servers.index(host)

        first, later, got, host = run(go(), 200)
        why = f"consumer on n{host}\n" + explain(nodes, servers)
        self.assertTrue(first and later, why)
        # Whichever server hosted it, the same 25 in order, once each.
        self.assertEqual(got, list(range(25)), why)


if __name__ == "__main__":
    CHATD = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)

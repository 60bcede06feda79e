#!/usr/bin/python3
"""connections_client's pool, credentials and TLS, against local servers.

Usage: /usr/bin/python3 connections_pool_test.py PATH/TO/aws_tool

A burst of POSTs must use kept-alive connections and never have more than 16
requests in flight; with no AWS_* keys, credentials come from the ECS
endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI) and sign the calls; HTTPS
verifies the peer's certificate and name.
"""

import http.server
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

AWS_TOOL = None


class Recorder:
    def __init__(self, delay, tls=None):
        self.delay = delay
        self.lock = threading.Lock()
        self.in_flight = self.max_in_flight = 0
        self.peers = set()
        self.posts = []  # (path, authorization, security token)
        self.credential_fetches = 0
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, body=b""):
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # the ECS credentials endpoint
                with recorder.lock:
                    recorder.credential_fetches += 1
                ok = self.headers.get("Authorization") == "ecs-secret"
                self.answer(json.dumps({
                    "AccessKeyId": "ASIAECSROLE", "SecretAccessKey": "s",
                    "Token": "ecs-session-token",
                    "Expiration": time.strftime(
                        "%Y-%m-%dT%H:%M:%SZ",
                        time.gmtime(time.time() + 3600))}).encode()
                    if ok else b"{}")

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                with recorder.lock:
                    recorder.in_flight += 1
                    recorder.max_in_flight = max(recorder.max_in_flight,
                                                 recorder.in_flight)
                    recorder.peers.add(self.client_address)
                    recorder.posts.append(
                        (self.path, self.headers.get("Authorization", ""),
                         self.headers.get("X-Amz-Security-Token")))
                time.sleep(recorder.delay)
                with recorder.lock:
                    recorder.in_flight -= 1
                self.answer()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        scheme = "http"
        if tls:
            scheme = "https"
            self.server.socket = tls.wrap_socket(self.server.socket,
                                                 server_side=True)
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def run_tool(*args, env, check=True):
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base.update(env)
    out = subprocess.run([AWS_TOOL, "call", *args], env=base,
                         capture_output=True, text=True, timeout=60)
    if check and out.returncode != 0:
        raise AssertionError(out.stderr)
    return out.stdout.strip() if check else out


class Pool(unittest.TestCase):
    def test_burst_is_bounded_and_kept_alive(self):
        rec = Recorder(delay=0.05)
        try:
            got = run_tool(rec.url, "burst", "200", env={
                "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s"})
        finally:
            rec.stop()
        self.assertEqual(got, "200")
        self.assertEqual(sorted(p[0] for p in rec.posts),
                         sorted(f"/@connections/c{i}" for i in range(200)))
        # The default bound is 16; the server sees a little less than the
        # client has in flight, but the calls must overlap and never exceed it.
        self.assertLessEqual(rec.max_in_flight, 16)
        self.assertGreaterEqual(rec.max_in_flight, 8)
        self.assertLessEqual(len(rec.peers), 16)  # connections were reused

    def test_ecs_task_role_credentials_sign_the_calls(self):
        rec = Recorder(delay=0)
        try:
            got = run_tool(rec.url, "post", "abc=", "hi", env={
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": rec.url + "/creds",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ecs-secret",
                "AWS_REGION": "eu-west-1"})
        finally:
            rec.stop()
        self.assertEqual(got.split()[0], "200")
        self.assertEqual(rec.credential_fetches, 1)
        path, authorization, token = rec.posts[0]
        self.assertEqual(path, "/@connections/abc%3D")
        self.assertTrue(authorization.startswith(
            "AWS4-HMAC-SHA256 Credential=ASIAECSROLE/"), authorization)
        self.assertIn("x-amz-security-token", authorization)
        self.assertEqual(token, "ecs-session-token")


class Tls(unittest.TestCase):
    """HTTPS with a certificate made here for IP 127.0.0.1: trusted only when
    SSL_CERT_FILE names it, and only for the name it was issued to."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.cert = os.path.join(cls.dir.name, "cert.pem")
        key = os.path.join(cls.dir.name, "key.pem")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-keyout", key, "-out", cls.cert, "-days", "1",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True, timeout=60)
        cls.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cls.context.load_cert_chain(cls.cert, key)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def call(self, url_of, extra_env):
        rec = Recorder(delay=0, tls=self.context)
        env = {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s"}
        env.update(extra_env)
        try:
            return run_tool(url_of(rec.url), "post", "id", "x", env=env,
                            check=False), rec
        finally:
            rec.stop()

    def test_trusted_certificate_is_accepted(self):
        out, rec = self.call(lambda u: u, {"SSL_CERT_FILE": self.cert})
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.split()[0], "200")
        self.assertEqual(len(rec.posts), 1)

    def test_unknown_issuer_is_refused(self):
        out, rec = self.call(lambda u: u, {"SSL_CERT_FILE": os.devnull})
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("certificate verify failed", out.stderr)
        self.assertEqual(rec.posts, [])

    def test_certificate_for_another_name_is_refused(self):
        out, rec = self.call(lambda u: u.replace("127.0.0.1", "localhost"),
                             {"SSL_CERT_FILE": self.cert})
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("certificate verify failed", out.stderr)
        self.assertEqual(rec.posts, [])


if __name__ == "__main__":
    AWS_TOOL = sys.argv.pop(1)
    unittest.main(verbosity=2)

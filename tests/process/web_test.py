#!/usr/bin/python3
"""chatd serves the web client (server/web) built into the binary, from any
working directory; --web false turns it off; --web-root DIR serves a folder
instead; a bad --web-root stops chatd with exit 2 naming it.

Usage: /usr/bin/python3 tests/process/web_test.py PATH/TO/chatd SOURCE_DIR
"""

import os
import pathlib
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

import chatd_test
from chatd_test import Chatd, run_chatd

WEB = None  # SOURCE_DIR/server/web, from argv


def get(server, path, method="GET"):
    """(status, headers, body) of one request."""
    req = urllib.request.Request(server.url(path), method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class Web(unittest.TestCase):
    def setUp(self):
        # Run chatd somewhere with no server/web beside it.
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(self.dir.name)

    def start(self, *args):
        server = Chatd("--threads", "1", *args)
        self.addCleanup(server.kill)
        return server

    def test_serves_the_built_in_client_from_any_directory(self):
        server = self.start()
        status, headers, body = get(server, "/")
        self.assertEqual(status, 200)
        self.assertEqual(body, (WEB / "index.html").read_bytes())
        self.assertEqual(headers["Content-Type"], "text/html; charset=utf-8")
        self.assertIn("script-src 'self'", headers["Content-Security-Policy"])
        names = sorted(p.name for p in WEB.iterdir() if p.is_file())
        for name in names:
            status, headers, body = get(server, f"/{name}")
            self.assertEqual((status, body), (200, (WEB / name).read_bytes()),
                             name)
            self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        status, headers, _ = get(server, "/app.js")
        self.assertEqual(headers["Content-Type"],
                         "text/javascript; charset=utf-8")
        self.assertEqual(get(server, "/missing.js")[0], 404)
        self.assertEqual(get(server, "/healthz")[2], b"ok\n")

    def test_web_false_turns_it_off(self):
        server = self.start("--web", "false")
        self.assertEqual(get(server, "/")[0], 404)
        self.assertEqual(get(server, "/app.js")[0], 404)
        self.assertEqual(get(server, "/healthz")[0], 200)
        out = run_chatd("--web", "false", "--print-config").stdout
        self.assertIn("web = false\n", out)

    def test_web_root_serves_a_folder_instead(self):
        root = pathlib.Path(self.dir.name, "site")
        (root / "sub").mkdir(parents=True)
        (root / "index.html").write_text("<p>dev copy</p>")
        (root / "sub" / "page.css").write_text("p{}")
        (root / ".swap").write_text("editor junk")
        server = self.start("--web-root", str(root))
        self.assertEqual(get(server, "/")[2], b"<p>dev copy</p>")
        status, headers, body = get(server, "/sub/page.css")
        self.assertEqual((status, body), (200, b"p{}"))
        self.assertEqual(headers["Content-Type"], "text/css; charset=utf-8")
        self.assertEqual(get(server, "/.swap")[0], 404)
        self.assertEqual(get(server, "/app.js")[0], 404)  # not the built-in

    def test_bad_web_root_stops_chatd(self):
        r = run_chatd("--web-root", "/nonexistent/web")
        self.assertEqual(r.returncode, 2)
        self.assertIn("invalid setting: web_root /nonexistent/web", r.stderr)
        empty = pathlib.Path(self.dir.name, "empty")
        empty.mkdir()
        r = run_chatd("--web-root", str(empty))
        self.assertEqual(r.returncode, 2)
        self.assertIn("has no index.html", r.stderr)

    def test_help_names_the_flags(self):
        out = run_chatd("--help").stdout
        self.assertIn("--web VALUE, CHAT_WEB", out)
        self.assertIn("--web-root VALUE, CHAT_WEB_ROOT", out)


def main():
    global WEB
    if len(sys.argv) < 3:
        sys.exit(f"usage: {sys.argv[0]} PATH/TO/chatd SOURCE_DIR [unittest args...]")
    chatd_test.CHATD = os.path.abspath(sys.argv.pop(1))
    WEB = pathlib.Path(sys.argv.pop(1), "server", "web").resolve()
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()

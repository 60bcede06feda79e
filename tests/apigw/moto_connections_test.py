"""connections_client against moto's server mode (apigatewaymanagementapi).

Usage: python3 moto_connections_test.py PATH/TO/aws_tool

moto's server runs in this process on 127.0.0.1 (a free port), so the test
can read moto's own record of each connection after aws_tool's signed calls.
moto routes a request to apigatewaymanagementapi by the signing service
(execute-api) in the Authorization header and a path starting /@connections.
"""

import json
import os
import subprocess
import sys
import unittest

from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

AWS_TOOL = None
REGION = "eu-west-1"


class ConnectionsAgainstMoto(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0,
                                        verbose=False)
        cls.server.start()
        host, port = cls.server.get_host_and_port()
        cls.callback = f"http://{host}:{port}"

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def call(self, verb, connection_id, data=None):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
                   AWS_SECRET_ACCESS_KEY="secret", AWS_SESSION_TOKEN="token",
                   AWS_REGION=REGION)
        args = [AWS_TOOL, "call", self.callback, verb, connection_id]
        if data is not None:
            args.append(data)
        out = subprocess.run(args, env=env, capture_output=True, text=True,
                             timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        status, _, body = out.stdout.rstrip("\n").partition(" ")
        return int(status), body

    def record(self):
        return apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID][REGION]

    def test_post_lands_in_the_connection_record(self):
        self.assertEqual(self.call("post", "c-post", '{"a":1}')[0], 200)
        self.assertEqual(self.call("post", "c-post", '{"b":2}')[0], 200)
        self.assertEqual(self.record().connections["c-post"].data,
                         b'{"a":1}{"b":2}')

    def test_ids_are_encoded_as_the_sdk_does(self):
        self.assertEqual(self.call("post", "L0SM9cOFvHcCIhw=", "x")[0], 200)
        self.assertEqual(self.record().connections["L0SM9cOFvHcCIhw="].data,
                         b"x")

    def test_get_reports_the_connection(self):
        self.call("post", "c-get", "x")
        status, body = self.call("get", "c-get")
        self.assertEqual(status, 200)
        self.assertIn("connectedAt", json.loads(body))

    def test_delete_removes_the_connection(self):
        self.call("post", "c-del", "x")
        self.assertIn("c-del", self.record().connections)
        self.assertEqual(self.call("delete", "c-del")[0], 200)
        self.assertNotIn("c-del", self.record().connections)


if __name__ == "__main__":
    AWS_TOOL = sys.argv.pop(1)
    unittest.main(verbosity=2)

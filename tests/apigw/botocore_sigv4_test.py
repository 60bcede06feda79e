"""Our SigV4 for @connections calls against botocore's, byte for byte.

Usage: python3 botocore_sigv4_test.py PATH/TO/aws_tool

botocore's own apigatewaymanagementapi client builds each request (so the
path encoding is the SDK's, not a guess); its send is intercepted before
anything leaves the process. botocore's SigV4Auth then signs that request at
a fixed time, and aws_tool must print the same target and Authorization.
"""

import subprocess
import sys
import unittest

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials

AWS_TOOL = None
AMZ_DATE = "20261127T213000Z"
EPOCH = "1795815000"  # 2026-11-27T21:30:00Z
KEY_ID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def sdk_request(endpoint, operation, **params):
    """The method, path and body botocore's client would send."""
    session = botocore.session.get_session()
    client = session.create_client(
        "apigatewaymanagementapi", endpoint_url=endpoint,
        region_name="eu-west-1", aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET)
    captured = {}

    def capture(request, **_):
        captured["request"] = request
        return AWSResponse(request.url, 200, {}, None)

    client.meta.events.register("before-send", capture)
    try:
        getattr(client, operation)(**params)
    except Exception:  # the fake response has no body to parse; fine
        pass
    return captured["request"]


def botocore_sign(method, url, body, region, token=None):
    request = AWSRequest(method=method, url=url, data=body)
    auth = SigV4Auth(Credentials(KEY_ID, SECRET, token), "execute-api", region)
    request.context["timestamp"] = AMZ_DATE
    auth._modify_request_before_signing(request)
    canonical = auth.canonical_request(request)
    signature = auth.signature(auth.string_to_sign(request, canonical), request)
    auth._inject_signature_to_request(request, signature)
    return request.headers["Authorization"]


def ours(method, callback, connection_id, body, token=None):
    env = {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET}
    if token:
        env["AWS_SESSION_TOKEN"] = token
    args = [AWS_TOOL, "sign", method, callback, connection_id, EPOCH]
    if body:
        args.append(body)
    out = subprocess.run(args, env=env, capture_output=True, text=True,
                         check=True, timeout=10).stdout.splitlines()
    return out[0], out[1]


class Sigv4AgainstBotocore(unittest.TestCase):
    CALLBACK = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"

    def check(self, method, operation, connection_id, body=b"", token=None):
        params = {"ConnectionId": connection_id}
        if operation == "post_to_connection":
            params["Data"] = body
        sent = sdk_request(self.CALLBACK, operation, **params)
        self.assertEqual(sent.method, method)
        path = sent.url.split("amazonaws.com", 1)[1]
        target, authorization = ours(method, self.CALLBACK, connection_id,
                                     body.decode(), token)
        self.assertEqual(target, path)
        self.assertEqual(
            authorization,
            botocore_sign(method, sent.url, body, "eu-west-1", token))

    def test_post_to_connection(self):
        self.check("POST", "post_to_connection", "L0SM9cOFvHcCIhw=",
                   b'{"message":{"from":"alice","text":"hi"}}')

    def test_get_connection(self):
        self.check("GET", "get_connection", "L0SM9cOFvHcCIhw=")

    def test_delete_connection(self):
        self.check("DELETE", "delete_connection", "abc+def/ghi=")

    def test_session_token_is_signed(self):
        self.check("POST", "post_to_connection", "X1=", b"{}",
                   token="IQoJb3JpZ2luX2VjEXAMPLE//token==")

    def test_wss_invoke_url_signs_like_the_https_callback(self):
        https = ours("POST", self.CALLBACK, "id=", "x")
        wss = ours("POST", self.CALLBACK.replace("https", "wss"), "id=", "x")
        self.assertEqual(https, wss)


if __name__ == "__main__":
    AWS_TOOL = sys.argv.pop(1)
    unittest.main(verbosity=2)

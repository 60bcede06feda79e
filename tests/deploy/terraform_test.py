#!/usr/bin/python3
"""deploy/aws/terraform: the settings the original architecture needs are
there. The HCL is parsed with @cdktf/hcl2json (tests/deploy/node_modules,
installed by ./test.sh with `npm ci`); `terraform validate` needs the AWS
provider, which cannot be downloaded here, so it is not run.

Usage: terraform_test.py SOURCE_DIR        (the HCL assertions)
       terraform_test.py SOURCE_DIR --fmt  (`terraform fmt -check`)
Exits 77 (ctest's SKIP_RETURN_CODE) when node or terraform is missing.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import unittest

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
TF_DIR = None  # set in main()
TF = None      # {"file.tf": parsed} set in main()


def blocks(kind, type_=None):
    """{name: body} of every `kind` ("resource", "variable", ...) block, of
    resource type `type_` when given, across all files."""
    out = {}
    for parsed in TF.values():
        section = parsed.get(kind, {})
        if type_ is not None:
            section = section.get(type_, {})
        for name, bodies in section.items():
            out[name] = bodies[0]
    return out


def one(type_, name):
    return blocks("resource", type_)[name]


class Terraform(unittest.TestCase):
    def test_only_the_official_aws_provider(self):
        required = [b for p in TF.values() for t in p.get("terraform", [])
                    for b in t.get("required_providers", [])]
        self.assertEqual(len(required), 1)
        self.assertEqual(list(required[0]), ["aws"])
        self.assertEqual(required[0]["aws"]["source"], "hashicorp/aws")
        types = {t for p in TF.values() for t in p.get("resource", {})}
        self.assertTrue(all(t.startswith("aws_") for t in types), types)

    def test_ecs_fargate_with_chatd_and_xray_sidecar(self):
        self.assertTrue(blocks("resource", "aws_ecs_cluster"))
        task = one("aws_ecs_task_definition", "chatd")
        self.assertEqual(task["requires_compatibilities"], ["FARGATE"])
        self.assertEqual(task["network_mode"], "awsvpc")
        defs = task["container_definitions"]
        self.assertIn('name      = "chatd"', defs)
        self.assertIn('name         = "xray-daemon"', defs)
        self.assertIn("var.xray_image", defs)
        self.assertIn("awslogs", defs)
        for env in ("CHAT_LISTEN", "CHAT_APIGW_LISTEN", "CHAT_APIGW_CALLBACK",
                    "CHAT_XRAY", "CHAT_DRAIN_TIMEOUT", "CHAT_LOG_FORMAT"):
            self.assertIn(env, defs)
        self.assertIn("local.callback_url", defs)
        service = one("aws_ecs_service", "chatd")
        self.assertEqual(service["launch_type"], "FARGATE")

    def test_task_role_may_trace_and_manage_connections(self):
        policy = blocks("data", "aws_iam_policy_document")["task"]
        actions = [a for s in policy["statement"] for a in s["actions"]]
        self.assertIn("execute-api:ManageConnections", actions)
        self.assertIn("xray:PutTraceSegments", actions)
        self.assertIn("xray:PutTelemetryRecords", actions)
        task = one("aws_ecs_task_definition", "chatd")
        self.assertIn("aws_iam_role.task", task["task_role_arn"])

    def test_cloudwatch_log_groups(self):
        groups = blocks("resource", "aws_cloudwatch_log_group")
        self.assertGreaterEqual(set(groups), {"chatd", "xray", "apigw_access"})
        for g in groups.values():
            self.assertIn("retention_in_days", g)

    def test_websocket_api_routes_and_integrations(self):
        api = one("aws_apigatewayv2_api", "chat")
        self.assertEqual(api["protocol_type"], "WEBSOCKET")
        routes = {r["route_key"]: r
                  for r in blocks("resource", "aws_apigatewayv2_route").values()}
        self.assertEqual(set(routes), {"$connect", "$disconnect", "$default"})
        integrations = blocks("resource", "aws_apigatewayv2_integration")
        for name, path in (("connect", "/connect"),
                           ("disconnect", "/disconnect"),
                           ("default", "/default")):
            i = integrations[name]
            self.assertEqual(i["integration_type"], "HTTP")
            self.assertEqual(i["integration_method"], "POST")
            self.assertTrue(i["integration_uri"].endswith("/apigw" + path)
                            or i["integration_uri"].endswith(path), i)
            self.assertEqual(
                i["request_parameters"]["integration.request.header.connectionid"],
                "context.connectionId")
            self.assertIn(f"aws_apigatewayv2_integration.{name}.id",
                          routes["$" + name]["target"])
        params = integrations["connect"]["request_parameters"]
        self.assertEqual(params["integration.request.header.x-chat-user"],
                         "route.request.querystring.user")
        self.assertEqual(params["integration.request.header.x-chat-token"],
                         "route.request.querystring.token")
        responses = blocks("resource", "aws_apigatewayv2_integration_response")
        self.assertEqual(set(responses), {"connect", "disconnect", "default"})
        for r in responses.values():
            self.assertEqual(r["integration_response_key"], "$default")

    def test_stage_auto_deploys_logs_and_throttles(self):
        stage = one("aws_apigatewayv2_stage", "chat")
        self.assertIs(stage["auto_deploy"], True)
        access = stage["access_log_settings"][0]
        self.assertIn("aws_cloudwatch_log_group.apigw_access",
                      access["destination_arn"])
        self.assertIn("$context.connectionId", access["format"])
        route = stage["default_route_settings"][0]
        self.assertIn("throttling_burst_limit", route)
        self.assertIn("throttling_rate_limit", route)
        self.assertIs(route["data_trace_enabled"], False)

    def test_api_gateway_account_has_cloudwatch_role(self):
        account = blocks("resource", "aws_api_gateway_account")["this"]
        self.assertIn("aws_iam_role.apigw_cloudwatch", account["cloudwatch_role_arn"])

    def test_web_client_on_amplify_with_required_token(self):
        app = one("aws_amplify_app", "web")
        self.assertEqual(app["access_token"], "${var.github_access_token}")
        self.assertTrue(blocks("resource", "aws_amplify_branch"))
        token = blocks("variable")["github_access_token"]
        self.assertNotIn("default", token)
        self.assertIs(token["sensitive"], True)

    def test_outputs_wss_and_connections_urls(self):
        outputs = blocks("output")
        self.assertIn("aws_apigatewayv2_stage.chat.invoke_url",
                      outputs["websocket_url"]["value"])
        self.assertIn("local.connections_url",
                      outputs["connections_url"]["value"])
        locals_ = {k: v for p in TF.values() for l in p.get("locals", [])
                   for k, v in l.items()}
        self.assertTrue(locals_["callback_url"].startswith("https://"))
        self.assertTrue(locals_["connections_url"].endswith("/@connections"))

    def test_variables_have_type_and_description(self):
        variables = blocks("variable")
        self.assertGreater(len(variables), 10)
        required = {"chatd_image", "vpc_id", "subnet_ids", "github_access_token"}
        for name, v in variables.items():
            self.assertIn("type", v, name)
            self.assertTrue(v.get("description"), name)
            if name not in required:
                self.assertIn("default", v, name)


def run_fmt():
    terraform = shutil.which("terraform") or (
        "/usr/local/bin/terraform"
        if os.access("/usr/local/bin/terraform", os.X_OK) else None)
    if terraform is None:
        print("SKIP: terraform is not installed; fmt -check not run")
        return SKIP
    r = subprocess.run([terraform, "fmt", "-check", "-recursive", "-diff",
                        TF_DIR], capture_output=True, text=True)
    print(r.stdout)
    if r.returncode != 0:
        print(f"terraform fmt -check failed:\n{r.stderr}")
    return r.returncode


def main():
    global TF_DIR, TF
    if len(sys.argv) < 2:
        sys.exit(f"usage: {sys.argv[0]} SOURCE_DIR [--fmt]")
    TF_DIR = os.path.join(sys.argv.pop(1), "deploy", "aws", "terraform")
    if "--fmt" in sys.argv:
        sys.exit(run_fmt())
    node = shutil.which("node")
    module = os.path.join(HERE, "node_modules", "@cdktf", "hcl2json")
    if node is None or not os.path.isdir(module):
        print("SKIP: node or @cdktf/hcl2json missing; run ./test.sh "
              "(or `npm ci` in tests/deploy)")
        sys.exit(SKIP)
    files = sorted(glob.glob(os.path.join(TF_DIR, "*.tf")))
    r = subprocess.run([node, os.path.join(HERE, "hcl2json.js"), *files],
                       capture_output=True, text=True, check=True)
    TF = json.loads(r.stdout)
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()

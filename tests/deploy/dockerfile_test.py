#!/usr/bin/python3
"""deploy/aws/Dockerfile builds chatd the way the README says to: the RUN
commands of its build stage are the README's "Building from source" steps,
in order. Also: Debian 12 bases, a non-root user, the ports, a HEALTHCHECK on
/healthz. No Docker engine is needed.

Usage: dockerfile_test.py SOURCE_DIR
"""

import os
import re
import sys
import unittest

SOURCE = None  # set in main()


def read(*parts):
    with open(os.path.join(SOURCE, *parts)) as f:
        return f.read()


def instructions(dockerfile):
    """(INSTRUCTION, arguments) pairs, continuation lines joined."""
    text = re.sub(r"\\\n", " ", dockerfile)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        out.append((word.upper(), " ".join(rest.split())))
    return out


def stages(dockerfile):
    """Instructions grouped by FROM."""
    groups = []
    for ins in instructions(dockerfile):
        if ins[0] == "FROM":
            groups.append([])
        groups[-1].append(ins)
    return groups


def readme_build_steps():
    readme = read("README.md")
    m = re.search(r"<!-- build-steps -->\s*```sh\n(.*?)```", readme, re.S)
    assert m, "README.md has no <!-- build-steps --> block"
    return [" ".join(l.split()) for l in m.group(1).splitlines() if l.strip()]


class Dockerfile(unittest.TestCase):
    def setUp(self):
        self.stages = stages(read("deploy", "aws", "Dockerfile"))

    def test_build_stage_runs_exactly_the_readme_steps(self):
        build = self.stages[0]
        runs = [args for ins, args in build if ins == "RUN"]
        self.assertEqual(runs, readme_build_steps())

    def test_debian_12_bases(self):
        for stage in self.stages:
            self.assertRegex(stage[0][1], r"^debian:12(-slim)?( AS \w+)?$")
        self.assertEqual(len(self.stages), 2, "multi-stage: build and runtime")

    def test_runtime_runs_as_non_root_with_ports_and_healthcheck(self):
        runtime = dict()
        for ins, args in self.stages[-1]:
            runtime.setdefault(ins, []).append(args)
        self.assertIn("USER", runtime)
        self.assertNotIn(runtime["USER"][-1], ("root", "0"))
        self.assertIn("8080", runtime["EXPOSE"][0].split())
        self.assertRegex(runtime["HEALTHCHECK"][0], r"CMD .*/healthz")
        self.assertTrue(any(c.startswith("--from=build ") for c in runtime["COPY"]))
        self.assertIn("chatd", runtime["ENTRYPOINT"][0])


def main():
    global SOURCE
    if len(sys.argv) < 2:
        sys.exit(f"usage: {sys.argv[0]} SOURCE_DIR")
    SOURCE = sys.argv.pop(1)
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()

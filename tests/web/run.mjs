// node tests/web/run.mjs FILE.test.mjs: runs one test file with node's test
// runner, or exits 77 (ctest: skipped) when what it needs is missing:
// playwright-core (./test.sh runs `npm ci` here) or Debian's chromium.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const file = process.argv[2];
const missing = [];
if (!existsSync(join(here, "node_modules", "playwright-core"))) {
  missing.push("playwright-core (cd tests/web && npm ci)");
}
if (!existsSync("/usr/bin/chromium")) missing.push("/usr/bin/chromium (apt-get install chromium)");
if (missing.length > 0) {
  console.log(`skipped: missing ${missing.join(", ")}`);
  process.exit(77);
}
const r = spawnSync(process.execPath, ["--test", "--test-reporter=spec", join(here, file)], {
  stdio: "inherit",
  // Never let anything fetch a browser: the one under test is Debian's.
  env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1" },
});
process.exit(r.status ?? 1);

// Prints the HCL files named on the command line as one JSON object:
// {"file.tf": <hcl2json of it>, ...}. Used by terraform_test.py.
const fs = require("fs");
const path = require("path");
const { parse } = require("@cdktf/hcl2json");

(async () => {
  const out = {};
  for (const file of process.argv.slice(2)) {
    out[path.basename(file)] = await parse(file, fs.readFileSync(file, "utf8"));
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});

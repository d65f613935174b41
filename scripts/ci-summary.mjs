// Sums the vitest JSON reports written during `npm test` (VITEST_REPORT_DIR) into the one closing line CI
// reads: "N passed, N failed" (with ", N skipped" when any were skipped).
import fs from "node:fs";
import path from "node:path";

const dir = process.argv[2] ?? ".ci-reports";
let passed = 0;
let failed = 0;
let skipped = 0;
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")) : [];
for (const f of files) {
  const r = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  if ((r.numFailedTestSuites ?? 0) > 0 && (r.numFailedTests ?? 0) === 0) failed += r.numFailedTestSuites;
}
if (files.length === 0) failed += 1; // no report at all means the suite never ran
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
// a failed test fails CI whatever a runner's own exit code said
if (failed > 0) process.exitCode = 1;

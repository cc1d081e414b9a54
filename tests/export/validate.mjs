// Runs the Khronos glTF validator on each file given and prints one JSON
// line per file: its name and the validator's error, warning, info and hint
// counts with the first messages. Exits 0 even when files have errors: the
// Rust test reads the counts and says which file failed.
// Usage: node validate.mjs VALIDATOR_MODULE_DIR FILE...
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';

const [dir, ...files] = process.argv.slice(2);
const require = createRequire(`${dir}/`);
const validator = require('gltf-validator');
for (const file of files) {
  const data = new Uint8Array(await readFile(file));
  const report = await validator.validateBytes(data, { maxIssues: 50 });
  const issues = report.issues;
  console.log(JSON.stringify({
    file,
    errors: issues.numErrors,
    warnings: issues.numWarnings,
    infos: issues.numInfos,
    messages: issues.messages.slice(0, 12).map((m) => `${m.severity === 0 ? 'error' : m.severity === 1 ? 'warning' : 'info'} ${m.code} ${m.pointer || ''}: ${m.message}`),
  }));
}

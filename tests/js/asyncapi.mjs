// Parses an AsyncAPI document with the official parser and prints every
// diagnostic; exits 1 when the parser finds an error (or no document).
//
// node asyncapi.mjs FILE
import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';

const file = process.argv[2];
const parser = new Parser();
const { document, diagnostics } = await parser.parse(readFileSync(file, 'utf8'));
// Severity 0 is an error; 1 to 3 are warnings, information and hints.
const errors = diagnostics.filter((d) => d.severity === 0);
for (const d of diagnostics) {
  const level = ['error', 'warning', 'info', 'hint'][d.severity] ?? d.severity;
  console.log(`${level}: ${d.code}: ${d.message} at /${d.path.join('/')}`);
}
if (!document || errors.length > 0) {
  console.log(`${file}: not a valid AsyncAPI document (${errors.length} error(s))`);
  process.exit(1);
}
console.log(
  `${file}: valid AsyncAPI ${document.version()}, ${document.channels().length} channel(s), ` +
    `${document.operations().length} operation(s), ${document.messages().length} message(s)`,
);

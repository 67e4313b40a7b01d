// Checks exported JSON Schemas: each must validate against the JSON Schema
// 2020-12 meta-schema, and compile under ajv's strict mode once the
// keywords and formats of the event-core vocabulary are added, from the
// vocabulary's own meta-schema (`event-core/schema/vocabulary.json`): its
// `properties` are the keywords, its `$defs` named `format-*` the formats.
//
// node schemas.mjs VOCABULARY.json SCHEMA.json...
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [vocabularyFile, ...files] = process.argv.slice(2);
const vocabulary = JSON.parse(readFileSync(vocabularyFile, 'utf8'));

// The meta-schema alone, without the vocabulary: the schemas are plain
// 2020-12 schemas.
const meta = new Ajv2020({ strict: false, validateFormats: false });
const validSchema = meta.getSchema('https://json-schema.org/draft/2020-12/schema');

// Strict mode, with the vocabulary's keywords and formats and nothing else.
const strict = new Ajv2020({ strict: true });
addFormats(strict);
for (const [keyword, schema] of Object.entries(vocabulary.properties)) {
  strict.addKeyword({ keyword, metaSchema: schema });
}
for (const [name, range] of Object.entries(vocabulary.$defs)) {
  if (!name.startsWith('format-')) continue;
  const integer = range.type === 'integer';
  strict.addFormat(name.slice('format-'.length), {
    type: 'number',
    validate: (n) =>
      (!integer || Number.isInteger(n)) &&
      (range.minimum === undefined || n >= range.minimum) &&
      (range.maximum === undefined || n <= range.maximum),
  });
}
if (!validSchema(vocabulary)) {
  console.log(`${vocabularyFile}: not a 2020-12 schema: ${JSON.stringify(validSchema.errors)}`);
  process.exit(1);
}

let failures = 0;
for (const file of files) {
  const schema = JSON.parse(readFileSync(file, 'utf8'));
  if (!validSchema(schema)) {
    failures += 1;
    console.log(`${file}: not a 2020-12 schema: ${JSON.stringify(validSchema.errors)}`);
    continue;
  }
  try {
    strict.compile(schema);
  } catch (error) {
    failures += 1;
    console.log(`${file}: rejected under ajv strict: ${error.message}`);
  } finally {
    if (schema.$id !== undefined) strict.removeSchema(schema.$id);
  }
}
console.log(`schemas: ${files.length} checked, ${failures} rejected`);
process.exit(failures === 0 ? 0 : 1);

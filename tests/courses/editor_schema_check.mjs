// Loads the lesson editor's schema (frontend/editor/schema.mjs) in Node and reports, as JSON on stdout, the
// node and mark types it has and, for each document given as a JSON list on stdin, the error TipTap raises
// when opening it as the editor does (prepareDocument, then createDocument with the content check), or null.
// Used by tests/courses/test_editor_schema.py.
import { readFileSync } from "node:fs";

import { createDocument, getSchema } from "@tiptap/core";

import { lessonExtensions, prepareDocument } from "../../frontend/editor/schema.mjs";

const documents = JSON.parse(readFileSync(0, "utf8"));
const schema = getSchema(lessonExtensions());
const errors = documents.map((doc) => {
  try {
    const prepared = prepareDocument(doc);
    if (prepared) createDocument(prepared, schema, {}, { errorOnInvalidContent: true });
    return null;
  } catch (error) {
    return String((error.cause && error.cause.message) || error.message);
  }
});
console.log(JSON.stringify({ nodes: Object.keys(schema.nodes), marks: Object.keys(schema.marks), errors }));

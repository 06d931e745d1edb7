/* The lesson editor's schema, free of the DOM (tests load it in Node: tests/courses/editor_schema_check.mjs).
 *
 * Its extensions give TipTap exactly the node and mark types of courses/tiptap_schema.json, the list the
 * learner renderer (courses/content.py) reads too, so the editor opens every body the lesson page renders.
 * `prepareDocument` is the one translation a stored body needs first: the renderer's aliases to TipTap's
 * names, and what the renderer ignores but ProseMirror refuses. It returns a copy; the textarea keeps the
 * stored JSON until the admin edits.
 */
import Code from "@tiptap/extension-code";
import Highlight from "@tiptap/extension-highlight";
import Image from "@tiptap/extension-image";
import Link from "@tiptap/extension-link";
import Subscript from "@tiptap/extension-subscript";
import Superscript from "@tiptap/extension-superscript";
import StarterKit from "@tiptap/starter-kit";

import LESSON_TYPES from "../../courses/tiptap_schema.json" with { type: "json" };

export { LESSON_TYPES };

export function lessonExtensions() {
  return [
    // No TrailingNode: it appends a paragraph on the first click, which would change a body merely opened.
    StarterKit.configure({ link: false, code: false, trailingNode: false }),
    // TipTap's code mark excludes every other mark; bodies (and the renderer) combine them, e.g. bold code.
    Code.extend({ excludes: "code" }),
    Link.configure({ openOnClick: false, autolink: true, protocols: ["http", "https", "mailto"] }),
    Image,
    Highlight,
    Subscript,
    Superscript,
  ];
}

const own = (object, key) => typeof key === "string" && Object.prototype.hasOwnProperty.call(object, key);

function textOf(node) {
  if (!node || typeof node !== "object") return "";
  if (node.type === "text") return typeof node.text === "string" ? node.text : "";
  return Array.isArray(node.content) ? node.content.map(textOf).join("") : "";
}

function prepareNode(node) {
  if (!node || typeof node !== "object" || Array.isArray(node)) return node;
  const out = { ...node };
  if (own(LESSON_TYPES.nodeAliases, out.type)) out.type = LESSON_TYPES.nodeAliases[out.type];
  if (Array.isArray(out.marks)) {
    out.marks = out.marks.map((mark) =>
      mark && own(LESSON_TYPES.markAliases, mark.type) ? { ...mark, type: LESSON_TYPES.markAliases[mark.type] } : mark,
    );
  }
  if (out.type === "codeBlock") {
    // As the renderer: a code block is its plain text (ProseMirror allows no marks or other nodes in it).
    const code = textOf(out);
    out.content = code ? [{ type: "text", text: code }] : [];
    return out;
  }
  if (Array.isArray(out.content)) {
    // Empty text nodes: the renderer drops them, ProseMirror refuses them.
    out.content = out.content.filter((child) => !(child && child.type === "text" && child.text === "")).map(prepareNode);
  }
  return out;
}

/** The stored body as TipTap should open it, or null for an empty document (the editor starts blank). */
export function prepareDocument(doc) {
  if (!doc) return null;
  const prepared = prepareNode(doc);
  return Array.isArray(prepared.content) && prepared.content.length ? prepared : null;
}

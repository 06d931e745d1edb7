/* Lesson body editor for the admin: TipTap (StarterKit + Link, Image, Highlight, Sub/Superscript: schema.mjs)
 * over the body's JSON textarea.
 *
 * The textarea stays the form field: the server still receives and validates TipTap JSON, and the
 * learner page renders it with the same sanitiser (courses/content.py). The editor writes the textarea
 * only when the admin edits, so opening and saving a lesson leaves an existing body byte-for-byte as it
 * was. A body the editor cannot load (not JSON, not a TipTap document, unknown nodes) is shown as an
 * error and left in the raw textarea, never silently rewritten.
 *
 * Built by `npm run build:editor` (esbuild) into static/build/editor/, which is git-ignored.
 */
import { Editor } from "@tiptap/core";

import { lessonExtensions, prepareDocument } from "./schema.mjs";

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

function parseBody(raw) {
  const text = raw.trim();
  if (!text || text === "null") return { doc: null };
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `The saved body is not valid JSON (${error.message}). Fix it in the box below.` };
  }
  if (!value || typeof value !== "object" || Array.isArray(value) || value.type !== "doc") {
    return { error: 'The saved body is not a TipTap document ({"type": "doc", …}). Fix it in the box below.' };
  }
  return { doc: value };
}

const BUTTONS = [
  { label: "Paragraph", title: "Paragraph", run: (c) => c.setParagraph(), active: (e) => e.isActive("paragraph") },
  { label: "H2", title: "Heading 2", run: (c) => c.toggleHeading({ level: 2 }), active: (e) => e.isActive("heading", { level: 2 }) },
  { label: "H3", title: "Heading 3", run: (c) => c.toggleHeading({ level: 3 }), active: (e) => e.isActive("heading", { level: 3 }) },
  { label: "B", title: "Bold", run: (c) => c.toggleBold(), active: (e) => e.isActive("bold") },
  { label: "I", title: "Italic", run: (c) => c.toggleItalic(), active: (e) => e.isActive("italic") },
  { label: "U", title: "Underline", run: (c) => c.toggleUnderline(), active: (e) => e.isActive("underline") },
  { label: "S", title: "Strikethrough", run: (c) => c.toggleStrike(), active: (e) => e.isActive("strike") },
  { label: "Highlight", title: "Highlight", run: (c) => c.toggleHighlight(), active: (e) => e.isActive("highlight") },
  { label: "x₂", title: "Subscript", run: (c) => c.toggleSubscript(), active: (e) => e.isActive("subscript") },
  { label: "x²", title: "Superscript", run: (c) => c.toggleSuperscript(), active: (e) => e.isActive("superscript") },
  { label: "Code", title: "Inline code", run: (c) => c.toggleCode(), active: (e) => e.isActive("code") },
  { label: "• List", title: "Bulleted list", run: (c) => c.toggleBulletList(), active: (e) => e.isActive("bulletList") },
  { label: "1. List", title: "Numbered list", run: (c) => c.toggleOrderedList(), active: (e) => e.isActive("orderedList") },
  { label: "Quote", title: "Blockquote", run: (c) => c.toggleBlockquote(), active: (e) => e.isActive("blockquote") },
  { label: "Code block", title: "Code block", run: (c) => c.toggleCodeBlock(), active: (e) => e.isActive("codeBlock") },
  { label: "―", title: "Horizontal rule", run: (c) => c.setHorizontalRule(), active: () => false },
];

function mount(textarea) {
  const field = textarea.closest(".form-row") || textarea.parentElement;
  const wrapper = document.createElement("div");
  wrapper.className = "lesson-editor";
  const status = document.createElement("p");
  status.className = "lesson-editor__status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");

  const parsed = parseBody(textarea.value);
  if (parsed.error) {
    status.classList.add("errornote");
    status.textContent = parsed.error;
    textarea.before(status);
    return;
  }

  const toolbar = document.createElement("div");
  toolbar.className = "lesson-editor__toolbar";
  toolbar.setAttribute("role", "toolbar");
  toolbar.setAttribute("aria-label", "Body formatting");
  const surface = document.createElement("div");
  surface.className = "lesson-editor__surface";
  wrapper.append(toolbar, surface, status);
  textarea.before(wrapper);

  let editor;
  const buttons = [];
  function addButton(spec) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = spec.label;
    button.title = spec.title;
    button.setAttribute("aria-label", spec.title);
    button.setAttribute("aria-pressed", "false");
    // A pointer press keeps the caret in the document (the usual editor toolbar behaviour): without this the
    // button takes focus and the keys typed before TipTap's deferred focus() lands go to the button instead.
    button.addEventListener("mousedown", (event) => event.preventDefault());
    button.addEventListener("click", () => {
      spec.run(editor.chain().focus()).run();
    });
    toolbar.append(button);
    buttons.push({ button, spec });
  }
  BUTTONS.forEach(addButton);
  addButton({
    label: "Link",
    title: "Link",
    run: (chain) => {
      const previous = editor.getAttributes("link").href || "";
      const href = window.prompt("Link address (https://…, mailto:…); empty removes the link", previous);
      if (href === null) return chain;
      if (!href.trim()) return chain.extendMarkRange("link").unsetLink();
      if (!/^(https?:|mailto:)/i.test(href.trim())) {
        status.textContent = "Links must start with https://, http:// or mailto:.";
        return chain;
      }
      return chain.extendMarkRange("link").setLink({ href: href.trim() });
    },
    active: (e) => e.isActive("link"),
  });

  const imageInput = document.createElement("input");
  imageInput.type = "file";
  imageInput.accept = "image/png,image/jpeg,image/gif,image/webp";
  imageInput.hidden = true;
  imageInput.setAttribute("data-role", "image-input");
  const uploadUrl = textarea.dataset.imageUploadUrl;
  if (uploadUrl) {
    const imageButton = document.createElement("button");
    imageButton.type = "button";
    imageButton.textContent = "Image";
    imageButton.title = "Insert an image";
    imageButton.setAttribute("aria-label", "Insert an image");
    imageButton.addEventListener("click", () => imageInput.click());
    toolbar.append(imageButton, imageInput);
    imageInput.addEventListener("change", () => {
      const file = imageInput.files && imageInput.files[0];
      if (!file) return;
      const form = new FormData();
      form.append("image", file);
      status.classList.remove("errornote");
      status.textContent = `Uploading “${file.name}”…`;
      fetch(uploadUrl, {
        method: "POST",
        body: form,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      })
        .then((response) => response.json().then((data) => ({ ok: response.ok, data })))
        .then(({ ok, data }) => {
          if (!ok) throw new Error(data.error || "The image was refused.");
          editor.chain().focus().setImage({ src: data.url, alt: data.alt || "" }).run();
          status.textContent = `Inserted “${file.name}”.`;
        })
        .catch((error) => {
          status.classList.add("errornote");
          status.textContent = error.message || "The image could not be uploaded.";
        })
        .finally(() => {
          imageInput.value = "";
        });
    });
  } else {
    const note = document.createElement("span");
    note.className = "help";
    note.textContent = "Save the lesson once to add images.";
    toolbar.append(note);
  }

  function refreshButtons() {
    buttons.forEach(({ button, spec }) => {
      button.setAttribute("aria-pressed", spec.active(editor) ? "true" : "false");
    });
  }

  try {
    editor = new Editor({
      element: surface,
      extensions: lessonExtensions(),
      content: prepareDocument(parsed.doc) || "",
      enableContentCheck: true,
      editorProps: { attributes: { class: "lesson-editor__content", "aria-label": "Lesson body", role: "textbox", "aria-multiline": "true" } },
      onContentError: ({ error, disableCollaboration }) => {
        if (disableCollaboration) disableCollaboration();
        throw error;
      },
      onUpdate: ({ editor: current }) => {
        textarea.value = JSON.stringify(current.getJSON());
        // The live preview (lesson_content_preview.js) re-renders on the textarea's input event.
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
      },
      onSelectionUpdate: refreshButtons,
      onTransaction: refreshButtons,
    });
  } catch (error) {
    wrapper.remove();
    status.classList.add("errornote");
    status.textContent = `The saved body cannot be opened in the editor (${error.message}). Fix it in the box below.`;
    textarea.before(status);
    return;
  }
  refreshButtons();
  // The JSON stays reachable (collapsed) for anyone who needs to look at or paste raw TipTap JSON.
  const details = document.createElement("details");
  details.className = "lesson-editor__raw";
  const summary = document.createElement("summary");
  summary.textContent = "Raw TipTap JSON";
  textarea.before(details);
  details.append(summary, textarea);
  textarea.addEventListener("change", () => {
    const again = parseBody(textarea.value);
    if (!again.error) editor.commands.setContent(prepareDocument(again.doc) || "", { emitUpdate: false });
  });
  field.classList.add("has-lesson-editor");
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("textarea.tiptap-json").forEach(mount);
});

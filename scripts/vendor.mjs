// Copies the browser files the site serves from npm packages (node_modules/, pinned by package-lock.json)
// into static/vendor/, which is git-ignored: nothing built or downloaded is committed, and nothing is
// loaded from a CDN at run time. `npm run build` runs this; add a package's files to FILES to serve them.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "static", "vendor");

// [file in node_modules, path under static/vendor/]
const FILES = [
  ["@mux/mux-player/dist/mux-player.js", "mux-player/mux-player.js"],
];

rmSync(out, { recursive: true, force: true });
for (const [from, to] of FILES) {
  const target = join(out, to);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(root, "node_modules", from), target);
}
console.log(`static/vendor/: ${FILES.length} files from node_modules`);

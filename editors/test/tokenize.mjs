// Tokenizes every `.fgac` file of grammar/examples (and the repository's examples) with
// vscode-textmate and Oniguruma, the engine VS Code highlights with, using editors/fgac.tmLanguage.json,
// and checks that comments, strings, keywords, roles, reasons and times land in their scopes
// and that no visible character is left unrecognized. Exit 1 with every mismatch listed.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import vsctm from "vscode-textmate";
import oniguruma from "vscode-oniguruma";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const require = createRequire(import.meta.url);
const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));

const registry = new vsctm.Registry({
  onigLib: Promise.resolve({
    createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
    createOnigString: (s) => new oniguruma.OnigString(s),
  }),
  loadGrammar: async (scope) => {
    if (scope !== "source.fgac") return null;
    const file = path.join(root, "editors/fgac.tmLanguage.json");
    return vsctm.parseRawGrammar(fs.readFileSync(file, "utf8"), file);
  },
});
const grammar = await registry.loadGrammar("source.fgac");

// Words and the scope each must carry (outside strings and comments).
const expected = new Map();
const add = (scope, words) => words.forEach((w) => expected.set(w, scope));
add("storage.type.credential.fgac", ["key", "token"]);
add("keyword.other.test.fgac", ["test", "policy", "expect"]);
add("keyword.control.effect.fgac", ["allow", "deny"]);
add("keyword.other.field.fgac", ["expires", "id", "networks", "superuser", "reason", "at"]);
add("keyword.other.selector.fgac", ["cache", "store", "item", "items", "topic", "topics", "prefix", "account"]);
add("support.type.role.fgac", ["readwrite", "readonly", "writeonly", "publishsubscribe", "subscribeonly", "publishonly"]);
add("support.constant.reason.fgac", ["unknown_credential", "expired", "wrong_resource_kind", "super_user_required", "no_matching_grant", "denied_by_rule"]);
add("constant.language.never.fgac", ["never"]);

// Where the strings and the comment of a line are, by a scan that follows the language's
// lexical rules (a `#` outside a string starts a comment, except in `denied_by_rule #N`).
function lexical(line) {
  const kinds = new Array(line.length).fill("code");
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === '"') {
      const start = i++;
      while (i < line.length && line[i] !== '"') i += line[i] === "\\" ? 2 : 1;
      for (let k = start; k <= Math.min(i, line.length - 1); k++) kinds[k] = "string";
      i++;
    } else if (c === "#" && !/denied_by_rule\s*$/.test(line.slice(0, i))) {
      for (let k = i; k < line.length; k++) kinds[k] = "comment";
      break;
    } else {
      i++;
    }
  }
  return kinds;
}

const files = [];
for (const dir of ["grammar/examples", "examples", "examples/mesh", "examples/review"]) {
  const full = path.join(root, dir);
  if (!fs.existsSync(full)) continue;
  for (const f of fs.readdirSync(full).sort()) if (f.endsWith(".fgac")) files.push(path.join(dir, f));
}
const problems = [];
let tokensChecked = 0;
for (const file of files) {
  const lines = fs.readFileSync(path.join(root, file), "utf8").split(/\r?\n/);
  let stack = vsctm.INITIAL;
  lines.forEach((line, n) => {
    const result = grammar.tokenizeLine(line, stack);
    stack = result.ruleStack;
    const kinds = lexical(line);
    for (const t of result.tokens) {
      const text = line.slice(t.startIndex, t.endIndex);
      const scopes = t.scopes.slice(1);
      const where = `${file}:${n + 1}:${t.startIndex + 1} \`${text}\` [${scopes.join(" ")}]`;
      if (text.trim() === "") continue;
      tokensChecked++;
      if (scopes.length === 0) problems.push(`unrecognized: ${where}`);
      const kind = kinds[t.startIndex];
      const has = (prefix) => scopes.some((s) => s.startsWith(prefix));
      if (kind === "comment" && !has("comment.line")) problems.push(`not a comment: ${where}`);
      if (kind === "string" && !has("string.quoted")) problems.push(`not a string: ${where}`);
      if (kind === "code") {
        if (has("comment") || has("string")) problems.push(`code taken for ${scopes[0]}: ${where}`);
        const word = expected.get(text.trim());
        if (word && !has(word)) problems.push(`\`${text}\` should be ${word}: ${where}`);
        if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}T/.test(text) && !has("constant.numeric.timestamp")) {
          problems.push(`not a timestamp: ${where}`);
        }
      }
    }
  });
}
if (files.length < 10) problems.push(`only ${files.length} files found under ${root}`);
if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error(`${problems.length} problems in ${files.length} files`);
  process.exit(1);
}
console.log(`grammar: ${files.length} files, ${tokensChecked} tokens in their scopes`);

// kubectl's files: reading -f arguments (files, directories, stdin), parsing their YAML or JSON
// documents into objects, and printing objects as go-yaml does.
import fs from 'node:fs';
import path from 'node:path';
import { dep } from './deps.mjs';
import { KubectlError } from './errors.mjs';

const YAML = dep('yaml');

// go-yaml (sigs.k8s.io/yaml) quoting: a string that would read back as another YAML 1.1 type is
// double-quoted ("True", "12", timestamps); one that cannot be plain for its characters is
// single-quoted; multi-line strings are literal blocks.
const YAML11_NON_STRING = [
  /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(~|null|Null|NULL|)$/,
  /^[-+]?(0b[0-1_]+|0[0-7_]+|(0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(:[0-5]?[0-9])+)$/,
  /^[-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?$|^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/,
  /^[-+]?[0-9]+[eE][-+]?[0-9]+$/,
  /^\d{4}-\d\d?-\d\d?([Tt]|[ \t]+)\d\d?:\d\d:\d\d(\.\d*)?([ \t]*(Z|[-+]\d\d?(:\d\d)?))?$|^\d{4}-\d\d-\d\d$/,
  /^<<$/,
];

export function toYaml(obj) {
  const doc = new YAML.Document(obj, { sortMapEntries: true, aliasDuplicateObjects: false });
  YAML.visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string') return;
      if (node.value.includes('\n')) node.type = 'BLOCK_LITERAL';
      else if (YAML11_NON_STRING.some((re) => re.test(node.value))) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ indentSeq: false, lineWidth: 0, minContentWidth: 0, singleQuote: true });
}

/** The objects of a file's documents; a List's items stand for the List. */
export function parseManifests(text, source) {
  const objs = [];
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const v = JSON.parse(trimmed);
      return flattenLists(Array.isArray(v) ? v : [v]);
    } catch {
      // Not JSON after all: YAML accepts JSON-like flow documents too.
    }
  }
  let docs;
  try {
    docs = YAML.parseAllDocuments(text, { version: '1.1', merge: true });
  } catch (e) {
    throw new KubectlError(`error: error parsing ${source}: ${e.message}`);
  }
  for (const d of docs) {
    if (d.errors?.length) {
      throw new KubectlError(
        `error: error parsing ${source}: error converting YAML to JSON: yaml: ${d.errors[0].message.split('\n')[0]}`,
      );
    }
    const v = d.toJS({ maxAliasCount: -1 });
    if (v === null || v === undefined) continue;
    if (typeof v !== 'object' || Array.isArray(v)) {
      throw new KubectlError(
        `error: error parsing ${source}: error unmarshaling JSON: json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go value of type map[string]interface {}`,
      );
    }
    objs.push(v);
  }
  return flattenLists(objs);
}

function flattenLists(objs) {
  return objs.flatMap((o) =>
    o && typeof o === 'object' && /List$/.test(o.kind ?? '') && Array.isArray(o.items)
      ? o.items
      : [o],
  );
}

export function readText(p) {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT') throw new KubectlError(`error: the path "${p}" does not exist`);
    if (e.code === 'EACCES') throw new KubectlError(`error: open ${p}: permission denied`);
    throw e;
  }
}

/** The texts of -f arguments: `-` (stdin), files, and directories' .yaml/.yml/.json files. */
export function readFileArgs(files, recursive, readStdin) {
  const out = [];
  const walk = (d) => {
    for (const e of fs
      .readdirSync(d, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (recursive) walk(p);
      } else if (/\.(ya?ml|json)$/.test(e.name)) out.push({ source: p, text: readText(p) });
    }
  };
  for (const f of files) {
    if (f === '-') {
      out.push({ source: 'STDIN', text: readStdin() });
      continue;
    }
    if (/^https?:\/\//.test(f))
      throw new KubectlError(`error: unable to read URL "${f}": the bed has no network access`);
    let st;
    try {
      st = fs.statSync(f);
    } catch {
      throw new KubectlError(`error: the path "${f}" does not exist`);
    }
    if (st.isDirectory()) walk(f);
    else out.push({ source: f, text: readText(f) });
  }
  return out;
}

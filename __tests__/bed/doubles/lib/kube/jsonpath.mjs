// kubectl's JSONPath templates (k8s.io/client-go/util/jsonpath), the commonly used subset:
// fields, ['quoted'] and escaped-dot keys, [n], [a:b], [*], .., [?(@.x == "y")], {range}{end},
// string literals, and text outside braces. Missing keys print nothing (kubectl allows them).
import { isPlainObject } from './json.mjs';

export class JsonPathError extends Error {}

/** The index of the bracket that closes the one at s[i] (quoted text skipped), or -1. */
function closing(s, i, opens, closes) {
  let depth = 0;
  let quote = null;
  for (let j = i; j < s.length; j++) {
    const ch = s[j];
    if (quote) {
      if (ch === '\\') j++;
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (opens.includes(ch)) depth++;
    else if (closes.includes(ch)) {
      depth--;
      if (depth === 0) return j;
    }
  }
  return -1;
}

function splitTemplate(tpl) {
  const parts = [];
  let i = 0;
  let text = '';
  while (i < tpl.length) {
    if (tpl[i] === '{') {
      if (text) parts.push({ type: 'text', text });
      text = '';
      const j = closing(tpl, i, '{', '}');
      if (j === -1) throw new JsonPathError(`unclosed action`);
      parts.push(parseAction(tpl.slice(i + 1, j).trim()));
      i = j + 1;
    } else {
      text += tpl[i];
      i++;
    }
  }
  if (text) parts.push({ type: 'text', text });
  return nest(parts);
}

function nest(parts) {
  const root = [];
  const stack = [root];
  for (const p of parts) {
    if (p.type === 'range') {
      const node = { type: 'range', path: p.path, body: [] };
      stack[stack.length - 1].push(node);
      stack.push(node.body);
    } else if (p.type === 'end') {
      if (stack.length === 1) throw new JsonPathError('not in range, nothing to end');
      stack.pop();
    } else stack[stack.length - 1].push(p);
  }
  if (stack.length !== 1) throw new JsonPathError('unclosed range');
  return root;
}

function unquote(s) {
  const q = s[0];
  const body = s.slice(1, -1);
  if (q === '"') {
    try {
      return JSON.parse(`"${body}"`);
    } catch {
      return body;
    }
  }
  return body.replace(/\\(.)/g, (_, c) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}

function parseAction(s) {
  if (s === 'end') return { type: 'end' };
  if (s.startsWith('range ')) return { type: 'range', path: parsePath(s.slice(6).trim()) };
  if (/^(["']).*\1$/s.test(s)) return { type: 'text', text: unquote(s) };
  return { type: 'path', path: parsePath(s) };
}

function readName(s, i) {
  let name = '';
  while (i < s.length && s[i] !== '.' && s[i] !== '[') {
    if (s[i] === '\\' && i + 1 < s.length) {
      name += s[i + 1];
      i += 2;
    } else {
      if (/\s/.test(s[i])) throw new JsonPathError(`unrecognized identifier ${s.slice(i)}`);
      name += s[i];
      i++;
    }
  }
  return [name, i];
}

export function parsePath(s) {
  const steps = [];
  let i = 0;
  if (s[0] === '$' || s[0] === '@') i = 1;
  else if (s[0] !== '.' && s[0] !== '[') {
    const [name, j] = readName(s, 0);
    steps.push({ type: 'field', name });
    i = j;
  }
  while (i < s.length) {
    if (s.startsWith('..', i)) {
      const [name, j] = readName(s, i + 2);
      steps.push({ type: 'recursive', name });
      i = j;
    } else if (s[i] === '.') {
      const [name, j] = readName(s, i + 1);
      if (name === '') throw new JsonPathError(`invalid path ${s}`);
      steps.push(name === '*' ? { type: 'all' } : { type: 'field', name });
      i = j;
    } else if (s[i] === '[') {
      const j = closing(s, i, '[(', '])');
      if (j === -1) throw new JsonPathError(`unterminated array`);
      steps.push(parseBracket(s.slice(i + 1, j).trim()));
      i = j + 1;
    } else {
      throw new JsonPathError(`unrecognized character in action: ${s.slice(i)}`);
    }
  }
  return steps;
}

function parseBracket(c) {
  if (c === '*') return { type: 'all' };
  if (c.startsWith('?(') && c.endsWith(')'))
    return { type: 'filter', expr: parseFilter(c.slice(2, -1).trim()) };
  if (/^(["']).*\1$/s.test(c)) return { type: 'field', name: unquote(c) };
  if (/^-?\d*(:-?\d*){0,2}$/.test(c)) {
    if (!c.includes(':')) return { type: 'index', index: Number(c) };
    const [a, b, st] = c.split(':');
    return {
      type: 'slice',
      start: a === '' ? null : Number(a),
      end: b === '' || b === undefined ? null : Number(b),
      step: st ? Number(st) : 1,
    };
  }
  if (c.includes(','))
    return { type: 'union', items: c.split(',').map((x) => parseBracket(x.trim())) };
  throw new JsonPathError(`invalid array index ${c}`);
}

function parseOperand(s) {
  if (s.startsWith('@')) return { path: parsePath(s) };
  if (/^(["']).*\1$/s.test(s)) return { value: unquote(s) };
  if (/^-?\d+(\.\d+)?$/.test(s)) return { value: Number(s) };
  if (s === 'true' || s === 'false') return { value: s === 'true' };
  return { value: s };
}

function parseFilter(e) {
  const m = /^(.*?)\s*(==|!=|<=|>=|<|>|=~)\s*(.*)$/s.exec(e);
  if (!m) return { left: parseOperand(e), op: 'exists' };
  return { left: parseOperand(m[1].trim()), op: m[2], right: parseOperand(m[3].trim()) };
}

function applyStep(values, step) {
  const out = [];
  for (const v of values) {
    switch (step.type) {
      case 'field':
        if (isPlainObject(v) && Object.prototype.hasOwnProperty.call(v, step.name))
          out.push(v[step.name]);
        break;
      case 'all':
        if (Array.isArray(v)) out.push(...v);
        else if (isPlainObject(v))
          out.push(
            ...Object.keys(v)
              .sort()
              .map((k) => v[k]),
          );
        break;
      case 'index':
        if (Array.isArray(v)) {
          const idx = step.index < 0 ? v.length + step.index : step.index;
          if (idx >= 0 && idx < v.length) out.push(v[idx]);
          else
            throw new JsonPathError(
              `array index out of bounds: index ${step.index}, length ${v.length}`,
            );
        }
        break;
      case 'slice':
        if (Array.isArray(v)) {
          const norm = (x, d) =>
            x === null ? d : x < 0 ? Math.max(0, v.length + x) : Math.min(x, v.length);
          const a = norm(step.start, 0);
          const b = norm(step.end, v.length);
          for (let k = a; k < b; k += step.step) out.push(v[k]);
        }
        break;
      case 'union':
        for (const it of step.items) out.push(...applyStep([v], it));
        break;
      case 'recursive': {
        const walk = (x) => {
          if (isPlainObject(x)) {
            if (step.name === '*' || step.name === '') out.push(...Object.values(x));
            else if (Object.prototype.hasOwnProperty.call(x, step.name)) out.push(x[step.name]);
            for (const y of Object.values(x)) walk(y);
          } else if (Array.isArray(x)) for (const y of x) walk(y);
        };
        walk(v);
        break;
      }
      case 'filter': {
        const items = Array.isArray(v) ? v : isPlainObject(v) ? [v] : [];
        for (const it of items) if (filterMatches(step.expr, it)) out.push(it);
        break;
      }
      default:
        break;
    }
  }
  return out;
}

function operand(o, item) {
  if ('value' in o) return [o.value];
  return evalPath(o.path, item);
}

function filterMatches(f, item) {
  const left = operand(f.left, item);
  if (f.op === 'exists')
    return left.length > 0 && left[0] !== null && left[0] !== undefined && left[0] !== false;
  const right = operand(f.right, item);
  if (!left.length || !right.length) return f.op === '!=' && left.length !== right.length;
  const [a, b] = [left[0], right[0]];
  switch (f.op) {
    case '==':
      return String(a) === String(b);
    case '!=':
      return String(a) !== String(b);
    case '<':
      return Number(a) < Number(b);
    case '>':
      return Number(a) > Number(b);
    case '<=':
      return Number(a) <= Number(b);
    case '>=':
      return Number(a) >= Number(b);
    case '=~':
      return new RegExp(String(b).replace(/^\/|\/$/g, '')).test(String(a));
    default:
      return false;
  }
}

export function evalPath(steps, root) {
  let values = [root];
  for (const s of steps) values = applyStep(values, s);
  return values;
}

/** Go's json.Marshal: compact, sorted map keys, <>& escaped. */
export function goJson(v, indent) {
  const sort = (x) =>
    Array.isArray(x)
      ? x.map(sort)
      : isPlainObject(x)
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .map((k) => [k, sort(x[k])]),
          )
        : x;
  return JSON.stringify(sort(v), null, indent)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
}

function printValue(v) {
  if (Array.isArray(v) || isPlainObject(v)) return goJson(v);
  if (v === null || v === undefined) return '';
  return String(v);
}

function execNodes(nodes, data, out) {
  for (const n of nodes) {
    if (n.type === 'text') out.push(n.text);
    else if (n.type === 'path') out.push(evalPath(n.path, data).map(printValue).join(' '));
    else if (n.type === 'range') {
      for (const v of evalPath(n.path, data)) {
        const items = Array.isArray(v) ? v : [v];
        for (const it of items) execNodes(n.body, it, out);
      }
    }
  }
}

/** Executes a kubectl -o jsonpath template against an object (or a List). */
export function execute(template, data) {
  const nodes = splitTemplate(template);
  const out = [];
  execNodes(nodes, data, out);
  return out.join('');
}

export function parseTemplate(template) {
  return splitTemplate(template);
}

/** kubectl's RelaxedJSONPathExpression, used by --for=jsonpath= and --sort-by. */
export function relaxed(expr) {
  if (expr === '') return expr;
  const m = /^\{\.?([^{}]+)\}$|^\.?([^{}]+)$/.exec(expr);
  if (!m) {
    throw new JsonPathError(
      "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'",
    );
  }
  return `{.${m[1] || m[2]}}`;
}

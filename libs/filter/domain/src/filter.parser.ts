import { parse } from '@rsql/parser';
import { FilterError } from './filter.errors';
import { KNOWN_SELECTORS, resolveField, type FieldRef } from './filter.fields';

export type FilterOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'like' | 'notlike' | 'in' | 'out';

/**
 * A checked filter: selectors resolved, operators normalised, values converted for their field
 * (numbers parsed, enum values upper-cased, `*` patterns split into literal segments).
 */
export type FilterNode =
  | { kind: 'all' }
  | { kind: 'and' | 'or'; children: FilterNode[] }
  | { kind: 'cmp'; ref: FieldRef; op: FilterOp; value: FilterValue; position: number };

export type FilterValue =
  | { kind: 'string'; value: string }
  | { kind: 'strings'; values: string[] }
  | { kind: 'pattern'; segments: string[] }
  | { kind: 'number'; value: number }
  | { kind: 'numbers'; values: number[] };

// @rsql/ast (which declares the node types) is a transitive dependency only: take the type from parse().
type ExpressionNode = ReturnType<typeof parse>;

const OPERATORS: Record<string, FilterOp> = {
  '==': 'eq', '!=': 'ne', '=lt=': 'lt', '<': 'lt', '=le=': 'le', '<=': 'le', '=gt=': 'gt', '>': 'gt', '=ge=': 'ge', '>=': 'ge',
  '=li=': 'like', '=in=': 'in', '=out=': 'out',
};

/** Parses hawkBit's FIQL/RSQL dialect with @rsql/parser and checks it against the target fields. */
export function parseFilter(query: string): FilterNode {
  if (query.trim() === '') return { kind: 'all' };
  let ast: ExpressionNode;
  try {
    ast = parse(query);
  } catch (error) {
    const message = (error as Error).message;
    // @rsql/parser counts positions from 1; ours count from 0 like string indexes.
    const at = /at position (\d+)/.exec(message);
    throw new FilterError('filter_syntax_error', message.replace(/ in ".*"\.?/s, ''), at ? Number(at[1]) - 1 : query.length);
  }
  return check(ast, query, { next: 0 });
}

function check(node: ExpressionNode, query: string, cursor: { next: number }): FilterNode {
  if (node.type === 'LOGIC') {
    const kind = node.operator === ';' || node.operator === 'and' ? 'and' : 'or';
    const children = [check(node.left, query, cursor), check(node.right, query, cursor)]
      .flatMap((c) => (c.kind === kind ? (c as { children: FilterNode[] }).children : [c]));
    return { kind, children };
  }
  const selector = node.left.selector;
  const position = locate(query, selector, node.operator, cursor);
  const ref = resolveField(selector);
  if (!ref) {
    throw new FilterError('filter_unknown_field', `unknown field "${selector}"; known fields: ${KNOWN_SELECTORS.join(', ')}`, position, selector);
  }
  let op = OPERATORS[node.operator];
  if (!op) {
    throw new FilterError('filter_unknown_operator', `unknown operator "${node.operator}"; known: ${Object.keys(OPERATORS).join(' ')}`, position + selector.length, selector, node.operator);
  }
  const raw = node.right.value;
  const isList = op === 'in' || op === 'out';
  if (Array.isArray(raw) !== isList) {
    throw new FilterError('filter_invalid_value', isList ? `${node.operator} takes a list like (a,b)` : `${node.operator} takes a single value`, position, selector, node.operator);
  }
  const texts = Array.isArray(raw) ? raw : [raw];
  const pattern = (op === 'eq' || op === 'ne' || op === 'like') && hasWildcard(texts[0]);
  if (pattern) op = op === 'ne' ? 'notlike' : 'like';
  return { kind: 'cmp', ref, op, value: convert(ref, op, texts, pattern, position, selector), position };
}

function convert(ref: FieldRef, op: FilterOp, texts: string[], pattern: boolean, position: number, selector: string): FilterValue {
  const kind = ref.field.kind;
  const fail = (message: string): never => {
    throw new FilterError('filter_invalid_value', message, position, selector);
  };
  if (op === 'like' || op === 'notlike') {
    if (kind === 'number' || kind === 'enum') {
      throw new FilterError('filter_operator_not_allowed', `"${selector}" does not take patterns`, position, selector, '=li=');
    }
    return { kind: 'pattern', segments: pattern ? splitPattern(texts[0]) : [unescape(texts[0])] };
  }
  if (kind === 'number') {
    const values = texts.map((t) => toNumber(t) ?? fail(`"${t}" is not a number or an ISO-8601 instant`));
    return values.length === 1 && op !== 'in' && op !== 'out' ? { kind: 'number', value: values[0] } : { kind: 'numbers', values };
  }
  if (kind === 'enum') {
    if (op !== 'eq' && op !== 'ne' && op !== 'in' && op !== 'out') {
      throw new FilterError('filter_operator_not_allowed', `"${selector}" takes ==, !=, =in= and =out= only`, position, selector);
    }
    const values = texts.map((t) => {
      const v = unescape(t).toUpperCase();
      return ref.field.enumValues!.includes(v) ? v : fail(`"${t}" is not one of ${ref.field.enumValues!.join(', ')}`);
    });
    return op === 'in' || op === 'out' ? { kind: 'strings', values } : { kind: 'string', value: values[0] };
  }
  const values = texts.map(unescape);
  return op === 'in' || op === 'out' ? { kind: 'strings', values } : { kind: 'string', value: values[0] };
}

/** The selector's offset in the query: searched left to right, as the AST lists comparisons in order. */
function locate(query: string, selector: string, operator: string, cursor: { next: number }): number {
  for (let at = query.indexOf(selector, cursor.next); at >= 0; at = query.indexOf(selector, at + 1)) {
    const before = at === 0 ? '' : query[at - 1];
    const after = query.slice(at + selector.length).trimStart();
    if (!/[\w.]/.test(before) && after.startsWith(operator)) {
      cursor.next = at + selector.length;
      return at;
    }
  }
  return cursor.next;
}

function hasWildcard(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '*') return true;
  }
  return false;
}

/** `a*b\*c` → ['a', 'b*c']: wildcards split, `\x` stands for a literal x. */
function splitPattern(text: string): string[] {
  const segments = [''];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) segments[segments.length - 1] += text[++i];
    else if (c === '*') segments.push('');
    else segments[segments.length - 1] += c;
  }
  return segments;
}

function unescape(text: string): string {
  return text.replace(/\\(.)/gs, '$1');
}

function toNumber(text: string): number | undefined {
  if (/^-?\d{1,16}$/.test(text)) return Number(text);
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

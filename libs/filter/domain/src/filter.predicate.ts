import type { FilterTarget } from './filter.fields';
import type { FilterNode, FilterOp, FilterValue } from './filter.parser';
import { foldCase, patternRegExp } from './filter-text';

export type TargetPredicate = (target: FilterTarget) => boolean;
type Test = (value: string | number) => boolean;

/**
 * Compiles a checked filter into a closure tree. Per target it allocates nothing unless a string needs
 * case folding; constants are folded once here. Missing values match only the negative operators
 * (!=, =out=), exactly like the SQL (hawkBit: a target without the attribute is "not equal").
 */
export function compilePredicate(node: FilterNode): TargetPredicate {
  switch (node.kind) {
    case 'all':
      return () => true;
    case 'and': {
      const parts = node.children.map(compilePredicate);
      return (t) => {
        for (let i = 0; i < parts.length; i++) if (!parts[i](t)) return false;
        return true;
      };
    }
    case 'or': {
      const parts = node.children.map(compilePredicate);
      return (t) => {
        for (let i = 0; i < parts.length; i++) if (parts[i](t)) return true;
        return false;
      };
    }
    case 'cmp': {
      const { field, key } = node.ref;
      const negate = node.op === 'ne' || node.op === 'out' || node.op === 'notlike';
      const test = valueTest(positiveOp(node.op), node.value, field.kind === 'string' || field.kind === 'map' || field.kind === 'list');
      const positive: TargetPredicate = field.kind === 'list'
        ? (t) => {
            const values = field.read(t) as readonly string[] | null | undefined;
            if (!values) return false;
            for (let i = 0; i < values.length; i++) if (test(values[i])) return true;
            return false;
          }
        : (t) => {
            const v = field.read(t, key) as string | number | null | undefined;
            return v !== null && v !== undefined && test(v);
          };
      return negate ? (t) => !positive(t) : positive;
    }
  }
}

function positiveOp(op: FilterOp): FilterOp {
  return op === 'ne' ? 'eq' : op === 'out' ? 'in' : op === 'notlike' ? 'like' : op;
}

function valueTest(op: FilterOp, value: FilterValue, foldsCase: boolean): Test {
  const fold = foldsCase ? foldCase : (s: string) => s;
  switch (value.kind) {
    case 'string': {
      const c = value.value;
      if (op === 'eq') {
        const folded = fold(c);
        // Folding keeps the length, so most mismatches are rejected without touching the string.
        return (v) => typeof v === 'string' && v.length === folded.length && fold(v) === folded;
      }
      return ordering(op, c);
    }
    case 'strings': {
      const set = new Set(value.values.map(fold));
      return (v) => typeof v === 'string' && set.has(fold(v));
    }
    case 'pattern': {
      const segments = value.segments.map(fold);
      if (segments.length === 1) return valueTest('eq', { kind: 'string', value: segments[0] }, foldsCase);
      const re = patternRegExp(segments);
      return (v) => typeof v === 'string' && re.test(fold(v));
    }
    case 'number':
      return op === 'eq' ? (v) => v === value.value : ordering(op, value.value);
    case 'numbers': {
      const set = new Set(value.values);
      return (v) => typeof v === 'number' && set.has(v);
    }
  }
}

/** Strings compare by UTF-16 code unit, which equals PostgreSQL's COLLATE "C" order outside astral planes. */
function ordering(op: FilterOp, c: string | number): Test {
  switch (op) {
    case 'lt':
      return (v) => typeof v === typeof c && v < c;
    case 'le':
      return (v) => typeof v === typeof c && v <= c;
    case 'gt':
      return (v) => typeof v === typeof c && v > c;
    case 'ge':
      return (v) => typeof v === typeof c && v >= c;
    default:
      throw new Error(`operator ${op} has no ordering`);
  }
}

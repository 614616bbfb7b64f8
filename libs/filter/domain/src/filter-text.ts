/**
 * Case folding that PostgreSQL reproduces exactly: only A–Z are folded, as `lower(x COLLATE "C")` does.
 * (JavaScript's toLowerCase folds all of Unicode, PostgreSQL's depends on the locale: the two would
 * disagree on some rows.) hawkBit compares strings ignoring case by default; so does Rollgate, for ASCII.
 */
export function foldCase(text: string): string {
  return /[A-Z]/.test(text) ? text.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : text;
}

/** A LIKE pattern from literal segments joined by `%`, escaping LIKE's own metacharacters. */
export function likePattern(segments: readonly string[]): string {
  return segments.map((s) => s.replace(/[\\%_]/g, (c) => `\\${c}`)).join('%');
}

/** The same pattern as an anchored RegExp for in-memory matching. */
export function patternRegExp(segments: readonly string[]): RegExp {
  return new RegExp(`^${segments.map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('[\\s\\S]*')}$`);
}

import fc from 'fast-check';
import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, undefined, { f: 1, e: 2 }], c: 'x' }, z: undefined })).toBe('{"a":{"c":"x","d":[3,null,{"e":2,"f":1}]},"b":1}');
  });

  it('writes dates as ISO strings and refuses non-finite numbers', () => {
    expect(canonicalJson([new Date('2026-11-22T03:00:00.000Z')])).toBe('["2026-11-22T03:00:00.000Z"]');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
  });

  it('is valid JSON that parses back to the same value, whatever the key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const canonical = canonicalJson(value);
        expect(JSON.parse(canonical)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(canonicalJson(JSON.parse(canonical))).toBe(canonical);
      }),
    );
  });

  it('writes an array of strings (a membership chunk) exactly as the element-by-element form', () => {
    const elementwise = (items: string[]) => `[${items.map((item) => JSON.stringify(item)).join(',')}]`;
    fc.assert(fc.property(fc.array(fc.string({ unit: 'binary' })), (items) => expect(canonicalJson(items)).toBe(elementwise(items))));
    expect(canonicalJson(['a"b', 'c\\d', '\u2028', 'é'])).toBe(elementwise(['a"b', 'c\\d', '\u2028', 'é']));
  });

  it('does not depend on the order in which keys were inserted', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.integer()), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(record));
      }),
    );
  });
});

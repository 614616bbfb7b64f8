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

  it('orders keys exactly as the native sort does, for few keys and for many', () => {
    // The reference: keys by Array.prototype.sort (UTF-16 code units), each member written by JSON.stringify.
    const reference = (record: Record<string, number>): string =>
      `{${Object.keys(record).sort().map((key) => `${JSON.stringify(key)}:${JSON.stringify(record[key])}`).join(',')}}`;
    const keys = fc.string({ unit: 'binary', maxLength: 6 });
    for (const maxKeys of [8, 40]) {
      fc.assert(fc.property(fc.dictionary(keys, fc.integer(), { maxKeys }), (record) => expect(canonicalJson(record)).toBe(reference(record))));
    }
    expect(canonicalJson({ 'é': 1, z: 2, '10': 3, '9': 4, 'Z': 5, '\ud83d\ude00': 6, '"': 7 })).toBe(reference({ 'é': 1, z: 2, '10': 3, '9': 4, 'Z': 5, '\ud83d\ude00': 6, '"': 7 }));
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

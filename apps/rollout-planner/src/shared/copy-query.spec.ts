import { copyLines, inlineParameters } from './copy-query';

/** Feeds COPY text in pieces cut anywhere, as the network hands it over, and collects the rows. */
function rowsOf(pieces: readonly string[]): Array<Array<string | null>> {
  const rows: Array<Array<string | null>> = [];
  const fields: Array<string | null> = [];
  let rest = '';
  for (const piece of pieces) rest = copyLines(rest + piece, fields, (row) => rows.push([...row]));
  expect(rest).toBe('');
  return rows;
}

describe('copyLines', () => {
  it('splits complete lines into fields, NULL as null, unescaped, whatever the cut', () => {
    const text = 'dev-1\t1700\t\\N\ncam\\tera-2\t1800\t{t,f}\n';
    const expected = [['dev-1', '1700', null], ['cam\tera-2', '1800', '{t,f}']];
    expect(rowsOf([text])).toEqual(expected);
    for (let cut = 1; cut < text.length; cut++) expect(rowsOf([text.slice(0, cut), text.slice(cut)])).toEqual(expected);
  });

  it('keeps an incomplete last line for the next piece and reuses one fields array', () => {
    const fields: Array<string | null> = [];
    const seen: Array<ReadonlyArray<string | null>> = [];
    const rest = copyLines('a\t1\nb\t2\nc\t', fields, (row) => seen.push(row));
    expect(rest).toBe('c\t');
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(fields);
    expect(fields).toEqual(['b', '2']);
  });

  it('gives a row of one field and empty fields as empty strings', () => {
    expect(rowsOf(['only\n\t\n'])).toEqual([['only'], ['', '']]);
  });
});

describe('inlineParameters', () => {
  it('writes values as SQL literals', () => {
    expect(inlineParameters('x = $1 AND y = ANY($2::text[]) AND z = $3', ["it's", ['a', 'b'], 3])).toBe("x = 'it''s' AND y = ANY(ARRAY['a', 'b']::text[]) AND z = 3");
  });
});

import { newcChecksum, packCpioNewc } from './cpio-newc';

/** Reads an archive back field by field, as cpio(5) describes it, to hold the writer to the format. */
function readMembers(archive: Buffer): Array<{ name: string; mode: number; size: number; check: number; data: Buffer; headerAt: number; dataAt: number }> {
  const members = [];
  let offset = 0;
  for (;;) {
    const header = archive.subarray(offset, offset + 110).toString('ascii');
    expect(header.slice(0, 6)).toBe('070702');
    const field = (i: number) => parseInt(header.slice(6 + i * 8, 14 + i * 8), 16);
    const nameSize = field(11);
    const size = field(6);
    const name = archive.subarray(offset + 110, offset + 110 + nameSize - 1).toString('utf8');
    expect(archive[offset + 110 + nameSize - 1]).toBe(0);
    const dataAt = align4(offset + 110 + nameSize);
    const data = archive.subarray(dataAt, dataAt + size);
    members.push({ name, mode: field(1), size, check: field(12), data, headerAt: offset, dataAt });
    offset = align4(dataAt + size);
    if (name === 'TRAILER!!!') break;
  }
  expect(offset).toBe(archive.length);
  return members;
}

const align4 = (n: number) => Math.ceil(n / 4) * 4;

describe('cpio newc-with-CRC writer', () => {
  it('writes members in the given order, 4-byte aligned, with sizes, regular-file modes and byte-sum checksums, then the trailer', () => {
    const description = Buffer.from('software = { version = "1"; };\n');
    const signature = Buffer.from([0x30, 0x82, 0xff, 0x01, 0x02]);
    const payload = Buffer.alloc(1027, 0xab);
    const archive = packCpioNewc([
      { name: 'sw-description', data: description },
      { name: 'sw-description.sig', data: signature },
      { name: 'payload.bin', data: payload, mode: 0o600 },
    ]);

    const members = readMembers(archive);
    expect(members.map((m) => m.name)).toEqual(['sw-description', 'sw-description.sig', 'payload.bin', 'TRAILER!!!']);
    expect(members.map((m) => m.size)).toEqual([description.length, signature.length, payload.length, 0]);
    expect(members.map((m) => m.mode)).toEqual([0o100644, 0o100644, 0o100600, 0]);
    expect(members[0].data).toEqual(description);
    expect(members[1].data).toEqual(signature);
    expect(members[2].data).toEqual(payload);
    expect(members[1].check).toBe(0x30 + 0x82 + 0xff + 0x01 + 0x02);
    expect(members[2].check).toBe(1027 * 0xab);
    for (const member of members) expect([member.headerAt % 4, member.dataAt % 4]).toEqual([0, 0]);
  });

  it('sums checksums modulo 2^32', () => {
    // 0xff * 16,843,010 = 2^32 + 254: the sum wraps past 32 bits exactly as swupdate's unsigned counter does.
    const large = Buffer.alloc(16_843_010, 0xff);
    expect(newcChecksum(large)).toBe(254);
  });

  it('refuses an empty name or the trailer name for a member', () => {
    expect(() => packCpioNewc([{ name: '', data: Buffer.alloc(1) }])).toThrow('reserved or empty');
    expect(() => packCpioNewc([{ name: 'TRAILER!!!', data: Buffer.alloc(1) }])).toThrow('reserved or empty');
  });
});

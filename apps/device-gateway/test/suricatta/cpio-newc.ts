/**
 * A writer for cpio archives in the "new ASCII with CRC" format (magic `070702`), the container of a
 * swupdate `.swu` image. Written here rather than shelling out to `cpio -H crc` so that the e2e test needs no
 * cpio binary and controls the member order exactly (swupdate reads `sw-description` first and its
 * signature second, before anything else, from a stream it cannot rewind).
 *
 * Format (see cpio(5)): per member a 110-byte ASCII header (magic + 13 fields of 8 hex digits), the name
 * with its NUL, padding to a multiple of 4, the data, padding to a multiple of 4; the archive ends with a
 * member named `TRAILER!!!`. In the CRC variant the `check` field is the sum of all data bytes modulo 2^32,
 * which swupdate recomputes and compares for every member it extracts.
 */
export interface CpioMember {
  name: string;
  data: Buffer;
  /** permission bits; regular file is implied */
  mode?: number;
  /** seconds since the epoch; fixed by default so the same inputs give the same archive */
  mtime?: number;
}

const MAGIC_NEWC_CRC = '070702';
const HEADER_LENGTH = 110;
const REGULAR_FILE = 0o100000;
const TRAILER_NAME = 'TRAILER!!!';

/** The newc CRC checksum: the sum of every data byte, modulo 2^32. */
export function newcChecksum(data: Buffer): number {
  let sum = 0;
  for (const byte of data) sum = (sum + byte) >>> 0;
  return sum;
}

export function packCpioNewc(members: readonly CpioMember[]): Buffer {
  const parts: Buffer[] = [];
  members.forEach((member, index) => {
    if (member.name.length === 0 || member.name === TRAILER_NAME) throw new Error(`cpio member name ${JSON.stringify(member.name)} is reserved or empty`);
    parts.push(
      ...memberParts({
        ino: index + 1,
        mode: REGULAR_FILE | (member.mode ?? 0o644),
        nlink: 1,
        mtime: member.mtime ?? 0,
        name: member.name,
        data: member.data,
      }),
    );
  });
  parts.push(...memberParts({ ino: 0, mode: 0, nlink: 1, mtime: 0, name: TRAILER_NAME, data: Buffer.alloc(0) }));
  return Buffer.concat(parts);
}

interface RawMember {
  ino: number;
  mode: number;
  nlink: number;
  mtime: number;
  name: string;
  data: Buffer;
}

function memberParts(member: RawMember): Buffer[] {
  const name = Buffer.from(`${member.name}\0`, 'utf8');
  const fields = [
    member.ino,
    member.mode,
    0, // uid
    0, // gid
    member.nlink,
    member.mtime,
    member.data.length,
    0, // devmajor
    0, // devminor
    0, // rdevmajor
    0, // rdevminor
    name.length,
    newcChecksum(member.data),
  ];
  const header = Buffer.from(MAGIC_NEWC_CRC + fields.map(hex8).join(''), 'ascii');
  if (header.length !== HEADER_LENGTH) throw new Error(`cpio header of ${header.length} bytes`);
  return [header, name, padding(HEADER_LENGTH + name.length), member.data, padding(member.data.length)];
}

function hex8(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`cpio field ${value} does not fit 8 hex digits`);
  return value.toString(16).padStart(8, '0');
}

/** Zero bytes that bring `length` to the next multiple of 4. */
function padding(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

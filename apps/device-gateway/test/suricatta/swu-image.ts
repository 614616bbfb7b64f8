import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packCpioNewc } from './cpio-newc';
import { signCms, type SigningIdentity } from './signing-identity';

/** One file that swupdate's rawfile handler writes to `installPath` (an absolute path on the device). */
export interface RawFilePayload {
  filename: string;
  content: Buffer;
  installPath: string;
}

export interface SwuImageSpec {
  version: string;
  /** the board name and revisions this image is compatible with (matched against swupdate's `-H board:rev`) */
  board: string;
  hardwareRevisions: string[];
  files: RawFilePayload[];
}

export interface SwuImage {
  bytes: Buffer;
  swDescription: string;
}

/**
 * Builds a signed `.swu`: `sw-description` (libconfig syntax) with one rawfile entry per payload, its CMS
 * signature `sw-description.sig`, then the payloads, as a newc-with-CRC cpio archive in that order (swupdate
 * requires the description and its signature to be the first two members). Signed images must give a
 * sha256 for every artifact, which swupdate checks while installing.
 */
export function buildSwuImage(spec: SwuImageSpec, identity: SigningIdentity, workDir: string): SwuImage {
  const swDescription = renderSwDescription(spec);
  const descriptionPath = join(workDir, 'sw-description');
  writeFileSync(descriptionPath, swDescription);
  const signature = signCms(identity, descriptionPath);
  const bytes = packCpioNewc([
    { name: 'sw-description', data: Buffer.from(swDescription, 'utf8') },
    { name: 'sw-description.sig', data: signature },
    ...spec.files.map((file) => ({ name: file.filename, data: file.content })),
  ]);
  return { bytes, swDescription };
}

export function renderSwDescription(spec: SwuImageSpec): string {
  const files = spec.files
    .map((file) =>
      [
        '\t\t\t{',
        `\t\t\t\tfilename = ${libconfigString(file.filename)};`,
        `\t\t\t\tpath = ${libconfigString(file.installPath)};`,
        `\t\t\t\tsha256 = ${libconfigString(createHash('sha256').update(file.content).digest('hex'))};`,
        '\t\t\t}',
      ].join('\n'),
    )
    .join(',\n');
  return [
    'software =',
    '{',
    `\tversion = ${libconfigString(spec.version)};`,
    `\t${libconfigName(spec.board)} = {`,
    `\t\thardware-compatibility: [ ${spec.hardwareRevisions.map(libconfigString).join(', ')} ];`,
    '\t\tfiles: (',
    files,
    '\t\t);',
    '\t};',
    '}',
    '',
  ].join('\n');
}

function libconfigString(value: string): string {
  return JSON.stringify(value);
}

/** libconfig setting names: a letter or `*`, then letters, digits, `-`, `_`, `*`. */
function libconfigName(value: string): string {
  if (!/^[A-Za-z*][-A-Za-z0-9_*]*$/.test(value)) throw new Error(`board name ${JSON.stringify(value)} is not a libconfig setting name`);
  return value;
}

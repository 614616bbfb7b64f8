import { Injectable } from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id with the library's defaults (19 MiB, 2 passes: OWASP's minimum). Hashing lives here, in the app;
 * the identity domain only stores the hash string it is given.
 */
@Injectable()
export class PasswordHasher {
  /** A real hash to verify against when the user does not exist, so timing does not reveal who does. */
  private readonly decoy = hash('rollgate-decoy-secret-never-matches');

  hash(secret: string): Promise<string> {
    return hash(secret);
  }

  async verify(storedHash: string | undefined, secret: string): Promise<boolean> {
    try {
      return await verify(storedHash ?? (await this.decoy), secret);
    } catch {
      // A malformed stored hash is a failed login, not a server error.
      return false;
    }
  }
}

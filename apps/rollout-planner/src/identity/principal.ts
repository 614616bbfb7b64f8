import type { Permission } from '@rollgate/identity-domain';

/** Who a request acts as. The tenant comes from here, never from the request, so isolation cannot be forged. */
export interface Principal {
  tenant: string;
  /** `user:<name>` or `token:<id>`; recorded as the actor of every event the request causes */
  actor: string;
  username: string;
  permissions: readonly Permission[];
}

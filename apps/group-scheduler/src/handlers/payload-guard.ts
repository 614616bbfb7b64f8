import { ROLLOUT_EVENT_TYPES, SCHEDULING_EVENT_TYPES } from '@rollgate/contracts';
import Ajv, { type ValidateFunction } from 'ajv';

/**
 * Checks a consumed event's payload against its published contract before the scheduler acts on it. A
 * payload that breaks its contract cannot be fixed by retrying: the handler logs and skips it rather than
 * failing (which would hold the consumer back through every redelivery before the dead letter).
 */
export class PayloadGuard {
  private readonly validators = new Map<string, ValidateFunction>();

  constructor() {
    const ajv = new Ajv({ strict: false, allErrors: false });
    for (const contract of [...ROLLOUT_EVENT_TYPES, ...SCHEDULING_EVENT_TYPES]) this.validators.set(contract.type, ajv.compile(contract.schema));
  }

  /** undefined when the payload is acceptable (or no contract is published for the type); else the problem. */
  problem(type: string, data: unknown): string | undefined {
    if (typeof data !== 'object' || data === null) return 'its data is not an object';
    const validate = this.validators.get(type);
    if (!validate || validate(data)) return undefined;
    const [first] = validate.errors ?? [];
    return `its data breaks the contract: ${first?.instancePath || '/'} ${first?.message ?? 'is invalid'}`;
  }
}

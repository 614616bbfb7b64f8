import type { Decider } from './decider';
import { RollgateError } from './errors';

/**
 * Given/when/then specs for deciders:
 *   given(decider, [created]).when(start).then([started])
 *   given(decider, [created, started]).when(start).thenThrows('rollout_already_running')
 * It stays framework-free (returns values or throws plain Errors) so any test runner can use it.
 */
export function given<C, S, E>(decider: Decider<C, S, E>, history: readonly E[] = []) {
  const state = history.reduce(decider.evolve, decider.initialState);
  return {
    state,
    when(command: C) {
      const run = () => decider.decide(command, state);
      return {
        then(expected: readonly E[]): E[] {
          const actual = run();
          assertDeepEqual(actual, expected);
          return actual;
        },
        thenState(check: (next: S, events: E[]) => void): void {
          const events = run();
          check(events.reduce(decider.evolve, state), events);
        },
        thenThrows(code: string): RollgateError {
          let events: E[];
          try {
            events = run();
          } catch (error) {
            if (error instanceof RollgateError && error.code === code) return error;
            throw new Error(`expected error code "${code}" but got ${describe(error)}`);
          }
          throw new Error(`expected error code "${code}" but the command produced ${JSON.stringify(events)}`);
        },
      };
    },
  };
}

function describe(error: unknown): string {
  return error instanceof RollgateError ? `"${error.code}" (${error.message})` : String(error);
}

function assertDeepEqual(actual: unknown, expected: unknown): void {
  const a = stableJson(actual);
  const e = stableJson(expected);
  if (a !== e) throw new Error(`events differ\n  expected: ${e}\n  actual:   ${a}`);
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y)))
      : v,
  );
}

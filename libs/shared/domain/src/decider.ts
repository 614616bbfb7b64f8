/**
 * A decider is the whole behaviour of one aggregate or process, as pure functions:
 * `decide(command, state)` answers the events that the command causes (or throws a DomainError),
 * `evolve(state, event)` folds one event into the state. Time, ids and randomness arrive inside commands,
 * never from the environment, so replaying the same events always rebuilds the same state.
 */
export interface Decider<Command, State, Event> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState: State;
}

/** A domain event as deciders see it: a type tag plus its payload. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

/** Rebuilds a decider's state from its history. */
export function fold<C, S, E>(decider: Decider<C, S, E>, events: readonly E[]): S {
  return events.reduce(decider.evolve, decider.initialState);
}

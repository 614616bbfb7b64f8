import { rolloutsProjection } from '@rollgate/read-models';

/**
 * The read models the rollouts routes answer from: a rollout write waits for these only, so a lagging
 * read model of another resource (catalog, actions) cannot turn a rollout write into an error.
 */
export const ROLLOUT_READ_MODELS: readonly string[] = [rolloutsProjection.name];

/** Target ids per membership event: a million targets are 200 events, and each stays a modest jsonb row. */
export const MEMBERSHIP_CHUNK = 5_000;

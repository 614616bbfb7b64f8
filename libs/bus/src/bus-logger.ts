/** The structured logger the bus writes to (pino's shape, so a Nest app passes its logger straight in). */
export interface BusLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Used when none is given: problems still reach stderr, routine progress is dropped. */
export const STDERR_LOGGER: BusLogger = {
  info: () => undefined,
  warn: (obj, msg) => console.warn(JSON.stringify({ level: 'warn', msg, ...obj })),
  error: (obj, msg) => console.error(JSON.stringify({ level: 'error', msg, ...obj })),
};

export function errorFields(error: unknown): { err: { message: string; name?: string; code?: unknown } } {
  if (error instanceof Error) return { err: { message: error.message, name: error.name, code: (error as { code?: unknown }).code } };
  return { err: { message: String(error) } };
}

import type { LoggerService } from '@nestjs/common';
import { pinoOptions, type LogLevel } from '@rollgate/observability';
import pino, { type Logger } from 'pino';

/**
 * Nest's logger before the app's own (nestjs-pino, request-aware) is installed and after it is gone: the
 * start, a failed start and the shutdown. Without it those lines would come out in Nest's coloured text
 * format, the one place where the service's stdout stopped being JSON.
 */
export class BootstrapLogger implements LoggerService {
  readonly pino: Logger;

  constructor(service: string, level: LogLevel) {
    this.pino = pino(pinoOptions({ service, level }));
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest passes the context name last; an Error or a stack string may come before it. */
  private write(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', message: unknown, params: unknown[]): void {
    const context = typeof params[params.length - 1] === 'string' ? params[params.length - 1] : undefined;
    const err = message instanceof Error ? message : params.find((p): p is Error => p instanceof Error);
    const text = message instanceof Error ? message.message : typeof message === 'string' ? message : JSON.stringify(message);
    this.pino[level]({ ...(context ? { context } : {}), ...(err ? { err } : {}) }, text);
  }
}

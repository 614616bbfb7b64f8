import { ValidationError } from './errors';

/**
 * Cron schedules for maintenance windows. hawkBit takes Quartz expressions
 * (`sec min hour day-of-month month day-of-week [year]`, e.g. `0 0 3 ? * 6`); classic five-field Unix
 * expressions (`min hour dom month dow`) are accepted too. Supported: `*`, `?`, numbers, ranges, steps,
 * lists, month and weekday names. Not supported (refused, never silently misread): `L`, `W`, `#`.
 * Written by hand because the domain must stay free of I/O-capable packages and the subset is small.
 */
export interface CronSchedule {
  readonly source: string;
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>; // 1..12
  readonly daysOfWeek: ReadonlySet<number>; // 0 = Sunday .. 6
  readonly years?: ReadonlySet<number>;
  /** Unix cron matches a day when either restricted day field matches; Quartz forbids restricting both. */
  readonly dayMatch: 'both' | 'dom' | 'dow' | 'either';
}

/** A time zone as a function from an instant to its UTC offset in minutes. */
export interface TimeZone {
  readonly name: string;
  offsetMinutesAt(utcMs: number): number;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const DAY_MS = 86_400_000;
const SEARCH_DAYS = 366 * 8;

export function parseCron(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length < 5 || parts.length > 7) {
    throw cronError(expression, `expected 5 (Unix) or 6-7 (Quartz) fields, got ${parts.length}`);
  }
  const quartz = parts.length >= 6;
  const [sec, min, hour, dom, month, dow, year] = quartz ? parts : ['0', ...parts];
  // Quartz numbers weekdays 1 (SUN) .. 7 (SAT); Unix 0 (SUN) .. 6, with 7 also Sunday.
  const dowValues = field(expression, dow, quartz ? 1 : 0, 7, WEEKDAYS, quartz ? 1 : 0);
  const daysOfWeek = new Set(dowValues.map((d) => (quartz ? d - 1 : d % 7)));
  const domAny = dom === '*' || dom === '?';
  const dowAny = dow === '*' || dow === '?';
  if (quartz && !domAny && !dowAny) throw cronError(expression, 'Quartz allows only one of day-of-month and day-of-week to be restricted; use ? in the other');
  return {
    source: expression,
    seconds: field(expression, sec, 0, 59),
    minutes: field(expression, min, 0, 59),
    hours: field(expression, hour, 0, 23),
    daysOfMonth: new Set(field(expression, dom, 1, 31)),
    months: new Set(field(expression, month, 1, 12, MONTHS, 1)),
    daysOfWeek,
    years: year === undefined || year === '*' ? undefined : new Set(field(expression, year, 1970, 2199)),
    dayMatch: domAny && dowAny ? 'both' : domAny ? 'dow' : dowAny ? 'dom' : 'either',
  };
}

function field(expression: string, text: string, lo: number, hi: number, names: string[] = [], nameBase = 0): number[] {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const [range, stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw cronError(expression, `bad step in "${item}"`);
    let from = lo;
    let to = hi;
    if (range !== '*' && range !== '?') {
      const [a, b] = range.split('-');
      from = value(expression, a, lo, hi, names, nameBase);
      to = b === undefined ? (stepText === undefined ? from : hi) : value(expression, b, lo, hi, names, nameBase);
      if (to < from) throw cronError(expression, `range "${range}" runs backwards`);
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return [...values].sort((x, y) => x - y);
}

function value(expression: string, text: string, lo: number, hi: number, names: string[], nameBase: number): number {
  const named = names.indexOf(text.toUpperCase());
  const v = named >= 0 ? named + nameBase : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(v >= lo && v <= hi)) throw cronError(expression, `"${text}" is not a value in ${lo}..${hi}`);
  return v;
}

function cronError(expression: string, reason: string): ValidationError {
  return new ValidationError(`invalid cron expression "${expression}": ${reason}`, [{ path: 'schedule', message: reason }], 'invalid_cron');
}

/** `Z`, `UTC`, `+HH:mm` / `-HH:mm` (hawkBit's form) or an IANA name such as `Europe/Berlin`. */
export function parseTimeZone(text: string | undefined): TimeZone {
  const name = (text ?? 'UTC').trim();
  if (name === '' || name === 'Z' || name.toUpperCase() === 'UTC') return { name: 'UTC', offsetMinutesAt: () => 0 };
  const fixed = /^([+-])(\d{2}):?(\d{2})$/.exec(name);
  if (fixed) {
    const minutes = (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3]));
    if (Math.abs(minutes) > 18 * 60) throw zoneError(name);
    return { name, offsetMinutesAt: () => minutes };
  }
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
  } catch {
    throw zoneError(name);
  }
  return {
    name,
    offsetMinutesAt(utcMs: number): number {
      const p: Record<string, number> = {};
      for (const part of format.formatToParts(new Date(utcMs))) if (part.type !== 'literal') p[part.type] = Number(part.value);
      const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
      return Math.round((wall - Math.floor(utcMs / 1000) * 1000) / 60_000);
    },
  };
}

function zoneError(name: string): ValidationError {
  return new ValidationError(`unknown time zone "${name}"`, [{ path: 'timezone', message: 'expected Z, UTC, ±HH:mm or an IANA zone name' }], 'invalid_time_zone');
}

/** The first instant strictly after `afterMs` at which the schedule fires, or undefined within 8 years. */
export function nextCronTime(schedule: CronSchedule, afterMs: number, zone: TimeZone): number | undefined {
  const startLocal = Math.floor(afterMs / 1000) * 1000 + 1000 + zone.offsetMinutesAt(afterMs) * 60_000;
  const start = new Date(startLocal);
  const firstDay = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
  for (let d = 0; d < SEARCH_DAYS; d++) {
    const dayMs = firstDay + d * DAY_MS;
    if (!dayMatches(schedule, new Date(dayMs))) continue;
    const bounded = d === 0;
    for (const h of schedule.hours) {
      if (bounded && h < start.getUTCHours()) continue;
      const hourBounded = bounded && h === start.getUTCHours();
      for (const m of schedule.minutes) {
        if (hourBounded && m < start.getUTCMinutes()) continue;
        const minuteBounded = hourBounded && m === start.getUTCMinutes();
        for (const s of schedule.seconds) {
          if (minuteBounded && s < start.getUTCSeconds()) continue;
          const local = dayMs + h * 3_600_000 + m * 60_000 + s * 1000;
          const instant = local - zone.offsetMinutesAt(local - zone.offsetMinutesAt(local) * 60_000) * 60_000;
          if (instant > afterMs) return instant;
        }
      }
    }
  }
  return undefined;
}

function dayMatches(schedule: CronSchedule, day: Date): boolean {
  if (!schedule.months.has(day.getUTCMonth() + 1)) return false;
  if (schedule.years && !schedule.years.has(day.getUTCFullYear())) return false;
  const dom = schedule.daysOfMonth.has(day.getUTCDate());
  const dow = schedule.daysOfWeek.has(day.getUTCDay());
  switch (schedule.dayMatch) {
    case 'both':
      return dom && dow;
    case 'dom':
      return dom;
    case 'dow':
      return dow;
    case 'either':
      return dom || dow;
  }
}

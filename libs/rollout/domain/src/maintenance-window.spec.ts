import fc from 'fast-check';
import { nextCronTime, parseCron, parseTimeZone } from '@rollgate/shared-domain';
import { maintenanceWindowStatus, parseMaintenanceWindow } from './maintenance-window';

describe('maintenance windows', () => {
  const window = parseMaintenanceWindow({ schedule: '0 0 3 ? * SAT', duration: '02:00:00', timezone: '+02:00' });
  const opens = Date.UTC(2024, 0, 6, 1, 0); // Saturday 03:00 at +02:00

  it('is open from the firing for the duration, closed at its end', () => {
    expect(maintenanceWindowStatus(window, opens - 1)).toEqual({ available: false, nextStartsAt: opens });
    expect(maintenanceWindowStatus(window, opens)).toEqual({ available: true, endsAt: opens + 7_200_000 });
    expect(maintenanceWindowStatus(window, opens + 7_199_999)).toEqual({ available: true, endsAt: opens + 7_200_000 });
    expect(maintenanceWindowStatus(window, opens + 7_200_000)).toEqual({ available: false, nextStartsAt: opens + 7 * 86_400_000 });
  });

  it('follows daylight saving time in IANA zones', () => {
    const berlin = parseMaintenanceWindow({ schedule: '0 30 2 * * ?', duration: '00:30:00', timezone: 'Europe/Berlin' });
    // 2024-07-01 02:30 CEST = 00:30 UTC; 2024-01-15 02:30 CET = 01:30 UTC.
    expect(maintenanceWindowStatus(berlin, Date.UTC(2024, 6, 1, 0, 40)).available).toBe(true);
    expect(maintenanceWindowStatus(berlin, Date.UTC(2024, 0, 15, 1, 40)).available).toBe(true);
    expect(maintenanceWindowStatus(berlin, Date.UTC(2024, 0, 15, 0, 40)).available).toBe(false);
  });

  it('parses Quartz and Unix forms, and refuses what it does not support', () => {
    const utc = parseTimeZone('UTC');
    expect(nextCronTime(parseCron('*/15 9-17 * * MON-FRI'), Date.UTC(2024, 0, 6, 12), utc)).toBe(Date.UTC(2024, 0, 8, 9, 0));
    expect(nextCronTime(parseCron('0 0 0 1 1 ? 2030'), Date.UTC(2024, 0, 1), utc)).toBe(Date.UTC(2030, 0, 1));
    expect(nextCronTime(parseCron('0 0 0 30 2 ?'), 0, utc)).toBeUndefined();
    for (const bad of ['0 0 L * ?', '0 0 3 1 * MON', '* *', '0 0 25 * * ?', 'a b c d e']) expect(() => parseCron(bad)).toThrow(/invalid cron/);
    expect(() => parseTimeZone('Mars/Olympus')).toThrow(/unknown time zone/);
  });

  it('property: a window is open exactly when a firing lies within the last duration (checked minute by minute)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 1, max: 180 }),
      fc.integer({ min: -720, max: 720 }), fc.integer({ min: 0, max: 14 * 1440 }),
      (minute, hour, durationMin, offsetMin, at) => {
        const sign = offsetMin < 0 ? '-' : '+';
        const tz = `${sign}${String(Math.floor(Math.abs(offsetMin) / 60)).padStart(2, '0')}:${String(Math.abs(offsetMin) % 60).padStart(2, '0')}`;
        const w = parseMaintenanceWindow({ schedule: `0 ${minute} ${hour} * * ?`, duration: `${String(Math.floor(durationMin / 60)).padStart(2, '0')}:${String(durationMin % 60).padStart(2, '0')}:00`, timezone: tz });
        const now = Date.UTC(2024, 2, 1) + at * 60_000;
        const localMinuteOfDay = (((now / 60_000 + offsetMin) % 1440) + 1440) % 1440;
        const sinceFiring = (((localMinuteOfDay - (hour * 60 + minute)) % 1440) + 1440) % 1440;
        expect(maintenanceWindowStatus(w, now).available).toBe(sinceFiring < durationMin);
      },
    ));
  });
});

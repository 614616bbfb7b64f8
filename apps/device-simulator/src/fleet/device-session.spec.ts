import { alreadySettled } from './device-session';

describe('a device remembers the deployment it ran to its end', () => {
  const link = (c: number) => `http://gw/t/controller/v1/d/deploymentBase/7?c=${c}`;

  it('does not run a lingering link again, but runs the same action offered for another attempt (a new c)', () => {
    const device = { settledActionId: '7', settledHref: link(1) };
    expect(alreadySettled(device, '7', link(1))).toBe(true);
    expect(alreadySettled(device, '7', link(2))).toBe(false);
    expect(alreadySettled(device, '8', link(1))).toBe(false);
  });

  it('never runs an action again once it cancelled it, whatever the link says', () => {
    expect(alreadySettled({ settledActionId: '7', settledHref: undefined }, '7', link(5))).toBe(true);
    expect(alreadySettled({}, '7', link(5))).toBe(false);
  });
});

import { nodeFlagsOf } from './local-stack';

describe('the local stack starts each service with the Node flags its build asks for', () => {
  it('given the gateway (src/node-flags.ts), when it is started, then with its larger young generation', () => {
    expect(nodeFlagsOf('device-gateway')).toEqual(['--max-semi-space-size=64']);
  });

  it('given a service without node-flags, or no such service, then with none', () => {
    expect(nodeFlagsOf('rollout-planner')).toEqual([]);
    expect(nodeFlagsOf('no-such-service')).toEqual([]);
  });
});

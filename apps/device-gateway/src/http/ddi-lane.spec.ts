import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DdiLane, isDdiPath } from './ddi-lane';

describe('DDI lane', () => {
  it('takes exactly the DDI paths', () => {
    expect(isDdiPath('/acme/controller/v1/dev-1')).toBe(true);
    expect(isDdiPath('/acme/controller/v1/dev-1/deploymentBase/7?c=1')).toBe(true);
    expect(isDdiPath('/acme/controller/v1/dev-1?x=1')).toBe(true);
    expect(isDdiPath('/healthz')).toBe(false);
    expect(isDdiPath('/acme/controller/v1/')).toBe(false);
    expect(isDdiPath('/acme/controller/v2/dev-1')).toBe(false);
    expect(isDdiPath('/rest/v1/targets')).toBe(false);
  });

  describe('on a server that answers everything else itself', () => {
    let server: Server;
    let lane: DdiLane;
    let url: string;

    beforeAll(async () => {
      server = createServer((_req, res) => res.end('kit'));
      lane = new DdiLane();
      lane.app.get('/:tenant/controller/v1/:controllerId', async (req) => `lane ${(req.params as { controllerId: string }).controllerId}`);
      await lane.mount(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await lane.close();
      await new Promise((resolve) => server.close(resolve));
    });

    it('answers DDI requests on the lane and leaves the rest to the server', async () => {
      expect(await (await fetch(`${url}/acme/controller/v1/dev-1`)).text()).toBe('lane dev-1');
      expect(await (await fetch(`${url}/healthz`)).text()).toBe('kit');
    });

    it('closes connections once draining', async () => {
      expect((await fetch(`${url}/acme/controller/v1/dev-1`)).headers.get('connection')).not.toBe('close');
      lane.drain();
      expect((await fetch(`${url}/acme/controller/v1/dev-1`)).headers.get('connection')).toBe('close');
    });
  });
});

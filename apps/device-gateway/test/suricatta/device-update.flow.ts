import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { EventStore } from '@rollgate/event-store';
import { eventually } from '@rollgate/testing';
import { ManagementClient, type ActionResource } from './management-client';
import type { SigningIdentity } from './signing-identity';
import { startSuricatta, type DeviceCredential, type Hardware, type SuricattaProcess } from './swupdate-runner';
import { buildSwuImage } from './swu-image';
import { TENANT, type RollgateStack } from './rollgate-stack';

export const HARDWARE: Hardware = { board: 'rollgate-board', revision: '1.0' };

export interface ActionEventView {
  type: string;
  status?: string;
  execution?: string;
  finished?: string;
  details?: string[];
}

/** Which action of which target. */
export interface ActionRef {
  controllerId: string;
  actionId: string;
}

/** One device's update, set up through the Management API like an operator would, for one suricatta. */
export interface DeviceUpdate extends Release, ActionRef {
  /** where the image's rawfile entry writes its payload */
  installPath: string;
}

export interface Release {
  distributionSetId: string;
  /** what the image installs */
  payload: Buffer;
  /** size of the uploaded .swu */
  imageBytes: number;
}

export interface UpdateOptions {
  controllerId: string;
  /** where the image installs its file; a path in a missing directory makes the install fail on the device */
  installPath: string;
  payloadBytes?: number;
}

/**
 * The steps every suricatta scenario shares: the operator's side (target, software module with the signed
 * .swu as its artifact, distribution set, assignment) and the evidence (action resource, action stream).
 */
export class DeviceUpdateFlow {
  readonly api: ManagementClient;
  private readonly store: EventStore;
  private readonly devices: SuricattaProcess[] = [];

  constructor(
    private readonly stack: RollgateStack,
    pool: Pool,
    private readonly identity: SigningIdentity,
    private readonly workDir: string,
  ) {
    this.api = new ManagementClient(stack.url('rollout-planner'), () => stack.output('rollout-planner').split('\n').slice(-20).join('\n'));
    this.store = new EventStore(pool);
  }

  async registerTarget(controllerId: string): Promise<string> {
    return (await this.api.createTarget(controllerId)).securityToken;
  }

  /** Builds and uploads a signed image for this device, creates its set, and assigns it. */
  async assignUpdate(options: UpdateOptions): Promise<DeviceUpdate> {
    const release = await this.prepareRelease(options.controllerId, options.installPath, options.payloadBytes);
    const actionId = await this.api.assign(release.distributionSetId, options.controllerId);
    return { controllerId: options.controllerId, actionId, installPath: options.installPath, ...release };
  }

  /**
   * A signed image installing one file at `installPath` (absolute, or relative to each device's directory),
   * uploaded as the artifact of a new software module, in a new distribution set.
   */
  async prepareRelease(name: string, installPath: string, payloadBytes?: number): Promise<Release> {
    const payload = payloadBytes === undefined ? Buffer.from(`firmware for ${name}\n`) : randomBytes(payloadBytes);
    const imageDir = join(this.workDir, `image-${name}`);
    mkdirSync(imageDir, { recursive: true });
    const version = `1.0.${Date.now() % 100_000}`;
    const image = buildSwuImage(
      { version, board: HARDWARE.board, hardwareRevisions: [HARDWARE.revision], files: [{ filename: 'payload.bin', content: payload, installPath }] },
      this.identity,
      imageDir,
    );
    const moduleId = await this.api.createSoftwareModule(`firmware-${name}`, version);
    await this.api.uploadArtifact(moduleId, `firmware-${name}.swu`, image.bytes);
    const distributionSetId = await this.api.createDistributionSet(`release-${name}`, version, [moduleId]);
    return { distributionSetId, payload, imageBytes: image.bytes.length };
  }

  /** A device's own directory (its working directory, where relative install paths land). */
  deviceDir(controllerId: string): string {
    const dir = join(this.workDir, `device-${controllerId}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** A set whose only module has no artifact: nothing a swupdate device could install. */
  async assignWithoutArtifacts(controllerId: string): Promise<DeviceUpdate> {
    const version = `0.0.${Date.now() % 100_000}`;
    const moduleId = await this.api.createSoftwareModule(`empty-${controllerId}`, version);
    const setId = await this.api.createDistributionSet(`empty-${controllerId}`, version, [moduleId]);
    const actionId = await this.api.assign(setId, controllerId);
    return { controllerId, actionId, distributionSetId: setId, installPath: join(this.workDir, `never-installed-${controllerId}`), payload: Buffer.alloc(0), imageBytes: 0 };
  }

  /** suricatta on the "device", as its init system would start it (`confirm` after a reboot). */
  startDevice(controllerId: string, credential: DeviceCredential, extra: { confirm?: 1 | 2 | 3; proxyUrl?: string; identify?: Record<string, string> } = {}): SuricattaProcess {
    const device = startSuricatta({
      gatewayUrl: this.stack.url('device-gateway'),
      tenant: TENANT,
      controllerId,
      credential,
      caCertPath: this.identity.caCertPath,
      hardware: HARDWARE,
      workDir: this.deviceDir(controllerId),
      ...extra,
    });
    this.devices.push(device);
    return device;
  }

  async stopDevices(): Promise<void> {
    await Promise.all(this.devices.map((device) => device.stop()));
  }

  /** Waits until the Management API shows the action in `detailStatus` (hawkBit's exact state, lower case). */
  async actionReaches(update: ActionRef, detailStatus: string, device: SuricattaProcess, timeoutMs = 90_000): Promise<ActionResource> {
    let last: ActionResource | undefined;
    try {
      return await eventually(async () => {
        last = await this.api.action(update.controllerId, update.actionId);
        return last.detailStatus === detailStatus ? last : undefined;
      }, timeoutMs, 250);
    } catch (error) {
      throw new Error(
        `action ${update.actionId} never reached "${detailStatus}" (last: ${JSON.stringify(last)}): ${String(error)}\n` +
          `--- action stream\n${JSON.stringify(await this.actionEvents(update), null, 1)}\n--- suricatta\n${device.output().split('\n').slice(-60).join('\n')}\n` +
          `--- device-gateway\n${this.stack.output('device-gateway').split('\n').slice(-40).join('\n')}`,
      );
    }
  }

  /** The action's stream in the event log, reduced to what the assertions look at. */
  async actionEvents(update: ActionRef): Promise<ActionEventView[]> {
    const events = await this.store.readStream(TENANT, `action-${update.actionId}`);
    return events.map((event) => {
      const data = event.data as Record<string, unknown>;
      return {
        type: event.type.replace(/^io\.rollgate\.action\./, '').replace(/\.v\d+$/, ''),
        ...(typeof data.status === 'string' ? { status: data.status } : {}),
        ...(typeof data.execution === 'string' ? { execution: data.execution } : {}),
        ...(typeof data.finished === 'string' ? { finished: data.finished } : {}),
        ...(Array.isArray(data.details) ? { details: data.details as string[] } : {}),
      };
    });
  }

  /** The target's installed distribution set as the Management API reports it, once it reports one. */
  async installedSet(controllerId: string): Promise<string> {
    const path = `/rest/v1/targets/${encodeURIComponent(controllerId)}/installedDS`;
    const body = await eventually(async () => {
      const answer = await this.api.request('GET', path);
      return answer.status === 200 ? (answer.body as { id: string | number }) : undefined;
    }, 30_000, 250);
    return String(body.id);
  }

  /** A file under a device's own directory, if it exists (images with relative install paths put it there). */
  fileOnDevice(controllerId: string, relativePath: string): Buffer | undefined {
    const path = join(this.deviceDir(controllerId), relativePath);
    return existsSync(path) ? readFileSync(path) : undefined;
  }

  /** The one action a target has, as the Management API lists it (rollout actions get their id from the group). */
  async onlyActionOf(controllerId: string): Promise<ActionRef & { resource: ActionResource }> {
    const answer = await this.api.request('GET', `/rest/v1/targets/${encodeURIComponent(controllerId)}/actions`);
    const actions = (answer.body as { content?: ActionResource[] }).content ?? [];
    if (answer.status !== 200 || actions.length !== 1) throw new Error(`expected one action of ${controllerId}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
    return { controllerId, actionId: String(actions[0].id), resource: actions[0] };
  }

  installed(update: DeviceUpdate): Buffer | undefined {
    return existsSync(update.installPath) ? readFileSync(update.installPath) : undefined;
  }
}

import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { ReadinessService } from '@rollgate/service-kit';
import { ActionProgressRunner } from './progress/action-progress.runner';
import { TimerRunner } from './timers/timer.runner';

/** Starts the counters' log reader and the timer loop once migrations ran; stops them before the pool closes. */
@Injectable()
export class SchedulerRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(ActionProgressRunner) private readonly progress: ActionProgressRunner,
    @Inject(TimerRunner) private readonly timers: TimerRunner,
    @Inject(ReadinessService) readiness: ReadinessService,
  ) {
    readiness.addCheck('action-progress', () => {
      if (!this.progress.healthy) throw new Error('group counters keep failing to apply');
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.progress.start();
    await this.timers.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.progress.stop(), this.timers.stop()]);
  }
}

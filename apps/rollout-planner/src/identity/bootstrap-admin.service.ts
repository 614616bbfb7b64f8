import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ROLES } from '@rollgate/identity-domain';
import { DomainError } from '@rollgate/shared-domain';
import { PLANNER_CONFIG, type PlannerConfig } from '../config';
import { Projections } from '../shared/projections.service';
import { IdentityService } from './identity.service';
import { PasswordHasher } from './password-hasher';

/**
 * Creates the tenant's first administrator from ROLLGATE_BOOTSTRAP_* at start. Idempotent: a user that
 * already exists is left as it is (its password may have been changed since), so restarts and several
 * instances starting together are harmless. There is no built-in password.
 *
 * The local profile (`rollgate up`) also sets ROLLGATE_BOOTSTRAP_ADMIN_RESET: its password lives in the
 * checkout (.data/local-admin.json), so a second checkout against the same database would otherwise never log
 * in. An existing administrator whose password is not the bootstrap one then gets it back, recorded in the log
 * as a password change by system:bootstrap.
 */
@Injectable()
export class BootstrapAdmin implements OnApplicationBootstrap {
  private readonly logger = new Logger('bootstrap-admin');

  constructor(
    @Inject(PLANNER_CONFIG) private readonly config: PlannerConfig,
    @Inject(IdentityService) private readonly identity: IdentityService,
    @Inject(Projections) private readonly projections: Projections,
    @Inject(PasswordHasher) private readonly hasher: PasswordHasher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const bootstrap = this.config.bootstrap;
    if (!bootstrap) return;
    const existing = await this.identity.user(bootstrap.tenant, bootstrap.username);
    if (existing.status !== 'absent') {
      if (bootstrap.resetPassword && existing.status === 'active' && !(await this.hasher.verify(existing.passwordHash, bootstrap.password))) {
        await this.identity.changePassword({ tenant: bootstrap.tenant, actor: 'system:bootstrap' }, bootstrap.username, bootstrap.password);
        this.logger.log(`reset the password of administrator ${bootstrap.username} of tenant ${bootstrap.tenant} to the bootstrap one`);
        await this.projections.catchUp();
      }
      return;
    }
    try {
      await this.identity.createUser({ tenant: bootstrap.tenant, actor: 'system:bootstrap' }, bootstrap.username, bootstrap.password, [...ROLES.ROLE_ADMIN]);
      // The user name and tenant only; the password never reaches a log.
      this.logger.log(`created administrator ${bootstrap.username} of tenant ${bootstrap.tenant}`);
      // The service starts answering only once the administrator is in the users read model too.
      await this.projections.catchUp();
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'user_exists')) throw error;
    }
  }
}

import { bootstrapService, ConfigError } from '@rollgate/service-kit';
import { AppModule } from './app.module';
import { ARTIFACT_DISTRIBUTOR_DEFAULTS, loadArtifactsConfig, type ArtifactsConfig } from './config';

/** sysexits' EX_CONFIG, as the service kit uses for its own settings */
const EXIT_CONFIG = 78;

function artifactsConfigOrExit(): ArtifactsConfig {
  try {
    return loadArtifactsConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
}

void bootstrapService({ defaults: ARTIFACT_DISTRIBUTOR_DEFAULTS, module: AppModule.forRoot(artifactsConfigOrExit()) });

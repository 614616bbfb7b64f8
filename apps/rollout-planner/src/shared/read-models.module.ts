import { Module } from '@nestjs/common';
import { Projections } from './projections.service';
import { SignedArtifactsPolicy } from './signed-artifacts.policy';

/**
 * One set of projection runners for the whole service, shared by every module that writes or reads, and the
 * read-side policies those writes consult (signed artifacts).
 */
@Module({ providers: [Projections, SignedArtifactsPolicy], exports: [Projections, SignedArtifactsPolicy] })
export class ReadModelsModule {}

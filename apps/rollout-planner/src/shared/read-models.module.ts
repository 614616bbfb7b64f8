import { Module } from '@nestjs/common';
import { Projections } from './projections.service';

/** One set of projection runners for the whole service, shared by every module that writes or reads. */
@Module({ providers: [Projections], exports: [Projections] })
export class ReadModelsModule {}

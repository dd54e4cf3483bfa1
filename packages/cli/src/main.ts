#!/usr/bin/env node
import { Command } from 'commander';
import { RerankdError } from '@rerankd/protocol';
import { registerScore } from './commands/score';
import { registerMakeRandomModel } from './commands/make-random-model';
import { registerBench } from './commands/bench';
import { registerServe } from './commands/serve';
import { registerGateway } from './commands/gateway';
import { registerWorker } from './commands/worker';
import { registerDownload } from './commands/download';
import { registerGpuSetup } from './commands/gpu-setup';
import { registerTpRank } from './commands/tp-rank';
import { registerBenchTp } from './commands/bench-tp';

const program = new Command('rerankd')
  .description('Serve reranker models (cross-encoders) behind the vLLM / Cohere / Jina / TEI rerank APIs.')
  .showHelpAfterError();

registerServe(program);
registerGateway(program);
registerWorker(program);
registerScore(program);
registerDownload(program);
registerMakeRandomModel(program);
registerBench(program);
registerGpuSetup(program);
registerTpRank(program);
registerBenchTp(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // A user sees what went wrong in one line; stack traces are for bugs, not for bad input.
  if (error instanceof RerankdError) {
    process.stderr.write(`rerankd: error: ${error.message}\n`);
  } else {
    process.stderr.write(`rerankd: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exitCode = 1;
}

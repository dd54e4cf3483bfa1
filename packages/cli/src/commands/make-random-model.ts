import { Option, type Command } from 'commander';
import { makeRandomModel, PRESET_NAMES, type PresetName } from '@rerankd/model';

export function registerMakeRandomModel(program: Command): void {
  program
    .command('make-random-model')
    .description('Write a model directory with random weights in the real shape and layout of a known reranker (for benchmarks).')
    .addOption(new Option('--like <name>', 'the checkpoint to imitate').choices(PRESET_NAMES).makeOptionMandatory())
    .requiredOption('--out <dir>', 'directory to create')
    .option('--seed <n>', 'random seed', (v) => Number(v), 0)
    .action(async (flags: { like: PresetName; out: string; seed: number }) => {
      const started = performance.now();
      const model = await makeRandomModel({ like: flags.like, outDir: flags.out, seed: flags.seed });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      process.stderr.write(`wrote ${model.dir}: ${(model.parameters / 1e6).toFixed(1)}M parameters, ${(model.weightBytes / 2 ** 20).toFixed(0)} MiB in ${seconds} s\n`);
    });
}

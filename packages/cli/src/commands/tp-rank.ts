import type { Command } from 'commander';
import { runRankProcess } from '@rerankd/tensor-parallel';
import { option, positiveInt } from '../options/define';
import { addTensorParallelGroupOptions } from '../options/model';
import { rankDevice, tlsOptions, type TensorParallelFlags } from '../runtime/tensor-parallel';

interface TpRankFlags extends TensorParallelFlags {
  listen: string;
  model?: string;
  drainTimeoutMs: number;
}

/** How long a rank asked to stop waits for its leader to finish the steps in hand. */
const DRAIN_TIMEOUT_MS = 60_000;

/**
 * `rerankd tp-rank`: one rank (1..N−1) of a tensor-parallel group, as `rerankd worker --tp N`,
 * `score --tp N` and `serve --tp N` start them on this host. Not for direct use: hidden.
 */
export function registerTpRank(program: Command): void {
  addTensorParallelGroupOptions(
    program
      .command('tp-rank', { hidden: true })
      .description('One rank of a tensor-parallel group on this host (started by its rank 0).')
      .requiredOption('--listen <host:port>', 'address of the rank-to-rank gRPC server (port 0: a free one, reported to the parent)')
      .option('--model <dir|hub-id>', 'this rank\'s path to the model (default: the leader\'s)')
      .option('--device <device>', 'cpu, cuda or cuda:N', 'cpu')
      .option('--threads <n>', 'CPU threads per operator', positiveInt('--threads'))
      .option('--tp <n>', 'tensor-parallel size', positiveInt('--tp')),
  )
    .addOption(option('--drain-timeout-ms <n>', 'on SIGTERM, how long to wait for the leader to end the session').argParser(positiveInt('--drain-timeout-ms')).default(DRAIN_TIMEOUT_MS))
    .action(async (flags: TpRankFlags) => {
      const tls = tlsOptions(flags);
      const rank = flags.rank;
      const server = await runRankProcess({
        listen: flags.listen,
        ...(rank !== undefined ? { rank } : {}),
        ...(tls ? { tls } : {}),
        ...(flags.model ? { model: flags.model } : {}),
        device: rankDevice(flags.device, 0),
        ...(flags.threads ? { threads: flags.threads } : {}),
        log: (line) => process.stderr.write(`rerankd rank ${rank ?? '?'}: ${line}\n`),
      });
      process.stderr.write(`rerankd rank ${rank ?? '?'}: listening on :${server.port}\n`);
      // A terminal's Ctrl-C reaches the whole process group: the leader stops its ranks itself.
      if (process.send) process.on('SIGINT', () => undefined);
      process.once('SIGTERM', () => {
        void server
          .drain('SIGTERM', flags.drainTimeoutMs)
          .then(() => server.close())
          .finally(() => process.exit(0));
      });
    });
}

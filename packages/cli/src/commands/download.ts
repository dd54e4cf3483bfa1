import type { Command } from 'commander';
import { resolveModelDir } from '@rerankd/model';

export function registerDownload(program: Command): void {
  program
    .command('download')
    .description('Download a Hugging Face hub model into the cache (HF_HOME, HF_ENDPOINT, HF_TOKEN) and print its directory.')
    .argument('<hub-id>', 'org/name or org/name@revision')
    .action(async (hubId: string) => {
      process.stdout.write(`${await resolveModelDir(hubId, { progress: process.stderr.isTTY })}\n`);
    });
}

import type { Command } from 'commander';
import { option } from './define';

export interface RedisFlags {
  redisUrl: string;
}

export function addRedisOption(command: Command): Command {
  return command.addOption(option('--redis-url <url>', 'redis://[:password@]host:port[/db] or rediss:// for TLS').makeOptionMandatory());
}

export * from './fixtures';
export * from './redis';
export * from './rerankd-process';
export * from './redis-tls';
export * from './temp-dir';

export * from './fixtures';
export * from './redis';

export * from './errors';
export * from './work';

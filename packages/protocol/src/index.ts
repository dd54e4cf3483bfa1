export * from './errors';
export * from './work';
export * from './http';

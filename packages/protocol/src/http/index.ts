export * from './error-body';
export * from './models';
export * from './probes';
export * from './rerank';
export * from './score';
export * from './scoring-options';
export * from './tei-rerank';
export * from './usage';

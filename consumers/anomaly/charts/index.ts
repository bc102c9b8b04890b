// Statistical process control for the anomaly worker: pure functions and small classes, no I/O.
export * from './limits';
export * from './moving-range';
export * from './p-chart';
export * from './xbar-chart';
export * from './individuals-chart';
export * from './ewma';
export * from './western-electric';
export * from './tails';
export * from './shrinkage';
export * from './multiple-testing';
export * from './hourly-ring';
export * from './trailing-ring';
export * from './window-history';
export * from './seasonal-baseline';
export * from './seller-baseline';

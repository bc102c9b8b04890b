import pino from 'pino';
import { loadEnv } from './config';

/** JSON-lines logger with a level; `component` names the emitting module. */
export function createLogger(component: string): pino.Logger {
  return pino({
    level: loadEnv().LOG_LEVEL,
    base: { component },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

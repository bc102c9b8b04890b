import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PartitionRange } from './range';
import { RefusalError, type RawOptions, type Target } from './request';

/**
 * What lets an interrupted replay resume: a JSON file per replay id in REPLAY_STATE_DIR with the
 * request as given, the offset ranges it resolved to (fixed at the start, so a resume reads the same
 * events even if the topic grew), the months whose rollups must be rebuilt, and which steps are
 * done. Within the storage step, progress is the committed offsets of the replay's own consumer
 * group (the file does not hold them). Written atomically (temp file, rename).
 */

export interface ReplayState {
  id: string;
  createdAt: string;
  options: RawOptions;
  ranges: { partition: number; start: string; end: string }[];
  /** Months (YYYYMM) whose rollups the rollups step rebuilds: the range's, plus any the storage step met. */
  months: string[];
  done: Target[];
  finishedAt?: string;
}

const ID = /^[A-Za-z0-9._-]{1,100}$/;

export function newReplayId(now = new Date()): string {
  return `r${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${crypto.randomBytes(3).toString('hex')}`;
}

export function checkId(id: string): string {
  if (!ID.test(id)) throw new RefusalError(`replay id "${id}" must be 1-100 of A-Z a-z 0-9 . _ -`);
  return id;
}

const fileOf = (dir: string, id: string): string => path.join(dir, `${checkId(id)}.json`);

export const rangesOf = (s: ReplayState): PartitionRange[] => s.ranges.map((r) => ({ partition: r.partition, start: BigInt(r.start), end: BigInt(r.end) }));

export function initialState(id: string, options: RawOptions, ranges: PartitionRange[], months: string[]): ReplayState {
  return { id, createdAt: new Date().toISOString(), options, ranges: ranges.map((r) => ({ partition: r.partition, start: r.start.toString(), end: r.end.toString() })), months: [...months].sort(), done: [] };
}

export function exists(dir: string, id: string): boolean {
  return fs.existsSync(fileOf(dir, id));
}

export function loadState(dir: string, id: string): ReplayState {
  const file = fileOf(dir, id);
  if (!fs.existsSync(file)) {
    const known = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)) : [];
    throw new RefusalError(`no replay ${id} to resume in ${dir} (REPLAY_STATE_DIR)${known.length > 0 ? `; replays there: ${known.slice(-10).join(', ')}` : ''}`);
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as ReplayState;
}

export function saveState(dir: string, state: ReplayState): void {
  fs.mkdirSync(dir, { recursive: true });
  const file = fileOf(dir, state.id);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
  fs.renameSync(tmp, file);
}

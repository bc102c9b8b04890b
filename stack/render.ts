import fs from 'node:fs';
import path from 'node:path';

/**
 * Copies a shared config file (written with the default ports, also used by compose/)
 * into an instance's conf folder, swapping default ports for overridden ones.
 * Ports appear as `127.0.0.1:PORT` or as the text of an XML `<…port>` element.
 */
export function renderPorts(text: string, ports: Map<number, number>): string {
  return text.replace(/(127\.0\.0\.1:|<[a-z_]*port>)(\d+)/g, (whole, prefix: string, port: string) => {
    const to = ports.get(Number(port));
    return to === undefined ? whole : `${prefix}${to}`;
  });
}

/**
 * Swaps literal default values (Alertmanager's delivery endpoints) for configured ones. Each must occur
 * in the text: a default renamed in the shared file fails the render instead of silently keeping it.
 */
export function renderValues(text: string, values: Map<string, string>): string {
  let out = text;
  for (const [from, to] of values) {
    if (!out.includes(from)) throw new Error(`cannot render ${JSON.stringify(to)}: the default ${JSON.stringify(from)} does not occur in the file`);
    out = out.split(from).join(to);
  }
  return out;
}

export function renderSharedFile(src: string, destDir: string, ports: Map<number, number>, name = path.basename(src), values = new Map<string, string>()): string {
  const dest = path.join(destDir, name);
  fs.mkdirSync(destDir, { recursive: true });
  fs.writeFileSync(dest, renderValues(renderPorts(fs.readFileSync(src, 'utf8'), ports), values));
  return dest;
}


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

export function renderSharedFile(src: string, destDir: string, ports: Map<number, number>, name = path.basename(src)): string {
  const dest = path.join(destDir, name);
  fs.mkdirSync(destDir, { recursive: true });
  fs.writeFileSync(dest, renderPorts(fs.readFileSync(src, 'utf8'), ports));
  return dest;
}


import http from 'node:http';
import { listenLocal } from './listen';

/**
 * A stand-in for a Slack incoming webhook: records every JSON body POSTed to it and answers like Slack
 * ("ok"). Alertmanager's slack_configs post {channel, username, attachments: [{title, text, ...}]}.
 */

export interface SlackAttachment {
  title?: string;
  text?: string;
  fallback?: string;
  color?: string;
}

export interface SlackPost {
  path: string;
  receivedAt: Date;
  body: { text?: string; attachments?: SlackAttachment[]; [field: string]: unknown };
}

/** What a person reads in the channel: the message text and every attachment's title and text. */
export function slackText(post: SlackPost): string {
  const parts = [post.body.text, ...(post.body.attachments ?? []).flatMap((a) => [a.title, a.text])];
  return parts.filter((p): p is string => typeof p === 'string' && p.length > 0).join('\n');
}

export class SlackSink {
  private readonly posts: SlackPost[] = [];
  private server: http.Server | undefined;

  constructor(private readonly onReceive: (post: SlackPost) => void = () => {}) {}

  async start(port: number): Promise<void> {
    const server = http.createServer((req, res) => {
      if (req.method !== 'POST') return void res.writeHead(405).end();
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body: SlackPost['body'];
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SlackPost['body'];
        } catch {
          return void res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
        }
        const post = { path: req.url ?? '/', receivedAt: new Date(), body };
        this.posts.push(post);
        this.onReceive(post);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await listenLocal(server, port, 'the Slack sink');
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    // Alertmanager keeps its connection alive; without this close() would wait for it.
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  }

  received(): SlackPost[] {
    return [...this.posts];
  }
}

import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { listenLocal } from './listen';

/** A local mail server that accepts every message (plain SMTP, no auth) and records it parsed. */

export interface ReceivedMail {
  /** Envelope sender and recipients, as the client gave them. */
  from: string;
  to: string[];
  subject: string;
  /** The plain-text part. */
  text: string;
  receivedAt: Date;
}

export class SmtpSink {
  private readonly mails: ReceivedMail[] = [];
  private server: SMTPServer | undefined;

  constructor(private readonly onReceive: (mail: ReceivedMail) => void = () => {}) {}

  async start(port: number): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      // Alertmanager is told not to require TLS (smtp_require_tls: false); offering STARTTLS with a
      // self-signed certificate would only add a failure mode.
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      // Do not wait the default 30 s for lingering clients on stop().
      closeTimeout: 1000,
      onData: (stream, session, callback) => {
        simpleParser(stream).then(
          (mail) => {
            const received: ReceivedMail = {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              receivedAt: new Date(),
            };
            this.mails.push(received);
            this.onReceive(received);
            callback();
          },
          (err: Error) => callback(err),
        );
      },
    });
    await listenLocal(server.server, port, 'the SMTP sink');
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  received(): ReceivedMail[] {
    return [...this.mails];
  }
}

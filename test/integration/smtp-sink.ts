/**
 * A mail relay for the alert-path test: a minimal SMTP server on a loopback port that offers
 * STARTTLS (with the given certificate) and AUTH PLAIN only after it, refuses MAIL before STARTTLS,
 * and keeps every message it accepts. It speaks just what Go's net/smtp client (Alertmanager's)
 * sends: EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT, DATA, QUIT (RFC 5321, 3207, 4954).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { TLSSocket } from 'node:tls';

export interface ReceivedMail {
  readonly from: string;
  readonly to: string[];
  /** The message as sent (headers and body), dot-unstuffed. */
  readonly data: string;
  /** Whether the session had switched to TLS before MAIL. */
  readonly tls: boolean;
  /** The AUTH PLAIN credentials, if the client logged in. */
  readonly auth?: { readonly user: string; readonly password: string };
}

export interface SmtpSink {
  readonly port: number;
  readonly mails: ReceivedMail[];
  /** Commands refused, such as MAIL before STARTTLS. */
  readonly refused: string[];
  close(): Promise<void>;
}

export async function startSmtpSink(tlsFiles: { certFile: string; keyFile: string }): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  const refused: string[] = [];
  const key = readFileSync(tlsFiles.keyFile);
  const cert = readFileSync(tlsFiles.certFile);
  const sockets = new Set<Socket>();

  const server: Server = createServer((plain) => {
    sockets.add(plain);
    plain.on('close', () => sockets.delete(plain));
    let socket: Socket = plain;
    let secure = false;
    let auth: ReceivedMail['auth'];
    let envelope: { from: string; to: string[] } | undefined;
    let data: string[] | undefined;
    let pendingAuth = false;
    let buffer = '';
    const reply = (line: string) => socket.write(`${line}\r\n`);

    const onLine = (line: string) => {
      if (data) {
        if (line === '.') {
          mails.push({ ...envelope!, data: data.join('\r\n'), tls: secure, ...(auth ? { auth } : {}) });
          data = undefined;
          envelope = undefined;
          reply('250 2.0.0 queued');
        } else data.push(line.startsWith('..') ? line.slice(1) : line);
        return;
      }
      if (pendingAuth) {
        pendingAuth = false;
        return plainAuth(line);
      }
      const [verb, ...rest] = line.split(' ');
      const argument = rest.join(' ');
      switch (verb.toUpperCase()) {
        case 'EHLO':
        case 'HELO':
          // AUTH only over TLS, as a real relay does; STARTTLS only before it.
          socket.write(`250-sink.localhost\r\n${secure ? '250-AUTH PLAIN\r\n' : '250-STARTTLS\r\n'}250 8BITMIME\r\n`);
          return;
        case 'STARTTLS': {
          if (secure) return reply('503 5.5.1 TLS already active');
          reply('220 2.0.0 Ready to start TLS');
          plain.removeListener('data', onData);
          const upgraded = new TLSSocket(plain, { isServer: true, key, cert });
          upgraded.on('data', onData);
          upgraded.on('error', () => plain.destroy());
          socket = upgraded;
          secure = true;
          buffer = '';
          return;
        }
        case 'AUTH': {
          const [mechanism, initial] = argument.split(' ');
          if (!secure || mechanism.toUpperCase() !== 'PLAIN') return reply('504 5.5.4 AUTH PLAIN over TLS only');
          if (initial === undefined) {
            pendingAuth = true;
            return reply('334 ');
          }
          return plainAuth(initial);
        }
        case 'MAIL':
          if (!secure) {
            refused.push(line);
            return reply('530 5.7.0 Must issue a STARTTLS command first');
          }
          envelope = { from: /<([^>]*)>/.exec(argument)?.[1] ?? '', to: [] };
          return reply('250 2.1.0 OK');
        case 'RCPT':
          if (!envelope) return reply('503 5.5.1 MAIL first');
          envelope.to.push(/<([^>]*)>/.exec(argument)?.[1] ?? '');
          return reply('250 2.1.5 OK');
        case 'DATA':
          if (!envelope || envelope.to.length === 0) return reply('503 5.5.1 RCPT first');
          data = [];
          return reply('354 End data with <CR><LF>.<CR><LF>');
        case 'RSET':
          envelope = undefined;
          return reply('250 2.0.0 OK');
        case 'NOOP':
          return reply('250 2.0.0 OK');
        case 'QUIT':
          reply('221 2.0.0 Bye');
          socket.end();
          return;
        default:
          refused.push(line);
          return reply('502 5.5.2 Command not recognized');
      }
    };
    const plainAuth = (encoded: string) => {
      const [, user, password] = Buffer.from(encoded, 'base64').toString('utf8').split('\0');
      auth = { user, password };
      reply('235 2.7.0 Authentication successful');
    };
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let end: number;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        // After STARTTLS the buffer is reset: nothing sent in clear text after it is read.
        onLine(line);
      }
    };
    plain.on('data', onData);
    plain.on('error', () => undefined);
    reply('220 sink.localhost ESMTP test relay');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('SMTP sink has no port');
  return {
    port: address.port,
    mails,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

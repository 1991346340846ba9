/**
 * A TCP proxy a test can take down and bring back on the same port: for this test's clients the server behind it is
 * then really unreachable (connections reset, new ones refused), while other test files keep using the server
 * directly. With several targets (API replicas) it is a round-robin load balancer that, as a real one does, sends a
 * new connection to the next target when one refuses it — a killed replica's clients land on the survivors.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface ProxyTarget {
  host: string;
  port: number;
}

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly targets: ProxyTarget[];
  private next = 0;
  port = 0;

  constructor(...targets: ProxyTarget[]) {
    if (targets.length === 0) throw new Error('TcpProxy needs at least one target');
    this.targets = targets;
  }

  /** Listen (on the same port as before after a `down()`). */
  async up(): Promise<void> {
    const server = createServer((client) => {
      this.track(client);
      client.pause();
      this.connect(client, this.targets.length);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Reset every proxied connection and refuse new ones. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Joins `client` to the next target; one that refuses the connection is skipped, up to `tries` targets. */
  private connect(client: Socket, tries: number): void {
    const target = this.targets[this.next++ % this.targets.length]!;
    const upstream = createConnection(target);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      if (client.destroyed) return void upstream.destroy();
      this.track(upstream);
      client.pipe(upstream).pipe(client);
      client.resume();
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    upstream.once('error', () => {
      if (connected) return;
      if (tries > 1 && !client.destroyed) this.connect(client, tries - 1);
      else client.destroy();
    });
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
  }
}

/**
 * Wine, where the Windows executable is tested (CI has no Windows), fails the connect of a socket that asked for TCP
 * keep-alive before connecting: its setsockopt does not know TCP_KEEPALIVE, and libuv applies the pending option as it
 * connects ("connect UNKNOWN"). `fetch` asks exactly that for every connection, so under wine no request would reach the
 * backend. Under wine only (it sets WINELOADER for the programs it runs), keep-alive is asked for once the socket is
 * connected instead; Windows itself is left alone.
 */
import { Socket } from 'node:net';

export function adaptToWine(env: NodeJS.ProcessEnv = process.env): void {
  if (process.platform !== 'win32' || !env.WINELOADER) return;
  const setKeepAlive = Socket.prototype.setKeepAlive;
  Socket.prototype.setKeepAlive = function (this: Socket, enable?: boolean, initialDelay?: number): Socket {
    if (!this.connecting) return setKeepAlive.call(this, enable, initialDelay);
    this.once('connect', () => setKeepAlive.call(this, enable, initialDelay));
    return this;
  };
}

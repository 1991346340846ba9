// HEALTHCHECK of the SmartEM image, one image for every role. The HTTP roles (`smartem up`, `smartem backend api`)
// are healthy when GET /health answers 200 on their port (--port, else HTTP_API_PORT, else 8000). The worker and
// migrate roles serve no HTTP: the check passes while their process runs, since the container runtime already sees a
// crashed or finished process exit; a worker that loses its broker or database retries and logs, it does not hang.
import { readFileSync } from 'node:fs';

const args = readFileSync('/proc/1/cmdline', 'utf8').split('\0').filter(Boolean);
const command = args.slice(args.findIndex((a) => /(^|\/)smartem(\.js)?$/.test(a)) + 1);
const servesHttp = command[0] === 'up' || (command[0] === 'backend' && command[1] === 'api');
if (!servesHttp) process.exit(0);

const portFlag = command.findIndex((a) => a === '--port' || a.startsWith('--port='));
const port = portFlag < 0 ? process.env.HTTP_API_PORT || '8000' : command[portFlag].split('=')[1] ?? command[portFlag + 1];
try {
  const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(4000) });
  if (response.status !== 200) {
    process.stderr.write(`GET /health: ${response.status} ${await response.text()}\n`);
    process.exit(1);
  }
} catch (err) {
  process.stderr.write(`GET /health on port ${port}: ${err.message}\n`);
  process.exit(1);
}

/**
 * deploy/k8s: every overlay renders with `kubectl kustomize`, every rendered object validates against the Kubernetes
 * API schemas (kubernetes-models, offline), and what the manifests ask of the SmartEM image is what the code does:
 * the image the build script makes, commands and flags the CLI defines, the port the API listens on, /health, and
 * environment variables the code reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import ts from 'typescript';
import * as core from 'kubernetes-models/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as batch from 'kubernetes-models/batch/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import { registerBackendCommands } from '@smartem/backend/cli';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const overlays = ['development', 'staging', 'production'] as const;
const skip = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0 ? false : 'kubectl is not installed';

/** The OIDC settings the backend's authentication reads (branch `auth`); listed here until that code is merged. */
const READ_BY_AUTH = ['SMARTEM_OIDC_ISSUER', 'SMARTEM_OIDC_AUDIENCE', 'SMARTEM_OIDC_ALLOWED_AZP'];

// Loose shapes of the rendered objects: the schema validation below is what checks them.
interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{
    name: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
  }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
}
interface Probe {
  httpGet?: { path: string; port: number | string };
}
interface PodSpec {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: {
    template?: { spec: PodSpec };
    type?: string;
    ports?: Array<{ name?: string; port: number; targetPort?: number | string; nodePort?: number }>;
  };
}

function render(overlay: string): K8sObject[] {
  const yaml = execFileSync('kubectl', ['kustomize', join(repoRoot, 'deploy/k8s/overlays', overlay)], { encoding: 'utf8' });
  return parseAllDocuments(yaml).map((doc) => {
    if (doc.errors.length) throw new Error(`${overlay}: ${doc.errors[0].message}`);
    return doc.toJS() as K8sObject;
  });
}

type Models = Record<string, unknown>;
const modelsByApiVersion: Record<string, Models> = {
  v1: core,
  'apps/v1': apps,
  'autoscaling/v2': autoscaling,
  'batch/v1': batch,
  'networking.k8s.io/v1': networking,
  'policy/v1': policy,
};

/** Validates one object against the schema of its apiVersion and kind; throws naming the object and the field. */
function validateObject(object: K8sObject): void {
  const Model = modelsByApiVersion[object.apiVersion]?.[object.kind] as (new (data: unknown) => { validate(): void }) | undefined;
  assert.ok(Model, `${object.kind} ${object.metadata.name}: no schema for ${object.apiVersion} ${object.kind}`);
  try {
    new Model(object).validate();
  } catch (err) {
    throw new Error(`${object.kind} ${object.metadata.name}: ${(err as Error).message}`);
  }
}

/**
 * The JSON schemas accept fields they do not define (a misspelt `readinessprobe` passes), so the objects are also
 * type-checked as object literals against kubernetes-models' interfaces, where TypeScript rejects unknown properties.
 * Returns the compiler's messages, each naming the object.
 */
function unknownFieldErrors(objects: K8sObject[]): string[] {
  const file = join(repoRoot, 'packages/cli/test/rendered-manifests.ts'); // in memory only
  const source = objects
    .map(
      (o, i) =>
        `export const o${i}: import('kubernetes-models/${o.apiVersion.includes('/') ? o.apiVersion : 'v1'}').I${o.kind} = ${JSON.stringify(o)};`,
    )
    .join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, language, ...rest) =>
    name === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest);
  host.fileExists = (name) => name === file || fileExists(name);
  host.readFile = (name) => (name === file ? source : readFile(name));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const object = objects[line];
    return `${object ? `${object.kind} ${object.metadata.name}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}

const rendered = skip ? new Map<string, K8sObject[]>() : new Map(overlays.map((o) => [o, render(o)]));

/** Containers that run the SmartEM image, with the pod spec they are in. */
function smartemContainers(objects: K8sObject[]): Array<{ owner: K8sObject; pod: PodSpec; container: Container }> {
  return objects.flatMap((owner) =>
    (owner.spec?.template?.spec.containers ?? [])
      .filter((container) => /(^|\/)smartem(:|$)/.test(container.image))
      .map((container) => ({ owner, pod: owner.spec!.template!.spec, container })),
  );
}

/** Names of environment variables the non-test sources read: `env.X`, `env['X']`, and quoted names passed as `env` keys. */
function environmentNamesReadByCode(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) {
        const source = readFileSync(path, 'utf8');
        for (const m of source.matchAll(
          /\benv\??\.([A-Z][A-Z0-9_]*)\b|\benv\[['"]([A-Z][A-Z0-9_]*)['"]\]|\(\s*env\s*,\s*'([A-Z][A-Z0-9_]*)'/g,
        )) {
          names.add(m[1] ?? m[2] ?? m[3]);
        }
      }
    }
  };
  for (const pkg of readdirSync(join(repoRoot, 'packages'))) {
    const src = join(repoRoot, 'packages', pkg, 'src');
    if (statSync(src, { throwIfNoEntry: false })?.isDirectory()) walk(src);
  }
  return names;
}

function cliCommand(path: string[]): Command {
  const program = new Command('smartem');
  registerBackendCommands(program, program.command('backend'));
  let command = program;
  for (const name of path) {
    const next = command.commands.find((c) => c.name() === name);
    assert.ok(next, `smartem ${path.join(' ')}: the CLI has no command '${name}'`);
    command = next;
  }
  return command;
}

/** The command words and flags of `args` are ones the CLI defines (flag values are not checked). */
function assertCliAccepts(args: string[], where: string): void {
  const words = args.filter((a) => !a.startsWith('-'));
  const path = words[0] === 'up' ? ['up'] : words.slice(0, 2);
  const command = cliCommand(path);
  assert.equal(command.commands.length, 0, `${where}: 'smartem ${path.join(' ')}' is not a runnable command`);
  const known = new Set(command.options.flatMap((o) => [o.long, o.short]).filter(Boolean));
  for (const flag of args.filter((a) => a.startsWith('-')).map((a) => a.split('=')[0])) {
    assert.ok(known.has(flag), `${where}: 'smartem ${path.join(' ')}' has no option ${flag}`);
  }
}

test('every overlay renders and every object validates against the Kubernetes schemas', { skip }, () => {
  for (const [overlay, objects] of rendered) {
    assert.ok(objects.length > 0, overlay);
    for (const object of objects) validateObject(object);
  }
});

test('no rendered object has a field the Kubernetes API does not define', { skip }, () => {
  for (const [overlay, objects] of rendered) assert.deepEqual(unknownFieldErrors(objects), [], overlay);
});

test('the schema validation rejects a malformed object (it is not vacuous)', { skip }, () => {
  const api = structuredClone(rendered.get('production')!.find((o) => o.kind === 'Deployment' && o.metadata.name === 'smartem-api')!);
  (api.spec!.template!.spec.containers[0].ports![0] as { containerPort: unknown }).containerPort = 'eight thousand';
  assert.throws(() => validateObject(api), /containerPort must be integer/);
  const misspelt = structuredClone(rendered.get('production')!.find((o) => o.kind === 'Deployment' && o.metadata.name === 'smartem-api')!);
  const container = misspelt.spec!.template!.spec.containers[0] as Container & { readinessprobe?: Probe };
  container.readinessprobe = container.readinessProbe;
  assert.match(unknownFieldErrors([misspelt]).join('\n'), /Deployment smartem-api: .*readinessprobe.* does not exist in type 'IContainer'/);
});

test('the manifests run the image the build makes, with commands, flags, ports and variables the code has', { skip }, () => {
  const readByCode = environmentNamesReadByCode();
  const buildScript = readFileSync(join(repoRoot, 'scripts/build-image.sh'), 'utf8');
  const builtImage = /IMAGE=\$\{IMAGE:-([^}]+)\}/.exec(buildScript)?.[1];
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /^ENTRYPOINT \["smartem"\]$/m);
  const serves = readFileSync(join(repoRoot, 'packages/backend/src/http/routes/service.ts'), 'utf8');
  assert.match(serves, /app\.get\(\s*'\/health'/);

  for (const [overlay, objects] of rendered) {
    const containers = smartemContainers(objects);
    const roles = containers.map(({ container }) => container.args?.slice(0, 2).join(' ')).sort();
    assert.deepEqual(roles, ['backend api', 'backend migrate', 'backend worker'], `${overlay}: one container per distributed role`);
    if (overlay === 'development') {
      for (const { container } of containers) assert.equal(container.image, builtImage, 'development runs the image build-image.sh makes');
    }
    const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data ?? {}]));

    for (const { owner, pod, container } of containers) {
      const where = `${overlay}: ${owner.kind} ${owner.metadata.name}`;
      assert.equal(container.command, undefined, `${where}: keeps the image's entrypoint (smartem)`);
      assertCliAccepts(container.args ?? [], where);

      const variables = new Map<string, string | undefined>();
      for (const source of container.envFrom ?? []) {
        assert.ok(source.configMapRef, `${where}: envFrom only from the ConfigMap`);
        const data = configMaps.get(source.configMapRef.name);
        assert.ok(data, `${where}: ConfigMap ${source.configMapRef.name} is rendered`);
        for (const [name, value] of Object.entries(data)) variables.set(name, value);
      }
      for (const entry of container.env ?? []) variables.set(entry.name, undefined);
      for (const name of variables.keys()) {
        assert.ok(readByCode.has(name) || READ_BY_AUTH.includes(name), `${where}: the code reads no environment variable ${name}`);
      }
      assert.ok(variables.has('DATABASE_URL'), `${where}: DATABASE_URL`);
      if (!container.args?.includes('migrate')) assert.ok(variables.has('AMQP_URL'), `${where}: AMQP_URL`);

      assert.equal(pod.securityContext?.runAsNonRoot, true, `${where}: runAsNonRoot`);
      assert.equal(container.securityContext?.readOnlyRootFilesystem, true, `${where}: read-only root filesystem`);
      assert.equal(container.securityContext?.allowPrivilegeEscalation, false, `${where}: no privilege escalation`);
      for (const kind of ['requests', 'limits'] as const) {
        assert.ok(container.resources?.[kind]?.cpu && container.resources[kind].memory, `${where}: cpu and memory ${kind}`);
      }

      if (container.args?.includes('api')) {
        const port = Number(variables.get('HTTP_API_PORT') ?? 8000);
        assert.deepEqual(
          container.ports,
          [{ name: 'http', containerPort: port }],
          `${where}: the port is the one HTTP_API_PORT makes it listen on`,
        );
        for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
          assert.deepEqual(probe?.httpGet, { path: '/health', port: 'http' }, `${where}: probes GET /health`);
        }
        const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'smartem-api');
        assert.equal(service?.spec?.ports?.[0].targetPort, 'http', `${overlay}: the Service targets the api's port`);
      } else {
        assert.equal(container.ports, undefined, `${where}: serves no port`);
      }
    }
  }
});

test('development exposes the API, Adminer and RabbitMQ management on their NodePorts', { skip }, () => {
  const services = rendered.get('development')!.filter((o) => o.kind === 'Service');
  const nodePorts = Object.fromEntries(
    services.filter((s) => s.spec?.type === 'NodePort').map((s) => [s.metadata.name, s.spec!.ports!.map((p) => p.nodePort)]),
  );
  assert.deepEqual(nodePorts, { 'smartem-api': [30080], adminer: [30808], 'rabbitmq-management': [30673] });
});

test('the Dockerfile installs every workspace package', () => {
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
  for (const pkg of readdirSync(join(repoRoot, 'packages'))) {
    assert.ok(dockerfile.includes(`COPY packages/${pkg}/package.json packages/${pkg}/`), `Dockerfile: COPY packages/${pkg}/package.json`);
  }
});

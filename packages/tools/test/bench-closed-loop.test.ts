// `smartem bench closed-loop` as a user runs it (a real child process, which starts `smartem up`, the Athena stand-in,
// the agent in auto mode and the obeying simulator): a short run on the CryoRL train split. Structure of the JSON,
// decisions recorded at the Decision Service, and the simulator obeying them — no timing is asserted. And the bench
// killed outright: the `smartem up` it started does not outlive it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { runSmartem, SMARTEM_BIN as bin } from '../../backend/test/support/cli.ts';

const truth = fileURLToPath(new URL('../../../../shared/decision-data/cryorl/target_CTF_Y1_train.csv', import.meta.url));
const predictions = fileURLToPath(
  new URL('../../../../shared/decision-data/cryorl/Y1_2_regress_8bit_res50_train_by_hl.txt', import.meta.url),
);

test('bench closed-loop: EPU default and SmartEM on the same grid; decisions posted and obeyed', {
  skip: !existsSync(truth) && 'no CryoRL data beside the repository',
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'closed-loop-test-'));
  try {
    const log = join(dir, 'athena.jsonl');
    const r = await runSmartem([
      'bench',
      'closed-loop',
      '--truth',
      truth,
      '--budget',
      // Past the first square (start 0 is a 194-hole square): the atlas is asked again once the order is posted.
      '260',
      '--starts',
      '1',
      '--speed',
      '600',
      '--shots-per-hole',
      '1',
      '--decision-timeout',
      '2',
      '--predictions',
      predictions,
      '--athena-log',
      log,
      '--json',
    ]);
    assert.equal(r.code, 0, r.err);
    const result = JSON.parse(r.out.trim().split('\n').at(-1)!) as {
      epu_default: { good: number };
      smartem: { good: number; decision_latency_ms: { p50: number; p99: number } };
      athena_requests: number;
      offline: { good: number; policy: string };
      offline_epu_constraints: { good: number; policy: string; feedback_delay_holes: number };
      offline_epu_default: { good: number };
      offline_epu_following: { good: number; policy: string };
      runs: Array<{
        smartem: {
          holes: number;
          decisions_found: number;
          feedback_sent: number;
          predictions_stored: number;
          epu_default_points: number;
          skipped_squares: number[];
          deselected_holes: number[];
        };
        epu_default: { holes: number };
      }>;
    };
    assert.ok(result.epu_default.good >= 0 && result.smartem.good >= 0 && result.offline.good > 0);
    assert.ok(result.runs[0]!.epu_default.holes > 0 && result.runs[0]!.smartem.holes > 0);
    assert.ok(result.runs[0]!.smartem.feedback_sent > 0, 'processing results went back to the backend');
    assert.ok(result.runs[0]!.smartem.predictions_stored > 0, 'the predictions reached the backend');
    assert.ok(result.runs[0]!.smartem.epu_default_points > 0, "EPU's default order reached the backend for the atlas page");
    assert.equal(result.offline.policy, 'online-learner+predictions');
    assert.equal(result.offline_epu_constraints.policy, 'online-learner+predictions+epu-constraints');
    assert.ok(result.offline_epu_constraints.good > 0 && result.offline_epu_constraints.feedback_delay_holes >= 0);
    // EPU played offline by the simulator's rules, alone (as the live EPU arm) and following the backend's rule.
    assert.equal(result.offline_epu_following.policy, 'epu-following-online-learner+predictions');
    assert.ok(result.offline_epu_default.good >= 0 && result.offline_epu_following.good >= 0);
    assert.ok(result.runs[0]!.smartem.decisions_found > 0, 'the simulator read decisions');
    assert.ok(Number.isFinite(result.smartem.decision_latency_ms.p50) && Number.isFinite(result.smartem.decision_latency_ms.p99));

    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { method: string; path: string; status: number; body: unknown; query: Record<string, string> });
    assert.equal(lines.length, result.athena_requests);
    const posted = lines.filter((l) => l.method === 'POST' && l.path.endsWith('/Decisions') && l.status === 201);
    assert.ok(posted.length > 0, 'the agent posted decisions');
    // The simulator asked for them; it skipped nothing that was not excluded (it reads them on its own schedule).
    const asked = lines.filter((l) => l.path.endsWith('/TimedDecision') && l.status === 200);
    assert.ok(asked.length > 0, 'TimedDecision answered with a decision');
    assert.ok(
      lines.some((l) => l.path.endsWith('/LatestDecision') && l.query.decisionType === 'foilHoleSelection'),
      "by default the simulator reads a square's hole selection again before its holes",
    );
    // Whatever the simulator passed over, a decision excluded it.
    const excluded = new Set<number>();
    for (const p of posted) {
      for (const d of p.body as Array<{ areaId: number; decisionType: string; decisionValue: string }>) {
        if (d.decisionType === 'include' && d.decisionValue === 'false') excluded.add(d.areaId);
        if (d.decisionType === 'foilHoleSelection')
          for (const v of JSON.parse(d.decisionValue) as Array<{ areaId: number; result: string }>)
            if (v.result === 'false') excluded.add(v.areaId);
      }
    }
    const run0 = result.runs[0]!.smartem;
    for (const id of [...run0.skipped_squares, ...run0.deselected_holes])
      assert.ok(excluded.has(id), `area ${id} passed over without a decision`);
    // The atlas decisions are on the atlas area the simulator registered (the Atlas.dm id), which it asked about.
    const atlasArea = (
      lines.find(
        (l) =>
          l.method === 'PUT' &&
          l.path.endsWith('/Areas') &&
          Array.isArray(l.body) &&
          (l.body as Array<{ areaType: string }>).some((a) => a.areaType === 'atlas'),
      )!.body as Array<{ id: number; areaType: string }>
    ).find((a) => a.areaType === 'atlas')!.id;
    assert.ok(atlasArea > 0);
    assert.ok(
      lines.some((l) => l.path.endsWith('/TimedDecision') && l.status === 200 && Number(l.query.areaId) === atlasArea),
      'a square-level decision on the atlas was read by the simulator',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Child processes of `pid` (Linux /proc), with their command lines. */
function childrenOf(pid: number): Array<{ pid: number; cmdline: string[] }> {
  const out: Array<{ pid: number; cmdline: string[] }> = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const ids = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    for (const child of ids ? ids.split(/\s+/).map(Number) : []) {
      try {
        out.push({ pid: child, cmdline: readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0') });
      } catch {
        // exited in between
      }
    }
  }
  return out;
}

/** Gone, or a zombie nobody has reaped yet (it has exited). */
function exited(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .startsWith('Z');
  } catch {
    return true;
  }
}

async function poll<T>(what: string, probe: () => T | undefined, timeoutMs = 180_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(200)) {
    const found = probe();
    if (found !== undefined) return found;
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
}

test('bench closed-loop killed with SIGKILL: the backend it started stops too', {
  skip: (!existsSync(truth) && 'no CryoRL data beside the repository') || (process.platform !== 'linux' && 'reads /proc'),
}, async () => {
  const bench = spawn(
    process.execPath,
    [bin, 'bench', 'closed-loop', '--truth', truth, '--starts', '1', '--budget', '20', '--shots-per-hole', '1', '--speed', '20'],
    {
      stdio: 'ignore',
    },
  );
  const exit = new Promise((resolve) => bench.once('exit', resolve));
  let data: string | undefined;
  try {
    const backend = await poll('smartem up started by the bench', () =>
      childrenOf(bench.pid!).find((c) => c.cmdline.includes('up') && c.cmdline.includes('--data')),
    );
    data = backend.cmdline[backend.cmdline.indexOf('--data') + 1];
    bench.kill('SIGKILL');
    await exit;
    await poll('smartem up exiting after the bench was killed', () => (exited(backend.pid) ? true : undefined));
  } finally {
    bench.kill('SIGKILL');
    // The bench could not remove its working directory: <base>/smartem-0/db.
    if (data) rmSync(dirname(dirname(data)), { recursive: true, force: true });
  }
});

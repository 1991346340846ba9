/** Worker thread: reads and parses batches of EPU files, replies with records or error reasons in batch order. */
import { parentPort } from 'node:worker_threads';
import { parseOne, type ParseJob, type ParseOutcome } from './parse-one.ts';

export interface BatchRequest {
  id: number;
  jobs: ParseJob[];
}
export interface BatchResponse {
  id: number;
  outcomes: ParseOutcome[];
}

parentPort?.on('message', (request: BatchRequest) => {
  const outcomes = request.jobs.map((job) => parseOne(job));
  parentPort!.postMessage({ id: request.id, outcomes } satisfies BatchResponse);
});

import { parseEnvironment } from '../shared/contracts/environment';
import { lambdaHandler } from '../shared/runtime/handler';
import { WATCH_RUNS_ENV, watchRuns } from './watch-runs';

const env = parseEnvironment(WATCH_RUNS_ENV, process.env);

export const handler = lambdaHandler((event: unknown) => watchRuns(event, env));
